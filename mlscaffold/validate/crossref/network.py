"""Whether the namespace's NetworkPolicies let serving and scraping traffic in.

MLS424: a predictor that the serving system (Knative's activator, the ingress gateway)
cannot reach. MLS425: a pod the monitoring namespaces cannot scrape. Both evaluate the
tree's NetworkPolicies the way the API defines them, for traffic from another
namespace to one pod, on any port:

- a pod selected by no Ingress policy accepts everything;
- otherwise some selecting policy needs an ingress rule whose ``from`` is empty, or
  has a peer whose ``namespaceSelector`` matches the source namespace (by its
  ``kubernetes.io/metadata.name`` label). A peer that also has a ``podSelector``
  counts as admitting (the source pods' labels are not in the tree); ``ipBlock``
  peers and ``podSelector``-only peers (same namespace) do not.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mlscaffold.validate.crossref.team import RuleHit, Tree
from mlscaffold.validate.documents import Document
from mlscaffold.validate.pods import PodView, as_list, as_map

__all__ = ["network_hits"]

#: The label the API server sets on every Namespace to its name.
NAME_LABEL = "kubernetes.io/metadata.name"


def network_hits(tree: Tree) -> Iterator[RuleHit]:
    """MLS424-425: serving and scraping traffic the NetworkPolicies drop."""
    policies = [
        p for p in tree.of_kind("NetworkPolicy") if _isolates_ingress(as_map(p.data))
    ]
    if not policies:
        return
    for pod in tree.pods:
        labels = _pod_labels(pod)
        selecting = [p for p in policies if _selects(p, pod, labels)]
        if not selecting:
            continue
        sources = tree.traffic
        if pod.kind == "serving":
            for namespace in sources.serving:
                if not _admits(selecting, namespace):
                    yield _blocked("MLS424", pod, namespace, selecting, "requests")
        for namespace in sources.monitoring:
            if not _admits(selecting, namespace):
                yield _blocked("MLS425", pod, namespace, selecting, "scraping")


def _blocked(
    rule: str, pod: PodView, namespace: str, policies: list[Document], what: str
) -> RuleHit:
    names = ", ".join(sorted(p.name for p in policies))
    if what == "requests":
        effect = (
            "requests through the serving system never arrive (while scaled to "
            "zero none does); allow it in an ingress rule "
            "(platform.yaml serving.ingressNamespaces)"
        )
    else:
        effect = (
            "its metrics cannot be scraped; allow it in an ingress rule "
            "(platform.yaml monitoring.namespaces)"
        )
    return (
        rule,
        pod.document,
        pod.pointer,
        (
            f"NetworkPolicy: {pod.label} accepts no traffic from namespace "
            f'"{namespace}" (selected by {names}); {effect}.'
        ),
    )


def _isolates_ingress(policy: Mapping[str, Any]) -> bool:
    spec = as_map(policy.get("spec"))
    types = spec.get("policyTypes")
    # Without policyTypes a policy is always an Ingress policy.
    return types is None or "Ingress" in as_list(types)


def _pod_labels(pod: PodView) -> dict[str, str]:
    labels = {k: str(f.value) for k, f in pod.labels.items() if f.value is not None}
    if pod.kind == "serving":
        # KServe labels every pod of an InferenceService with its name and component.
        labels.setdefault("serving.kserve.io/inferenceservice", pod.document.name)
        labels.setdefault("component", pod.name)
    return labels


def _selects(policy: Document, pod: PodView, labels: Mapping[str, str]) -> bool:
    if (
        policy.namespace
        and pod.document.namespace
        and (policy.namespace != pod.document.namespace)
    ):
        return False
    selector = as_map(policy.data).get("spec", {}).get("podSelector")
    return _matches(as_map(selector), labels)


def _admits(policies: list[Document], namespace: str) -> bool:
    source = {NAME_LABEL: namespace}
    for policy in policies:
        for rule in as_list(as_map(as_map(policy.data).get("spec")).get("ingress")):
            peers = as_list(as_map(rule).get("from"))
            if not peers:
                return True  # no `from`: every source
            for peer in peers:
                peer = as_map(peer)
                selector = peer.get("namespaceSelector")
                if selector is not None and _matches(as_map(selector), source):
                    return True
    return False


def _matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """A LabelSelector against labels; an empty selector matches everything."""
    for key, value in as_map(selector.get("matchLabels")).items():
        if labels.get(str(key)) != str(value):
            return False
    for expression in as_list(selector.get("matchExpressions")):
        expression = as_map(expression)
        key = str(expression.get("key"))
        values = [str(v) for v in as_list(expression.get("values"))]
        operator = expression.get("operator")
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True
