"""Locate the data folders (skeletons, schemas) in a wheel or in the source tree."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """Folder ``name`` (``skeletons`` or ``schemas``), as installed or in the work tree.

    A wheel carries them under ``mlscaffold/_data`` (see pyproject.toml); an editable
    install or a plain checkout reads the top-level folders they are edited in.

    Args:
        name: ``skeletons`` or ``schemas``.

    Returns:
        The folder's path.

    Raises:
        FileNotFoundError: When neither location has it (a broken install).
    """
    for candidate in (_PACKAGE_DIR / "_data" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"mlscaffold data folder {name!r} is missing from the install"
    )


def skeleton_dir(name: str = "ml-project") -> Path:
    """The skeleton folder of template ``name``."""
    return data_dir("skeletons") / name


def schema_file(name: str) -> Path:
    """A file in the ``schemas`` folder."""
    return data_dir("schemas") / name
