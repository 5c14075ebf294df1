"""Rules across the objects of one tree: namespace, queue, quota, Argo CD, pipeline."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from mlscaffold.report.model import Finding, Severity
from mlscaffold.report.rules import RuleInfo, register_rules
from mlscaffold.settings import load_platform
from mlscaffold.validate.documents import Document, pointer_of
from mlscaffold.validate.pods import (
    ARGO_WORKFLOW_KINDS,
    PodView,
    as_list,
    as_map,
    container_requests,
    effective_pods,
    format_quantity,
    parse_quantity,
    pod_requests,
)

TOOL = "crossref"
QUEUE_LABEL = "kueue.x-k8s.io/queue-name"
COST_LABELS = ("cost.mlscaffold.io/team", "cost.mlscaffold.io/project")
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

_RULE_TABLE = (
    ("MLS401", Severity.ERROR, "Object outside the team namespace"),
    ("MLS402", Severity.WARNING, "Object without a namespace"),
    ("MLS403", Severity.ERROR, "Application outside Argo CD's namespace"),
    ("MLS404", Severity.ERROR, "Application destination is not the team namespace"),
    ("MLS405", Severity.ERROR, "Application source path not in the tree"),
    ("MLS406", Severity.ERROR, "Queue label names an unknown LocalQueue"),
    ("MLS407", Severity.WARNING, "Workflow pod without a queue label"),
    ("MLS408", Severity.ERROR, "Workflow step requests exceed the quota"),
    ("MLS409", Severity.ERROR, "Serving requests exceed the quota"),
    ("MLS410", Severity.WARNING, "Largest step plus serving exceed the quota"),
    ("MLS411", Severity.ERROR, "Unknown service account"),
    ("MLS412", Severity.ERROR, "Dangling task reference"),
    ("MLS413", Severity.ERROR, "Template input not supplied"),
    ("MLS414", Severity.ERROR, "Undeclared workflow parameter"),
    ("MLS415", Severity.ERROR, "Undeclared template input"),
    ("MLS416", Severity.ERROR, "Unknown WorkflowTemplate reference"),
    ("MLS417", Severity.WARNING, "Object without cost labels"),
    ("MLS418", Severity.WARNING, "Pod template without cost labels"),
    ("MLS419", Severity.ERROR, "Unknown DAG dependency"),
    ("MLS420", Severity.WARNING, "Argument not declared by the WorkflowTemplate"),
    ("MLS421", Severity.ERROR, "Invalid resource quantity"),
)
#: Every cross-resource rule, by id (also registered in :mod:`mlscaffold.report.rules`).
RULES: dict[str, RuleInfo] = {
    rule_id: RuleInfo(rule_id, short, severity, tool=TOOL)
    for rule_id, severity, short in _RULE_TABLE
}
register_rules(*RULES.values())
_EXPRESSION = re.compile(r"\{\{\s*([^=}][^}]*?)\s*\}\}")


@dataclass
class Tree:
    """What the rules need to know about one tree, gathered once.

    Attributes:
        docs: Kubernetes objects of the tree (documents with apiVersion and kind).
        namespace: The team namespace: the name of the tree's only Namespace object.
        argocd_namespace: Where Argo CD Applications must live (platform settings).
        pods: Every effective pod, per document.
    """

    docs: list[Document]
    namespace: str
    argocd_namespace: str
    pods: list[PodView] = field(default_factory=list)

    def names(self, kind: str) -> set[str]:
        """Names of the tree's objects of ``kind``."""
        return {d.name for d in self.docs if d.kind == kind}

    def of_kind(self, kind: str) -> list[Document]:
        """The tree's objects of ``kind``."""
        return [d for d in self.docs if d.kind == kind]


Hit = tuple[str, Document, str, str]  # rule id, document, pointer, message


