"""Platform facts the cross-object rules need, with the shipped settings loaded once."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlscaffold.settings import PlatformSettings

__all__ = ["argocd_namespace", "shipped_platform"]


@cache
def shipped_platform() -> PlatformSettings:
    """The platform settings shipped in ``schemas/``, read once per process.

    Reading and checking platform.yaml costs more than validating a project's
    manifests, so every validation after the first reuses this result.

    Raises:
        ParamsError: When the shipped settings are malformed.
    """
    from mlscaffold.settings import load_platform

    return load_platform()


def argocd_namespace(platform: PlatformSettings) -> str:
    """Where Argo CD Applications must live: ``argocd.namespace`` of the settings."""
    argocd = platform.raw.get("argocd")
    namespace = argocd.get("namespace") if isinstance(argocd, dict) else None
    return str(namespace) if namespace is not None else "argocd"
