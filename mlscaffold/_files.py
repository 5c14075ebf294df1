"""A cheap fingerprint of the files below a folder, to tell when a cache is stale."""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["display_path", "files_state"]


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
