"""The library's front door: parameters in, a rendered project out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlscaffold._data import schema_file, skeleton_dir
from mlscaffold._files import files_state
from mlscaffold.params import Params, validate_params
from mlscaffold.render.engine import BackstageEnvironment
from mlscaffold.render.skeleton import CompiledSkeleton
from mlscaffold.render.tree import RenderedTree
from mlscaffold.settings import PlatformSettings, shipped_platform
from mlscaffold.template.build import TEMPLATE_NAME, build_template
from mlscaffold.template.steps import step_values

__all__ = ["ProjectRenderer", "RenderedProject", "render_project"]


@dataclass(frozen=True)
class RenderedProject:
    """A team's project, rendered in memory.

    Attributes:
        params: The validated parameters.
        values: What the skeleton saw as ``values`` (the fetch step's rendered input).
        tree: The rendered files.
        platform: The platform settings it was rendered with.
        skeleton_sources: The text of each templated skeleton file, by skeleton
            path, so findings can point at skeleton lines.
    """

    params: Params
    values: Mapping[str, Any]
    tree: RenderedTree
    platform: PlatformSettings
    skeleton_sources: Mapping[str, str]


class ProjectRenderer:
    """Renders many teams from one template and skeleton, compiling them once.

    Args:
        platform: Platform settings; the shipped ones by default.
        template: A Template entity to take the fetch step from; built from
            ``platform`` by default.
        skeleton: The skeleton folder; the shipped one by default.

    Raises:
        SkeletonError: The skeleton does not load.
    """

    def __init__(
        self,
        *,
        platform: PlatformSettings | None = None,
        template: Mapping[str, Any] | None = None,
        skeleton: Path | None = None,
    ) -> None:
        """Load settings, build the template and compile the skeleton."""
        self.platform = platform or shipped_platform()
        self.template = (
            template if template is not None else build_template(self.platform)
        )
        self._env = BackstageEnvironment()
        self._skeleton = CompiledSkeleton(skeleton or skeleton_dir(TEMPLATE_NAME))
        self._sources = self._skeleton.source_texts()

    def render(self, parameters: Mapping[str, Any]) -> RenderedProject:
        """Validate parameters and render the skeleton exactly as Backstage would.

        Raises:
            ParamsError: Invalid parameters (nothing is rendered).
            SkeletonError: A used skeleton file does not parse.
            RenderError: A template expression failed.
        """
        params = validate_params(parameters, self.platform)
        values = step_values(self.template, params.as_dict(), self._env)
        return RenderedProject(
            params, values, self._skeleton.render(values), self.platform, self._sources
        )


def render_project(
    parameters: Mapping[str, Any],
    *,
    platform: PlatformSettings | None = None,
    template: Mapping[str, Any] | None = None,
    skeleton: Path | None = None,
) -> RenderedProject:
    """Validate parameters and render the ml-project skeleton as Backstage would.

    Unless a template is given, the compiled skeleton is reused across calls until
    a skeleton or settings file changes on disk (or other settings are passed).

    Args:
        parameters: Team parameters; missing optional fields take their defaults.
        platform: Platform settings; the shipped ones by default.
        template: A Template entity to take the fetch step from; a fresh build
            by default.
        skeleton: The skeleton folder; the shipped one by default.

    Raises:
        ParamsError: Invalid parameters (nothing is rendered).
        SkeletonError: The skeleton does not parse.
        RenderError: A template expression failed.
    """
    if template is not None:
        renderer = ProjectRenderer(
            platform=platform, template=template, skeleton=skeleton
        )
        return renderer.render(parameters)
    root = (skeleton or skeleton_dir(TEMPLATE_NAME)).resolve()
    # Settings objects are not hashable; the renderer keeps the one it was built
    # with alive, so its id() cannot be reused while the entry is cached.
    settings_key = files_state(schema_file("")) if platform is None else id(platform)
    key = (root, files_state(root), settings_key)
    if key in _RENDERERS:
        renderer = _RENDERERS.pop(key)
    else:
        renderer = ProjectRenderer(platform=platform, skeleton=root)
    _RENDERERS[key] = renderer  # most recently used last
    while len(_RENDERERS) > _MAX_RENDERERS:
        del _RENDERERS[next(iter(_RENDERERS))]
    return renderer.render(parameters)


_MAX_RENDERERS = 8
_RENDERERS: dict[tuple[Any, ...], ProjectRenderer] = {}
