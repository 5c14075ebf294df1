"""Every request and limit against the LimitRange and the ResourceQuota (MLS422-423).

The quota rules (:mod:`~mlscaffold.validate.crossref.quota`) add up requests; these
look at what the API server refuses one object at a time: a container above the
LimitRange's maximum or with a request above its limit (MLS422), and limits the
quota cannot hold, including a LimitRange that lets one container ask for more
than the whole namespace may (MLS423).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction

from mlscaffold.validate.crossref.quota import quota_hard, unscoped_quotas
from mlscaffold.validate.crossref.team import RuleHit, Tree
from mlscaffold.validate.documents import Document
from mlscaffold.validate.pods import ContainerView, PodView, as_list, as_map
from mlscaffold.validate.quantity import format_quantity, parse_quantity

__all__ = ["limit_hits"]

_FIX_RANGE = "lower it or raise the LimitRange's max (within the quota)"
#: Injected containers that run before the others (Argo's init, KServe's initializer).
_INJECTED_INIT = frozenset({"init", "storage-initializer"})


@dataclass(frozen=True)
class _Range:
    """One ``type: Container`` item of a LimitRange."""

    document: Document
    pointer: str
    fields: Mapping[str, Mapping[str, Fraction]]  # max, default, defaultRequest


def _ranges(tree: Tree) -> list[_Range]:
    ranges: list[_Range] = []
    for doc in tree.of_kind("LimitRange"):
        items = as_list(as_map(as_map(doc.data).get("spec")).get("limits"))
        for index, item in enumerate(items):
            item = as_map(item)
            if item.get("type") != "Container":
                continue
            fields = {
                name: _quantities(item.get(name))
                for name in ("max", "default", "defaultRequest")
            }
            ranges.append(_Range(doc, f"/spec/limits/{index}", fields))
    return ranges


def limit_hits(tree: Tree) -> Iterator[RuleHit]:
    """MLS422-423: containers against the LimitRange, limits against the quota."""
    try:
        ranges = _ranges(tree)
        quotas = [
            (q.name, quota_hard(q, "requests"), quota_hard(q, "limits"))
            for q in unscoped_quotas(tree)
        ]
        pods = [(pod, _pod_limits(pod, ranges)) for pod in tree.pods]
        containers = [
            (pod, c, _resources(c.data, "requests"), _resources(c.data, "limits"))
            for pod in tree.pods
            for c in pod.containers
            if c.role != "ephemeral"
        ]
    except ValueError:  # MLS421 reports quantities that do not parse
        return
    for item in ranges:
        yield from _range_hits(item, quotas)
    for pod, container, requests, limits in containers:
        yield from _container_hits(pod, container, requests, limits, ranges)
    for name, _, hard in quotas:
        yield from _pod_limit_hits(name, hard, pods)


def _range_hits(
    item: _Range, quotas: list[tuple[str, dict[str, Fraction], dict[str, Fraction]]]
) -> Iterator[RuleHit]:
    maximum = item.fields["max"]
    for field in ("default", "defaultRequest"):
        for key, value in sorted(item.fields[field].items()):
            if key in maximum and value > maximum[key]:
                yield (
                    "MLS422",
                    item.document,
                    f"{item.pointer}/{field}/{key}",
                    (
                        f"LimitRange: {item.document.name} sets {field} {key} "
                        f"{format_quantity(key, value)} above its max "
                        f"{format_quantity(key, maximum[key])}; the API server "
                        "refuses it."
                    ),
                )
    for name, requests, limits in quotas:
        for key, value in sorted(maximum.items()):
            cap = min((h[key] for h in (requests, limits) if key in h), default=None)
            if cap is not None and value > cap:
                yield (
                    "MLS423",
                    item.document,
                    f"{item.pointer}/max/{key}",
                    (
                        f"LimitRange: {item.document.name} lets one container ask "
                        f"for {key} {format_quantity(key, value)}, more than "
                        f"ResourceQuota {name} allows the whole namespace "
                        f"({format_quantity(key, cap)}); derive max from the quota."
                    ),
                )


def _quantities(values: object) -> dict[str, Fraction]:
    return {str(k): parse_quantity(v) for k, v in as_map(values).items()}


def _resources(container: Mapping[str, object], kind: str) -> dict[str, Fraction]:
    return _quantities(as_map(as_map(container).get("resources")).get(kind))


def _container_hits(
    pod: PodView,
    container: ContainerView,
    requests: Mapping[str, Fraction],
    limits: Mapping[str, Fraction],
    ranges: list[_Range],
) -> Iterator[RuleHit]:
    where = f'container "{container.name}" in {pod.label}'
    for key, value in sorted(requests.items()):
        if key in limits and value > limits[key]:
            yield (
                "MLS422",
                pod.document,
                f"{container.pointer}/resources/requests/{key}",
                (
                    f"Resources: {where} requests {key} "
                    f"{format_quantity(key, value)} above its limit "
                    f"{format_quantity(key, limits[key])}; the API server "
                    "refuses the pod."
                ),
            )
    for item in ranges:
        for kind, values in (("requests", requests), ("limits", limits)):
            for key, value in sorted(values.items()):
                cap = item.fields["max"].get(key)
                if cap is not None and value > cap:
                    yield (
                        "MLS422",
                        pod.document,
                        f"{container.pointer}/resources/{kind}/{key}",
                        (
                            f"LimitRange: {where} {kind} {key} "
                            f"{format_quantity(key, value)}, above the max "
                            f"{format_quantity(key, cap)} of LimitRange "
                            f"{item.document.name}; the API server refuses "
                            f"the pod; {_FIX_RANGE}."
                        ),
                    )


def _pod_limits(pod: PodView, ranges: list[_Range]) -> dict[str, Fraction]:
    """Limits the quota charges for the pods of one shape (all its minimum replicas).

    Explicit limits, else the LimitRange's defaults, which also apply to the
    containers controllers inject (Argo's executor, Knative's queue-proxy and KServe's
    storage initializer set no limits by default).
    """
    defaults: dict[str, Fraction] = {}
    for item in ranges:
        for key, value in item.fields["default"].items():
            defaults.setdefault(key, value)
    shapes = [
        (c.role == "init", {**defaults, **_resources(c.data, "limits")})
        for c in pod.containers
        if c.role != "ephemeral"
    ]
    shapes += [(name in _INJECTED_INIT, defaults) for name in pod.injected]
    total: dict[str, Fraction] = {}
    peak_init: dict[str, Fraction] = {}
    for init, limits in shapes:
        for key, value in limits.items():
            if init:
                peak_init[key] = max(peak_init.get(key, Fraction(0)), value)
            else:
                total[key] = total.get(key, Fraction(0)) + value
    for key, value in peak_init.items():
        total[key] = max(total.get(key, Fraction(0)), value)
    return {k: v * pod.replicas for k, v in total.items()}


def _pod_limit_hits(
    name: str,
    hard: Mapping[str, Fraction],
    pods: list[tuple[PodView, dict[str, Fraction]]],
) -> Iterator[RuleHit]:
    serving: dict[str, Fraction] = {}
    for pod, limits in pods:
        if pod.kind == "serving":
            for key, value in limits.items():
                serving[key] = serving.get(key, Fraction(0)) + value
            continue
        for key, cap in sorted(hard.items()):
            if limits.get(key, Fraction(0)) > cap:
                yield (
                    "MLS423",
                    pod.document,
                    pod.pointer,
                    (
                        f"Quota: {pod.label} has {key} limits of "
                        f"{format_quantity(key, limits[key])}, more than "
                        f"ResourceQuota {name} allows (limits.{key} "
                        f"{format_quantity(key, cap)}); the pod is never admitted."
                    ),
                )
    first = next((pod for pod, _ in pods if pod.kind == "serving"), None)
    for key, cap in sorted(hard.items()):
        if first is not None and serving.get(key, Fraction(0)) > cap:
            yield (
                "MLS423",
                first.document,
                first.pointer,
                (
                    f"Quota: serving pods at their minimum replicas have {key} "
                    f"limits of {format_quantity(key, serving[key])}, more than "
                    f"ResourceQuota {name} allows (limits.{key} "
                    f"{format_quantity(key, cap)})."
                ),
            )
