"""Options shared by the commands that validate."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

OUTPUT_FORMATS = ("text", "json", "junit", "sarif")


def validation_options(func: F) -> F:
    """Add --crds, --kube-version, --kubeconform, --output and --fail-on."""
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
            default="auto",
            show_default=True,
            help="Also run kubeconform: when on PATH (auto), never, "
            "or fail without it.",
        ),
        click.option(
            "--output",
            "output_format",
            type=click.Choice(OUTPUT_FORMATS),
            default="text",
            show_default=True,
            help="Report format.",
        ),
        click.option(
            "--fail-on",
            type=click.Choice(["error", "warning"]),
            default="error",
            show_default=True,
            help="Lowest severity that makes the exit code 1.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func
