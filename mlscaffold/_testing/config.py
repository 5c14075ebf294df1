"""The plugin's settings: ini keys, command-line options and $CI, read once per run."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from mlscaffold.settings import PlatformSettings
    from mlscaffold.validate import KubeconformMode

_FALSE_WORDS = frozenset({"", "0", "false", "no", "off"})


@dataclass(frozen=True)
class MlscaffoldSettings:
    """What the fixtures render and validate with; override the fixture to change it.

    Attributes:
        skeleton: Skeleton folder; None means the one shipped with mlscaffold.
        platform_file: platform.yaml; None means the shipped settings.
        crd_dirs: CRD folders for validation (``mlscaffold_crds`` or $MLSCAFFOLD_CRDS).
        validate: Validate every rendered tree and fail on error findings.
        kubeconform: ``off``, ``auto`` or ``require`` (see ValidateOptions).
        ci: Strict mode: missing snapshots fail instead of being written.
        teams_file: Default teams file for the ``mlscaffold_team`` matrix.
    """

    skeleton: Path | None = None
    platform_file: Path | None = None
    crd_dirs: tuple[Path, ...] = ()
    validate: bool = True
    kubeconform: KubeconformMode = "off"
    ci: bool = False
    teams_file: Path | None = None

    def platform(self) -> PlatformSettings:
        """The platform settings, loaded from ``platform_file`` or the shipped ones."""
        return _load_platform(self.platform_file)


@functools.lru_cache(maxsize=8)
def _load_platform(path: Path | None) -> PlatformSettings:
    # Loaded once per file: a matrix renders many teams with the same settings.
    from mlscaffold.settings import load_platform

    return load_platform(path)


def ci_mode(config: pytest.Config) -> bool:
    """True under ``--mlscaffold-ci``, or when $CI is set and not a false word."""
    if config.getoption("mlscaffold_ci", default=False):
        return True
    return os.environ.get("CI", "").strip().lower() not in _FALSE_WORDS


def _kubeconform(config: pytest.Config) -> KubeconformMode:
    from mlscaffold.validate import kubeconform_mode

    try:
        return kubeconform_mode(str(config.getini("mlscaffold_kubeconform") or "off"))
    except ValueError as exc:
        raise pytest.UsageError(f"mlscaffold_kubeconform: {exc}") from None


def read_settings(config: pytest.Config) -> MlscaffoldSettings:
    """Settings from the command line, the ini file and $MLSCAFFOLD_CRDS.

    What they leave unset comes from the platform repository's config, found by
    walking up from the rootdir as the CLI does from its working directory.
    """
    from mlscaffold.config import find_config
    from mlscaffold.errors import ParamsError

    base = config.inipath.parent if config.inipath else config.rootpath
    try:
        platform_repo = find_config(config.rootpath)
    except ParamsError as exc:
        raise pytest.UsageError("; ".join(exc.problems)) from exc

    def path_setting(ini: str, option: str | None = None) -> Path | None:
        value = (option and config.getoption(option, default=None)) or config.getini(
            ini
        )
        if not value:
            return None
        path = Path(str(value))
        return path if path.is_absolute() else base / path

    crds = tuple(Path(p) for p in config.getini("mlscaffold_crds"))
    if not crds and os.environ.get("MLSCAFFOLD_CRDS"):
        crds = tuple(
            Path(p) for p in os.environ["MLSCAFFOLD_CRDS"].split(os.pathsep) if p
        )
    if not crds:
        crds = platform_repo.crd_dirs
    in_repo = not platform_repo.packaged
    return MlscaffoldSettings(
        skeleton=path_setting("mlscaffold_skeleton", "mlscaffold_skeleton")
        or (platform_repo.skeleton if in_repo else None),
        platform_file=path_setting("mlscaffold_platform", "mlscaffold_platform")
        or (platform_repo.platform_file if in_repo else None),
        crd_dirs=crds,
        validate=bool(config.getini("mlscaffold_validate")),
        kubeconform=_kubeconform(config),
        ci=ci_mode(config),
        teams_file=path_setting("mlscaffold_teams"),
    )
