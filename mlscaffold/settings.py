"""Platform settings: what the platform team fixes once for every ML team."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from mlscaffold._data import schema_file
from mlscaffold._yaml import clip, load_yaml_file
from mlscaffold.errors import SettingsError

_REQUIRED = (
    "templateOwner",
    "templateVersion",
    "sizes",
    "podSecurity",
    "kueue",
    "capacity",
    "argocd",
    "allowedHosts",
)


@dataclass(frozen=True)
class SizePreset:
    """Quota of one size preset; quantities are Kubernetes quantity strings."""

    name: str
    cpu: str
    memory: str
    gpus: int
    pods: str
    pvcs: str
    storage: str


@dataclass(frozen=True)
class SpotCapacity:
    """How pods land on spot capacity (``capacity.spot``).

    Attributes:
        node_selector: Labels that select spot nodes.
        toleration: The taint toleration spot nodes require.
    """

    node_selector: Mapping[str, str]
    toleration: Mapping[str, str]


@dataclass(frozen=True)
class PlatformSettings:
    """Typed view of ``schemas/platform.yaml``.

    Attributes:
        data: The settings as plain data, baked verbatim into template.yaml (the
            template builder's input; everything else reads the typed fields).
        sizes: Size presets by name.
        allowed_hosts: Git hosts a team repository may live on.
        template_owner: Backstage owner of the ml-project Template.
        template_version: Version recorded in every team's answers file.
        argocd_namespace: Where Argo CD Applications must live.
        cluster_queue: The shared Kueue ClusterQueue every LocalQueue points at.
        spot: How training pods select and tolerate spot capacity.
    """

    data: Mapping[str, Any]
    sizes: Mapping[str, SizePreset]
    allowed_hosts: tuple[str, ...]
    template_owner: str
    template_version: str
    argocd_namespace: str
    cluster_queue: str
    spot: SpotCapacity


@cache
def shipped_platform() -> PlatformSettings:
    """The platform settings shipped in ``schemas/``, read once per process.

    Reading and checking platform.yaml costs more than validating a project's
    manifests, so every validation after the first reuses this result.

    Raises:
        ParamsError: When the shipped settings are malformed.
    """
    return load_platform()


def load_platform(path: Path | None = None) -> PlatformSettings:
    """Read and check platform settings.

    Args:
        path: A platform.yaml; defaults to the one shipped in ``schemas/``.

    Raises:
        SettingsError: When the file is unreadable or not bounded, strict YAML, or
            a required setting is missing or malformed.
    """
    source = path or schema_file("platform.yaml")
    raw = load_yaml_file(source)
    if not isinstance(raw, dict):
        raise SettingsError(f"{source.name}: must be a mapping of settings")
    problems = [
        f"{source.name}: {key}: is required" for key in _REQUIRED if key not in raw
    ]
    problems += _template_syntax_problems(raw, source.name)
    if problems:
        raise SettingsError("; ".join(problems))
    try:
        sizes = {
            name: SizePreset(
                name=name,
                cpu=str(spec["cpu"]),
                memory=str(spec["memory"]),
                gpus=int(spec["gpus"]),
                pods=str(spec["pods"]),
                pvcs=str(spec["pvcs"]),
                storage=str(spec["storage"]),
            )
            for name, spec in raw["sizes"].items()
        }
        allowed_hosts = tuple(raw["allowedHosts"])
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise SettingsError(
            f"{source.name}: sizes: each preset needs cpu, memory, gpus (an integer), "
            f"pods, pvcs and storage; allowedHosts: a list ({type(exc).__name__}: "
            f"{clip(str(exc))})"
        ) from exc
    return PlatformSettings(
        data=raw,
        sizes=sizes,
        allowed_hosts=allowed_hosts,
        template_owner=str(raw["templateOwner"]),
        template_version=str(raw["templateVersion"]),
        argocd_namespace=str(_mapping(raw["argocd"]).get("namespace", "argocd")),
        cluster_queue=str(_mapping(raw["kueue"]).get("clusterQueue", "")),
        spot=_spot(_mapping(_mapping(raw["capacity"]).get("spot"))),
    )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _spot(spot: Mapping[str, Any]) -> SpotCapacity:
    return SpotCapacity(
        node_selector={
            str(k): str(v) for k, v in _mapping(spot.get("nodeSelector")).items()
        },
        toleration={
            str(k): str(v) for k, v in _mapping(spot.get("toleration")).items()
        },
    )


def _template_syntax_problems(value: Any, where: str) -> list[str]:
    # Backstage renders every string of a step's input, literal settings included,
    # so template syntax in a setting would be evaluated rather than copied.
    if isinstance(value, dict):
        return [
            p
            for k, v in value.items()
            for p in _template_syntax_problems(v, f"{where}: {k}")
        ]
    if isinstance(value, list):
        return [
            p
            for i, v in enumerate(value)
            for p in _template_syntax_problems(v, f"{where}[{i}]")
        ]
    if isinstance(value, str) and any(tok in value for tok in ("${{", "{%", "{#")):
        return [f"{where}: must not contain template syntax ('${{{{', '{{%', '{{#')"]
    return []
