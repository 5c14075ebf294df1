"""One team's objects as the cross-resource rules see them, and how to find them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mlscaffold.validate.documents import Document, pointer_of
from mlscaffold.validate.pods import ARGO_WORKFLOW_KINDS, PodView, as_list, as_map

#: Kinds without a namespace (core, RBAC, storage, Kueue, Argo, KServe cluster kinds).
CLUSTER_SCOPED = frozenset(
    {
        "Namespace", "Node", "PersistentVolume", "StorageClass", "PriorityClass",
        "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "APIService",
        "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
        "IngressClass",
        "RuntimeClass", "CSIDriver", "VolumeAttachment", "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding", "ClusterQueue", "ResourceFlavor", "Cohort",
        "WorkloadPriorityClass", "AdmissionCheck", "ClusterWorkflowTemplate",
        "ClusterServingRuntime", "ClusterStorageContainer",
    }
)  # fmt: skip


@dataclass(frozen=True)
class TrafficSources:
    """Namespaces that must reach the team's pods (from platform settings).

    Attributes:
        serving: Namespaces carrying requests to predictors
            (``serving.ingressNamespaces``).
        monitoring: Namespaces scraping metrics (``monitoring.namespaces``).
    """

    serving: tuple[str, ...] = ()
    monitoring: tuple[str, ...] = ()


@dataclass
class Tree:
    """What the rules need to know about one tree, gathered once.

    Attributes:
        docs: Kubernetes objects of the tree (documents with apiVersion and kind).
        namespace: The team namespace: the name of the tree's only Namespace object.
        argocd_namespace: Where Argo CD Applications must live (platform settings).
        pods: Every effective pod, per document.
        traffic: Namespaces whose traffic the NetworkPolicies must admit.
    """

    docs: list[Document]
    namespace: str
    argocd_namespace: str
    pods: list[PodView] = field(default_factory=list)
    traffic: TrafficSources = field(default_factory=TrafficSources)

    def names(self, kind: str) -> set[str]:
        """Names of the tree's objects of ``kind``."""
        return {d.name for d in self.docs if d.kind == kind}

    def of_kind(self, kind: str) -> list[Document]:
        """The tree's objects of ``kind``."""
        return [d for d in self.docs if d.kind == kind]


RuleHit = tuple[str, Document, str, str]  # rule id, document, pointer, message


def is_application(doc: Document) -> bool:
    """True for an Argo CD Application."""
    return doc.kind == "Application" and doc.api_version.startswith("argoproj.io/")


def is_argocd_object(doc: Document) -> bool:
    """True for what lives in Argo CD's namespace: an Application or AppProject."""
    return doc.kind in ("Application", "AppProject") and doc.api_version.startswith(
        "argoproj.io/"
    )


def argocd_destinations(doc: Document) -> list[str]:
    """Namespaces an Application deploys to, or an AppProject admits."""
    spec = as_map(as_map(doc.data).get("spec"))
    if doc.kind == "AppProject":
        return [
            str(as_map(d).get("namespace")) for d in as_list(spec.get("destinations"))
        ]
    return [str(as_map(spec.get("destination")).get("namespace"))]


