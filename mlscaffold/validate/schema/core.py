"""The hand-written pod validations of the API server that users hit most.

From ``pkg/apis/core/validation`` of kubernetes/kubernetes: env ``value`` with
``valueFrom`` and env names, port ranges and names, exactly one probe or
lifecycle handler, at most one volume source, container and volume names (DNS
labels, unique across the pod's lists), mounts of undefined volumes, images,
resource names, and requests within limits. Applied to every effective pod,
including the pods Argo Workflows and KServe will create from a custom resource
(the API server checks those only when the controller creates the pod, long
after the apply passed).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from difflib import get_close_matches
from fractions import Fraction
from typing import Any

from mlscaffold.validate.documents import Document, escape_pointer_token
from mlscaffold.validate.pods import ContainerView, PodView, as_list, as_map
from mlscaffold.validate.quantity import format_quantity, quantities
from mlscaffold.validate.schema.metadata import FieldHit, dns_label, label_key_problems

_PORT_MAX = 65535
_PORT_NAME_MAX = 15
# RelaxedEnvironmentVariableValidation: on by default from 1.32 (beta), GA 1.34.
_RELAXED_ENV_NAMES = (1, 32)
_ENV_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")
_PORT_NAME = re.compile(r"(?=.*[a-z])[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
_LIFECYCLE_HANDLERS = ("exec", "httpGet", "tcpSocket", "sleep")
_ENV_SOURCES = ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef")
# VolumeSource members (Kubernetes 1.33); a volume with none defaults to emptyDir.
_VOLUME_SOURCES = frozenset(
    {
        "hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore",
        "gitRepo", "secret", "nfs", "iscsi", "glusterfs", "persistentVolumeClaim",
        "rbd", "flexVolume", "cinder", "cephfs", "flocker", "downwardAPI", "fc",
        "azureFile", "configMap", "vsphereVolume", "quobyte", "azureDisk",
        "photonPersistentDisk", "projected", "portworxVolume", "scaleIO",
        "storageos", "csi", "ephemeral", "image",
    }
)  # fmt: skip
_CONTAINER_RESOURCES = frozenset({"cpu", "memory", "ephemeral-storage"})
# Extended resources (GPUs...: a domain outside kubernetes.io) cannot be
# overcommitted; quota-style names are not container resources at all.
_QUOTA_PREFIXES = ("requests.", "limits.")


def pod_hits(pod: PodView, version: tuple[int, int]) -> Iterator[FieldHit]:
    """MLS150-MLS160 (and MLS141 for negative values) on one effective pod.

    Args:
        pod: The pod.
        version: Kubernetes minor, for the rules that changed (env names).
    """
    yield from _volume_hits(pod)
    yield from _name_hits(pod)
    yield from _mount_hits(pod)
    for container in pod.containers:
        if pod.kind == "workload" and not container.data.get("image"):
            # Argo templates and KServe models get theirs from defaults/runtimes.
            yield (
                "MLS159",
                container.pointer,
                f"{_who(container)} in {pod.label} has no image",
            )
        yield from _env_hits(container)
        yield from _env_name_hits(container, version)
        yield from _port_hits(container)
        yield from _handler_hits(container)
        yield from _resource_hits(pod, container)


def service_hits(doc: Document) -> Iterator[FieldHit]:
    """MLS151 for the ports of a core Service."""
    spec = as_map(as_map(doc.data).get("spec"))
    for i, port in enumerate(as_list(spec.get("ports"))):
        port = as_map(port)
        base = f"/spec/ports/{i}"
        yield from _port_range(port.get("port"), f"{base}/port", "port")
        if port.get("targetPort") != 0:  # 0 defaults to the port
            yield from _port_range(
                port.get("targetPort"), f"{base}/targetPort", "targetPort"
            )
        node_port = port.get("nodePort")
        if node_port not in (None, 0):
            yield from _port_range(node_port, f"{base}/nodePort", "nodePort")


def _env_hits(container: ContainerView) -> Iterator[FieldHit]:
    for i, env in enumerate(as_list(container.data.get("env"))):
        env = as_map(env)
        pointer = f"{container.pointer}/env/{i}"
        source = env.get("valueFrom")
        if source is None:
            continue
        name = env.get("name")
        if env.get("value") not in (None, ""):
            yield (
                "MLS150",
                f"{pointer}/valueFrom",
                f'env "{name}" of {_who(container)} sets both value and valueFrom; '
                "keep one",
            )
        given = [key for key in _ENV_SOURCES if as_map(source).get(key) is not None]
        if len(given) != 1:
            yield (
                "MLS150",
                f"{pointer}/valueFrom",
                f'env "{name}" of {_who(container)}: valueFrom needs exactly one of '
                f"{', '.join(_ENV_SOURCES)} (has {len(given)})",
            )


def _env_name_hits(
    container: ContainerView, version: tuple[int, int]
) -> Iterator[FieldHit]:
    relaxed = version >= _RELAXED_ENV_NAMES
    for i, env in enumerate(as_list(container.data.get("env"))):
        name = as_map(env).get("name")
        if not isinstance(name, str):
            continue
        if relaxed:
            bad = not name or "=" in name or not all(" " <= c <= "~" for c in name)
            rule = "printable ASCII characters other than '='"
        else:
            bad = _ENV_NAME.fullmatch(name) is None
            rule = "letters, digits, '_', '-' or '.', not starting with a digit"
        if bad:
            yield (
                "MLS160",
                f"{container.pointer}/env/{i}/name",
                f'env name "{name}" of {_who(container)}: Kubernetes '
                f"{version[0]}.{version[1]} allows {rule}",
            )


def _port_hits(container: ContainerView) -> Iterator[FieldHit]:
    names: set[object] = set()
    for i, port in enumerate(as_list(container.data.get("ports"))):
        port = as_map(port)
        pointer = f"{container.pointer}/ports/{i}"
        name = port.get("name")
        if isinstance(name, str) and name in names:
            yield (
                "MLS157",
                f"{pointer}/name",
                f'port name "{name}" of {_who(container)} is used twice',
            )
        names.add(name)
        if isinstance(name, str) and (problem := _port_name_problem(name)):
            yield (
                "MLS157",
                f"{pointer}/name",
                f'port name "{name}" of {_who(container)} {problem}',
            )
        yield from _port_range(
            port.get("containerPort"), f"{pointer}/containerPort", "containerPort"
        )
        if port.get("hostPort") not in (None, 0):
            yield from _port_range(port["hostPort"], f"{pointer}/hostPort", "hostPort")
    for probe, handler in _handlers(container):
        for kind in ("httpGet", "tcpSocket", "grpc"):
            action = as_map(handler.get(kind))
            if "port" in action:
                yield from _port_range(
                    action["port"], f"{probe}/{kind}/port", f"{kind} port"
                )


def _port_name_problem(name: str) -> str:
    """IANA_SVC_NAME, as the API server checks a named container port."""
    if len(name) > _PORT_NAME_MAX:
        return f"must be no more than {_PORT_NAME_MAX} characters"
    if not _PORT_NAME.fullmatch(name) or "--" in name:
        return (
            "must be lower case letters, digits and single hyphens, not starting "
            "or ending with a hyphen, with at least one letter (e.g. 'http')"
        )
    return ""


def _mount_hits(pod: PodView) -> Iterator[FieldHit]:
    # Argo adds volumes from volumeClaimTemplates and artifacts, so only pods
    # whose volumes the manifest lists in full are checked.
    if pod.kind not in ("workload", "serving"):
        return
    names = {as_map(v.value).get("name") for v in pod.volumes}
    for container in pod.containers:
        for i, mount in enumerate(as_list(container.data.get("volumeMounts"))):
            name = as_map(mount).get("name")
            if isinstance(name, str) and name not in names:
                yield (
                    "MLS158",
                    f"{container.pointer}/volumeMounts/{i}/name",
                    f'{_who(container)} mounts volume "{name}", which {pod.label} '
                    "does not define",
                )


def _port_range(value: Any, pointer: str, what: str) -> Iterator[FieldHit]:
    # A string names a port (IANA_SVC_NAME); the schema checks its type.
    number = isinstance(value, int) and not isinstance(value, bool)
    if number and not 1 <= value <= _PORT_MAX:
        yield (
            "MLS151",
            pointer,
            f"{what} {value} is not a valid port number; use 1 to {_PORT_MAX}",
        )


def _handlers(container: ContainerView) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for key in _PROBES:
        if isinstance(container.data.get(key), dict):
            yield f"{container.pointer}/{key}", container.data[key]
    lifecycle = as_map(container.data.get("lifecycle"))
    for key in ("postStart", "preStop"):
        if isinstance(lifecycle.get(key), dict):
            yield f"{container.pointer}/lifecycle/{key}", lifecycle[key]


def _handler_hits(container: ContainerView) -> Iterator[FieldHit]:
    for pointer, handler in _handlers(container):
        allowed = _LIFECYCLE_HANDLERS if "/lifecycle/" in pointer else _PROBE_HANDLERS
        given = [key for key in allowed if handler.get(key) is not None]
        if len(given) != 1:
            what = pointer.rsplit("/", 1)[-1]
            found = f"has {', '.join(given)}" if given else "has none"
            yield (
                "MLS152",
                pointer,
                f"{what} of {_who(container)} needs exactly one handler of "
                f"{', '.join(allowed)} ({found})",
            )


def _volume_hits(pod: PodView) -> Iterator[FieldHit]:
    for volume in pod.volumes:
        name = as_map(volume.value).get("name")
        if isinstance(name, str) and (problems := dns_label(name)):
            yield (
                "MLS157",
                f"{volume.pointer}/name",
                f'volume name "{name}" of {pod.label} {problems[0]}',
            )
        given = sorted(_VOLUME_SOURCES.intersection(as_map(volume.value)))
        if len(given) > 1:
            name = as_map(volume.value).get("name")
            yield (
                "MLS153",
                volume.pointer,
                f'volume "{name}" of {pod.label} has {len(given)} sources '
                f"({', '.join(given)}); a volume has exactly one",
            )


def _name_hits(pod: PodView) -> Iterator[FieldHit]:
    # Repeats inside one list are MLS140 (list-type map); across the lists of
    # one pod (init, regular, ephemeral) the API server refuses them too.
    first: dict[str, ContainerView] = {}
    # Only containers from lists: a KServe model spec or an Argo template's
    # main container is merged into or named by the controller.
    listed = [c for c in pod.containers if c.pointer.rpartition("/")[2].isdigit()]
    # In the API server's order: init containers first, then the others.
    for container in listed:
        if problems := dns_label(container.name):
            yield (
                "MLS157",
                f"{container.pointer}/name",
                f'container name "{container.name}" in {pod.label} {problems[0]}',
            )
    for container in sorted(listed, key=_api_order):
        seen = first.setdefault(container.name, container)
        if seen is container or _parent(seen) == _parent(container):
            continue
        yield (
            "MLS154",
            f"{container.pointer}/name",
            f'{_who(container)}: the name "{container.name}" is already used by '
            f"{seen.role} {seen.pointer}; container names are unique in a pod",
        )


def _resource_hits(pod: PodView, container: ContainerView) -> Iterator[FieldHit]:
    resources = as_map(container.data.get("resources"))
    requests = quantities(resources.get("requests"))
    limits = quantities(resources.get("limits"))
    base = f"{container.pointer}/resources"
    for part in ("requests", "limits"):
        for key in as_map(resources.get(part)):
            if problem := _resource_name_problem(str(key)):
                yield (
                    "MLS156",
                    _at(base, part, str(key)),
                    f"{part}.{key} of {_who(container)}: {problem}",
                )
    yield from _request_hits(pod, container, requests, limits, base)
    yield from _extended_hits(container, requests, limits, base)


def _resource_name_problem(name: str) -> str:
    if label_key_problems(name):
        return "not a valid resource name (a qualified name such as nvidia.com/gpu)"
    if "/" not in name:
        if name in _CONTAINER_RESOURCES or name.startswith("hugepages-"):
            return ""
        close = get_close_matches(name, sorted(_CONTAINER_RESOURCES), n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        return (
            "not a resource containers can request (cpu, memory, "
            f"ephemeral-storage, hugepages-<size>, or a domain/name){hint}"
        )
    if "kubernetes.io/" not in name and name.startswith(("requests.", "limits.")):
        return "an extended resource name may not start with requests. or limits."
    return ""


def _request_hits(
    pod: PodView,
    container: ContainerView,
    requests: Mapping[str, Fraction],
    limits: Mapping[str, Fraction],
    base: str,
) -> Iterator[FieldHit]:
    if pod.kind != "workload":
        # Core pods are covered by the schema walk; these come from CRDs,
        # whose quantity pattern admits a sign.
        for part, values in (("requests", requests), ("limits", limits)):
            for key, value in values.items():
                if value < 0:
                    yield (
                        "MLS141",
                        _at(base, part, key),
                        f"{part}.{key} of {_who(container)} must be >= 0",
                    )
    for key, request in requests.items():
        limit = limits.get(key)
        if limit is not None and request > limit:
            yield (
                "MLS155",
                _at(base, "requests", key),
                f"{key} request of {_who(container)} "
                f"({format_quantity(key, request)}) exceeds its limit "
                f"({format_quantity(key, limit)})",
            )


def _extended_hits(
    container: ContainerView,
    requests: Mapping[str, Fraction],
    limits: Mapping[str, Fraction],
    base: str,
) -> Iterator[FieldHit]:
    for key in sorted({*requests, *limits}):
        native = "kubernetes.io/" in key or key.startswith(_QUOTA_PREFIXES)
        if "/" not in key or native:
            continue
        for part, values in (("requests", requests), ("limits", limits)):
            value = values.get(key)
            if value is not None and value.denominator != 1:
                yield (
                    "MLS155",
                    _at(base, part, key),
                    f"{key} of {_who(container)} must be a whole number",
                )
        if key in requests and requests[key] != limits.get(key):
            yield (
                "MLS155",
                _at(base, "requests", key),
                f"{key} of {_who(container)} cannot be overcommitted: set its "
                "limit, equal to the request",
            )


def _at(base: str, part: str, key: str) -> str:
    return f"{base}/{part}/{escape_pointer_token(key)}"


def _api_order(container: ContainerView) -> int:
    if "/initContainers/" in container.pointer:
        return 0
    return 2 if container.role == "ephemeral" else 1


def _parent(container: ContainerView) -> str:
    return container.pointer.rsplit("/", 1)[0]


def _who(container: ContainerView) -> str:
    return f'{container.role} "{container.name}"'
