"""Requests against the team's ResourceQuota.

Quantities that do not parse are left out of the sums (the API-server rules and
the CRD schemas report them), so one typo does not silence the quota rules.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from fractions import Fraction

from mlscaffold.validate.crossref.team import RuleHit, Tree
from mlscaffold.validate.documents import Document
from mlscaffold.validate.pods import PodView, as_list, as_map
from mlscaffold.validate.quantity import format_quantity, pod_requests, quantities


def _limit_defaults(tree: Tree) -> dict[str, Fraction]:
    defaults: dict[str, Fraction] = {}
    for doc in tree.of_kind("LimitRange"):
        for item in as_list(as_map(as_map(doc.data).get("spec")).get("limits")):
            item = as_map(item)
            if item.get("type") == "Container":
                for key, value in {
                    **quantities(item.get("default")),
                    **quantities(item.get("defaultRequest")),
                }.items():
                    defaults.setdefault(key, value)
    return defaults


def quota_hard(doc: Document, kind: str = "requests") -> dict[str, Fraction]:
    """A quota's ``requests.*`` (or ``limits.*``) hard limits, keyed by resource.

    For requests, the bare ``cpu`` and ``memory`` keys (which mean requests) count
    too.
    """
    hard: dict[str, Fraction] = {}
    spec = as_map(as_map(doc.data).get("spec"))
    for key, value in quantities(spec.get("hard")).items():
        if key.startswith(f"{kind}."):
            hard[key.removeprefix(f"{kind}.")] = value
        elif kind == "requests" and key in ("cpu", "memory"):
            hard.setdefault(key, value)
    return hard


def unscoped_quotas(tree: Tree) -> list[Document]:
    """The tree's ResourceQuotas that count every pod (no scopes)."""
    return [q for q in tree.of_kind("ResourceQuota") if not _scoped(q)]


def _over(requests: Mapping[str, Fraction], hard: Mapping[str, Fraction]) -> str:
    parts = [
        f"{key} {format_quantity(key, requests[key])} > {format_quantity(key, limit)}"
        for key, limit in sorted(hard.items())
        if requests.get(key, Fraction(0)) > limit
    ]
    return ", ".join(parts)


def quota_hits(tree: Tree) -> Iterator[RuleHit]:
    """MLS408-410: step and serving requests against each unscoped quota."""
    quotas = unscoped_quotas(tree)
    if not quotas:
        return
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
    hards = [(quota.name, quota_hard(quota)) for quota in quotas]
    serving_total = _sum(r for _, r in serving)
    for name, hard in hards:
        yield from _quota_one(name, hard, steps, serving, serving_total)


def _quota_one(
    name: str,
    hard: Mapping[str, Fraction],
    steps: list[tuple[PodView, dict[str, Fraction]]],
    serving: list[tuple[PodView, dict[str, Fraction]]],
    serving_total: dict[str, Fraction],
) -> Iterator[RuleHit]:
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
