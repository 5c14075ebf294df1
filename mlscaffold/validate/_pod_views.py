"""The effective-pod model: pod-level fields and containers with their pointers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mlscaffold.validate.documents import Document


@dataclass(frozen=True)
class Field:
    """A pod-level value and the JSON pointer it was read from.

    Attributes:
        value: The value (``None`` when unset).
        pointer: Where it is set, or where it would be added when unset.
    """

    value: Any
    pointer: str


@dataclass(frozen=True)
class ContainerView:
    """One container of an effective pod.

    Attributes:
        name: Container name (Argo ``main``, KServe ``kserve-container`` if unnamed).
        pointer: JSON pointer of the container mapping.
        data: The container mapping itself.
        role: ``container``, ``init``, ``sidecar`` or ``ephemeral``.
    """

    name: str
    pointer: str
    data: Mapping[str, Any]
    role: str = "container"

    @property
    def security_context(self) -> Mapping[str, Any]:
        """The container's own ``securityContext`` (empty when unset)."""
        return as_map(self.data.get("securityContext"))


@dataclass(frozen=True)
class PodView:
    """The pod a workload produces, with every pod-level field already resolved.

    Attributes:
        document: The document the pod comes from.
        pointer: JSON pointer of the pod spec (Argo template, KServe component).
        label: Human name for messages, e.g. ``template "train" of WorkflowTemplate x``.
        kind: ``workload``, ``workflow-step`` or ``serving``.
        name: Template or component name (``train``, ``predictor``), else object name.
        security_context: Effective pod ``securityContext`` (Argo: template wins).
        node_selector: Effective ``nodeSelector``.
        tolerations: Effective ``tolerations``.
        affinity: Effective ``affinity``.
        labels: Effective pod labels, each with the pointer that sets it.
        labels_pointer: Where pod labels are (or would be) written.
        annotations: Effective pod annotations, each with its pointer.
        host_namespaces: ``hostNetwork``/``hostPID``/``hostIPC`` as set.
        volumes: Every volume the pod mounts.
        containers: Containers the manifest configures.
        service_account: Effective ``serviceAccountName``, if set.
        os_name: ``spec.os.name`` when set (``windows`` relaxes some controls).
        host_users: ``spec.hostUsers`` when set (false: a user namespace).
        injected: Containers a controller adds that the manifest cannot configure.
        injector: Which controller adds them.
        replicas: Minimum pods of this kind that run at once (serving replicas).
    """

    document: Document
    pointer: str
    label: str
    kind: str
    name: str
    security_context: Field
    node_selector: Field
    tolerations: Field
    affinity: Field
    labels: Mapping[str, Field]
    labels_pointer: str
    annotations: Mapping[str, Field]
    host_namespaces: Mapping[str, Field]
    volumes: tuple[Field, ...]
    containers: tuple[ContainerView, ...]
    service_account: Field | None = None
    os_name: str = ""
    host_users: bool | None = None
    injected: tuple[str, ...] = ()
    injector: str = ""
    replicas: int = 1
    extra: Mapping[str, Any] = field(default_factory=dict)


def as_map(value: object) -> dict[str, Any]:
    """``value`` if it is a mapping, else an empty dict."""
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[Any]:
    """``value`` if it is a list, else an empty list."""
    return value if isinstance(value, list) else []
