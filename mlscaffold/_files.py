"""File helpers: the one safe way to write a file, cache fingerprints, display paths."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from mlscaffold.errors import FileSystemError, OutputExistsError

__all__ = ["atomic_write", "display_path", "files_state"]


def _what(mode: int) -> str | None:
    """Why a path with this ``st_mode`` may not be replaced; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "a symlink"
    return "a folder" if stat.S_ISDIR(mode) else "a special file"


def atomic_write(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` through a temp file in its folder and a rename.

    The one way mlscaffold writes a single file, whether the user named it
    (``--markdown-file``, a snapshot) or it is a cache entry. A reader never
    sees a half-written file, a failed write leaves the old file as it was, and
    two processes filling the same cache entry both end with a complete one.
    The rename replaces only a regular file: a symlink (which a plain ``open``
    would write through), a folder, a FIFO or a device at ``path`` is refused.

    Args:
        path: The file to write; its folder is created if missing.
        data: The whole content.
        mode: Permission bits; default 0666 less the umask, as ``open`` gives.

    Raises:
        OutputExistsError: ``path`` is a symlink, a folder or a special file.
        FileSystemError: The file system refused (read-only, full, permission);
            ``path`` is named and left as it was.
    """
    try:
        what = _what(path.lstat().st_mode)
    except FileNotFoundError:
        what = None
    except OSError as exc:  # e.g. a file where a folder should be, or too long
        raise FileSystemError(f"cannot write {path}: {exc.strerror or exc}") from exc
    if what is not None:
        raise OutputExistsError(
            f"{path} is {what}; refusing to replace it: mlscaffold writes only "
            "regular files and never through a symlink"
        )
    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _create_temp(path)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if mode is not None:
                os.fchmod(handle.fileno(), mode & 0o777)
        tmp.replace(path)
    except BaseException as exc:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            # The temp file's name would only confuse: name the path asked for.
            reason = exc.strerror or str(exc)
            raise FileSystemError(f"cannot write {path}: {reason}") from exc
        raise


def _create_temp(path: Path) -> tuple[int, Path]:
    """A new file beside ``path``, created 0666 less the umask as ``open`` would.

    ``tempfile.mkstemp`` creates 0600, and reading the umask means changing it,
    which is not thread-safe.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    while True:
        tmp = path.with_name(f".{path.name[:200]}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue


def files_state(root: Path) -> tuple[tuple[str, int, int, int, int], ...]:
    """Path, size and mtime of every file below ``root``, with one ``lstat`` each.

    It changes whenever a file is edited, added, removed or renamed, which is when
    anything compiled or loaded from the folder goes stale. Folders are walked as
    ``Path.rglob`` does (symlinked folders are not entered); a symlinked file is
    also stat'ed through the link, so editing its target counts too. A missing
    ``root`` has no files.

    Args:
        root: The folder.

    Returns:
        ``(path, size, mtime_ns, target size, target mtime_ns)`` per file, sorted
        by folder then name; the target fields are ``-1`` for a regular file or a
        dangling link.
    """
    state: list[tuple[str, int, int, int, int]] = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(folder, name)  # noqa: PTH118 - os.walk gives str
            try:
                info = os.lstat(path)
            except OSError:  # removed while walking: it is not there
                continue
            size, mtime = -1, -1
            if stat.S_ISLNK(info.st_mode):
                try:
                    target = os.stat(path)  # noqa: PTH116 - one call, no Path objects
                    size, mtime = target.st_size, target.st_mtime_ns
                except OSError:
                    pass
            state.append((path, info.st_size, info.st_mtime_ns, size, mtime))
    return tuple(state)


def display_path(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` as POSIX text, or whole when outside ``root``.

    Messages name files this way so they read the same on every machine.
    """
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
