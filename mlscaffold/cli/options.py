"""Options shared by the commands that validate."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

OUTPUT_FORMATS = ("text", "json", "junit", "sarif")


def apply_options(func: F, options: Sequence[Callable[[Any], Any]]) -> F:
    """Apply click decorators so they show in ``--help`` in the order given."""
    for option in reversed(options):
        func = option(func)
    return func


def schema_options(*, kubeconform: str = "auto") -> Callable[[F], F]:
    """Add --crds, --kube-version and --kubeconform (with its default) to a command."""
    options = [
        click.option(
            "--crds",
            "crd_dirs",
            multiple=True,
            type=click.Path(exists=True, file_okay=False, path_type=Path),
            envvar="MLSCAFFOLD_CRDS",
            help="Folder of CRD YAML files to validate custom resources against "
            "(repeatable; env MLSCAFFOLD_CRDS, ':'-separated). CRDs fetched by "
            "`mlscaffold schemas pull` are used too.",
        ),
        click.option(
            "--kube-version",
            default=None,
            metavar="X.Y",
            help="Kubernetes minor whose schemas core kinds are checked against.",
        ),
        click.option(
            "--kubeconform",
            "kubeconform_mode",
            type=click.Choice(["auto", "off", "require"]),
            default=kubeconform,
            show_default=True,
            help="Also run kubeconform: when on PATH (auto), never, "
            "or fail without it.",
        ),
    ]
    return lambda func: apply_options(func, options)


def fail_on_option(func: F) -> F:
    """Add --fail-on."""
    return click.option(
        "--fail-on",
        type=click.Choice(["error", "warning"]),
        default="error",
        show_default=True,
        help="Lowest severity that makes the exit code 1.",
    )(func)


def validation_options(func: F) -> F:
    """Add --crds, --kube-version, --kubeconform, --output and --fail-on."""
    output = click.option(
        "--output",
        "output_format",
        type=click.Choice(OUTPUT_FORMATS),
        default="text",
        show_default=True,
        help="Report format.",
    )
    return apply_options(func, [schema_options(), output, fail_on_option])
