"""The platform repository's config: where its skeleton and settings live.

A platform repository says where its sources are in ``mlscaffold.yaml`` or in a
``[tool.mlscaffold]`` table of ``pyproject.toml``. Every command looks for that file
by walking up from the working directory (as pytest finds its rootdir); without
one, the skeleton and settings shipped with mlscaffold are used.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mlscaffold._data import schema_file, skeleton_dir
from mlscaffold.errors import ParamsError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 only
    import tomli as tomllib

__all__ = [
    "CONFIG_FILES",
    "DEFAULT_PLATFORM",
    "DEFAULT_SKELETON",
    "DEFAULT_TEMPLATE_DIR",
    "PlatformConfig",
    "find_config",
    "load_config",
]

CONFIG_FILES = ("mlscaffold.yaml", "pyproject.toml")
"""Looked for in this order in each folder from the working directory up."""
DEFAULT_SKELETON = "skeletons/ml-project"
"""Where a platform repository keeps its skeleton unless its config says otherwise."""
DEFAULT_PLATFORM = "schemas/platform.yaml"
"""Where a platform repository keeps its settings unless its config says otherwise."""
DEFAULT_TEMPLATE_DIR = "backstage/ml-project"
"""Where ``template build`` writes what Backstage registers."""
_KEYS = {"skeleton", "platform", "template-dir", "crds"}


@dataclass(frozen=True)
class PlatformConfig:
    """Where a platform repository's sources are; all paths are absolute.

    Attributes:
        root: The folder holding the config file; None when none was found.
        config_file: The file it was read from; None when none was found.
        skeleton: The skeleton folder (the shipped one without a repository).
        platform_file: The platform settings (the shipped ones without a repository).
        template_dir: Where ``template build`` writes (relative to the working
            directory without a repository).
        crd_dirs: CRD folders to validate custom resources against.
    """

    root: Path | None
    config_file: Path | None
    skeleton: Path
    platform_file: Path
    template_dir: Path
    crd_dirs: tuple[Path, ...] = ()

    @property
    def packaged(self) -> bool:
        """True when skeleton and settings are the ones shipped with mlscaffold."""
        return self.root is None


def _pyproject_table(path: Path) -> Mapping[str, Any] | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ParamsError([f"{path}: not valid TOML: {exc}"]) from exc
    table = data.get("tool", {}).get("mlscaffold")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ParamsError([f"{path}: [tool.mlscaffold] must be a table"])
    return table


def _yaml_table(path: Path) -> Mapping[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ParamsError([f"{path}: not valid YAML: {exc}"]) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParamsError([f"{path}: must be a mapping of settings"])
    return data


def find_config(start: Path | None = None) -> PlatformConfig:
    """The config of the platform repository holding ``start``.

    Walks up from ``start`` (default: the working directory); in each folder an
    ``mlscaffold.yaml`` wins over a ``pyproject.toml`` with a ``[tool.mlscaffold]``
    table, and the nearest folder wins. A pyproject.toml without that table is
    passed over, so a Python project inside a platform repository does not hide it.

    Args:
        start: The folder to start from.

    Returns:
        The config found, or the packaged defaults when there is none.

    Raises:
        ParamsError: A config file is malformed or names a path that does not exist.
    """
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "mlscaffold.yaml"
        if candidate.is_file():
            return load_config(candidate)
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and _pyproject_table(candidate) is not None:
            return load_config(candidate)
    return PlatformConfig(
        root=None,
        config_file=None,
        skeleton=skeleton_dir(),
        platform_file=schema_file("platform.yaml"),
        template_dir=Path(DEFAULT_TEMPLATE_DIR),
    )


def load_config(path: Path) -> PlatformConfig:
    """Read one config file (``mlscaffold.yaml`` or ``pyproject.toml``).

    Keys: ``skeleton`` (default ``skeletons/ml-project``), ``platform`` (default
    ``schemas/platform.yaml``), ``template-dir`` (default ``backstage/ml-project``)
    and ``crds`` (a list of folders), each relative to the file's folder. A default
    that the repository does not have falls back to the shipped skeleton or settings.

    Raises:
        ParamsError: The file is malformed, has unknown keys, or names a missing path.
    """
    path = path.resolve()
    table = (
        _pyproject_table(path) or {}
        if path.name == "pyproject.toml"
        else _yaml_table(path)
    )
    where = f"{path.name}" + (" [tool.mlscaffold]" if path.suffix == ".toml" else "")
    problems = [
        f"{where}: {key}: unknown setting (allowed: {', '.join(sorted(_KEYS))})"
        for key in sorted(set(table) - _KEYS)
    ]
    root = path.parent

    def located(key: str, default: str, fallback: Path, *, folder: bool) -> Path:
        value = table.get(key)
        if value is None:
            candidate = root / default
            exists = candidate.is_dir() if folder else candidate.is_file()
            return candidate if exists else fallback
        if not isinstance(value, str) or not value:
            problems.append(f"{where}: {key}: must be a path")
            return fallback
        candidate = root / value
        if not (candidate.is_dir() if folder else candidate.is_file()):
            kind = "folder" if folder else "file"
            problems.append(f"{where}: {key}: {value!r} is not a {kind} under {root}")
        return candidate

    skeleton = located("skeleton", DEFAULT_SKELETON, skeleton_dir(), folder=True)
    platform = located(
        "platform", DEFAULT_PLATFORM, schema_file("platform.yaml"), folder=False
    )
    template_dir = table.get("template-dir", DEFAULT_TEMPLATE_DIR)
    if not isinstance(template_dir, str) or not template_dir:
        problems.append(f"{where}: template-dir: must be a path")
        template_dir = DEFAULT_TEMPLATE_DIR
    crds = table.get("crds", [])
    if not isinstance(crds, list) or not all(isinstance(c, str) for c in crds):
        problems.append(f"{where}: crds: must be a list of folders")
        crds = []
    problems += [
        f"{where}: crds: {crd!r} is not a folder under {root}"
        for crd in crds
        if not (root / crd).is_dir()
    ]
    if problems:
        raise ParamsError(problems)
    return PlatformConfig(
        root=root,
        config_file=path,
        skeleton=skeleton,
        platform_file=platform,
        template_dir=root / template_dir,
        crd_dirs=tuple(root / c for c in crds),
    )
