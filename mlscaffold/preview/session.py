"""One preview run: what it renders with, its baselines, and each render as JSON."""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from mlscaffold._data import skeleton_dir
from mlscaffold.api import (
    PLATFORM_DIR,
    ProjectRenderer,
    RenderedProject,
    render_project,
    write_project,
)
from mlscaffold.errors import MlscaffoldError, ParamsError, ValidationFailed
from mlscaffold.fleet.diff import FileChange
from mlscaffold.preview.baseline import Baselines
from mlscaffold.render.binary import READ_BYTES, is_binary
from mlscaffold.render.tree import RenderedTree
from mlscaffold.report.formats import to_json_data
from mlscaffold.report.model import Report
from mlscaffold.settings import PlatformSettings, load_platform
from mlscaffold.summary import summarize
from mlscaffold.validate import ValidateOptions, validate_tree

__all__ = ["Output", "PreviewConfig", "PreviewSession", "project_outputs"]

# "field: problem" as ParamsError words it; a quoted name is a parameter the
# schema does not know.
_FIELD = re.compile(r"^(?P<field>[A-Za-z0-9_.-]+|'[^']*'): ")


@dataclass(frozen=True)
class Output:
    """One tree a render produces, as Backstage's steps would publish it.

    Attributes:
        name: Stable id (``repository`` or ``platform``).
        title: What the page calls it.
        tree: The rendered files.
        prefix: Where its files sit in the project's combined tree (what
            baselines and snapshots compare): ``""`` or ``platform/``.
    """

    name: str
    title: str
    tree: RenderedTree
    prefix: str = ""


def project_outputs(project: RenderedProject) -> list[Output]:
    """The trees of a rendered project, in the order the page lists them."""
    outputs = [Output("repository", "Team repository", project.tree)]
    if project.platform_tree:
        outputs.append(
            Output(
                "platform",
                "Platform change (pull request)",
                project.platform_tree,
                f"{PLATFORM_DIR}/",
            )
        )
    return outputs


def _changes_of(
    output: Output, outputs: Sequence[Output], changes: Mapping[str, FileChange]
) -> dict[str, FileChange]:
    """The changes of the combined tree that fall in ``output``, by its own paths."""
    others = [o.prefix for o in outputs if o.prefix and o is not output]
    return {
        path.removeprefix(output.prefix): change
        for path, change in changes.items()
        if path.startswith(output.prefix)
        and not any(path.startswith(p) for p in others)
    }


@dataclass(frozen=True)
class PreviewConfig:
    """What ``mlscaffold preview`` was started with.

    Attributes:
        skeleton: The skeleton folder; None means the shipped one.
        platform_file: Platform settings YAML; None means the shipped one.
        values: Parameters from ``--values`` (the form's first values and a
            baseline), or None.
        teams: Team name to parameters, from ``--teams`` (baselines).
        snapshots: Folder of the teams' committed snapshot folders
            (``--snapshots``), the baseline of a team that has one.
        options: Validation options (the platform is filled in per render).
        write_target: Where "Write to..." writes; None turns the action off.
    """

    skeleton: Path | None = None
    platform_file: Path | None = None
    values: Mapping[str, Any] | None = None
    teams: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    snapshots: Path | None = None
    options: ValidateOptions = field(default_factory=ValidateOptions)
    write_target: Path | None = None


