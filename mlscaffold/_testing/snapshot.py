"""The syrupy extension that stores one readable YAML snapshot per generated file."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from mlscaffold._files import atomic_write, display_path
from mlscaffold._testing.snapshot_text import (
    GeneratedFile,
    iter_snapshot_files,
    serialize_entry,
    snapshot_relpath,
)
from mlscaffold.render.tree import RenderedTree

if TYPE_CHECKING:
    import pytest
    from syrupy.location import PyTestLocation
    from syrupy.types import (
        PropertyFilter,
        PropertyMatcher,
        SerializableData,
        SerializedData,
        SnapshotIndex,
    )

__all__ = [
    "GeneratedFile",
    "YamlTreeExtension",
    "compare_tree",
    "serialize_entry",
    "snapshot_relpath",
    "test_snapshot_dir",
]

# Characters syrupy and common file systems refuse in a file name.
_UNSAFE_NAME = re.compile(r'[\\/?*:|"<>\x00-\x1f]')


def _safe_component(text: str) -> str:
    cleaned = _UNSAFE_NAME.sub("_", text).strip()
    # A component of only dots would climb out of the snapshot folder.
    return cleaned if cleaned.strip(".") else cleaned.replace(".", "_") or "_"


def test_snapshot_dir(test_location: PyTestLocation) -> Path:
    """The folder that holds one test's snapshots.

    ``<test dir>/__snapshots__/<module>/<Class.test_function>/<param id>``: a
    parametrized test gets one folder per parameter id (a team of teams.yaml),
    so a pull request shows ``.../test_team/recs/deploy/inferenceservice.yaml``.

    Args:
        test_location: syrupy's view of the running test.
    """
    root = Path(YamlTreeExtension.dirname(test_location=test_location))
    name = test_location.nodename or test_location.methodname
    base, _, param = name.partition("[")
    parts = [
        base if test_location.classname is None else f"{test_location.classname}.{base}"
    ]
    if param:
        parts.append(param[:-1] if param.endswith("]") else param)
    return root.joinpath(*(_safe_component(p) for p in parts))


class YamlTreeExtension(SingleFileSnapshotExtension):
    """syrupy extension: the snapshot index is a generated path, one YAML file each.

    Snapshots of a test live under :func:`test_snapshot_dir`, at
    :func:`snapshot_relpath` of the generated path. The extension keeps out of
    syrupy's unused-snapshot discovery: the mlscaffold plugin reports orphaned
    snapshots itself, per team, because only it knows which files a tree holds.
    """

    file_extension = "yaml"
    _write_mode = WriteMode.TEXT

    def serialize(
        self,
        data: SerializableData,
        *,
        exclude: PropertyFilter | None = None,
        include: PropertyFilter | None = None,
        matcher: PropertyMatcher | None = None,
    ) -> SerializedData:
        """Serialize a :class:`GeneratedFile` (or plain text) to its snapshot text."""
        del exclude, include, matcher  # property filters make no sense for files
        if isinstance(data, GeneratedFile):
            return serialize_entry(data.path, data.entry, data.replacements)
        if isinstance(data, str):
            return data
        raise TypeError(
            f"mlscaffold snapshots take a GeneratedFile, not {type(data).__name__}"
        )

    @classmethod
    def get_snapshot_name(
        cls, *, test_location: PyTestLocation, index: SnapshotIndex = 0
    ) -> str:
        """``test_team[recs][deploy/x.yaml]``: the test and the generated path."""
        return f"{test_location.snapshot_name}[{index}]"

    @classmethod
    def get_location(
        cls, *, test_location: PyTestLocation, index: SnapshotIndex
    ) -> str:
        """The snapshot file: the test's folder plus the index (a snapshot relpath)."""
        return str(test_snapshot_dir(test_location) / str(index))

    @classmethod
    def matches_test_location(
        cls, *, test_location: PyTestLocation, snapshot_location: str
    ) -> bool:
        """True for files under this test's snapshot folder."""
        return Path(snapshot_location).is_relative_to(test_snapshot_dir(test_location))

    def discover_snapshots(
        self,
        *,
        test_location: PyTestLocation,
        ignore_extensions: list[str] | None = None,
    ) -> Any:
        """Nothing: orphaned mlscaffold snapshots are found by the plugin, per tree."""
        from syrupy.data import SnapshotCollections

        del test_location, ignore_extensions
        return SnapshotCollections()

    @classmethod
    def write_snapshot_collection(
        cls, *, snapshot_collection: Any, name_order: dict[str, int] | None = None
    ) -> None:
        """Write the one snapshot as UTF-8 with LF line ends on every platform.

        Atomically, and never through a symlink or over a special file.
        """
        del name_order
        data = next(iter(snapshot_collection)).data
        if not isinstance(data, str):
            raise TypeError(f"mlscaffold snapshots are text, not {type(data).__name__}")
        atomic_write(Path(snapshot_collection.location), data.encode("utf-8"))


# --- comparing a whole tree ---------------------------------------------------

_MAX_DIFF_LINES = 120


