"""Write a RenderedTree to disk atomically: build beside the target, then rename."""

from __future__ import annotations

import os
import posixpath
import secrets
import shutil
from pathlib import Path

from mlscaffold.errors import Location, OutputExistsError, RenderError
from mlscaffold.render.tree import RenderedTree, TreeEntry

__all__ = ["write_tree"]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _check_paths(tree: RenderedTree) -> None:
    """Refuse any path that could land outside the output folder."""
    links = {path for path in tree if tree[path].kind == "symlink"}
    for path in tree:
        parts = path.split("/")
        if (
            not path
            or path.startswith("/")
            or "\\" in path
            or "\x00" in path
            or any(part in ("", ".", "..") for part in parts)
        ):
            raise RenderError(
                f"refusing to write {path!r}: paths must be relative and stay inside "
                "the output folder",
                rendered=Location(path),
            )
        for depth in range(1, len(parts)):
            if "/".join(parts[:depth]) in links:
                raise RenderError(
                    f"refusing to write {path!r}: it lies under a symlink, "
                    "and symlinks are never followed",
                    rendered=Location(path),
                )


def _is_empty_dir(path: Path) -> bool:
    if path.is_symlink() or not path.is_dir():
        return False
    with os.scandir(path) as scan:
        return next(scan, None) is None


def _write_entry(root: Path, path: str, entry: TreeEntry) -> None:
    target = root.joinpath(*path.split("/"))
    parent = posixpath.dirname(path)
    if parent:
        root.joinpath(*parent.split("/")).mkdir(parents=True, exist_ok=True)
    if entry.kind == "dir":
        target.mkdir(exist_ok=True)  # mode set once everything is written
    elif entry.kind == "symlink":
        # The target is written exactly as in the skeleton and never resolved.
        target.symlink_to(entry.link_target or "")
    else:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW
        fd = os.open(target, flags, 0o600)
        try:
            view = memoryview(entry.data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fchmod(fd, entry.mode & 0o777)
        finally:
            os.close(fd)


def _dir_mode(mode: int) -> int:
    """A directory's mode: whoever may read it may also enter it (``chmod a+X``).

    TreeEntry's default mode is a file's (0644); a folder written with it would be
    unusable.
    """
    mode &= 0o777
    return mode | ((mode & 0o444) >> 2)


def _fresh_dir(parent: Path, name: str, tag: str) -> Path:
    while True:
        candidate = parent / f".{name}.{tag}-{secrets.token_hex(4)}"
        try:
            candidate.mkdir()  # default mode, so the final folder gets the umask's
        except FileExistsError:
            continue
        return candidate


def write_tree(tree: RenderedTree, out: Path, *, force: bool = False) -> None:
    """Write ``tree`` to ``out`` so that ``out`` is either complete or untouched.

    The tree is built in a temporary sibling folder and renamed into place. With
    ``force`` an existing ``out`` is first moved aside, and removed only after the
    new folder is in place. Bytes and permission bits (of files and directories)
    are written exactly as the tree says; symlinks are created with their target
    unchanged and never followed.

    Args:
        tree: The rendered output.
        out: The output folder.
        force: Replace an existing non-empty ``out``.

    Raises:
        OutputExistsError: ``out`` exists, is not an empty folder, and ``force`` is off.
        RenderError: A path in the tree would leave ``out``.
        OSError: The file system failed; nothing is left behind.
    """
    out = Path(out)
    _check_paths(tree)
    exists = out.exists() or out.is_symlink()
    replace = exists and not _is_empty_dir(out)
    if replace and not force:
        raise OutputExistsError(
            f"output folder {out} already exists and is not empty; "
            "use --force to replace it"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = _fresh_dir(out.parent, out.name, "tmp")
    try:
        for path in tree:
            _write_entry(staging, path, tree[path])
        # Directory modes last and deepest first, so a read-only folder never
        # refuses its own files; explicit so the result does not depend on our umask.
        for path in sorted(tree, key=lambda p: p.count("/"), reverse=True):
            if tree[path].kind == "dir":
                staging.joinpath(*path.split("/")).chmod(_dir_mode(tree[path].mode))
        if not replace:
            if exists:
                out.rmdir()  # an empty folder: rename cannot replace it on every OS
            staging.rename(out)
            return
        aside = _fresh_dir(out.parent, out.name, "old")
        aside.rmdir()
        out.rename(aside)
        try:
            staging.rename(out)
        except BaseException:
            aside.rename(out)
            raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if aside.is_dir() and not aside.is_symlink():
        shutil.rmtree(aside, ignore_errors=True)
    else:
        aside.unlink(missing_ok=True)
