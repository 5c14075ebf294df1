"""The template's fetch:template step and the values Backstage's runner hands it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlscaffold.errors import SkeletonError
from mlscaffold.render.engine import BackstageEnvironment
from mlscaffold.render.values import render_step_input

__all__ = ["fetch_step", "find_fetch_step", "step_values"]


def fetch_step(
    template: Mapping[str, Any], step_id: str | None = None
) -> Mapping[str, Any]:
    """A ``fetch:template`` step of the template: ``step_id``'s, else the first.

    Raises:
        SkeletonError: The template has no such step.
    """
    step = find_fetch_step(template, step_id)
    if step is None:
        named = f" with id {step_id!r}" if step_id else ""
        raise SkeletonError(f"the template has no fetch:template step{named}")
    return step


def find_fetch_step(
    template: Mapping[str, Any], step_id: str | None = None
) -> Mapping[str, Any] | None:
    """Like :func:`fetch_step`, but None when the template has no such step."""
    for step in template["spec"]["steps"]:
        if step.get("action") == "fetch:template" and step_id in (None, step.get("id")):
            return dict(step)
    return None


def step_values(
    template: Mapping[str, Any],
    parameters: Mapping[str, Any],
    env: BackstageEnvironment | None = None,
    step_id: str | None = None,
) -> dict[str, Any]:
    """The ``values`` Backstage's workflow runner hands to a fetch:template step.

    Args:
        template: A Template entity (as built or read from template.yaml).
        parameters: The form's parameters.
        env: Environment to evaluate with; reuse one to keep its expression cache.
        step_id: Which fetch:template step; the first one by default.

    Raises:
        SkeletonError: The template has no such step.
    """
    raw = fetch_step(template, step_id)["input"].get("values", {})
    rendered = render_step_input(
        raw, {"parameters": dict(parameters)}, env or BackstageEnvironment()
    )
    return dict(rendered) if isinstance(rendered, Mapping) else {}
