"""Options shared by the commands that validate."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

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
    from mlscaffold.validate.schema.store import (
        parse_kube_version,
        supported_kube_versions,
    )

    supported = supported_kube_versions()
    try:
        major, minor = parse_kube_version(value)
    except ValueError:
        major = minor = -1
    if f"{major}.{minor}" not in supported:
        raise click.BadParameter(
            f"{value!r} is not one of {', '.join(supported)} (a patch is ignored)"
        )
    return f"{major}.{minor}"


def platform_options(*, skeleton: bool = True) -> Callable[[F], F]:
    """Add --skeleton and --platform; the command receives ``config``.

    ``config`` is the platform repository's PlatformConfig (found by walking up from
    the working directory; the packaged skeleton and settings without one), with
    the options given on the command line taking its place.

    Args:
        skeleton: Offer --skeleton too (commands that render or lint).
    """
    options = [
        click.option(
            "--platform",
            "platform_file",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="Platform settings YAML (default: the platform repository's, "
            "else the shipped schemas/platform.yaml).",
        )
    ]
    if skeleton:
        options.insert(
            0,
            click.option(
                "--skeleton",
                type=click.Path(exists=True, file_okay=False, path_type=Path),
                help="Skeleton folder (default: the platform repository's, else "
                "the shipped skeletons/ml-project).",
            ),
        )

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def with_config(
            *args: Any,
            skeleton: Path | None = None,
            platform_file: Path | None = None,
            **kwargs: Any,
        ) -> Any:
            from mlscaffold.config import find_config

            config = find_config()
            config = dataclasses.replace(
                config,
                skeleton=skeleton.resolve() if skeleton else config.skeleton,
                platform_file=(
                    platform_file.resolve() if platform_file else config.platform_file
                ),
            )
            return func(*args, config=config, **kwargs)

        return apply_options(cast("F", with_config), options)

    return decorate


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
            help="Kubernetes version whose schemas and Pod Security controls "
            "apply (1.25 to 1.37; default 1.33; a patch such as 1.33.2 is ignored).",
        ),
        click.option(
            "--skip",
            "skip_kinds",
            multiple=True,
            metavar="KIND",
            help="Kinds (Deployment) or apiVersion/kind (apps/v1/Deployment) to "
            "leave out of the schema check, comma-separated or repeated "
            "(kubeconform's -skip).",
        ),
        click.option(
            "--ignore-missing-schemas",
            is_flag=True,
            help="An object whose kind has no schema is listed as skipped instead "
            "of failing (kubeconform's -ignore-missing-schemas).",
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


SEVERITIES = ("note", "warning", "error")


def _quiet(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    del param  # part of click's callback signature
    if value:
        ctx.meta["mlscaffold.quiet"] = True
    return value


def _min_severity(ctx: click.Context, param: click.Parameter, value: str) -> str:
    del param  # part of click's callback signature
    return "error" if ctx.meta.get("mlscaffold.quiet") else value


def severity_options(func: F) -> F:
    """Add --quiet and --min-severity: which findings a report shows.

    The command receives ``min_severity`` (``note``, ``warning`` or ``error``);
    ``--quiet`` means ``error``. What is shown never changes the exit code.
    """
    options = [
        click.option(
            "-q",
            "--quiet",
            is_flag=True,
            is_eager=True,
            expose_value=False,
            callback=_quiet,
            help="Show errors only (same as --min-severity error).",
        ),
        click.option(
            "--min-severity",
            type=click.Choice(SEVERITIES),
            default="note",
            show_default=True,
            callback=_min_severity,
            help="Lowest severity shown; the exit code still follows --fail-on.",
        ),
    ]
    return apply_options(func, options)


def output_option(func: F) -> F:
    """Add --output (the report format)."""
    return click.option(
        "--output",
        "output_format",
        type=click.Choice(OUTPUT_FORMATS),
        default="text",
        show_default=True,
        help="Report format.",
    )(func)


def validation_flags(func: F) -> F:
    """Add the schema options, --output, --quiet, --min-severity and --fail-on."""
    return apply_options(
        func, [schema_options(), output_option, severity_options, fail_on_option]
    )
