"""Commands that check things: validate, lint, schemas."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from mlscaffold.cli.app import EXIT_FINDINGS, EXIT_OK, cli
from mlscaffold.cli.options import OUTPUT_FORMATS, platform_option, validation_options
from mlscaffold.cli.reporting import emit_report, fails, validate_options


@cli.command()
@click.argument(
    "paths",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, allow_dash=True, path_type=Path),
)
@platform_option
@validation_options
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Processes to use; 0 means every core. Teams (each folder holding one "
    "Namespace) are checked in parallel; the report is the same.",
)
def validate(
    paths: tuple[Path, ...], platform_file: Path | None, jobs: int, **validation: Any
) -> int:
    """Validate folders or files of Kubernetes manifests, generated or hand-edited.

    Checks core kinds against the Kubernetes JSON schemas, custom resources against
    their CRDs, Pod Security restricted on every pod (also pods nested in custom
    resources), and cross-resource rules (namespace, queue, quota, Argo CD app,
    service accounts, pipeline parameters, cost labels). Text output lines read
    `path:line:col: RULE message`. PATHS are files and folders (.yaml, .yml and
    .json at any depth); `-` reads standard input:

    \b
      helm template ./chart | mlscaffold validate -
    """
    from mlscaffold.settings import load_platform
    from mlscaffold.validate import validate_paths
    from mlscaffold.validate.inputs import MAX_MANIFEST_BYTES, STDIN

    platform = load_platform(platform_file) if platform_file else None
    options = validate_options(platform=platform, **validation)
    stdin: bytes | None = None
    if any(path.as_posix() == STDIN for path in paths):
        stdin = sys.stdin.buffer.read(MAX_MANIFEST_BYTES + 1)
        if len(stdin) > MAX_MANIFEST_BYTES:
            raise click.BadParameter(
                f"standard input is larger than {MAX_MANIFEST_BYTES} bytes",
                param_hint="'-'",
            )
    report = validate_paths(list(paths), options=options, jobs=jobs, stdin=stdin)
    emit_report(report, validation["output_format"])
    return EXIT_FINDINGS if fails(report, validation["fail_on"]) else EXIT_OK


@cli.command()
@click.argument(
    "skeleton",
    required=False,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.option(
    "--template",
    "template_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="template.yaml whose steps and parameters are checked against the skeleton "
    "(default: a fresh build).",
)
@click.option(
    "--output", "output_format", type=click.Choice(OUTPUT_FORMATS), default="text"
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning"]),
    default="warning",
    show_default=True,
)
def lint(
    skeleton: Path | None, template_file: Path | None, output_format: str, fail_on: str
) -> int:
    """Lint a skeleton for constructs that Backstage and Jinja2 render differently.

    Also checks the template: values used but never passed, parameters never used,
    step references to missing or later steps, and step ids Backstage misreads.
    SKELETON defaults to the shipped skeletons/ml-project.
    """
    from mlscaffold._data import skeleton_dir
    from mlscaffold._yaml import load_yaml_file
    from mlscaffold.lint import lint_skeleton
    from mlscaffold.report.model import Report
    from mlscaffold.template.build import build_template

    template = load_yaml_file(template_file) if template_file else build_template()
    report = Report()
    report.extend(lint_skeleton(skeleton or skeleton_dir(), template))
    emit_report(report, output_format)
    return EXIT_FINDINGS if fails(report, fail_on) else EXIT_OK


@cli.group()
def schemas() -> None:
    """Manage the pinned upstream schemas (CRDs)."""


@schemas.command("pull")
@click.option(
    "--catalog",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CRD catalog (URL + sha256 per file); "
    "default: the shipped schemas/crd-sources.yaml.",
)
@click.option(
    "--timeout", default=60.0, show_default=True, help="Seconds per download."
)
def schemas_pull(catalog: Path | None, timeout: float) -> int:
    """Download the pinned upstream CRDs, verify their sha256 and cache them.

    Nothing is cached unless every file verifies. Later `render` and `validate` runs
    use the cached CRDs when no --crds folder is given.
    """
    import urllib.request

    from mlscaffold._data import schema_file
    from mlscaffold.validate.schema.store import default_cache_dir, pull_crds

    def fetch(url: str) -> bytes:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - https URLs from the pinned catalog
            data: bytes = response.read()
            return data

    cache = default_cache_dir()
    for path in pull_crds(catalog or schema_file("crd-sources.yaml"), cache, fetch):
        click.echo(f"cached {path}")
    return EXIT_OK
