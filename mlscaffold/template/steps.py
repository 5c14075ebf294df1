"""The template's fetch:template step and the values Backstage's runner hands it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlscaffold.errors import SkeletonError
from mlscaffold.render.engine import BackstageEnvironment
from mlscaffold.render.values import render_step_input

__all__ = ["fetch_step", "step_values"]


def fetch_step(template: Mapping[str, Any]) -> Mapping[str, Any]:
    """The template's ``fetch:template`` step.

    Raises:
        SkeletonError: The template has no such step.
    """
    for step in template["spec"]["steps"]:
        if step.get("action") == "fetch:template":
            return dict(step)
    raise SkeletonError("the template has no fetch:template step")


def step_values(
    template: Mapping[str, Any],
    parameters: Mapping[str, Any],
    env: BackstageEnvironment | None = None,
) -> dict[str, Any]:
    """The ``values`` Backstage's workflow runner hands to the fetch:template step.

    Args:
        template: A Template entity (as built or read from template.yaml).
        parameters: The form's parameters.
        env: Environment to evaluate with; reuse one to keep its expression cache.
    """
    raw = fetch_step(template)["input"].get("values", {})
    rendered = render_step_input(
        raw, {"parameters": dict(parameters)}, env or BackstageEnvironment()
    )
    return dict(rendered) if isinstance(rendered, Mapping) else {}
