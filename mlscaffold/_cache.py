"""Where mlscaffold keeps its cache.

Kept apart from the schema store so that rendering, which caches compiled
templates, does not import the validation package.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["CACHE_ENV", "default_cache_dir"]

#: Environment variable that overrides the cache root (tests point it at tmp).
CACHE_ENV = "MLSCAFFOLD_CACHE_DIR"


def default_cache_dir() -> Path:
    """Cache root: ``$MLSCAFFOLD_CACHE_DIR`` or the platform's user cache dir."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    import platformdirs  # Imported here: only a run without the override needs it.

    return Path(platformdirs.user_cache_dir("mlscaffold"))
