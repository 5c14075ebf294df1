"""Platform facts the cross-object rules need, with the shipped settings loaded once."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from mlscaffold.validate.project import TrafficSources

if TYPE_CHECKING:
    from mlscaffold.settings import PlatformSettings

__all__ = ["argocd_namespace", "shipped_platform", "traffic_sources"]


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


def traffic_sources(platform: PlatformSettings) -> TrafficSources:
    """Namespaces the team's NetworkPolicies must admit, from the settings."""
    raw = platform.raw

    def names(section: str, key: str) -> tuple[str, ...]:
        part = raw.get(section)
        value = part.get(key) if isinstance(part, dict) else None
        return tuple(str(n) for n in value) if isinstance(value, list) else ()

    return TrafficSources(
        serving=names("serving", "ingressNamespaces"),
        monitoring=names("monitoring", "namespaces"),
    )
