"""The library's front door: parameters in, a rendered (and optionally validated) project out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlscaffold._data import skeleton_dir
from mlscaffold.params import Params, validate_params
from mlscaffold.render.engine import BackstageEnvironment
from mlscaffold.render.skeleton import render_skeleton
from mlscaffold.render.tree import RenderedTree
from mlscaffold.render.values import render_step_input
from mlscaffold.settings import PlatformSettings, load_platform
from mlscaffold.template.build import TEMPLATE_NAME, build_template, fetch_step


@dataclass(frozen=True)
class RenderedProject:
    """A team's project, rendered in memory.

    Attributes:
        params: The validated parameters.
        values: What the skeleton saw as ``values`` (the fetch step's rendered input).
        tree: The rendered files.
    """

    params: Params
    values: Mapping[str, Any]
    tree: RenderedTree


def step_values(
    template: Mapping[str, Any], parameters: Mapping[str, Any]
) -> dict[str, Any]:
    """The ``values`` Backstage's workflow runner hands to the fetch:template step.

    Args:
        template: A Template entity (as built or read from template.yaml).
        parameters: The form's parameters.
    """
    step = fetch_step(template)
    rendered = render_step_input(
        step["input"].get("values", {}), {"parameters": dict(parameters)}, BackstageEnvironment()
    )
    return dict(rendered) if isinstance(rendered, Mapping) else {}


def render_project(
    parameters: Mapping[str, Any],
    *,
    platform: PlatformSettings | None = None,
    template: Mapping[str, Any] | None = None,
    skeleton: Path | None = None,
) -> RenderedProject:
    """Validate parameters and render the ml-project skeleton exactly as Backstage would.

    Args:
        parameters: Team parameters; missing optional fields take their defaults.
        platform: Platform settings; the shipped ones by default.
        template: A Template entity to take the fetch step from; a fresh build by default.
        skeleton: The skeleton folder; the shipped one by default.

    Raises:
        ParamsError: Invalid parameters (nothing is rendered).
        SkeletonError: The skeleton does not parse.
        RenderError: A template expression failed.
    """
    platform = platform or load_platform()
    params = validate_params(parameters, platform)
    template = template if template is not None else build_template(platform)
    values = step_values(template, params.as_dict())
    tree = render_skeleton(skeleton or skeleton_dir(TEMPLATE_NAME), values)
    return RenderedProject(params=params, values=values, tree=tree)
