"""Where mlscaffold keeps its cache, and how an entry is written to it.

Kept apart from the schema store so that rendering, which caches compiled
templates, does not import the validation package.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["CACHE_ENV", "atomic_write", "default_cache_dir"]

#: Environment variable that overrides the cache root (tests point it at tmp).
CACHE_ENV = "MLSCAFFOLD_CACHE_DIR"


def default_cache_dir() -> Path:
    """Cache root: ``$MLSCAFFOLD_CACHE_DIR`` or the platform's user cache dir."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    import platformdirs  # Imported here: only a run without the override needs it.

    return Path(platformdirs.user_cache_dir("mlscaffold"))


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temp file and ``os.replace``.

    A reader never sees a half-written file, and two processes filling the same
    cache entry both end with a complete one.
    """
    import tempfile  # Imported here: a render that finds its cache full needs none.

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