def workflow_spec(doc: Document) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The WorkflowSpec of an Argo object and its path, or ``({}, ())``."""
    if not doc.api_version.startswith("argoproj.io/"):
        return {}, ()
    spec = as_map(as_map(doc.data).get("spec"))
    if doc.kind in ARGO_WORKFLOW_KINDS:
        return spec, ("spec",)
    if doc.kind == "CronWorkflow":
        return as_map(spec.get("workflowSpec")), ("spec", "workflowSpec")
    return {}, ()


@dataclass(frozen=True)
class PodLabels:
    """Effective labels of one workflow pod shape, and where to report on them.

    Attributes:
        document: The object the pods come from.
        anchor: Pointer where a missing label belongs.
        labels: Label -> (value, pointer that sets it).
        what: The pods, for messages.
        inherited: True for a workflow that only references a WorkflowTemplate.
    """

    document: Document
    anchor: str
    labels: Mapping[str, tuple[Any, str]]
    what: str
    inherited: bool = False


def argo_label_sets(tree: Tree) -> Iterator[PodLabels]:
    """Labels of every workflow pod, including workflows run from a template ref."""
    templates = {d.name: d for d in tree.of_kind("WorkflowTemplate")}
    for pod in tree.pods:
        if pod.kind == "workflow-step":
            anchor, shared = _label_anchor(pod)
            what = f"{pod.document.kind} {pod.document.name}" if shared else pod.label
            labels = {k: (f.value, f.pointer) for k, f in pod.labels.items()}
            yield PodLabels(pod.document, anchor, labels, what)
    for doc in tree.docs:
        spec, base = workflow_spec(doc)
        ref = as_map(spec.get("workflowTemplateRef")).get("name")
        if spec and not as_list(spec.get("templates")) and ref in templates:
            merged = {
                **_get_labels(templates[str(ref)], ("spec",)),
                **_get_labels(doc, base),
            }
            anchor = pointer_of((*base, "podMetadata", "labels"))
            yield PodLabels(doc, anchor, merged, f"{doc.kind} {doc.name}", True)


def _get_labels(doc: Document, base: tuple[str, ...]) -> dict[str, tuple[Any, str]]:
    path = (*base, "podMetadata", "labels")
    node: Any = doc.data
    for key in path:
        node = as_map(node).get(key)
    return {str(k): (v, pointer_of((*path, str(k)))) for k, v in as_map(node).items()}


def _label_anchor(pod: PodView) -> tuple[str, bool]:
    """Where a missing pod label belongs, and whether that place is workflow-wide."""
    if any(f.pointer.startswith(pod.labels_pointer) for f in pod.labels.values()):
        return pod.labels_pointer, False
    shared = [f.pointer.rsplit("/", 1)[0] for f in pod.labels.values()]
    return (shared[0], True) if shared else (pod.labels_pointer, False)


def nested_label_sets(tree: Tree) -> Iterator[PodLabels]:
    """Pod templates nested in an object (a bare Pod's labels are its own)."""
    for pod in tree.pods:
        if pod.kind != "workflow-step" and pod.labels_pointer != "/metadata/labels":
            labels = {k: (f.value, f.pointer) for k, f in pod.labels.items()}
            yield PodLabels(pod.document, pod.labels_pointer, labels, pod.label)
    yield from argo_label_sets(tree)


def split_teams(docs: Sequence[Document]) -> list[list[Document]]:
    """Group the objects of many teams into one list per team (objects in input order).

    A tree with at most one Namespace object is one team. With several, each
    Namespace anchors a team: an object belongs to the team whose Namespace is the
    only one in the nearest folder above the object that holds any (``fleet/recs``
    for ``fleet/recs/argocd/app.yaml``); failing that (teams side by side in one
    folder), to the team whose namespace it names (an Application: its destination).
    Objects matching no team form one more group. Rules then compare objects within
    a team only, so the cost per team does not grow with the number of teams.

    Args:
        docs: Kubernetes objects of any number of teams.

    Returns:
        Non-empty groups; one group when there is at most one Namespace object.
    """
    anchors = [d for d in docs if d.kind == "Namespace"]
    if len(anchors) <= 1:
        return [list(docs)] if docs else []
    below: dict[str, set[int]] = {}
    by_name: dict[str, int] = {}
    for i, anchor in enumerate(anchors):
        by_name.setdefault(anchor.name, i)
        for folder in folders_above(anchor.path):
            found = below.setdefault(folder, set())
            if len(found) < 2:  # two already means "several teams here"
                found.add(i)
    groups: dict[int, list[Document]] = {}
    for doc in docs:
        team = _team_of(doc, below, by_name)
        groups.setdefault(len(anchors) if team is None else team, []).append(doc)
    return [groups[key] for key in sorted(groups)]


def _team_of(
    doc: Document, below: Mapping[str, set[int]], by_name: Mapping[str, int]
) -> int | None:
    for folder in folders_above(doc.path):
        found = below.get(folder)
        if found:
            if len(found) == 1:
                return next(iter(found))
            break
    if doc.kind == "Namespace":
        return by_name.get(doc.name)
    if is_argocd_object(doc):
        for namespace in argocd_destinations(doc):
            if namespace in by_name:
                return by_name[namespace]
        return None
    return by_name.get(doc.namespace)


def folders_above(path: str) -> Iterator[str]:
    """Folders above ``path``, nearest first, ending with the root ``""``."""
    folder = path
    while "/" in folder:
        folder = folder.rsplit("/", 1)[0]
        yield folder
    if folder:
        yield ""
