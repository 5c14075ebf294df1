"""Glue between CLI options, the validator and the reporters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from mlscaffold.report.model import Report, Severity

THRESHOLDS = {"error": Severity.ERROR, "warning": Severity.WARNING}


def validate_options(
    *,
    crd_dirs: tuple[Path, ...] = (),
    kube_version: str | None = None,
    kubeconform_mode: str = "off",
    platform: Any = None,
    **_ignored: Any,
) -> Any:
    """Build the validator's options from the shared CLI options.

    Args:
        crd_dirs: ``--crds`` folders.
        kube_version: ``--kube-version``, if given.
        kubeconform_mode: ``--kubeconform``.
        platform: PlatformSettings the rules should read (None: the shipped ones).
    """
    from mlscaffold.validate import ValidateOptions

    kwargs: dict[str, Any] = {
        "crd_dirs": tuple(crd_dirs),
        "kubeconform": kubeconform_mode,
        "platform": platform,
    }
    if kube_version:
        kwargs["kube_version"] = kube_version
    return ValidateOptions(**kwargs)


def fails(report: Report, fail_on: str) -> bool:
    """True when the report has findings at or above ``fail_on``."""
    return bool(report.at_least(THRESHOLDS[fail_on]))


def emit_passing_report(report: Report) -> None:
    """On stderr: warnings and the summary (what was checked, what was skipped)."""
    from mlscaffold.report.formats import summary_line

    for finding in report.at_least(Severity.WARNING):
        click.echo(str(finding), err=True)
    click.echo(f"Validated: {summary_line(report)}", err=True)


def emit_report(report: Report, output_format: str, *, err: bool = False) -> None:
    """Print a report in the chosen format."""
    from mlscaffold.report.formats import REPORTERS

    text = REPORTERS[output_format](report)
    click.echo(text, nl=not text.endswith("\n"), err=err)