def check_cross_resources(
    docs: Sequence[Document], *, argocd_namespace: str | None = None
) -> list[Finding]:
    """Check the rules that relate objects of one tree to each other.

    Args:
        docs: Every parsed document of one tree (non-Kubernetes ones are ignored).
        argocd_namespace: Argo CD's namespace; defaults to ``argocd.namespace`` of
            platform settings.

    Returns:
        Findings; a rule whose context is missing from the tree (no Namespace object,
        no LocalQueue, no ServiceAccount, no quota) is skipped without a finding.
    """
    if argocd_namespace is None:
        argocd = as_map(load_platform().raw.get("argocd"))
        argocd_namespace = str(argocd.get("namespace", "argocd"))
    objects = [d for d in docs if _is_kubernetes(d)]
    namespaces = [d.name for d in objects if d.kind == "Namespace"]
    tree = Tree(
        objects, namespaces[0] if len(namespaces) == 1 else "", argocd_namespace
    )
    tree.pods = [pod for d in objects for pod in effective_pods(d)]
    findings: dict[tuple[str, int, str, str], Finding] = {}
    for check in _CHECKS:
        for rule_id, doc, pointer, message in check(tree):
            rule = RULES[rule_id]
            key = (doc.path, doc.index, pointer, rule_id)
            findings.setdefault(
                key,
                Finding(
                    doc.locate(pointer), rule_id, rule.severity, message, tool=TOOL
                ),
            )
    return list(findings.values())


def _is_kubernetes(doc: Document) -> bool:
    return bool(doc.kind and doc.api_version) and not doc.api_version.startswith(
        "backstage.io/"
    )


def _is_application(doc: Document) -> bool:
    return doc.kind == "Application" and doc.api_version.startswith("argoproj.io/")


# --- (a) namespaces and (d) the Argo CD Application -----------------------------------


def _namespaces(tree: Tree) -> Iterator[Hit]:
    if not tree.namespace:
        return
    has_app = any(_is_application(d) for d in tree.docs)
    for doc in tree.docs:
        if doc.kind in CLUSTER_SCOPED or _is_application(doc):
            continue
        if doc.namespace and doc.namespace != tree.namespace:
            yield (
                "MLS401",
                doc,
                "/metadata/namespace",
                (
                    f"Namespace: {doc.kind} {doc.name} is in namespace "
                    f'"{doc.namespace}"; write namespace: {tree.namespace}.'
                ),
            )
        elif not doc.namespace and not has_app:
            yield (
                "MLS402",
                doc,
                "/metadata",
                (
                    f"Namespace: {doc.kind} {doc.name} has no namespace, "
                    "so it lands wherever kubectl points; add namespace: "
                    f"{tree.namespace}."
                ),
            )


def _applications(tree: Tree) -> Iterator[Hit]:
    folders = {d.path.rsplit("/", 1)[0] if "/" in d.path else "." for d in tree.docs}
    for doc in (d for d in tree.docs if _is_application(d)):
        if doc.namespace and doc.namespace != tree.argocd_namespace:
            yield (
                "MLS403",
                doc,
                "/metadata/namespace",
                (
                    f"Argo CD: Application {doc.name} is in namespace "
                    f'"{doc.namespace}", where Argo CD does not look; '
                    f"write namespace: {tree.argocd_namespace}."
                ),
            )
        spec = as_map(as_map(doc.data).get("spec"))
        dest = as_map(spec.get("destination")).get("namespace")
        if tree.namespace and dest != tree.namespace:
            yield (
                "MLS404",
                doc,
                "/spec/destination/namespace",
                (
                    f"Argo CD: Application {doc.name} deploys to namespace "
                    f'"{dest}"; write destination.namespace: {tree.namespace}.'
                ),
            )
        sources = [("/spec/source", spec.get("source"))] if "source" in spec else []
        sources += [
            (f"/spec/sources/{i}", s)
            for i, s in enumerate(as_list(spec.get("sources")))
        ]
        for pointer, source in sources:
            path = str(as_map(source).get("path", "")).strip("/") or "."
            if "chart" not in as_map(source) and not any(
                _holds(folder, path) for folder in folders
            ):
                yield (
                    "MLS405",
                    doc,
                    pointer + "/path",
                    (
                        f'Argo CD: Application {doc.name} syncs path "{path}", '
                        "which holds no manifests in this tree; write path: "
                        f"{_manifest_folder(tree)}."
                    ),
                )


