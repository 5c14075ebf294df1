"""Find the effective pods in any object: workloads, Argo templates, KServe parts."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from mlscaffold.validate._pod_views import (
    ContainerView,
    Field,
    PodView,
    as_list,
    as_map,
)
from mlscaffold.validate.documents import Document, pointer_of

__all__ = [
    "ARGO_WORKFLOW_KINDS",
    "KSERVE_COMPONENTS",
    "KSERVE_MODEL_FIELDS",
    "TEMPLATED_WORKLOADS",
    "ContainerView",
    "Field",
    "PodLookup",
    "PodView",
    "as_list",
    "as_map",
    "effective_pods",
    "memoized_pods",
]

#: Kinds whose pod template sits at ``spec.template``.
TEMPLATED_WORKLOADS = frozenset(
    {
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "ReplicaSet",
        "Job",
        "ReplicationController",
    }
)
#: Argo kinds whose ``spec`` (or ``spec.workflowSpec``) is a WorkflowSpec.
ARGO_WORKFLOW_KINDS = frozenset(
    {"Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate"}
)
#: KServe InferenceService components that run pods.
KSERVE_COMPONENTS = ("predictor", "transformer", "explainer")
#: Predictor fields holding one container-like spec (``model``, legacy frameworks).
KSERVE_MODEL_FIELDS = (
    "model",
    "sklearn",
    "xgboost",
    "tensorflow",
    "pytorch",
    "triton",
    "onnx",
    "pmml",
    "lightgbm",
    "paddle",
    "huggingface",
    "art",
)
#: Pod-level fields an Argo template may set to override the workflow-level value.
_ARGO_OVERRIDES = ("securityContext", "nodeSelector", "tolerations", "affinity")


#: How checks get a document's effective pods (see :func:`memoized_pods`).
PodLookup = Callable[[Document], "list[PodView]"]


def memoized_pods() -> PodLookup:
    """:func:`effective_pods` remembering each document's result.

    Policy and cross-resource checks both walk every pod of a run; sharing one
    lookup resolves each document once.
    """
    memo: dict[int, tuple[Document, list[PodView]]] = {}

    def lookup(doc: Document) -> list[PodView]:
        hit = memo.get(id(doc))
        if hit is None or hit[0] is not doc:
            # Holding the document keeps its id from being reused by another one.
            hit = memo[id(doc)] = (doc, effective_pods(doc))
        return hit[1]

    return lookup


def effective_pods(doc: Document) -> list[PodView]:
    """Every pod ``doc`` makes the cluster run, with pod-level fields resolved.

    Args:
        doc: A parsed Kubernetes object.

    Returns:
        One view per pod shape: one for a Deployment, one per container, script or
        containerSet template of an Argo workflow, one per KServe component. Empty
        for other kinds.
    """
    data = as_map(doc.data)
    spec = as_map(data.get("spec"))
    kind = doc.kind
    if kind == "Pod":
        return [_core_pod(doc, ("spec",), ("metadata",), f"Pod {doc.name}")]
    if kind in TEMPLATED_WORKLOADS:
        return [
            _core_pod(
                doc,
                ("spec", "template", "spec"),
                ("spec", "template", "metadata"),
                f"{kind} {doc.name}",
            )
        ]
    if kind == "CronJob" and not doc.api_version.startswith("argoproj.io"):
        base = ("spec", "jobTemplate", "spec", "template")
        return [
            _core_pod(doc, (*base, "spec"), (*base, "metadata"), f"CronJob {doc.name}")
        ]
    if doc.api_version.startswith("argoproj.io/"):
        if kind in ARGO_WORKFLOW_KINDS:
            return list(_argo_pods(doc, spec, ("spec",)))
        if kind == "CronWorkflow":
            return list(
                _argo_pods(
                    doc, as_map(spec.get("workflowSpec")), ("spec", "workflowSpec")
                )
            )
    if kind == "InferenceService" and doc.api_version.startswith("serving.kserve.io/"):
        return list(_kserve_pods(doc, spec))
    return []


def _get(data: object, path: Sequence[str | int]) -> Any:
    node: Any = data
    for part in path:
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and part < len(node) else None
        else:
            node = node.get(part) if isinstance(node, dict) else None
    return node


def _field(
    doc: Document, path: Sequence[str | int], fallback: Sequence[str | int]
) -> Field:
    value = _get(doc.data, path)
    return Field(value, pointer_of(tuple(path if value is not None else fallback)))


def _keyed(doc: Document, *paths: tuple[str | int, ...]) -> dict[str, Field]:
    """Merge mappings in order (later wins), remembering where each key was set."""
    merged: dict[str, Field] = {}
    for path in paths:
        for key, value in as_map(_get(doc.data, path)).items():
            merged[str(key)] = Field(value, pointer_of((*path, str(key))))
    return merged


def _containers(
    doc: Document, path: tuple[str | int, ...], role: str
) -> list[ContainerView]:
    items = as_list(_get(doc.data, path))
    return [
        ContainerView(
            str(as_map(c).get("name", f"#{i}")), pointer_of((*path, i)), as_map(c), role
        )
        for i, c in enumerate(items)
    ]


def _pod_containers(doc: Document, spec: tuple[str | int, ...]) -> list[ContainerView]:
    containers = _containers(doc, (*spec, "containers"), "container")
    for init in _containers(doc, (*spec, "initContainers"), "init"):
        # A native sidecar is an init container that keeps running next to the others.
        role = "sidecar" if init.data.get("restartPolicy") == "Always" else "init"
        containers.append(ContainerView(init.name, init.pointer, init.data, role))
    return containers + _containers(doc, (*spec, "ephemeralContainers"), "ephemeral")


def _volumes(doc: Document, *paths: tuple[str | int, ...]) -> tuple[Field, ...]:
    return tuple(
        Field(v, pointer_of((*path, i)))
        for path in paths
        for i, v in enumerate(as_list(_get(doc.data, path)))
    )


def _hosts(doc: Document, spec: tuple[str | int, ...]) -> dict[str, Field]:
    return {
        key: Field(_get(doc.data, (*spec, key)), pointer_of((*spec, key)))
        for key in ("hostNetwork", "hostPID", "hostIPC")
        if _get(doc.data, (*spec, key)) is not None
    }


def _core_pod(
    doc: Document, spec: tuple[str, ...], meta: tuple[str, ...], label: str
) -> PodView:
    sa_key = (
        "serviceAccountName"
        if _get(doc.data, (*spec, "serviceAccountName"))
        else "serviceAccount"
    )
    sa = _get(doc.data, (*spec, sa_key))
    return PodView(
        document=doc,
        pointer=pointer_of(spec),
        label=label,
        kind="workload",
        name=doc.name,
        security_context=_field(doc, (*spec, "securityContext"), spec),
        node_selector=_field(doc, (*spec, "nodeSelector"), spec),
        tolerations=_field(doc, (*spec, "tolerations"), spec),
        affinity=_field(doc, (*spec, "affinity"), spec),
        labels=_keyed(doc, (*meta, "labels")),
        labels_pointer=pointer_of((*meta, "labels")),
        annotations=_keyed(doc, (*meta, "annotations")),
        host_namespaces=_hosts(doc, spec),
        volumes=_volumes(doc, (*spec, "volumes")),
        containers=tuple(_pod_containers(doc, spec)),
        service_account=Field(sa, pointer_of((*spec, sa_key)))
        if isinstance(sa, str)
        else None,
        os_name=str(as_map(_get(doc.data, (*spec, "os"))).get("name", "")),
        host_users=_bool_or_none(_get(doc.data, (*spec, "hostUsers"))),
    )


def _bool_or_none(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _argo_containers(doc: Document, tmpl: tuple[str | int, ...]) -> list[ContainerView]:
    found: list[ContainerView] = []
    for key in ("container", "script"):
        body = _get(doc.data, (*tmpl, key))
        if isinstance(body, dict):
            found.append(
                ContainerView(
                    str(body.get("name", "main")), pointer_of((*tmpl, key)), body
                )
            )
    found += _containers(doc, (*tmpl, "containerSet", "containers"), "container")
    found += _containers(doc, (*tmpl, "initContainers"), "init")
    return found + _containers(doc, (*tmpl, "sidecars"), "sidecar")


def _argo_pods(
    doc: Document, wf: Mapping[str, Any], base: tuple[str, ...]
) -> Iterator[PodView]:
    """One view per template that runs a pod; Argo lets template-level fields win."""
    for i, raw in enumerate(as_list(wf.get("templates"))):
        tmpl: tuple[str | int, ...] = (*base, "templates", i)
        containers = _argo_containers(doc, tmpl)
        if not containers:
            continue  # dag, steps, suspend, resource...: no user container to check
        name = str(as_map(raw).get("name", f"#{i}"))
        resolved = {key: _argo_field(doc, tmpl, base, key) for key in _ARGO_OVERRIDES}
        sa_path = (*tmpl, "serviceAccountName")
        sa = _get(doc.data, sa_path) or _get(doc.data, (*base, "serviceAccountName"))
        if _get(doc.data, sa_path) is None:
            sa_path = (*base, "serviceAccountName")
        yield PodView(
            document=doc,
            pointer=pointer_of(tmpl),
            label=f'template "{name}" of {doc.kind} {doc.name}',
            kind="workflow-step",
            name=name,
            security_context=resolved["securityContext"],
            node_selector=resolved["nodeSelector"],
            tolerations=resolved["tolerations"],
            affinity=resolved["affinity"],
            labels=_keyed(
                doc, (*base, "podMetadata", "labels"), (*tmpl, "metadata", "labels")
            ),
            labels_pointer=pointer_of((*tmpl, "metadata", "labels")),
            annotations=_keyed(
                doc,
                (*base, "podMetadata", "annotations"),
                (*tmpl, "metadata", "annotations"),
            ),
            host_namespaces=_hosts(doc, base),
            volumes=_volumes(doc, (*base, "volumes"), (*tmpl, "volumes")),
            containers=tuple(containers),
            service_account=Field(sa, pointer_of(sa_path))
            if isinstance(sa, str)
            else None,
            injected=("init", "wait"),
            injector="Argo Workflows",
            extra={"template": as_map(raw)},
        )


def _argo_field(
    doc: Document, tmpl: tuple[str | int, ...], base: tuple[str, ...], key: str
) -> Field:
    """Template value, else templateDefaults, else workflow value (Argo's order)."""
    for path in ((*tmpl, key), (*base, "templateDefaults", key), (*base, key)):
        value = _get(doc.data, path)
        if value not in (None, {}, []):
            return Field(value, pointer_of(path))
    return Field(None, pointer_of(tmpl))


def _kserve_pods(doc: Document, spec: Mapping[str, Any]) -> Iterator[PodView]:
    annotations = as_map(_get(doc.data, ("metadata", "annotations")))
    mode = str(annotations.get("serving.kserve.io/deploymentMode", ""))
    serverless = mode not in ("RawDeployment", "Standard", "ModelMesh")
    for component in KSERVE_COMPONENTS:
        if not isinstance(spec.get(component), dict):
            continue
        comp = ("spec", component)
        containers: list[ContainerView] = []
        storage = bool(_get(doc.data, (*comp, "storageUris")))
        for key in KSERVE_MODEL_FIELDS:
            body = _get(doc.data, (*comp, key))
            if isinstance(body, dict):
                containers.append(
                    ContainerView(
                        str(body.get("name", "kserve-container")),
                        pointer_of((*comp, key)),
                        body,
                    )
                )
                storage = storage or bool(body.get("storageUri"))
        containers += _pod_containers(doc, comp)
        injected = (("storage-initializer",) if storage else ()) + (
            ("queue-proxy",) if serverless else ()
        )
        view = _core_pod(doc, comp, comp, f"{component} of InferenceService {doc.name}")
        min_replicas = as_map(spec[component]).get("minReplicas")
        yield replace(
            view,
            kind="serving",
            name=component,
            labels=_keyed(doc, (*comp, "labels")),
            labels_pointer=pointer_of((*comp, "labels")),
            annotations=_keyed(doc, (*comp, "annotations")),
            containers=tuple(containers),
            injected=injected,
            injector="KServe",
            replicas=max(min_replicas, 1) if isinstance(min_replicas, int) else 1,
            extra={"mode": mode or "Serverless", "storage": storage},
        )
