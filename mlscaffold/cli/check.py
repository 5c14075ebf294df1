"""Commands that check things: validate, lint, schemas."""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mlscaffold.cli.app import EXIT_FINDINGS, EXIT_OK, cli
from mlscaffold.cli.options import (
    output_option,
    platform_options,
    severity_options,
    validation_flags,
)
from mlscaffold.cli.reporting import build_validate_options, emit_report, fails

if TYPE_CHECKING:
    from mlscaffold.config import PlatformConfig
    from mlscaffold.report.model import Finding


@cli.command()
@click.argument(
    "paths",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, allow_dash=True, path_type=Path),
)
@platform_options(skeleton=False)
@validation_flags
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Processes to use; 0 means every core. Teams (each folder holding one "
    "Namespace) are checked in parallel; the report is the same.",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="With -j, show progress on stderr (default: a bar on a terminal only).",
)
def validate(
    paths: tuple[Path, ...],
    config: PlatformConfig,
    jobs: int,
    progress: bool | None,
    **validation: Any,
) -> int:
    """Validate folders or files of Kubernetes manifests, generated or hand-edited.

    Checks core kinds against the Kubernetes JSON schemas, custom resources against
    their CRDs, Pod Security restricted on every pod (also pods nested in custom
    resources), and cross-resource rules (namespace, queue, quota, Argo CD app,
    service accounts, pipeline parameters, cost labels). Text output lines read
    `path:line:col: severity RULE message`. PATHS are files and folders (.yaml,
    .yml and .json at any depth); `-` reads standard input:

    \b
      helm template ./chart | mlscaffold validate -
    """
    from mlscaffold.cli.progress import progress as progress_reporter
    from mlscaffold.validate import validate_paths
    from mlscaffold.validate.inputs import MAX_MANIFEST_BYTES, STDIN

    options = build_validate_options(config=config, **validation)
    stdin: bytes | None = None
    if any(path.as_posix() == STDIN for path in paths):
        stdin = sys.stdin.buffer.read(MAX_MANIFEST_BYTES + 1)
        if len(stdin) > MAX_MANIFEST_BYTES:
            raise click.BadParameter(
                f"standard input is larger than {MAX_MANIFEST_BYTES} bytes",
                param_hint="'-'",
            )
    # The total is known only once the walk is done: the bar starts at the first
    # batch; a serial run (-j 1) reports nothing.
    with contextlib.ExitStack() as stack:
        steps: list[Any] = []

        def advance(done: int, total: int, last: str) -> None:
            if not steps:
                steps.append(
                    stack.enter_context(
                        progress_reporter(
                            progress, total, "files", lines_by_default=False
                        )
                    )
                )
            steps[0](done, last, True)

        report = validate_paths(
            list(paths), options=options, jobs=jobs, progress=advance, stdin=stdin
        )
    emit_report(
        report, validation["output_format"], min_severity=validation["min_severity"]
    )
    return EXIT_FINDINGS if fails(report, validation["fail_on"]) else EXIT_OK


@cli.command()
@platform_options()
@click.option(
    "--template",
    "template_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="template.yaml whose steps and parameters are checked against the skeleton "
    "(default: a fresh build).",
)
@output_option
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning"]),
    default="warning",
    show_default=True,
    help="Lowest severity that makes the exit code 1 (unlike validate's, the "
    "default is warning).",
)
@severity_options
def lint(
    config: PlatformConfig,
    template_file: Path | None,
    output_format: str,
    fail_on: str,
    min_severity: str,
) -> int:
    """Lint a skeleton for constructs that Backstage and Jinja2 render differently.

    Also checks the template: values used but never passed, parameters never used,
    step references to missing or later steps, and step ids Backstage misreads.
    The skeleton and settings are the platform repository's (see --skeleton); the
    platform change's skeleton beside it (<skeleton>-platform) is linted too.
    """
    from mlscaffold._yaml import load_yaml_file
    from mlscaffold.lint import lint_skeleton
    from mlscaffold.report.model import Report
    from mlscaffold.settings import load_platform
    from mlscaffold.template.build import build_template, platform_skeleton_for

    beside = platform_skeleton_for(config.skeleton)
    template = (
        load_yaml_file(template_file)
        if template_file
        else build_template(
            load_platform(config.platform_file), platform_change=beside is not None
        )
    )
    roots = [config.skeleton] if beside is None else [config.skeleton, beside]
    report = Report(
        checked=sorted(
            # The platform skeleton's files as the source maps name them: from the
            # team skeleton (../ml-project-platform/...).
            Path(os.path.relpath(p, config.skeleton)).as_posix()
            for root in roots
            for p in root.rglob("*")
            if p.is_file()
        )
    )
    for root in roots:
        base = Path(os.path.relpath(root, config.skeleton)).as_posix()
        report.extend(
            _from_team_skeleton(finding, base)
            for finding in lint_skeleton(root, template)
        )
    emit_report(report, output_format, min_severity=min_severity)
    return EXIT_FINDINGS if fails(report, fail_on) else EXIT_OK