def _holds(folder: str, path: str) -> bool:
    # Argo CD paths are relative to the repository root, while the tree may be a
    # folder given on the command line (``out/recs/deploy``): match on whole segments.
    padded = f"/{folder}/"
    return path == "." or f"/{path}/" in padded


def _manifest_folder(tree: Tree) -> str:
    ns = [d.path for d in tree.docs if d.kind == "Namespace"]
    return ns[0].rsplit("/", 1)[0] if ns and "/" in ns[0] else "deploy"


# --- (b) Kueue queue label ------------------------------------------------------------


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


def _argo_label_sets(tree: Tree) -> Iterator[PodLabels]:
    """Labels of every workflow pod, including workflows run from a template ref."""
    templates = {d.name: d for d in tree.of_kind("WorkflowTemplate")}
    for pod in tree.pods:
        if pod.kind == "workflow-step":
            anchor, shared = _label_anchor(pod)
            what = f"{pod.document.kind} {pod.document.name}" if shared else pod.label
            labels = {k: (f.value, f.pointer) for k, f in pod.labels.items()}
            yield PodLabels(pod.document, anchor, labels, what)
    for doc in tree.docs:
        spec, base = _workflow_spec(doc)
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


def _queues(tree: Tree) -> Iterator[Hit]:
    queues = {d.name for d in tree.of_kind("LocalQueue")}
    if not queues:
        return
    for pods in _argo_label_sets(tree):
        doc, pointer, what = pods.document, pods.anchor, pods.what
        queue, where = pods.labels.get(QUEUE_LABEL, (None, pointer))
        if queue is None:
            yield (
                "MLS407",
                doc,
                pointer,
                (
                    f"Kueue: the pods of {what} carry no {QUEUE_LABEL} label, so "
                    f"Kueue does not account for them; add {QUEUE_LABEL}: "
                    f"{sorted(queues)[0]}."
                ),
            )
        elif queue not in queues:
            yield (
                "MLS406",
                doc,
                where,
                (
                    f'Kueue: the pods of {what} name queue "{queue}", which this '
                    f"tree does not define; write {QUEUE_LABEL}: {sorted(queues)[0]}."
                ),
            )


# --- (c) requests against the ResourceQuota -------------------------------------------


def _limit_defaults(tree: Tree) -> dict[str, Fraction]:
    defaults: dict[str, Fraction] = {}
    for doc in tree.of_kind("LimitRange"):
        for item in as_list(as_map(as_map(doc.data).get("spec")).get("limits")):
            item = as_map(item)
            if item.get("type") == "Container":
                for key, value in {
                    **as_map(item.get("default")),
                    **as_map(item.get("defaultRequest")),
                }.items():
                    defaults.setdefault(str(key), parse_quantity(value))
    return defaults


def _hard(doc: Document) -> dict[str, Fraction]:
    """The quota's request limits, keyed by resource (``cpu``, ``nvidia.com/gpu``)."""
    hard: dict[str, Fraction] = {}
    for key, value in as_map(as_map(as_map(doc.data).get("spec")).get("hard")).items():
        key = str(key)
        if key.startswith("requests."):
            hard[key.removeprefix("requests.")] = parse_quantity(value)
        elif key in ("cpu", "memory"):
            hard.setdefault(key, parse_quantity(value))
    return hard


def _over(requests: Mapping[str, Fraction], hard: Mapping[str, Fraction]) -> str:
    parts = [
        f"{key} {format_quantity(key, requests[key])} > {format_quantity(key, limit)}"
        for key, limit in sorted(hard.items())
        if requests.get(key, Fraction(0)) > limit
    ]
    return ", ".join(parts)


