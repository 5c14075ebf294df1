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


def _check_kube_version(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> str | None:
    del ctx, param  # part of click's callback signature
    if value is None:
        return None
    from mlscaffold.validate.schema.store import supported_kube_versions

    supported = supported_kube_versions()
    if value not in supported:
        raise click.BadParameter(f"{value!r} is not one of {', '.join(supported)}")
    return value


def platform_option(func: F) -> F:
    """Add --platform: the platform settings to render and validate with."""
    return click.option(
        "--platform",
        "platform_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Platform settings YAML (default: the shipped schemas/platform.yaml); "
        "rules that read settings (Argo CD namespace, spot capacity) use it.",
    )(func)


def schema_options() -> Callable[[F], F]:
    """Add --crds, --kube-version and --kubeconform to a command."""
    options = [
        click.option(
            "--crds",
            "crd_dirs",
            multiple=True,
            type=click.Path(exists=True, file_okay=False, path_type=Path),
            envvar="MLSCAFFOLD_CRDS",
            help="Folder of CRD YAML files to validate custom resources against "
            "(repeatable; env MLSCAFFOLD_CRDS, ':'-separated). Kinds they do not "
            "define come from `mlscaffold schemas pull`'s cache, else the shipped "
            "schemas.",
        ),
        click.option(
            "--kube-version",
            default=None,
            metavar="X.Y",
            callback=_check_kube_version,
            help="Kubernetes minor whose schemas core kinds are checked against "
            "(1.25 to 1.37; default 1.33).",
        ),
        click.option(
            "--kubeconform",
            "kubeconform_mode",
            type=click.Choice(["off", "auto", "require"]),
            default="off",
            show_default=True,
            help="Also run kubeconform on the same schemas: never (off), when it "
            "is on PATH (auto), or fail without it (require). mlscaffold's own "
            "schema and CEL checks run either way; kubeconform findings that "
            "repeat them are dropped.",
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
