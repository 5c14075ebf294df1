"""Glue between CLI options, the validator and the reporters."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import click

from mlscaffold.report.model import Report, Severity

THRESHOLDS = {"error": Severity.ERROR, "warning": Severity.WARNING}
SHOWN = {"note": Severity.INFO, **THRESHOLDS}


def build_validate_options(
    *,
    crd_dirs: tuple[Path, ...] = (),
    kube_version: str | None = None,
    kubeconform_mode: str = "off",
    skip_kinds: tuple[str, ...] = (),
    ignore_missing_schemas: bool = False,
    config: Any = None,
    **_ignored: Any,
) -> Any:
    """Build the validator's options from the shared CLI options.

    Args:
        crd_dirs: ``--crds`` folders (default: the platform repository's ``crds``).
        kube_version: ``--kube-version``, if given.
        kubeconform_mode: ``--kubeconform``.
        skip_kinds: ``--skip`` values, each possibly comma-separated.
        ignore_missing_schemas: ``--ignore-missing-schemas``.
        config: The PlatformConfig whose settings the rules read and whose CRD
            folders are the default (None: the shipped settings, no folders).
    """
    from mlscaffold.settings import load_platform
    from mlscaffold.validate import ValidateOptions

    kwargs: dict[str, Any] = {
        "crd_dirs": tuple(crd_dirs) or (config.crd_dirs if config else ()),
        "kubeconform": kubeconform_mode,
        "platform": load_platform(config.platform_file) if config else None,
        "skip_kinds": frozenset(
            kind.strip() for value in skip_kinds for kind in value.split(",") if kind
        ),
        "ignore_missing_schemas": ignore_missing_schemas,
    }
    if kube_version:
        kwargs["kube_version"] = kube_version
    return ValidateOptions(**kwargs)


def fails(report: Report, fail_on: str) -> bool:
    """True when the report has findings at or above ``fail_on``."""
    return bool(report.at_least(THRESHOLDS[fail_on]))


def emit_passing_report(report: Report, min_severity: str = "warning") -> None:
    """On stderr: findings at or above ``min_severity`` and the summary."""
    from mlscaffold.report.formats import format_finding, summary_line

    for finding in report.at_least(SHOWN[min_severity]):
        click.echo(format_finding(finding), err=True)
    click.echo(f"Validated: {summary_line(report)}", err=True)


def emit_report(
    report: Report,
    output_format: str,
    *,
    err: bool = False,
    min_severity: str = "note",
) -> None:
    """Print a report in the chosen format, findings below ``min_severity`` left out."""
    from mlscaffold.report.formats import REPORTERS

    if min_severity != "note":
        report = dataclasses.replace(
            report, findings=report.at_least(SHOWN[min_severity])
        )
    text = REPORTERS[output_format](report)
    click.echo(text, nl=not text.endswith("\n"), err=err)
