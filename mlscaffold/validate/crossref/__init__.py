"""Rules across the objects of one tree: namespace, queue, quota, Argo CD, pipeline."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from mlscaffold.report.model import Finding, Severity
from mlscaffold.report.rules import rule_table
from mlscaffold.settings import shipped_platform
from mlscaffold.validate.crossref.accounts import service_account_hits
from mlscaffold.validate.crossref.appproject import appproject_hits
from mlscaffold.validate.crossref.argo import parameter_hits
from mlscaffold.validate.crossref.labels import (
    COST_LABELS,
    QUEUE_LABEL,
    cost_label_hits,
    queue_hits,
)
from mlscaffold.validate.crossref.limits import limit_hits
from mlscaffold.validate.crossref.namespaces import (
    application_hits,
    context_hits,
    namespace_hits,
)
from mlscaffold.validate.crossref.network import network_hits
from mlscaffold.validate.crossref.quota import quota_hits
from mlscaffold.validate.crossref.team import (
    CLUSTER_SCOPED,
    RuleHit,
    TrafficSources,
    Tree,
    split_teams,
)
from mlscaffold.validate.documents import Document
from mlscaffold.validate.pods import PodLookup, effective_pods

__all__ = [
    "CLUSTER_SCOPED",
    "COST_LABELS",
    "CROSSREF_RULES",
    "QUEUE_LABEL",
    "TOOL",
    "Tree",
    "check_cross_resources",
]

TOOL = "crossref"
_RULE_TABLE = (
    ("MLS401", Severity.ERROR, "Object outside the team namespace"),
    ("MLS402", Severity.WARNING, "Object without a namespace"),
    ("MLS403", Severity.ERROR, "Application or AppProject outside Argo CD's namespace"),
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
    ("MLS422", Severity.ERROR, "Container resources outside the LimitRange"),
    ("MLS423", Severity.ERROR, "Limits exceed the quota"),
    ("MLS424", Severity.ERROR, "NetworkPolicy blocks the serving path"),
    ("MLS425", Severity.WARNING, "NetworkPolicy blocks metrics scraping"),
    ("MLS426", Severity.ERROR, "AppProject does not permit what the Application syncs"),
    ("MLS427", Severity.INFO, "No team context among the files"),
)
# MLS421 (invalid resource quantity) is retired: the API-server rules report
# quantities as MLS141, in every core kind; CRD schemas carry a pattern (MLS102).
#: Every cross-resource rule, by id.
CROSSREF_RULES = rule_table(TOOL, _RULE_TABLE)
_CHECKS: tuple[Callable[[Tree], Iterator[RuleHit]], ...] = (
    context_hits,
    namespace_hits,
    application_hits,
    appproject_hits,
    queue_hits,
    quota_hits,
    limit_hits,
    service_account_hits,
    parameter_hits,
    cost_label_hits,
    network_hits,
)


def check_cross_resources(
    docs: Sequence[Document],
    *,
    argocd_namespace: str | None = None,
    pods: PodLookup = effective_pods,
    traffic: TrafficSources | None = None,
) -> list[Finding]:
    """Check the rules that relate objects of one team to each other.

    Objects of several teams (a folder of rendered projects) are split per team
    first (:func:`~mlscaffold.validate.crossref.team.split_teams`), so one team's
    quota, queues and service accounts never count for another's.

    Args:
        docs: Every parsed document (non-Kubernetes ones are ignored).
        argocd_namespace: Argo CD's namespace; defaults to ``argocd.namespace`` of
            the shipped platform settings.
        pods: Effective pods of a document; the orchestrator passes a memoized
            lookup shared with the policy checks.
        traffic: Namespaces the NetworkPolicies must admit (serving ingress,
            monitoring); defaults to those of the shipped platform settings.

    Returns:
        Findings; a rule whose context is missing from the tree (no Namespace object,
        no LocalQueue, no ServiceAccount, no quota) is skipped without a finding.
    """
    if argocd_namespace is None:
        argocd_namespace = shipped_platform().argocd_namespace
    if traffic is None:
        shipped = shipped_platform()
        traffic = TrafficSources(
            serving=shipped.serving_ingress_namespaces,
            monitoring=shipped.monitoring_namespaces,
        )
    objects = [d for d in docs if d.is_kubernetes]
    findings: dict[tuple[str, int, str, str], Finding] = {}
    for team in split_teams(objects):
        namespaces = [d.name for d in team if d.kind == "Namespace"]
        tree = Tree(
            team,
            namespaces[0] if len(namespaces) == 1 else "",
            argocd_namespace,
            traffic=traffic,
        )
        tree.pods = [pod for d in team for pod in pods(d)]
        for check in _CHECKS:
            for rule_id, doc, pointer, message in check(tree):
                rule = CROSSREF_RULES[rule_id]
                key = (doc.path, doc.index, pointer, rule_id)
                findings.setdefault(
                    key,
                    Finding(
                        doc.locate(pointer), rule_id, rule.severity, message, tool=TOOL
                    ),
                )
    return list(findings.values())