def compare_tree(
    node: pytest.Item,
    tree_like: object,
    *,
    ci: bool,
    replacements: Sequence[tuple[str, str]] = (),
) -> str:
    """Check every file of a tree against its snapshot; report problems ("" if none).

    Each file is one syrupy assertion (so syrupy counts and writes them, and
    ``--snapshot-update`` works as usual); missing snapshots are written unless
    ``ci``; snapshot files that no generated file maps to are orphans, deleted
    when updating.

    Args:
        node: The running test item.
        tree_like: A RenderedTree, or a project or team (its ``combined_tree()``:
            the team repository and the platform change under ``platform/``).
        ci: Strict mode: a missing snapshot is a failure, never written.
        replacements: Machine paths to replace by placeholders in text.
    """
    from syrupy.assertion import SnapshotAssertion
    from syrupy.location import PyTestLocation

    config = node.config
    session = getattr(config, "_syrupy", None)
    if session is None:
        return "the syrupy pytest plugin is not active (disabled by -p no:syrupy?)"
    tree, team = _unpack(tree_like, node)
    location = PyTestLocation(node)
    folder = test_snapshot_dir(location)
    option = config.option
    updating = bool(option.update_snapshots)
    assertion = SnapshotAssertion(
        session=session,
        extension_class=YamlTreeExtension,
        test_location=location,
        update_snapshots=updating,
        update_new_snapshots_only=bool(option.update_new_snapshots_only) or not ci,
    )
    expected: dict[str, str] = {}
    problems: list[str] = []
    for path in tree:
        entry = tree[path]
        if entry.kind == "dir":
            continue
        rel = snapshot_relpath(path)
        if rel in expected:
            problems.append(
                f"{path}: its snapshot name {rel} is taken by {expected[rel]}"
            )
            continue
        expected[rel] = path
        ok = assertion(name=rel) == GeneratedFile(path, entry, tuple(replacements))
        if not ok:
            problems.append(
                _explain(assertion, path, folder / rel, config.rootpath, ci)
            )
    problems += _orphans(folder, set(expected), updating, config.rootpath)
    if not problems:
        return ""
    head = (
        f"team {team}: {len(problems)} snapshot problem(s) in {len(expected)} "
        f"generated file(s) [{node.nodeid}]"
    )
    return "\n".join([head, *problems])


def _unpack(tree_like: object, node: pytest.Item) -> tuple[RenderedTree, str]:
    # A project (or a team holding one) is snapshotted with its platform change.
    combined = getattr(tree_like, "combined_tree", None)
    tree = combined() if callable(combined) else getattr(tree_like, "tree", tree_like)
    if not isinstance(tree, RenderedTree):
        raise TypeError(
            f"expected a rendered tree, project or team, got {type(tree_like).__name__}"
        )
    team = getattr(tree_like, "name", None)
    params = getattr(tree_like, "params", None)
    if team is None and params is not None:
        team = getattr(params, "team", None)
    if team is None:
        callspec = getattr(node, "callspec", None)
        team = callspec.id if callspec is not None else node.name
    return tree, str(team)


def _explain(assertion: Any, path: str, snapshot: Path, root: Path, ci: bool) -> str:
    result = assertion.executions[assertion.num_executions - 1]
    where = display_path(snapshot, root)
    if result.exception is not None:
        return f"{path}: cannot compare with {where}: {result.exception}"
    if result.recalled_data is None:
        why = (
            "strict CI mode never writes snapshots"
            if ci
            else "snapshot could not be written"
        )
        return (
            f"{path}: no snapshot at {where} ({why}; run pytest --snapshot-update "
            "locally, review and commit it)"
        )
    diff = list(
        difflib.unified_diff(
            str(result.recalled_data).splitlines(),
            str(result.asserted_data or "").splitlines(),
            fromfile=f"snapshot {where}",
            tofile=f"rendered {path}",
            lineterm="",
        )
    )
    if len(diff) > _MAX_DIFF_LINES:
        diff = [
            *diff[:_MAX_DIFF_LINES],
            f"... {len(diff) - _MAX_DIFF_LINES} more diff lines",
        ]
    return "\n".join(
        [
            f"{path}: differs from its snapshot "
            "(pytest --snapshot-update accepts the change)",
            *diff,
        ]
    )


def _orphans(folder: Path, expected: set[str], updating: bool, root: Path) -> list[str]:
    problems: list[str] = []
    for file in iter_snapshot_files(folder):
        rel = file.relative_to(folder).as_posix()
        if rel in expected:
            continue
        if updating:
            file.unlink()
            _prune_empty(file.parent, folder)
        else:
            problems.append(
                f"{rel}: orphaned snapshot {display_path(file, root)}: "
                "the tree no longer has this file (pytest --snapshot-update deletes it)"
            )
    return problems


def _prune_empty(directory: Path, stop: Path) -> None:
    while (
        directory != stop
        and directory.is_relative_to(stop)
        and not any(directory.iterdir())
    ):
        directory.rmdir()
        directory = directory.parent