def _quota(tree: Tree) -> Iterator[Hit]:
    quotas = [q for q in tree.of_kind("ResourceQuota") if not _scoped(q)]
    if not quotas:
        return
    try:
        defaults = _limit_defaults(tree)
        steps = [
            (pod, pod_requests(pod, defaults))
            for pod in tree.pods
            if pod.kind == "workflow-step"
        ]
        serving = [
            (pod, _times(pod_requests(pod, defaults), pod.replicas))
            for pod in tree.pods
            if pod.kind == "serving"
        ]
        hards = [(quota.name, _hard(quota)) for quota in quotas]
    except ValueError:  # _quantities reports bad container quantities
        return
    serving_total = _sum(r for _, r in serving)
    for name, hard in hards:
        yield from _quota_one(name, hard, steps, serving, serving_total)


def _quota_one(
    name: str,
    hard: Mapping[str, Fraction],
    steps: list[tuple[PodView, dict[str, Fraction]]],
    serving: list[tuple[PodView, dict[str, Fraction]]],
    serving_total: dict[str, Fraction],
) -> Iterator[Hit]:
    fix = "lower the requests or choose a larger size"
    for pod, requests in steps:
        if over := _over(requests, hard):
            yield (
                "MLS408",
                pod.document,
                pod.pointer,
                (
                    f"Quota: {pod.label} requests more than ResourceQuota "
                    f"{name} allows ({over}); {fix}."
                ),
            )
    if serving and (over := _over(serving_total, hard)):
        pod = serving[0][0]
        yield (
            "MLS409",
            pod.document,
            pod.pointer,
            (
                "Quota: serving pods at their minimum replicas "
                f"request more than ResourceQuota {name} allows "
                f"({over}); {fix}."
            ),
        )
        return
    for key, limit in sorted(hard.items()):
        fitting = [(pod, r) for pod, r in steps if not _over(r, hard)]
        if not fitting or not serving:
            return
        pod, requests = max(fitting, key=lambda item: item[1].get(key, Fraction(0)))
        total = requests.get(key, Fraction(0)) + serving_total.get(key, Fraction(0))
        if total > limit:
            yield (
                "MLS410",
                pod.document,
                pod.pointer,
                (
                    f"Quota: {pod.label} plus the serving pods need "
                    f"{key} {format_quantity(key, total)}, more than "
                    f"ResourceQuota {name} allows ({format_quantity(key, limit)}); "
                    f"training would wait while serving runs; {fix}."
                ),
            )


def _scoped(quota: Document) -> bool:
    spec = as_map(as_map(quota.data).get("spec"))
    return bool(spec.get("scopes") or spec.get("scopeSelector"))


def _times(requests: Mapping[str, Fraction], n: int) -> dict[str, Fraction]:
    return {k: v * n for k, v in requests.items()}


def _sum(items: Iterator[dict[str, Fraction]]) -> dict[str, Fraction]:
    total: dict[str, Fraction] = {}
    for requests in items:
        for key, value in requests.items():
            total[key] = total.get(key, Fraction(0)) + value
    return total


def _quantity_error(container: Mapping[str, Any]) -> str:
    try:
        container_requests(container)
    except ValueError as exc:
        return str(exc)
    return ""


def _quantities(tree: Tree) -> Iterator[Hit]:
    for pod in tree.pods:
        for c in pod.containers:
            if error := _quantity_error(c.data):
                yield (
                    "MLS421",
                    pod.document,
                    c.pointer + "/resources",
                    (
                        f'Resources: container "{c.name}" in {pod.label}: {error}; '
                        "write a quantity such as 500m, 2 or 4Gi."
                    ),
                )


# --- (e) service accounts -------------------------------------------------------------


def _service_accounts(tree: Tree) -> Iterator[Hit]:
    known = tree.names("ServiceAccount") | {"default"}
    if known == {"default"}:
        return
    for doc, pointer, name in _sa_refs(tree):
        if name not in known:
            yield (
                "MLS411",
                doc,
                pointer,
                (
                    f"Service account: {doc.kind} {doc.name} uses service "
                    f'account "{name}", which this tree does not define; '
                    f"write one of {', '.join(sorted(known))}."
                ),
            )


