"""Render and validate many teams, in parallel, reporting progress as data."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mlscaffold._parallel import resolve_jobs, run_parallel
from mlscaffold.api import ProjectRenderer
from mlscaffold.errors import MlscaffoldError, SettingsError
from mlscaffold.fleet.revision import PlatformSources
from mlscaffold.report.model import Report, Severity
from mlscaffold.settings import load_platform
from mlscaffold.teams import ANSWERS_FILE, Team, rendered_before
from mlscaffold.validate import ValidateOptions, validate_tree

__all__ = [
    "FleetProgress",
    "ProgressCallback",
    "TeamError",
    "TeamResult",
    "for_sources",
    "render_fleet",
    "renderer_for",
    "resolve_jobs",
    "run_parallel",
]


@dataclass(frozen=True)
class TeamError:
    """An error that stopped one team (the rest of the fleet goes on).

    Attributes:
        kind: The mlscaffold error class name (``ParamsError``, ``RenderError``...),
            shown in summaries.
        message: The error's message.
        exit_code: The exit code the error carries.
    """

    kind: str
    message: str
    exit_code: int

    @classmethod
    def of(cls, exc: MlscaffoldError) -> TeamError:
        """Keep an error as data (errors cross process boundaries as data)."""
        problems = getattr(exc, "problems", None)
        message = "; ".join(problems) if problems else str(exc)
        return cls(type(exc).__name__, message, exc.exit_code)


@dataclass(frozen=True)
class TeamResult:
    """What rendering (and validating) one team gave.

    Attributes:
        team: The team's name.
        files: How many files were rendered.
        report: The team's validation report (paths relative to its tree; empty
            when validation was off or the team failed).
        error: Set when the team could not be rendered or written.
        written: The folder the tree was written to, if it was.
    """

    team: str
    files: int = 0
    report: Report = field(default_factory=Report)
    error: TeamError | None = None
    written: str | None = None


@dataclass(frozen=True)
class FleetProgress:
    """One team done: sent to the progress callback as results arrive.

    Attributes:
        done: Teams finished so far.
        total: Teams in the fleet.
        team: The team just finished.
        ok: False when the team had an error or failing findings.
    """

    done: int
    total: int
    team: str
    ok: bool


ProgressCallback = Callable[[FleetProgress], None]


def renderer_for(sources: PlatformSources) -> ProjectRenderer:
    """A renderer for ``sources``: their platform settings and skeleton, compiled once.

    Raises:
        SettingsError: The platform settings are invalid; for a revision, the
            message names it (the file read is a temporary extract of it).
        SkeletonError: The skeleton does not load.
    """
    try:
        platform = load_platform(sources.platform_file)
        return ProjectRenderer(platform=platform, skeleton=sources.skeleton)
    except SettingsError as exc:
        if sources.commit is None:
            raise
        # Read from a temporary checkout: without the revision, the message reads
        # as if the work tree's settings were wrong.
        lines = str(exc).splitlines()
        raise SettingsError("\n".join(f"{sources.label}: {x}" for x in lines)) from exc


def for_sources(options: ValidateOptions, renderer: ProjectRenderer) -> ValidateOptions:
    """``options`` with the platform settings ``renderer`` rendered with.

    Rules that read settings (Argo CD namespace, spot capacity) then judge each
    render by the settings it came from, not by the installed ones.
    """
    return dataclasses.replace(options, platform=renderer.platform)


@dataclass(frozen=True)
class _RenderWork:
    """A picklable factory for the render worker."""

    sources: PlatformSources
    validate: ValidateOptions | None
    out_dir: Path | None
    force: bool
    fail_on: Severity

    def __call__(self) -> Callable[[Team], TeamResult]:
        renderer = renderer_for(self.sources)
        return lambda team: self._one(renderer, team)

    def _one(self, renderer: ProjectRenderer, team: Team) -> TeamResult:
        from mlscaffold.render.write import write_tree

        try:
            # The team repository with the platform change under platform/: one
            # folder per team, validated as one team.
            tree = renderer.render(team.parameters).combined_tree()
            report = (
                validate_tree(tree, options=for_sources(self.validate, renderer))
                if self.validate
                else Report()
            )
            files = sum(1 for _ in tree.files())
            written = None
            failing = any(f.severity >= self.fail_on for f in report.findings)
            if self.out_dir is not None and not failing:
                target = self.out_dir / team.name
                earlier = (
                    rendered_before(target, lambda p: renderer.render(p).tree)
                    if self.force
                    else ()
                )
                write_tree(
                    tree, target, force=self.force, marker=ANSWERS_FILE, owned=earlier
                )
                written = target.as_posix()
        except MlscaffoldError as exc:
            return TeamResult(team.name, error=TeamError.of(exc))
        return TeamResult(
            team.name,
            files=files,
            report=report,
            written=written,
        )


def render_fleet(
    teams: Sequence[Team],
    sources: PlatformSources,
    *,
    validate: ValidateOptions | None,
    fail_on: Severity = Severity.ERROR,
    out_dir: Path | None = None,
    force: bool = False,
    jobs: int = 1,
    progress: ProgressCallback | None = None,
) -> list[TeamResult]:
    """Render (and validate) every team; write the valid trees under ``out_dir``.

    A team whose tree has findings at or above ``fail_on`` (a ``Severity`` value)
    is not written. One team's error does not stop the others; it is in its result.

    Args:
        teams: The fleet (see ``load_teams``).
        sources: The skeleton and settings to render with.
        validate: Validation options, or None to skip validation.
        fail_on: Lowest severity that keeps a tree from being written.
        out_dir: Write each team to ``out_dir/<team>`` (its repository, with the
            platform change under ``platform/``); None writes nothing.
        force: Replace non-empty team folders.
        jobs: Processes to use; 0 means every core.
        progress: Called in this process after each team.

    Returns:
        One result per team, sorted by team name.
    """
    work = _RenderWork(sources, validate, out_dir, force, fail_on)
    results: list[TeamResult] = []
    for result in run_parallel(work, list(teams), jobs=jobs):
        results.append(result)
        if progress is not None:
            ok = result.error is None and not any(
                f.severity >= fail_on for f in result.report.findings
            )
            progress(FleetProgress(len(results), len(teams), result.team, ok))
    return sorted(results, key=lambda r: r.team)
