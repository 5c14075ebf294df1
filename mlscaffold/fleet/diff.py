"""What a template change does to each team: per-file diffs and new findings."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from mlscaffold.api import ProjectRenderer
from mlscaffold.errors import MlscaffoldError
from mlscaffold.fleet.render import (
    FleetProgress,
    ProgressCallback,
    TeamError,
    for_sources,
    renderer_for,
    run_parallel,
)
from mlscaffold.fleet.revision import PlatformSources
from mlscaffold.render.tree import RenderedTree, TreeEntry
from mlscaffold.report.model import Finding, Severity
from mlscaffold.teams import Team
from mlscaffold.validate import ValidateOptions, validate_tree

__all__ = [
    "FileChange",
    "FleetDiff",
    "TeamDiff",
    "changes_by_team",
    "diff_fleet",
    "diff_trees",
    "finding_key",
]

ChangeStatus = Literal["added", "removed", "modified", "mode"]


@dataclass(frozen=True)
class FileChange:
    """One file that differs between the base and the head render.

    Attributes:
        path: Path in the team's tree.
        status: ``added``, ``removed``, ``modified`` (content) or ``mode`` (only the
            executable bit or the link target).
        diff: Unified diff (``a/<prefix><path>`` to ``b/<prefix><path>``).
    """

    path: str
    status: ChangeStatus
    diff: str


@dataclass(frozen=True)
class TeamDiff:
    """One team's difference between base and head.

    Attributes:
        team: The team's name.
        changes: Changed files, sorted by path.
        new_findings: Head findings the base render did not have.
        base_error: Why the base could not be rendered (its tree counts as empty).
        error: Why the head could not be rendered or validated.
    """

    team: str
    changes: tuple[FileChange, ...] = ()
    new_findings: tuple[Finding, ...] = ()
    base_error: TeamError | None = None
    error: TeamError | None = None

    @property
    def affected(self) -> bool:
        """True when a file changes, a finding is new, or the head newly fails."""
        return bool(self.changes or self.new_findings or self.new_error)

    @property
    def new_error(self) -> bool:
        """True when the head fails, and not with the same error as the base."""
        return self.error is not None and self.error != self.base_error


@dataclass(frozen=True)
class FleetDiff:
    """The whole fleet's difference, teams sorted by name.

    Attributes:
        base: What the base was (a revision).
        head: What the head was (``work tree`` or a revision).
        teams: Every team, affected or not.
    """

    base: str
    head: str
    teams: tuple[TeamDiff, ...] = field(default_factory=tuple)

    def affected(self) -> list[TeamDiff]:
        """The teams with a change, a new finding or a new error."""
        return [t for t in self.teams if t.affected]

    def new_findings(
        self, severity: Severity = Severity.INFO
    ) -> list[tuple[str, Finding]]:
        """(team, finding) for every new finding at ``severity`` or worse."""
        return [
            (t.team, f)
            for t in self.teams
            for f in t.new_findings
            if f.severity >= severity
        ]

    def summary(self) -> dict[str, int]:
        """Counts for the summary table."""
        return {
            "teams": len(self.teams),
            "teamsAffected": len(self.affected()),
            "filesChanged": sum(len(t.changes) for t in self.teams),
            "newFindings": len(self.new_findings()),
            "newErrors": len(self.new_findings(Severity.ERROR)),
            "teamsWithNewErrors": sum(1 for t in self.teams if t.new_error),
            "teamsFailingBefore": sum(
                1 for t in self.teams if t.error and not t.new_error
            ),
        }


def finding_key(finding: Finding) -> tuple[str, str, str]:
    """What makes a finding 'the same' across renders: file, rule and message.

    Lines and columns are left out so that a finding that merely moved (because
    lines were added above it) is not counted as new.
    """
    return (finding.rendered.path, finding.rule, finding.message)


def _entry_lines(entry: TreeEntry | None) -> list[str] | None:
    """The entry's text lines, or None when it is binary (or not a file)."""
    if entry is None:
        return []
    if entry.kind != "file" or b"\x00" in entry.data:
        return None
    try:
        return entry.data.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return None


def _file_diff(
    path: str, old: TreeEntry | None, new: TreeEntry | None, prefix: str
) -> str:
    a = f"a/{prefix}{path}" if old is not None else "/dev/null"
    b = f"b/{prefix}{path}" if new is not None else "/dev/null"
    old_lines, new_lines = _entry_lines(old), _entry_lines(new)
    if old_lines is None or new_lines is None:
        return f"Binary files {a} and {b} differ\n"
    lines = difflib.unified_diff(old_lines, new_lines, a, b)
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
        for line in lines
    )


