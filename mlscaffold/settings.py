"""Platform settings: what the platform team fixes once for every ML team."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from mlscaffold._data import schema_file
from mlscaffold._yaml import clip, load_yaml_file
from mlscaffold.errors import SettingsError

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_REPO_URL = re.compile(r"[a-z0-9.-]+\?owner=[\w.-]+&repo=[\w.-]+")
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
        gitops_repo_url: The platform's GitOps repository (``host?owner=O&repo=R``)
            the platform change is opened against as a pull request; empty in
            settings from before the platform change existed (template 1.x).
        cluster_queue: The shared Kueue ClusterQueue every LocalQueue points at.
        spot: How training pods select and tolerate spot capacity.
        serving_ingress_namespaces: Namespaces whose traffic must reach the
            predictor (Knative's activator and gateway, or KServe's).
        monitoring_namespaces: Namespaces that scrape the team's metrics.
    """

    data: Mapping[str, Any]
    sizes: Mapping[str, SizePreset]
    allowed_hosts: tuple[str, ...]
    template_owner: str
    template_version: str
    argocd_namespace: str
    gitops_repo_url: str
    cluster_queue: str
    spot: SpotCapacity
    serving_ingress_namespaces: tuple[str, ...] = ()
    monitoring_namespaces: tuple[str, ...] = ()


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
        raise SettingsError("\n".join(problems))
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
    # What the skeleton indexes into, once the presets themselves are sound.
    shape = [f"{source.name}: {p}" for p in _shape_problems(raw)]
    if shape:
        raise SettingsError("\n".join(shape))
    return PlatformSettings(
        data=raw,
        sizes=sizes,
        allowed_hosts=allowed_hosts,
        template_owner=str(raw["templateOwner"]),
        template_version=str(raw["templateVersion"]),
        argocd_namespace=str(_mapping(raw["argocd"]).get("namespace", "argocd")),
        gitops_repo_url=str(_mapping(raw.get("gitops")).get("repoUrl", "")),
        cluster_queue=str(_mapping(raw["kueue"]).get("clusterQueue", "")),
        serving_ingress_namespaces=_names(raw, "serving", "ingressNamespaces"),
        monitoring_namespaces=_names(raw, "monitoring", "namespaces"),
        spot=_spot(_mapping(_mapping(raw["capacity"]).get("spot"))),
    )


def _names(raw: Mapping[str, Any], section: str, key: str) -> tuple[str, ...]:
    value = _mapping(raw.get(section)).get(key)
    return tuple(str(n) for n in value) if isinstance(value, list) else ()


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


def _shape_problems(raw: Mapping[str, Any]) -> list[str]:
    """Settings the skeleton indexes into: a gap would render as an empty field."""
    from mlscaffold.params import parameter_schema  # params imports this module

    problems = _train_problems(raw["sizes"] if isinstance(raw["sizes"], dict) else {})
    serving = raw.get("serving")
    resources = _mapping(_mapping(serving).get("resources"))
    for fmt in parameter_schema()["properties"]["modelFormat"]["enum"]:
        shape = resources.get(fmt)
        if not isinstance(shape, dict) or not all(
            isinstance(shape.get(k), dict) and {"cpu", "memory"} <= set(shape[k])
            for k in ("requests", "limits")
        ):
            problems.append(
                f"serving: resources: {fmt}: needs requests and limits, "
                "each with cpu and memory (every model format of the form needs one)"
            )
        elif shape.get("gpus") not in (0, 1) or isinstance(shape.get("gpus"), bool):
            problems.append(
                f"serving: resources: {fmt}: gpus: must be 0 or 1 "
                "(GPUs per predictor replica)"
            )
    if not isinstance(_mapping(serving).get("placeholderModelUri"), str):
        problems.append(
            "serving: placeholderModelUri: is required (the model a new team serves "
            "before its first promotion; {format} is replaced)"
        )
    percent = _mapping(serving).get("canaryTrafficPercent")
    if not (isinstance(percent, int) and 0 < percent < 100):
        problems.append(
            "serving: canaryTrafficPercent: must be an integer from 1 to 99 "
            "(the share of traffic a promoted always-on model gets first)"
        )
    monitoring = raw.get("monitoring")
    for where, names in (
        ("serving: ingressNamespaces", _mapping(serving).get("ingressNamespaces")),
        ("monitoring: namespaces", _mapping(monitoring).get("namespaces")),
    ):
        # An empty list would render a NetworkPolicy peer list that admits everyone.
        if not (
            isinstance(names, list)
            and names
            and all(isinstance(n, str) and _DNS_LABEL.fullmatch(n) for n in names)
        ):
            problems.append(f"{where}: needs a non-empty list of namespace names")
    problems += _identity_problems(_mapping(raw.get("identity")))
    repo_url = _mapping(raw.get("gitops")).get("repoUrl")
    # Optional so that settings of a 1.x release still load (update's merge base);
    # building a template with a platform change requires it.
    if "gitops" in raw and not (
        isinstance(repo_url, str) and _REPO_URL.fullmatch(repo_url)
    ):
        problems.append(
            "gitops: repoUrl: is required (host?owner=ORG&repo=NAME, the platform's "
            "GitOps repository)"
        )
    gpu = raw["capacity"].get("gpu") if isinstance(raw["capacity"], dict) else None
    tolerations = gpu.get("tolerations") if isinstance(gpu, dict) else None
    if not isinstance(tolerations, list) or not all(
        isinstance(t, dict) and {"key", "operator", "effect"} <= set(t)
        for t in tolerations
    ):
        problems.append(
            "capacity: gpu: tolerations: needs a list of tolerations, each with "
            "key, operator and effect (value too when operator is Equal)"
        )
    return problems


#: What each identity provider needs from the identity settings.
IDENTITY_PROVIDERS: Mapping[str, tuple[str, ...]] = {
    "aws-irsa": ("awsRoleArn",),
    "aws-pod-identity": (),
    "gke-workload-identity": ("gcpServiceAccount",),
    "azure-workload-identity": ("azureClientId",),
    "secrets": ("storageSecret", "mlflowSecret"),
}


def _identity_problems(identity: Mapping[str, Any]) -> list[str]:
    provider = identity.get("provider")
    if provider not in IDENTITY_PROVIDERS:
        return [
            f"identity: provider: {provider!r} is not known "
            f"(allowed: {', '.join(IDENTITY_PROVIDERS)})"
        ]
    return [
        f"identity: {key}: is required (a name pattern; {{team}} and {{workload}} "
        "are replaced)"
        for key in (*IDENTITY_PROVIDERS[str(provider)], "gitSecret")
        if not isinstance(identity.get(key), str) or not identity[key]
    ]


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


def _train_problems(sizes: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    for name, spec in sizes.items():
        train = spec.get("train") if isinstance(spec, dict) else None
        if not isinstance(train, dict) or not {"cpu", "memory", "gpus"} <= set(train):
            problems.append(f"sizes: {name}: train: needs cpu, memory and gpus")
        elif not (
            isinstance(train["gpus"], int)
            and 0 <= train["gpus"] <= int(spec.get("gpus", 0))
        ):
            problems.append(
                f"sizes: {name}: train: gpus: {train['gpus']} is outside the "
                f"quota (allowed: 0 to {spec.get('gpus', 0)})"
            )
    return problems