class PreviewSession:
    """Renders, validates and diffs for the preview page; safe to call from threads.

    Baselines are rendered with the skeleton and platform settings as they were
    when the session started, so their diff also shows the skeleton edits made
    since.

    Args:
        config: What the preview was started with.

    Raises:
        ParamsError: The platform settings do not load.
    """

    def __init__(self, config: PreviewConfig) -> None:
        """Load the platform settings and snapshot the skeleton for baselines."""
        self.config = config
        self.skeleton = config.skeleton or skeleton_dir()
        self._lock = threading.Lock()
        self._revision = 0
        self._platform_stamp = _stamp(config.platform_file)
        self._platform = load_platform(config.platform_file)
        start: ProjectRenderer | None = None
        with contextlib.suppress(MlscaffoldError):  # shown by the first render
            start = ProjectRenderer(platform=self._platform, skeleton=self.skeleton)
        self._start = start
        self.baselines = Baselines(start, config.values, config.teams, config.snapshots)

    @property
    def revision(self) -> int:
        """Counts the changes on disk seen so far; the page re-renders when it moves."""
        return self._revision

    def bump(self) -> None:
        """Record that a skeleton or platform file changed on disk."""
        with self._lock:
            self._revision += 1

    def form(self) -> dict[str, Any]:
        """The form: Backstage's parameter pages (as template.yaml has them) and more.

        Returns:
            ``pages`` (``spec.parameters`` of the built template, with allowed
            hosts filled in), ``initial`` values, the ``baselines`` to diff
            against, ``writeTarget`` and ``teams`` (name to parameters).
        """
        renderer = self._start or ProjectRenderer(platform=self._platform)
        target = self.config.write_target
        return {
            "pages": renderer.template["spec"]["parameters"],
            "initial": dict(self.config.values or {}),
            "baselines": self.baselines.choices(),
            "writeTarget": None if target is None else str(target),
            "teams": {name: dict(p) for name, p in self.config.teams.items()},
            "revision": self._revision,
        }

    def render(
        self, parameters: Mapping[str, Any], baseline: str = "defaults"
    ) -> dict[str, Any]:
        """Render and validate ``parameters``; the page's whole view as plain data.

        Invalid parameters give ``fieldErrors`` (field to messages, worded as
        ``mlscaffold render`` words them) and no outputs; a skeleton or settings
        error gives ``error``.

        Args:
            parameters: The form's values.
            baseline: ``defaults``, ``values`` or ``team:NAME``.
        """
        result: dict[str, Any] = {
            "revision": self._revision,
            "ok": False,
            "fieldErrors": {},
            "problems": [],
            "error": None,
            "outputs": [],
            "findings": [],
            "counts": None,
            "skipped": {},
            "summary": None,
            "baseline": {"id": baseline, "error": None},
        }
        try:
            platform = self._load_platform()
        except (MlscaffoldError, yaml.YAMLError, OSError) as exc:
            # Not a form problem: the settings file is mid-edit or broken.
            result["error"] = f"platform settings: {exc}"
            return result
        try:
            project, report = self._check(parameters, platform)
        except ParamsError as exc:
            result["problems"] = exc.problems
            result["fieldErrors"] = _field_errors(exc.problems)
            return result
        except (MlscaffoldError, OSError) as exc:
            # A half-saved skeleton: the next save renders again.
            result["error"] = str(exc)
            return result
        data = to_json_data(report)
        changes, problem = self.baselines.changes(baseline, project)
        result["baseline"]["error"] = problem
        trees = project_outputs(project)
        outputs = [
            _output_json(output, _changes_of(output, trees, changes))
            for output in trees
        ]
        result.update(
            ok=True,
            outputs=outputs,
            findings=data["findings"],
            counts=data["summary"],
            skipped=data["skipped"],
            summary=asdict(summarize(project)),
        )
        return result

    def write(self, parameters: Mapping[str, Any], *, force: bool) -> str:
        """Render, validate and write the project, as ``render -o TARGET`` would.

        Args:
            parameters: The form's values.
            force: Replace a non-empty target (``--force``).

        Returns:
            Where it was written.

        Raises:
            PermissionError: No target was given at start.
            ParamsError: Invalid parameters; nothing is written.
            ValidationFailed: The render has errors; nothing is written.
            OutputExistsError: The target is not empty and ``force`` is off.
        """
        target = self.config.write_target
        if target is None:
            raise PermissionError("writing is off: start preview with --write-to DIR")
        project, report = self._check(parameters, self._load_platform())
        if not report.ok:
            raise ValidationFailed(
                report, "the rendered project is invalid; nothing was written"
            )
        with self._lock:
            # As `render -o TARGET` writes them: the platform change beside.
            change = write_project(
                project, target, target.parent / PLATFORM_DIR, force=force
            )
        return str(target) if change is None else f"{target} and {change}"

    def _check(
        self, parameters: Mapping[str, Any], platform: PlatformSettings
    ) -> tuple[RenderedProject, Report]:
        """Render and validate with the skeleton as it is on disk."""
        # One at a time: the renderer caches and the schema store are shared.
        with self._lock:
            project = render_project(
                parameters, platform=platform, skeleton=self.skeleton
            )
            report = validate_tree(
                project.combined_tree(),
                options=replace(self.config.options, platform=platform),
                skeleton=project.skeleton_sources,
            )
        return project, report

    def _load_platform(self) -> PlatformSettings:
        """The settings as they are on disk, read again only after a change."""
        with self._lock:
            stamp = _stamp(self.config.platform_file)
            if stamp != self._platform_stamp:
                # A new object on each edit: render_project keys its cache by it.
                self._platform = load_platform(self.config.platform_file)
                self._platform_stamp = stamp
            return self._platform


def _stamp(path: Path | None) -> tuple[int, int]:
    if path is None:
        return (0, 0)
    info = path.stat()
    return (info.st_mtime_ns, info.st_size)


def _field_errors(problems: Sequence[str]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for problem in problems:
        match = _FIELD.match(problem)
        name = match["field"] if match else "(parameters)"
        fields.setdefault(name, []).append(problem)
    return fields


def _output_json(output: Output, changes: dict[str, FileChange]) -> dict[str, Any]:
    files = []
    for path, entry in output.tree.files():
        binary = not entry.templated and is_binary(entry.data[:READ_BYTES])
        change = changes.pop(path, None)
        files.append(
            {
                "path": path,
                "source": entry.source,
                "mode": f"{entry.mode:o}",
                "text": None if binary else entry.text,
                "size": len(entry.data),
                "baseline": None if change is None else change.status,
                "diff": None if change is None else change.diff,
            }
        )
    return {
        "name": output.name,
        "title": output.title,
        "files": files,
        # Files only the baseline has (for example the CronWorkflow below L3).
        "removed": [
            {"path": path, "diff": change.diff}
            for path, change in changes.items()
            if change.status == "removed"
        ],
    }