def _from_team_skeleton(finding: Finding, base: str) -> Finding:
    """A finding in the skeleton at ``base`` (from the team skeleton), named from there.

    So a file of the platform skeleton is reported as the checked list names it,
    ``../ml-project-platform/teams/...``, where an editor finds it, and never as a
    path the team skeleton might hold too.
    """
    if base == "." or finding.source is None:  # no source: about template.yaml
        return finding
    return replace(
        finding,
        rendered=replace(finding.rendered, path=f"{base}/{finding.rendered.path}"),
        source=replace(finding.source, path=f"{base}/{finding.source.path}"),
    )


@cli.group()
def schemas() -> None:
    """Manage the pinned upstream schemas (CRDs)."""


@schemas.command("pull")
@click.option(
    "--catalog",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CRD catalog (name, url and sha256 per file; file:// urls work offline); "
    "default: the shipped schemas/crd-sources.yaml.",
)
@click.option(
    "--timeout", default=60.0, show_default=True, help="Seconds per download."
)
@click.option(
    "--retries",
    type=click.IntRange(min=0),
    default=2,
    show_default=True,
    help="Further attempts after a failed download (1 s, 2 s, ... apart).",
)
def schemas_pull(catalog: Path | None, timeout: float, retries: int) -> int:
    """Download the pinned upstream CRDs, verify their sha256 and cache them.

    Nothing is cached unless every file verifies. Later `render` and `validate` runs
    use the cached CRDs when no --crds folder is given. The cache is
    $MLSCAFFOLD_CACHE_DIR, else the user cache folder (~/.cache/mlscaffold on
    Linux). Offline, give --catalog a catalog whose urls are file:// paths, or
    validate with --crds DIR instead.
    """
    import urllib.request

    from mlscaffold._cache import default_cache_dir
    from mlscaffold._data import schema_file
    from mlscaffold.validate.schema.store import pull_crds

    def fetch(url: str) -> bytes:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - URLs from the pinned catalog
            data: bytes = response.read()
            return data

    def progress(number: int, total: int, source: Any, size: int) -> None:
        click.echo(
            f"[{number}/{total}] {source.name}: {size:,} bytes, sha256 verified",
            err=True,
        )

    cache = default_cache_dir()
    for path in pull_crds(
        catalog or schema_file("crd-sources.yaml"),
        cache,
        fetch,
        retries=retries,
        progress=progress,
    ):
        click.echo(f"cached {path}")
    return EXIT_OK


@schemas.command("build")
@click.option(
    "--crds",
    "crd_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("../shared/crds"),
    show_default=True,
    help="Folder of the pinned CRD files to convert.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write (default: the package's shipped schemas).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 when the shipped schemas differ from a fresh build.",
)
def schemas_build(crd_dir: Path, out_dir: Path | None, check: bool) -> int:
    """Convert CRD files into the JSON Schemas and CEL rules mlscaffold ships.

    Each CRD version becomes a gzipped JSON bundle (descriptions stripped, built
    the same way byte for byte every time) that `render` and `validate` use when
    neither --crds nor `schemas pull` provides the kind.
    """
    from mlscaffold.validate.schema.bundled import (
        build_shipped,
        diff_shipped,
        shipped_dir,
    )

    if check:
        differing = diff_shipped(crd_dir, out_dir)
        if differing:
            click.echo(
                "shipped schemas differ from a fresh build of "
                f"{crd_dir}: {', '.join(differing)}; run `mlscaffold schemas build`",
                err=True,
            )
            return EXIT_FINDINGS
        click.echo(f"shipped schemas are up to date with {crd_dir}")
        return EXIT_OK
    target = out_dir or shipped_dir()
    index = build_shipped(crd_dir, target)
    click.echo(f"wrote {len(index)} CRD versions to {target}")
    return EXIT_OK
