"""Placement rules: serving on on-demand nodes, training on spot capacity."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mlscaffold.report.model import Severity
from mlscaffold.settings import SpotCapacity
from mlscaffold.validate.pods import PodView, as_list, as_map
from mlscaffold.validate.policy.checks import add_rule, msg
from mlscaffold.validate.quantity import is_accelerator

add_rule(
    "MLS240", "Serving on spot capacity", Severity.ERROR, "Serving must be on-demand."
)
add_rule("MLS241", "Training off spot capacity", Severity.WARNING, "Train on spot.")


def _selects_spot(pod: PodView, spot: SpotCapacity) -> bool:
    selector = as_map(pod.node_selector.value)
    if spot.node_selector and all(
        selector.get(k) == v for k, v in spot.node_selector.items()
    ):
        return True
    node_affinity = as_map(as_map(pod.affinity.value).get("nodeAffinity"))
    required = as_map(
        node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    )
    terms = as_list(required.get("nodeSelectorTerms"))
    terms += [
        as_map(p).get("preference")
        for p in as_list(
            node_affinity.get("preferredDuringSchedulingIgnoredDuringExecution")
        )
    ]
    return any(_term_selects(as_map(term), spot) for term in terms)


def _term_selects(term: Mapping[str, Any], spot: SpotCapacity) -> bool:
    for expr in as_list(term.get("matchExpressions")):
        key, values = (
            as_map(expr).get("key"),
            [str(v) for v in as_list(as_map(expr).get("values"))],
        )
        if (
            key in spot.node_selector
            and as_map(expr).get("operator") == "In"
            and spot.node_selector[str(key)] in values
        ):
            return True
    return False


def _tolerates_spot(pod: PodView, spot: SpotCapacity) -> bool:
    key, value, effect = (spot.toleration.get(k) for k in ("key", "value", "effect"))
    for raw in as_list(pod.tolerations.value):
        t = as_map(raw)
        if t.get("effect") not in (None, "", effect):
            continue
        if t.get("operator") == "Exists" and t.get("key") in (None, "", key):
            return True
        if t.get("key") == key and t.get("value") == value:
            return True
    return False


def _is_training(pod: PodView) -> bool:
    if pod.kind != "workflow-step":
        return False
    resources_used = (
        str(name)
        for c in pod.containers
        for part in ("requests", "limits")
        for name in as_map(as_map(c.data.get("resources")).get(part))
    )
    return pod.name == "train" or any(is_accelerator(name) for name in resources_used)


def placement_hits(pod: PodView, spot: SpotCapacity) -> Iterator[tuple[str, str, str]]:
    """(rule id, pointer, message) for each placement rule ``pod`` breaks."""
    if not spot.node_selector:
        return
    selector = ", ".join(f"{k}: {v}" for k, v in spot.node_selector.items())
    if pod.kind == "serving":
        if _selects_spot(pod, spot):
            yield (
                "MLS240",
                pod.node_selector.pointer,
                msg(
                    "Placement",
                    pod.label,
                    f"selects spot capacity ({selector})",
                    "serving must run on on-demand nodes, so select those instead",
                ),
            )
        if _tolerates_spot(pod, spot):
            yield (
                "MLS240",
                pod.tolerations.pointer,
                msg(
                    "Placement",
                    pod.label,
                    "tolerates the spot taint",
                    "remove that toleration so serving stays on on-demand nodes",
                ),
            )
    elif _is_training(pod):
        if not _selects_spot(pod, spot):
            yield (
                "MLS241",
                pod.node_selector.pointer,
                msg(
                    "Placement",
                    f"training {pod.label}",
                    "does not select spot capacity",
                    f"add nodeSelector {selector}",
                ),
            )
        if not _tolerates_spot(pod, spot):
            yield (
                "MLS241",
                pod.tolerations.pointer,
                msg(
                    "Placement",
                    f"training {pod.label}",
                    "does not tolerate the spot taint",
                    f"add the toleration {_toleration_text(spot)}",
                ),
            )


def _toleration_text(spot: SpotCapacity) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in spot.toleration.items()) + "}"
