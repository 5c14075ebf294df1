"""Fleet operations: render, validate and diff many teams; update a team repository."""

from __future__ import annotations

from mlscaffold.fleet.diff import (
    FileChange,
    FleetDiff,
    TeamDiff,
    diff_fleet,
    diff_trees,
)
from mlscaffold.fleet.render import (
    FleetProgress,
    TeamError,
    TeamResult,
    render_fleet,
    renderer_for,
)
from mlscaffold.fleet.revision import (
    PlatformSources,
    installed_sources,
    revision_sources,
    version_tag,
    worktree_sources,
)
from mlscaffold.fleet.update import (
    FileOutcome,
    UpdateResult,
    base_revision,
    update_repo,
)

__all__ = [
    "FileChange",
    "FileOutcome",
    "FleetDiff",
    "FleetProgress",
    "PlatformSources",
    "TeamDiff",
    "TeamError",
    "TeamResult",
    "UpdateResult",
    "base_revision",
    "diff_fleet",
    "diff_trees",
    "installed_sources",
    "render_fleet",
    "renderer_for",
    "revision_sources",
    "update_repo",
    "version_tag",
    "worktree_sources",
]