def _signature(entry: TreeEntry) -> tuple[str, bytes, bool, str | None]:
    # Git records only the executable bit, so other mode bits are not a change.
    return (entry.kind, entry.data, bool(entry.mode & 0o111), entry.link_target)


def _non_dir(tree: RenderedTree, path: str) -> TreeEntry | None:
    entry = tree.get(path)
    return None if entry is None or entry.kind == "dir" else entry


def diff_trees(
    base: RenderedTree, head: RenderedTree, *, prefix: str = ""
) -> list[FileChange]:
    """Per-file changes from ``base`` to ``head`` (folders are implied by files).

    Args:
        base: The old render.
        head: The new render.
        prefix: Put before every path in diff headers (e.g. ``<team>/``).
    """
    changes: list[FileChange] = []
    for path in sorted(set(base) | set(head)):
        old, new = _non_dir(base, path), _non_dir(head, path)
        if old is None and new is None:
            continue
        if old is not None and new is not None and _signature(old) == _signature(new):
            continue
        status: ChangeStatus
        if old is None:
            status = "added"
        elif new is None:
            status = "removed"
        elif old.data == new.data and old.kind == new.kind == "file":
            status = "mode"
        else:
            status = "modified"
        text = _file_diff(path, old, new, prefix)
        if status == "mode" and old is not None and new is not None:
            text = f"old mode {old.mode:o}\nnew mode {new.mode:o}\n"
        changes.append(FileChange(path, status, text))
    return changes


@dataclass(frozen=True)
class _DiffWork:
    """A picklable factory for the diff worker (runs once per process)."""

    base: PlatformSources
    head: PlatformSources
    validate: ValidateOptions | None

    def __call__(self) -> Callable[[Team], TeamDiff]:
        base, head = renderer_for(self.base), renderer_for(self.head)
        return lambda team: self._one(base, head, team)

    def _one(
        self, base: ProjectRenderer, head: ProjectRenderer, team: Team
    ) -> TeamDiff:
        base_error = None
        try:
            old = base.render(team.parameters).combined_tree()
        except MlscaffoldError as exc:
            old, base_error = RenderedTree({}), TeamError.of(exc)
        try:
            new = head.render(team.parameters).combined_tree()
            changes = diff_trees(old, new, prefix=f"{team.name}/")
            new_findings: list[Finding] = []
            # Identical trees give identical findings: only changed teams are validated.
            if changes and self.validate is not None:
                before = (
                    {
                        finding_key(f)
                        for f in validate_tree(
                            old, options=for_sources(self.validate, base)
                        ).findings
                    }
                    if old
                    else set()
                )
                after = validate_tree(
                    new, options=for_sources(self.validate, head)
                ).findings
                new_findings = [f for f in after if finding_key(f) not in before]
        except MlscaffoldError as exc:
            return TeamDiff(team.name, base_error=base_error, error=TeamError.of(exc))
        return TeamDiff(team.name, tuple(changes), tuple(new_findings), base_error)


def diff_fleet(
    teams: Sequence[Team],
    base: PlatformSources,
    head: PlatformSources,
    *,
    validate: ValidateOptions | None,
    jobs: int = 1,
    progress: ProgressCallback | None = None,
) -> FleetDiff:
    """Render every team with ``base`` and ``head`` sources and compare.

    Teams whose trees do not change are not validated (their findings cannot
    change); changed teams are validated on both sides, and a finding is new when
    the base has none with the same file, rule and message.

    Args:
        teams: The fleet.
        base: Sources before the change (typically a revision).
        head: Sources after it (typically the work tree).
        validate: Validation options, or None to compare files only.
        jobs: Processes to use; 0 means every core.
        progress: Called in this process after each team.
    """
    work = _DiffWork(base, head, validate)
    results: list[TeamDiff] = []
    for result in run_parallel(work, list(teams), jobs=jobs):
        results.append(result)
        if progress is not None:
            ok = not result.new_error and not result.new_findings
            progress(FleetProgress(len(results), len(teams), result.team, ok))
    return FleetDiff(
        base.label, head.label, tuple(sorted(results, key=lambda r: r.team))
    )


def changes_by_team(diff: FleetDiff) -> Mapping[str, list[str]]:
    """Team name to the paths that change, for affected teams only."""
    return {t.team: [c.path for c in t.changes] for t in diff.teams if t.changes}