def _sa_refs(tree: Tree) -> Iterator[tuple[Document, str, str]]:
    for pod in tree.pods:
        if pod.service_account is not None:
            yield (
                pod.document,
                pod.service_account.pointer,
                str(pod.service_account.value),
            )
    for doc in tree.docs:
        spec, base = _workflow_spec(doc)
        for path in (("serviceAccountName",), ("executor", "serviceAccountName")):
            value = (
                as_map(spec.get(path[0])).get(path[1])
                if len(path) == 2
                else spec.get(path[0])
            )
            if isinstance(value, str):
                yield doc, pointer_of((*base, *path)), value
        if doc.kind == "RoleBinding":
            for i, subject in enumerate(as_list(as_map(doc.data).get("subjects"))):
                subject = as_map(subject)
                if (
                    subject.get("kind") == "ServiceAccount"
                    and subject.get("namespace", doc.namespace) == doc.namespace
                ):
                    yield doc, f"/subjects/{i}/name", str(subject.get("name"))


def _workflow_spec(doc: Document) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The WorkflowSpec of an Argo object and its path, or ``({}, ())``."""
    if not doc.api_version.startswith("argoproj.io/"):
        return {}, ()
    spec = as_map(as_map(doc.data).get("spec"))
    if doc.kind in ARGO_WORKFLOW_KINDS:
        return spec, ("spec",)
    if doc.kind == "CronWorkflow":
        return as_map(spec.get("workflowSpec")), ("spec", "workflowSpec")
    return {}, ()


# --- (g) cost labels ------------------------------------------------------------------


def _cost_labels(tree: Tree) -> Iterator[Hit]:
    for doc in tree.docs:
        labels = as_map(as_map(as_map(doc.data).get("metadata")).get("labels"))
        missing = [label for label in COST_LABELS if label not in labels]
        if missing:
            pointer = "/metadata/labels" if labels else "/metadata"
            yield (
                "MLS417",
                doc,
                pointer,
                (
                    f"Cost labels: {doc.kind} {doc.name} lacks {', '.join(missing)}; "
                    "add the missing labels to metadata.labels so OpenCost can "
                    "attribute its cost."
                ),
            )
    for pods in _nested_label_sets(tree):
        missing = [label for label in COST_LABELS if label not in pods.labels]
        if missing:
            yield (
                "MLS418",
                pods.document,
                pods.anchor,
                (
                    f"Cost labels: the pods of {pods.what} lack "
                    f"{', '.join(missing)}; add them to the pod labels "
                    "(podMetadata, template metadata or component labels)."
                ),
            )


def _nested_label_sets(tree: Tree) -> Iterator[PodLabels]:
    """Pod templates nested in an object (a bare Pod's labels are its own)."""
    for pod in tree.pods:
        if pod.kind != "workflow-step" and pod.labels_pointer != "/metadata/labels":
            labels = {k: (f.value, f.pointer) for k, f in pod.labels.items()}
            yield PodLabels(pod.document, pod.labels_pointer, labels, pod.label)
    yield from _argo_label_sets(tree)


# --- (f) pipeline parameters ----------------------------------------------------------


def _strings(node: Any, pointer: str) -> Iterator[tuple[str, str]]:
    """Every string under ``node`` with its pointer."""
    if isinstance(node, str):
        yield pointer, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(
                value, f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"
            )
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _strings(value, f"{pointer}/{i}")


def _refs(node: Any, pointer: str, prefix: str) -> Iterator[tuple[str, list[str]]]:
    """``{{prefix.a.b}}`` references under ``node``: (pointer, ["a", "b"])."""
    for ptr, text in _strings(node, pointer):
        for expr in _EXPRESSION.findall(text):
            if expr.startswith(prefix + "."):
                yield ptr, expr[len(prefix) + 1 :].split(".")


def _param_names(items: object) -> set[str]:
    return {str(as_map(p).get("name")) for p in as_list(items)}


def _parameters(tree: Tree) -> Iterator[Hit]:
    templates_by_name = {d.name: d for d in tree.of_kind("WorkflowTemplate")}
    for doc in tree.docs:
        spec, base = _workflow_spec(doc)
        if not spec:
            continue
        declared = _param_names(as_map(spec.get("arguments")).get("parameters"))
        ref = as_map(spec.get("workflowTemplateRef"))
        if ref and not ref.get("clusterScope"):
            yield from _template_ref(
                doc, base, spec, str(ref.get("name")), templates_by_name
            )
            target = templates_by_name.get(str(ref.get("name")))
            declared |= _param_names(
                as_map(
                    as_map(as_map(target.data if target else {}).get("spec")).get(
                        "arguments"
                    )
                ).get("parameters")
            )
        for ptr, parts in _refs(spec, pointer_of(base), "workflow.parameters"):
            if parts[0] not in declared:
                yield (
                    "MLS414",
                    doc,
                    ptr,
                    (
                        f"Parameters: {doc.kind} {doc.name} uses "
                        f"workflow.parameters.{parts[0]}, which "
                        "spec.arguments.parameters does not declare; declare it or "
                        f"use one of {', '.join(sorted(declared)) or 'none'}."
                    ),
                )
        templates = {
            str(as_map(t).get("name")): as_map(t)
            for t in as_list(spec.get("templates"))
        }
        for i, tmpl in enumerate(as_list(spec.get("templates"))):
            yield from _template(doc, (*base, "templates", i), as_map(tmpl), templates)


def _template_ref(
    doc: Document,
    base: tuple[str, ...],
    spec: Mapping[str, Any],
    name: str,
    known: Mapping[str, Document],
) -> Iterator[Hit]:
    if not known:
        return
    target = known.get(name)
    if target is None:
        yield (
            "MLS416",
            doc,
            pointer_of((*base, "workflowTemplateRef", "name")),
            (
                f"Pipeline: {doc.kind} {doc.name} runs WorkflowTemplate "
                f'"{name}", which this tree does not define; write '
                f"one of {', '.join(sorted(known))}."
            ),
        )
        return
    offered = _param_names(
        as_map(as_map(as_map(target.data).get("spec")).get("arguments")).get(
            "parameters"
        )
    )
    for i, param in enumerate(as_list(as_map(spec.get("arguments")).get("parameters"))):
        pname = str(as_map(param).get("name"))
        if pname not in offered:
            yield (
                "MLS420",
                doc,
                pointer_of((*base, "arguments", "parameters", i)),
                (
                    f'Parameters: {doc.kind} {doc.name} passes "{pname}", '
                    f"which WorkflowTemplate {name} does not declare; "
                    f"use one of {', '.join(sorted(offered)) or 'none'}."
                ),
            )


def _template(
    doc: Document,
    path: tuple[str | int, ...],
    tmpl: Mapping[str, Any],
    templates: Mapping[str, Mapping[str, Any]],
) -> Iterator[Hit]:
    name = tmpl.get("name")
    inputs = _param_names(as_map(tmpl.get("inputs")).get("parameters"))
    for ptr, parts in _refs(
        {k: v for k, v in tmpl.items() if k != "inputs"},
        pointer_of(path),
        "inputs.parameters",
    ):
        if parts[0] not in inputs:
            yield (
                "MLS415",
                doc,
                ptr,
                (
                    f'Parameters: template "{name}" uses inputs.parameters.{parts[0]} '
                    "but declares no such input; add it under inputs.parameters."
                ),
            )
    tasks = [as_map(t) for t in as_list(as_map(tmpl.get("dag")).get("tasks"))]
    by_name = {str(t.get("name")): t for t in tasks}
    for i, task in enumerate(tasks):
        yield from _task(doc, (*path, "dag", "tasks", i), task, by_name, templates)
    for i, group in enumerate(as_list(tmpl.get("steps"))):
        for j, step in enumerate(as_list(group)):
            yield from _supplied(doc, (*path, "steps", i, j), as_map(step), templates)


def _dependencies(task: Mapping[str, Any]) -> list[str]:
    names = [str(d) for d in as_list(task.get("dependencies"))]
    depends = task.get("depends")
    if isinstance(depends, str):
        names += [
            token.split(".")[0]
            for token in re.findall(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", depends)
        ]
    return names


def _ancestors(name: str, tasks: Mapping[str, Mapping[str, Any]]) -> set[str]:
    seen: set[str] = set()
    todo = [name]
    while todo:
        for dep in _dependencies(tasks.get(todo.pop(), {})):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


def _task(
    doc: Document,
    path: tuple[str | int, ...],
    task: Mapping[str, Any],
    tasks: Mapping[str, Mapping[str, Any]],
    templates: Mapping[str, Mapping[str, Any]],
) -> Iterator[Hit]:
    name = str(task.get("name"))
    for dep in _dependencies(task):
        if dep not in tasks:
            yield (
                "MLS419",
                doc,
                pointer_of((*path, "depends" if "depends" in task else "dependencies")),
                (
                    f'Pipeline: task "{name}" depends on "{dep}", which '
                    f"is not a task of this DAG; use one of {', '.join(sorted(tasks))}."
                ),
            )
    ancestors = _ancestors(name, tasks)
    for ptr, parts in _refs(task, pointer_of(path), "tasks"):
        yield from _task_ref(doc, ptr, name, parts, ancestors, tasks, templates)
    yield from _supplied(doc, path, task, templates)


def _task_ref(
    doc: Document,
    ptr: str,
    name: str,
    parts: list[str],
    ancestors: set[str],
    tasks: Mapping[str, Mapping[str, Any]],
    templates: Mapping[str, Mapping[str, Any]],
) -> Iterator[Hit]:
    source = parts[0]
    ref = "tasks." + ".".join(parts)
    if source not in tasks:
        yield (
            "MLS412",
            doc,
            ptr,
            (
                f'Pipeline: task "{name}" reads {ref}, but the DAG '
                f'has no task "{source}"; use one of {", ".join(sorted(tasks))}.'
            ),
        )
    elif source not in ancestors:
        yield (
            "MLS412",
            doc,
            ptr,
            (
                f'Pipeline: task "{name}" reads {ref} without depending '
                f'on "{source}"; add "{source}" to its depends.'
            ),
        )
    elif parts[1:3] == ["outputs", "parameters"] and len(parts) > 3:
        template = templates.get(str(tasks[source].get("template")))
        outputs = _param_names(
            as_map(as_map(template).get("outputs")).get("parameters")
        )
        if template is not None and parts[3] not in outputs:
            yield (
                "MLS412",
                doc,
                ptr,
                (
                    f'Pipeline: task "{name}" reads output "{parts[3]}" '
                    f'of task "{source}", whose template declares '
                    f"{', '.join(sorted(outputs)) or 'no outputs'}; "
                    "declare it under outputs.parameters or read another."
                ),
            )


def _supplied(
    doc: Document,
    path: tuple[str | int, ...],
    call: Mapping[str, Any],
    templates: Mapping[str, Mapping[str, Any]],
) -> Iterator[Hit]:
    template = templates.get(str(call.get("template")))
    if template is None:
        return  # templateRef or inline: not resolved here
    given = _param_names(as_map(call.get("arguments")).get("parameters"))
    for param in as_list(as_map(template.get("inputs")).get("parameters")):
        param = as_map(param)
        if (
            param.get("name") not in given
            and "default" not in param
            and "value" not in param
        ):
            yield (
                "MLS413",
                doc,
                pointer_of(path),
                (
                    f'Parameters: "{call.get("name")}" calls template '
                    f'"{template.get("name")}" without its input '
                    f'"{param.get("name")}"; '
                    "add it to arguments.parameters."
                ),
            )


_CHECKS = (
    _namespaces,
    _applications,
    _queues,
    _quota,
    _quantities,
    _service_accounts,
    _parameters,
    _cost_labels,
)
