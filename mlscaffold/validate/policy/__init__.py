"""Pod Security Standards ``restricted`` and spot placement on every effective pod."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from mlscaffold.report.model import Finding
from mlscaffold.report.rules import RuleInfo
from mlscaffold.settings import SpotCapacity, shipped_platform
from mlscaffold.validate.documents import Document
from mlscaffold.validate.pods import PodLookup, effective_pods
from mlscaffold.validate.policy import baseline, restricted
from mlscaffold.validate.policy.checks import POD_CHECKS, POLICY_RULES, TOOL
from mlscaffold.validate.policy.placement import placement_hits
from mlscaffold.validate.schema.store import DEFAULT_KUBE_VERSION, parse_kube_version

__all__ = ["POLICY_RULES", "TOOL", "check_policy"]
# The control modules register their checks on import, in rule-id order.
_CONTROLS = (baseline, restricted)


def check_policy(
    docs: Sequence[Document],
    *,
    spot: SpotCapacity | None = None,
    pods: PodLookup = effective_pods,
    version: str = DEFAULT_KUBE_VERSION,
) -> list[Finding]:
    """Check Pod Security ``restricted`` and placement on every effective pod.

    Args:
        docs: Parsed documents of one tree (or any folder of manifests).
        spot: Spot capacity; defaults to ``capacity.spot`` of the shipped platform
            settings.
        pods: Effective pods of a document; the orchestrator passes a memoized
            :func:`~mlscaffold.validate.pods.effective_pods` shared with the other
            checks.
        version: Kubernetes version (``1.33``; a patch is ignored) whose Pod
            Security controls apply, as pod-security-admission versions them.

    Returns:
        Findings, one per violated control per container or pod.
    """
    spot = spot or shipped_platform().spot
    minor = parse_kube_version(version)
    findings: dict[tuple[str, int, str, str], Finding] = {}
    for doc in docs:
        for pod in pods(doc):
            hits = [
                (rule, p, m) for rule, check in POD_CHECKS for p, m in check(pod, minor)
            ]
            hits += [(POLICY_RULES[i], p, m) for i, p, m in placement_hits(pod, spot)]
            for rule, pointer, message in hits:
                key = (doc.path, doc.index, pointer, rule.id)
                if key in findings:
                    # A workflow-wide field breaks every template in one place.
                    shared = message.replace(
                        pod.label, f"every pod of {doc.kind} {doc.name}"
                    )
                    findings[key] = replace(findings[key], message=shared)
                else:
                    findings[key] = _finding(doc, rule, pointer, message)
    return list(findings.values())


def _finding(doc: Document, rule: RuleInfo, pointer: str, message: str) -> Finding:
    return Finding(doc.locate(pointer), rule.id, rule.severity, message, tool=TOOL)
