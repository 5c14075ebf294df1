"""Whether a tree may be written to a folder: safe names, and only over what we own.

Every path must stay inside its folder and be a plain name; a symlink in the tree
must not lead out. A folder that is not empty is replaced only with ``force``, only
when mlscaffold wrote it (its marker file is there) and only when it holds nothing
the tree would not write. :mod:`mlscaffold.render.write` checks these before it
writes anything.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlscaffold.errors import FileSystemError, Location, OutputExistsError, RenderError
from mlscaffold.render.tree import RenderedTree, TreeEntry

__all__ = ["Target", "check_paths", "check_target", "check_targets"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_STRAYS_SHOWN = 3


def _refuse(path: str, entry: TreeEntry, why: str) -> RenderError:
    source = Location(entry.source) if entry.source else None
    return RenderError(
        f"refusing to write {path[:80]!r}: {why}",
        rendered=Location(path[:200]),
        source=source,
    )


def check_paths(tree: RenderedTree) -> None:
    """Refuse any path that could land outside the output folder.

    Raises:
        RenderError: A path is absolute, climbs out, holds control characters or
            lies under a symlink of the tree, or a symlink leads outside; the
            skeleton file is named.
    """
    links = {path for path in tree if tree[path].kind == "symlink"}
    for path in tree:
        entry = tree[path]
        parts = path.split("/")
        if (
            not path
            or path.startswith("/")
            or "\\" in path
            or any(part in ("", ".", "..") for part in parts)
        ):
            raise _refuse(
                path, entry, "paths must be relative and stay inside the output folder"
            )
        if _CONTROL.search(path):
            raise _refuse(path, entry, "a file name must not hold control characters")
        if entry.kind == "symlink":
            target = entry.link_target or ""
            resolved = posixpath.normpath(
                posixpath.join(posixpath.dirname(path), target)
            )
            if target.startswith("/") or resolved == ".." or resolved.startswith("../"):
                raise _refuse(
                    path,
                    entry,
                    f"the symlink to {target[:80]!r} leads outside the output",
                )
        if links:
            prefix = parts[0]
            for part in parts[1:]:
                if prefix in links:
                    raise _refuse(
                        path,
                        entry,
                        "it lies under a symlink, and symlinks are never followed",
                    )
                prefix += "/" + part


def _owned_paths(paths: Iterable[str]) -> set[str]:
    owned: set[str] = set()
    for path in paths:
        while path and path not in owned:
            owned.add(path)
            path = posixpath.dirname(path)
    return owned


def _strays(out: Path, owned: set[str]) -> list[str]:
    """A few paths in ``out`` that the tree would not write (links not entered)."""
    found: list[str] = []
    for folder, dirs, files in os.walk(out):
        rel = Path(folder).relative_to(out).as_posix()
        for name in sorted(dirs + files):
            path = name if rel == "." else f"{rel}/{name}"
            if path not in owned:
                found.append(path)
                if len(found) > _STRAYS_SHOWN:
                    return found
        dirs[:] = [d for d in dirs if (d if rel == "." else f"{rel}/{d}") in owned]
    return found


def _check_replaceable(
    out: Path, tree: RenderedTree, marker: str | None, owned: Iterable[str]
) -> None:
    """Refuse to replace ``out`` unless mlscaffold wrote it and it holds no more."""
    if marker is not None:
        try:
            marked = stat.S_ISREG(out.joinpath(*marker.split("/")).lstat().st_mode)
        except OSError:
            marked = False
        if not marked:
            raise OutputExistsError(
                f"{out} was not written by mlscaffold (it has no {marker}); "
                "refusing to replace it: choose an empty or new folder"
            )
    strays = _strays(out, _owned_paths(tree) | _owned_paths(owned))
    if strays:
        shown = ", ".join(strays[:_STRAYS_SHOWN])
        more = " and more" if len(strays) > _STRAYS_SHOWN else ""
        raise OutputExistsError(
            f"{out} holds {shown}{more}, which mlscaffold would not write there; "
            "refusing to replace it: move them away or choose another folder"
        )


def check_target(
    tree: RenderedTree,
    out: Path,
    force: bool,
    marker: str | None,
    owned: Iterable[str],
) -> os.stat_result | None:
    """Refuse an ``out`` the tree may not replace; its status, None if missing."""
    try:
        info = out.lstat()
    except FileNotFoundError:
        return None
    if not stat.S_ISDIR(info.st_mode):
        what = "a symlink" if stat.S_ISLNK(info.st_mode) else "not a folder"
        raise OutputExistsError(
            f"{out} is {what}; mlscaffold writes only into a new or empty folder "
            "and never through a symlink"
        )
    if any(out.iterdir()):
        if not force:
            raise OutputExistsError(
                f"output folder {out} already exists and is not empty; "
                "use --force to replace it"
            )
        _check_replaceable(out, tree, marker, owned)
    return info


@dataclass(frozen=True)
class Target:
    """One tree and where it goes, with :func:`write_tree`'s ownership rules.

    Attributes:
        tree: The rendered output.
        out: Its folder.
        marker: The tree path that shows mlscaffold wrote ``out`` (None: any
            folder that holds nothing the tree would not write may be replaced).
        owned: More paths ``out`` may hold and lose (a collection: it is read
            once to check the target and again to write it).
    """

    tree: RenderedTree
    out: Path
    marker: str | None = None
    owned: Collection[str] = ()


def check_targets(targets: Sequence[Target], *, force: bool = False) -> None:
    """Refuse, before any work, targets :func:`write_trees` would refuse.

    Raises:
        OutputExistsError: A target is in the way (the message says why).
        RenderError: A path in a tree would leave its folder or is not a safe name.
        FileSystemError: The file system failed.
    """
    for target in targets:
        check_paths(target.tree)
        try:
            check_target(
                target.tree, Path(target.out), force, target.marker, target.owned
            )
        except OutputExistsError:
            raise
        except OSError as exc:
            raise FileSystemError.of(exc, f"cannot write {target.out}") from exc
