"""What the preview diffs a render against: defaults, a values file, or a team."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlscaffold._testing.snapshot_text import (
    iter_snapshot_files,
    serialize_entry,
    snapshot_relpath,
)
from mlscaffold.api import ProjectRenderer, RenderedProject
from mlscaffold.errors import MlscaffoldError
from mlscaffold.fleet.diff import FileChange, diff_trees
from mlscaffold.params import parameter_schema
from mlscaffold.render.tree import RenderedTree, TreeEntry

__all__ = ["Baselines"]


class Baselines:
    """The baselines of one preview run, and each one's changes against a render.

    ``defaults`` keeps the current required fields and leaves every other one at
    its default; ``values`` is the ``--values`` file; ``team:NAME`` is a team of
    the teams file: its committed snapshot folder when ``snapshots/NAME`` exists,
    else its parameters rendered. Rendered baselines use the skeleton and settings
    as they were at start, so their diff also shows the skeleton edits since.

    Args:
        renderer: The renderer built at start, or None when the skeleton did not
            load then.
        values: Parameters of the ``--values`` file, if any.
        teams: Team name to parameters.
        snapshots: Folder of committed snapshot folders, one per team name.
    """

    def __init__(
        self,
        renderer: ProjectRenderer | None,
        values: Mapping[str, Any] | None,
        teams: Mapping[str, Mapping[str, Any]],
        snapshots: Path | None,
    ) -> None:
        """Keep what the baselines are made from."""
        self._renderer = renderer
        self._values = values
        self._teams = teams
        self._snapshots = snapshots

    def choices(self) -> list[dict[str, str]]:
        """Id and title of every baseline, for the page's menu."""
        found = [{"id": "defaults", "title": "Defaults (required fields kept)"}]
        if self._values is not None:
            found.append({"id": "values", "title": "The --values file"})
        for name in self._teams:
            kind = "committed snapshot" if self._snapshot_dir(name) else "teams file"
            found.append({"id": f"team:{name}", "title": f"Team {name} ({kind})"})
        return found

    def changes(
        self, baseline: str, project: RenderedProject
    ) -> tuple[dict[str, FileChange], str | None]:
        """Changed files of the project against ``baseline``, by path; or why none.

        Both trees are compared as one (:meth:`RenderedProject.combined_tree`), the
        form the pytest plugin's snapshots hold.

        Args:
            baseline: A baseline id.
            project: The current render (its parameters fill ``defaults``).
        """
        tree = project.combined_tree()
        team = baseline.removeprefix("team:") if baseline.startswith("team:") else ""
        folder = self._snapshot_dir(team) if team else None
        if folder is not None:
            return _snapshot_changes(folder, tree), None
        if self._renderer is None:
            return {}, "the skeleton did not load at start, so nothing to compare"
        try:
            parameters = self._parameters(baseline, team, project)
            base = self._renderer.render(parameters).combined_tree()
        except (MlscaffoldError, KeyError) as exc:
            return {}, f"baseline {baseline!r} does not render: {exc}"
        return {change.path: change for change in diff_trees(base, tree)}, None

    def _parameters(
        self, baseline: str, team: str, project: RenderedProject
    ) -> Mapping[str, Any]:
        if team:
            return self._teams[team]
        if baseline == "values" and self._values is not None:
            return self._values
        if baseline != "defaults":
            raise KeyError(baseline)
        current = project.params.as_dict()
        return {name: current[name] for name in parameter_schema()["required"]}

    def _snapshot_dir(self, team: str) -> Path | None:
        if self._snapshots is None or team not in self._teams:
            return None
        folder = self._snapshots / team
        return folder if folder.is_dir() else None


def _snapshot_changes(folder: Path, tree: RenderedTree) -> dict[str, FileChange]:
    """Compare in snapshot text, the form the pytest plugin commits files in."""
    names = {snapshot_relpath(path): path for path, _ in tree.files()}
    head = RenderedTree(
        {
            snapshot_relpath(path): TreeEntry("file", serialize_entry(path, e).encode())
            for path, e in tree.files()
        }
    )
    base = RenderedTree(
        {
            path.relative_to(folder).as_posix(): TreeEntry("file", path.read_bytes())
            for path in iter_snapshot_files(folder)
        }
    )
    # Keyed by the generated path where there is one (README.md, not README.md.yaml).
    return {names.get(c.path, c.path): c for c in diff_trees(base, head)}
