"""Commands for many teams: fleet render, fleet diff, and update of one team repo."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from mlscaffold.cli.app import (
    EXIT_FINDINGS,
    EXIT_OK,
    cli,
)
from mlscaffold.cli.options import (
    apply_options,
    fail_on_option,
    platform_options,
    schema_options,
)
from mlscaffold.cli.progress import progress, progress_option
from mlscaffold.cli.reporting import THRESHOLDS, build_validate_options
from mlscaffold.report.model import Severity

if TYPE_CHECKING:
    from mlscaffold.config import PlatformConfig
    from mlscaffold.fleet.render import FleetProgress, TeamError
    from mlscaffold.fleet.revision import PlatformSources

F = TypeVar("F", bound=Callable[..., Any])


def _fleet_options(func: F) -> F:
    """Options shared by fleet render and fleet diff."""
    options = [
        click.argument(
            "team_sources",
            metavar="TEAMS...",
            nargs=-1,
            required=True,
            type=click.Path(exists=True, path_type=Path),
        ),
        click.option("--no-validate", is_flag=True, help="Render only; no validation."),
        click.option("-j", "--jobs", type=click.IntRange(min=0), default=1,
                     show_default=True, help="Processes to use; 0 means every core."),
        progress_option,
        click.option("--platform-repo", type=click.Path(exists=True, file_okay=False,
                     path_type=Path), default=None,
                     help="Git work tree of the platform repository, for --rev, "
                     "--base and --head (default: the one holding its config, "
                     "else the current directory's)."),
        platform_options(),
    ]  # fmt: skip
    options += [schema_options(), fail_on_option]
    return apply_options(func, options)


@cli.group()
def fleet() -> None:
    """Render, validate and diff every team of the paved road at once.

    \b
    TEAMS are teams.yaml files (`teams:` list or mapping, optional `defaults:`),
    answers files, or folders holding answers files (each `.mlscaffold/answers.yaml`
    below, and each *.yaml directly inside).
    """


@contextmanager
def _team_progress(
    enabled: bool | None, total: int
) -> Iterator[Callable[[FleetProgress], None]]:
    with progress(enabled, total, "teams") as step:
        yield lambda event: step(event.done, event.team, event.ok)


def _validation(no_validate: bool, **options: Any) -> Any:
    return None if no_validate else build_validate_options(**options)


def _error_code(errors: list[TeamError]) -> int | None:
    return max((e.exit_code for e in errors), default=None)


@contextmanager
def _sources(
    config: PlatformConfig, repo: Path | None, rev: str | None
) -> Iterator[PlatformSources]:
    from mlscaffold.fleet.revision import (
        PlatformSources,
        layout_of,
        repo_root,
        revision_sources,
        worktree_sources,
    )

    if rev is None and repo is None:
        label = "installed" if config.packaged else "work tree"
        yield PlatformSources(config.skeleton, config.platform_file, label)
        return
    root = repo_root(repo or config.root or Path.cwd())
    layout = layout_of(config, root)
    if rev is None:
        yield worktree_sources(root, layout)
        return
    with revision_sources(root, rev, layout) as sources:
        yield sources


@fleet.command("render")
@_fleet_options
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help=(
        "Write each valid team to OUT/<team> (its repository, with the platform "
        "change under platform/); without it nothing is written."
    ),
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace team folders that an earlier render wrote (and nothing else).",
)
@click.option(
    "--rev",
    help="Render with the template at this revision of the "
    "platform repository (default: the installed one, or --platform-repo's "
    "work tree).",
)
@click.option(
    "--output",
    "output_format",
    type=click.Choice(["text", "json", "junit", "sarif"]),
    default="text",
    show_default=True,
    help="Report format (findings at warning or above; paths <team>/...).",
)
def fleet_render(
    team_sources: tuple[Path, ...], out: Path | None, force: bool, rev: str | None,
    output_format: str, no_validate: bool, jobs: int, progress: bool | None,
    platform_repo: Path | None, config: PlatformConfig, fail_on: str,
    **validation: Any,
) -> int:  # fmt: skip
    """Render and validate every team; write the valid ones with -o DIR.

    Exit 0 when every team renders clean, 1 when a team has findings at or
    above --fail-on, 2/3/4 when a team's parameters, render or tools fail.

    \b
    Example:
      mlscaffold fleet render teams.yaml -j 0 -o out/
    """
    from mlscaffold.cli.reporting import emit_report
    from mlscaffold.fleet.output import fleet_report, render_summary
    from mlscaffold.fleet.render import render_fleet
    from mlscaffold.teams import load_teams

    threshold = THRESHOLDS[fail_on]
    teams = load_teams(list(team_sources))
    with (
        _sources(config, platform_repo, rev) as sources,
        _team_progress(progress, len(teams)) as bar,
    ):
        results = render_fleet(
            teams, sources, validate=_validation(no_validate, **validation),
            fail_on=threshold, out_dir=out, force=force, jobs=jobs, progress=bar,
        )  # fmt: skip
    report = fleet_report(results)
    report.findings = report.at_least(Severity.WARNING)
    emit_report(report, output_format)
    click.echo(render_summary(results, threshold), err=True, nl=False)
    code = _error_code([r.error for r in results if r.error])
    if code is not None:
        return code
    failing = any(f.severity >= threshold for r in results for f in r.report.findings)
    return EXIT_FINDINGS if failing else EXIT_OK


@fleet.command("diff")
@_fleet_options
@click.option(
    "--base",
    required=True,
    help="Revision of the platform repository to compare against (e.g. origin/main).",
)
@click.option(
    "--head",
    default=None,
    help="Revision to compare (default: the work tree, uncommitted edits included).",
)
@click.option(
    "--output",
    "output_format",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--markdown-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the Markdown summary (a pull-request comment) here.",
)
@click.option(
    "--sarif-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the new findings as SARIF, placed at the skeleton files they "
    "come from (for code scanning).",
)
@click.option("--stat", is_flag=True, help="Text output: summary only, no diffs.")
def fleet_diff(
    team_sources: tuple[Path, ...], base: str, head: str | None, output_format: str,
    markdown_file: Path | None, sarif_file: Path | None, stat: bool,
    no_validate: bool, jobs: int,
    progress: bool | None, platform_repo: Path | None, config: PlatformConfig,
    fail_on: str, **validation: Any,
) -> int:  # fmt: skip
    """Show what a template change does to every team, per team and file.

    Renders the fleet with the template at --base and at --head (default: the
    work tree), prints unified diffs and a summary (teams affected, files
    changed, new findings). Exit 1 when the change introduces findings at or
    above --fail-on, 2/3/4 when a team no longer renders; unchanged teams are
    not validated again.

    \b
    Example:
      mlscaffold fleet diff teams/ --base origin/main \\
        --output json --markdown-file comment.md -j 0
    """
    from mlscaffold._files import atomic_write
    from mlscaffold.fleet.diff import diff_fleet
    from mlscaffold.fleet.output import diff_json, diff_markdown, diff_text
    from mlscaffold.teams import load_teams

    teams = load_teams(list(team_sources))
    repo = platform_repo or config.root or Path.cwd()
    with (
        _sources(config, repo, base) as old,
        _sources(config, repo, head) as new,
        _team_progress(progress, len(teams)) as bar,
    ):
        result = diff_fleet(
            teams, old, new, validate=_validation(no_validate, **validation),
            jobs=jobs, progress=bar,
        )  # fmt: skip
    result = type(result)(base, head or "work tree", result.teams)
    if markdown_file is not None:
        atomic_write(markdown_file, diff_markdown(result).encode("utf-8"))
    if sarif_file is not None:
        from mlscaffold.fleet.output import diff_report
        from mlscaffold.fleet.revision import layout_of, repo_root
        from mlscaffold.report.formats import format_sarif

        skeleton = layout_of(config, repo_root(repo)).skeleton
        atomic_write(
            sarif_file, format_sarif(diff_report(result, skeleton)).encode("utf-8")
        )
    formats = {"json": diff_json, "markdown": diff_markdown}
    text = (
        formats[output_format](result)
        if output_format in formats
        else (diff_text(result, show_diffs=not stat))
    )
    click.echo(text, nl=False)
    # A team that fails the same way before and after was not broken by this change.
    code = _error_code([t.error for t in result.teams if t.error and t.new_error])
    if code is not None:
        return code
    return EXIT_FINDINGS if result.new_findings(THRESHOLDS[fail_on]) else EXIT_OK
