"""Write a RenderedTree to disk atomically, replacing only what mlscaffold owns.

The tree is built in a temporary sibling folder and swapped into place, so the
target is at every instant either the old tree or the new one. Writers of one
parent folder hold a lock on it, which serialises concurrent writers of one
target and makes the leftovers of a killed run safe to clean up.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import posixpath
import secrets
import shutil
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from mlscaffold.errors import FileSystemError, OutputExistsError
from mlscaffold.render.targets import (
    Target,
    check_paths,
    check_target,
    check_targets,
)
from mlscaffold.render.tree import RenderedTree, TreeEntry

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no lock, no cleanup
    fcntl = None  # type: ignore[assignment]

__all__ = ["write_tree", "write_trees"]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


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


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2``); False when unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    result = renameat2(
        _AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE
    )
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False  # the file system cannot swap: fall back to two renames
    raise OSError(code, os.strerror(code), str(b))


def _swap(staging: Path, out: Path) -> Path:
    """Put ``staging`` at ``out``; returns where the old ``out`` went."""
    if _exchange(staging, out):
        return staging
    # Without an atomic swap there is an instant with no ``out``; a run killed
    # there leaves ``.out.old-*``, which the next run puts back (_clean_leftovers).
    aside = _fresh_dir(out.parent, out.name, "old")
    aside.rmdir()
    out.rename(aside)
    try:
        staging.rename(out)
    except BaseException:
        aside.rename(out)
        raise
    return aside


@contextlib.contextmanager
def _locked(parent: Path) -> Iterator[None]:
    if fcntl is None:  # pragma: no cover - not POSIX
        yield
        return
    fd = os.open(parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _clean_leftovers(out: Path) -> None:
    """Remove what a killed run left beside ``out``; put back an ``out`` moved aside.

    Called under the parent's lock, so no live writer owns these folders.
    """
    if fcntl is None:  # pragma: no cover - without the lock a live writer may own them
        return
    prefix = f".{out.name}."
    for path in sorted(out.parent.iterdir()):
        name = path.name
        if not name.startswith(prefix) or path.is_symlink() or not path.is_dir():
            continue
        tag = name[len(prefix) :]
        if tag.startswith("old-") and not (out.exists() or out.is_symlink()):
            path.rename(out)
        elif tag.startswith(("old-", "tmp-")):
            shutil.rmtree(path, ignore_errors=True)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def write_tree(
    tree: RenderedTree,
    out: Path,
    *,
    force: bool = False,
    marker: str | None = None,
    owned: Iterable[str] = (),
) -> None:
    """Write ``tree`` to ``out`` so that ``out`` is either complete or untouched.

    A missing or empty ``out`` is written. A non-empty one is replaced only with
    ``force``, only when ``marker`` (a file mlscaffold writes, such as
    ``.mlscaffold/answers.yaml``) is in it, and only when it holds nothing the
    tree would not write; a file, a symlink or a special file at ``out`` is never
    replaced. Bytes and permission bits are written exactly as the tree says;
    symlinks are created with their target unchanged, never followed, and never
    leading outside ``out``.

    Args:
        tree: The rendered output.
        out: The output folder.
        force: Replace an existing non-empty ``out`` that mlscaffold owns.
        marker: The tree path whose presence shows that mlscaffold wrote ``out``.
        owned: More paths ``out`` may hold and lose: what an earlier render of
            the same project wrote (a file the new parameters no longer produce).

    Raises:
        OutputExistsError: ``out`` is in the way (the message says why).
        RenderError: A path in the tree would leave ``out`` or is not a safe name.
        FileSystemError: The file system failed; ``out`` is as it was.
    """
    out = Path(out)
    check_paths(tree)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with _locked(out.parent):
            _clean_leftovers(out)
            _write_locked(tree, out, force, marker, owned)
    except OutputExistsError:
        raise  # also an OSError (FileExistsError), and already one clear line
    except OSError as exc:
        raise FileSystemError.of(exc, f"cannot write {out}") from exc


def write_trees(targets: Sequence[Target], *, force: bool = False) -> None:
    """Write several trees (a team repository and a platform change) all or none.

    Every target is checked before anything is written, so a target in the way
    leaves all of them untouched; when writing a later one fails, the folders
    written before it that did not exist are removed again (a replaced folder
    keeps its new tree).

    Raises:
        OutputExistsError: A target is in the way (the message says why).
        RenderError: A path in a tree would leave its folder or is not a safe name.
        FileSystemError: The file system failed.
    """
    check_targets(targets, force=force)
    created: list[Path] = []
    try:
        for target in targets:
            fresh = not os.path.lexists(target.out)
            write_tree(
                target.tree,
                target.out,
                force=force,
                marker=target.marker,
                owned=target.owned,
            )
            if fresh:
                created.append(Path(target.out))
    except BaseException:
        for out in created:
            shutil.rmtree(out, ignore_errors=True)
        raise


def _write_locked(
    tree: RenderedTree,
    out: Path,
    force: bool,
    marker: str | None,
    owned: Iterable[str],
) -> None:
    info = check_target(tree, out, force, marker, owned)
    staging = _fresh_dir(out.parent, out.name, "tmp")
    try:
        for path in tree:
            _write_entry(staging, path, tree[path])
        # Directory modes last and deepest first, so a read-only folder never
        # refuses its own files; explicit so the result does not depend on our umask.
        for path in sorted(tree, key=lambda p: p.count("/"), reverse=True):
            if tree[path].kind == "dir":
                staging.joinpath(*path.split("/")).chmod(_dir_mode(tree[path].mode))
        if info is None:
            staging.rename(out)
            return
        old = _swap(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _remove(old)
