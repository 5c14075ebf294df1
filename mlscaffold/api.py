"""The library's front door: parameters in, a rendered project out."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mlscaffold._data import schema_file, skeleton_dir
from mlscaffold._files import files_state
from mlscaffold.errors import OutputExistsError, SkeletonError
from mlscaffold.params import Params, validate_params
from mlscaffold.render.engine import BackstageEnvironment
from mlscaffold.render.skeleton import CompiledSkeleton
from mlscaffold.render.targets import Target
from mlscaffold.render.tree import RenderedTree, TreeEntry
from mlscaffold.render.write import write_trees
from mlscaffold.settings import PlatformSettings, shipped_platform
from mlscaffold.teams import ANSWERS_FILE
from mlscaffold.template.build import (
    PLATFORM_STEP_ID,
    TEMPLATE_NAME,
    build_template,
    platform_skeleton_for,
)
from mlscaffold.template.steps import fetch_step, find_fetch_step, step_values

__all__ = [
    "PLATFORM_DIR",
    "ProjectRenderer",
    "RenderedProject",
    "project_targets",
    "render_project",
    "write_project",
]

#: Where the platform change sits when both trees are seen as one (validation,
#: snapshots, fleet output), as in Backstage's workspace.
PLATFORM_DIR = "platform"


@dataclass(frozen=True)
class RenderedProject:
    """A team's project, rendered in memory: its repository and the platform change.

    Attributes:
        params: The validated parameters.
        values: What the skeleton saw as ``values`` (the fetch step's rendered input).
        tree: The team repository's files.
        platform: The platform settings it was rendered with.
        skeleton_sources: The text of each templated skeleton file, by skeleton
            path, so findings can point at skeleton lines (the platform change's
            files by their path from the team skeleton, ``../<name>-platform/...``).
        platform_tree: The change to the platform's GitOps repository, with paths
            from that repository's root (``teams/<team>/...``): namespace, quota,
            limits, RBAC, network policies, queue, service accounts, Argo CD
            Application and AppProject. Empty when the skeleton has no platform
            part. Its entries' ``source`` is relative to the team skeleton, so
            findings on :meth:`combined_tree` map back to both skeletons.
    """

    params: Params
    values: Mapping[str, Any]
    tree: RenderedTree
    platform: PlatformSettings
    skeleton_sources: Mapping[str, str]
    platform_tree: RenderedTree = field(default_factory=RenderedTree)

    def combined_tree(self) -> RenderedTree:
        """Both trees as one team sees them: the platform change under ``platform/``.

        This is what validation and snapshots look at, so the cross-resource rules
        relate the team's workloads to the quota, queue and accounts the platform
        change creates.
        """
        if not self.platform_tree:
            return self.tree
        entries = dict(self.tree.entries)
        entries[PLATFORM_DIR] = TreeEntry("dir", mode=0o755)
        for path, entry in self.platform_tree.entries.items():
            entries[f"{PLATFORM_DIR}/{path}"] = entry
        return RenderedTree(entries)


class ProjectRenderer:
    """Renders many teams from one template and skeleton, compiling them once.

    Args:
        platform: Platform settings; the shipped ones by default.
        template: A Template entity to take the fetch step from; built from
            ``platform`` by default.
        skeleton: The team repository's skeleton folder; the shipped one by
            default.
        platform_skeleton: The platform change's skeleton folder; by default
            :func:`platform_skeleton_for` ``skeleton``.

    Raises:
        SkeletonError: A skeleton does not load.
    """

    def __init__(
        self,
        *,
        platform: PlatformSettings | None = None,
        template: Mapping[str, Any] | None = None,
        skeleton: Path | None = None,
        platform_skeleton: Path | None = None,
    ) -> None:
        """Load settings, build the template and compile the skeletons."""
        self.platform = platform or shipped_platform()
        root = skeleton or skeleton_dir(TEMPLATE_NAME)
        beside = platform_skeleton or platform_skeleton_for(root)
        self.template = (
            template
            if template is not None
            else build_template(self.platform, platform_change=beside is not None)
        )
        self._env = BackstageEnvironment()
        self._skeleton = CompiledSkeleton(root)
        self._sources = self._skeleton.source_texts()
        self._platform: CompiledSkeleton | None = None
        self._platform_base = ""
        if beside is not None:
            self._platform = CompiledSkeleton(beside)
            # Skeleton paths relative to the team skeleton, so findings on the
            # combined tree map back to both skeletons from one root.
            self._platform_base = Path(os.path.relpath(beside, root)).as_posix()
            self._sources |= {
                f"{self._platform_base}/{path}": text
                for path, text in self._platform.source_texts().items()
            }
        # The platform step's values are computed apart only when its values block
        # differs from the team step's (the built template gives both the same).
        step = find_fetch_step(self.template, PLATFORM_STEP_ID)
        self._platform_step: str | None = (
            PLATFORM_STEP_ID
            if step is not None
            and step["input"].get("values")
            != fetch_step(self.template)["input"].get("values")
            else None
        )

    def render(self, parameters: Mapping[str, Any]) -> RenderedProject:
        """Validate parameters and render the skeleton exactly as Backstage would.

        Raises:
            ParamsError: Invalid parameters (nothing is rendered).
            SkeletonError: A used skeleton file does not parse, or the team
                skeleton renders the folder the platform change is seen under.
            RenderError: A template expression failed.
        """
        params = validate_params(parameters, self.platform)
        values = step_values(self.template, params.as_dict(), self._env)
        tree = self._skeleton.render(values)
        if self._platform is None:
            return RenderedProject(params, values, tree, self.platform, self._sources)
        if PLATFORM_DIR in tree:
            # Validation, snapshots and the fleet put the platform change there.
            raise SkeletonError(
                f"the team skeleton renders {PLATFORM_DIR}/ "
                f"({tree[PLATFORM_DIR].source or 'a rendered name'}), where both trees "
                "seen as one hold the platform change; rename it"
            )
        platform_values = (
            step_values(self.template, params.as_dict(), self._env, self._platform_step)
            if self._platform_step is not None
            else values
        )
        return RenderedProject(
            params,
            values,
            tree,
            self.platform,
            self._sources,
            self._sourced(self._platform.render(platform_values)),
        )

    def _sourced(self, tree: RenderedTree) -> RenderedTree:
        return RenderedTree(
            {
                path: replace(entry, source=f"{self._platform_base}/{entry.source}")
                if entry.source
                else entry
                for path, entry in tree.entries.items()
            }
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
    beside = platform_skeleton_for(root)
    key = (
        root,
        files_state(root),
        files_state(beside) if beside is not None else None,
        settings_key,
    )
    if key in _RENDERERS:
        renderer = _RENDERERS.pop(key)
    else:
        renderer = ProjectRenderer(platform=platform, skeleton=root)
    _RENDERERS[key] = renderer  # most recently used last
    while len(_RENDERERS) > _MAX_RENDERERS:
        del _RENDERERS[next(iter(_RENDERERS))]
    return renderer.render(parameters)


def project_targets(
    project: RenderedProject,
    out: Path,
    platform_out: Path,
    *,
    owned: Iterable[str] = (),
) -> list[Target]:
    """Where both trees go, as Backstage's two fetch steps write them.

    The team repository goes to ``out``; the platform change to its own folder in
    ``platform_out`` (``teams/<team>/``, so ``platform_out`` may be a checkout of
    the platform's GitOps repository or collect several teams' changes). Write
    them with :func:`~mlscaffold.render.write.write_trees`, all or none.

    Args:
        project: The rendered project.
        out: The team repository's folder.
        platform_out: Where the platform change's paths start.
        owned: Paths an earlier render wrote into ``out``
            (see :func:`~mlscaffold.render.write.write_tree`).

    Returns:
        The team repository's target, then the platform change's, if any.

    Raises:
        OutputExistsError: One folder holds the other.
    """
    targets = [Target(project.tree, out, marker=ANSWERS_FILE, owned=tuple(owned))]
    if project.platform_tree:
        folder = project.platform_tree.common_folder()
        change = platform_out / folder
        _refuse_nested(out, change)
        targets.append(Target(project.platform_tree.subtree(folder), change))
    return targets


def write_project(
    project: RenderedProject,
    out: Path,
    platform_out: Path,
    *,
    force: bool = False,
    owned: Iterable[str] = (),
) -> Path | None:
    """Write both trees (see :func:`project_targets`), all or none.

    Args:
        project: The rendered project.
        out: The team repository's folder.
        platform_out: Where the platform change's paths start.
        force: Replace folders an earlier render wrote (and nothing else).
        owned: Paths an earlier render wrote into ``out``.

    Returns:
        The platform change's folder, or None when the project has none.

    Raises:
        OutputExistsError: A target is in the way, or one folder holds the other;
            nothing was written.
        RenderError: A path would leave its folder or is not a safe name.
        FileSystemError: The file system failed.
    """
    targets = project_targets(project, out, platform_out, owned=owned)
    write_trees(targets, force=force)
    return Path(targets[1].out) if len(targets) > 1 else None


def _refuse_nested(out: Path, change: Path) -> None:
    """The two trees go to two repositories: neither folder may hold the other."""
    team, platform = out.resolve(), change.resolve()
    if team.is_relative_to(platform) or platform.is_relative_to(team):
        raise OutputExistsError(
            f"the platform change's folder {change} and the team repository's "
            f"folder {out} must not contain each other: they go to different "
            "repositories"
        )


_MAX_RENDERERS = 8
_RENDERERS: dict[tuple[Any, ...], ProjectRenderer] = {}
