"""Render, validate and snapshot-test the Backstage ml-project paved road."""

from __future__ import annotations

from functools import cache

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    """``__version__``, read from the install on first use.

    importlib.metadata costs about 20 ms to import; a render that prints no
    version should not pay it.
    """
    if name == "__version__":
        return _version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@cache
def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mlscaffold")
    except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
        return "0.0.0"
