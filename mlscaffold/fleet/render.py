"""Render and validate many teams, in parallel, reporting progress as data."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from mlscaffold.api import ProjectRenderer
from mlscaffold.errors import MlscaffoldError
from mlscaffold.fleet.revision import PlatformSources
from mlscaffold.fleet.teams import Team
from mlscaffold.report.model import Finding, Report, Severity
from mlscaffold.settings import load_platform
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

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class TeamError:
    """An error that stopped one team (the rest of the fleet goes on).

    Attributes:
        kind: The mlscaffold error class name (``ParamsError``, ``RenderError``...).
        message: The error's message.
    """

    kind: str
    message: str

    @classmethod
    def of(cls, exc: MlscaffoldError) -> TeamError:
        """Keep an error as data (errors cross process boundaries as data)."""
        problems = getattr(exc, "problems", None)
        message = "; ".join(problems) if problems else str(exc)
        return cls(type(exc).__name__, message)


@dataclass(frozen=True)
class TeamResult:
    """What rendering (and validating) one team gave.

    Attributes:
        team: The team's name.
        files: How many files were rendered.
        findings: Validation findings (paths relative to the team's tree).
        skipped: Checkers that did not run, with the reason.
        checked: Files that were validated.
        error: Set when the team could not be rendered or written.
        written: The folder the tree was written to, if it was.
    """

    team: str
    files: int = 0
    findings: tuple[Finding, ...] = ()
    skipped: Mapping[str, str] = field(default_factory=dict)
    checked: tuple[str, ...] = ()
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
        ParamsError: The platform settings are invalid.
        SkeletonError: The skeleton does not load.
    """
    return ProjectRenderer(
        platform=load_platform(sources.platform_file), skeleton=sources.skeleton
    )


def for_sources(options: ValidateOptions, renderer: ProjectRenderer) -> ValidateOptions:
    """``options`` with the platform settings ``renderer`` rendered with.

    Rules that read settings (Argo CD namespace, spot capacity) then judge each
    render by the settings it came from, not by the installed ones.
    """
    return dataclasses.replace(options, platform=renderer.platform)


def resolve_jobs(jobs: int) -> int:
    """``jobs``, with 0 meaning every core this process may use."""
    if jobs > 0:
        return jobs
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


_WORKER: Callable[[Any], Any] | None = None


def _init_worker(factory: Callable[[], Callable[[Any], Any]]) -> None:
    global _WORKER
    _WORKER = factory()


def _call_worker(item: Any) -> Any:
    assert _WORKER is not None  # set by _init_worker  # noqa: S101
    return _WORKER(item)


def run_parallel(
    factory: Callable[[], Callable[[T], R]],
    items: Sequence[T],
    *,
    jobs: int = 1,
) -> Iterator[R]:
    """Apply a worker built by ``factory`` to ``items``; yield results as they come.

    ``factory`` runs once per process (so compiled skeletons and schema validators
    are built once per core, not once per team) and must be picklable, as must
    items and results. With ``jobs`` 1 everything runs in this process; results
    then come in order, otherwise in completion order. Memory stays bounded: each
    process holds one team at a time and only the results travel back.
    """
    jobs = min(resolve_jobs(jobs), max(1, len(items)))
    if jobs == 1:
        work = factory()
        for item in items:
            yield work(item)
        return
    # spawn: no fork of a possibly threaded parent, same behaviour on every OS.
    context = multiprocessing.get_context("spawn")
    chunk = max(1, min(8, len(items) // (jobs * 16)))
    with context.Pool(jobs, initializer=_init_worker, initargs=(factory,)) as pool:
        yield from pool.imap_unordered(_call_worker, items, chunksize=chunk)


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
            tree = renderer.render(team.parameters).tree
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
                write_tree(tree, target, force=self.force)
                written = target.as_posix()
        except MlscaffoldError as exc:
            return TeamResult(team.name, error=TeamError.of(exc))
        return TeamResult(
            team.name,
            files=files,
            findings=tuple(report.findings),
            skipped=dict(report.skipped),
            checked=tuple(report.checked),
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
        out_dir: Write each team to ``out_dir/<team>``; None writes nothing.
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
                f.severity >= fail_on for f in result.findings
            )
            progress(FleetProgress(len(results), len(teams), result.team, ok))
    return sorted(results, key=lambda r: r.team)
