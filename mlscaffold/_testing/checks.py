"""Test helpers: render a team and fail on findings, assert a parameter rejection."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from mlscaffold._testing.config import MlscaffoldSettings

if TYPE_CHECKING:
    from mlscaffold.api import RenderedProject


def render_checked(
    parameters: Mapping[str, Any] | str | Path,
    settings: MlscaffoldSettings | None = None,
) -> RenderedProject:
    """Render a team and, when ``settings.validate``, fail the test on error findings.

    Args:
        parameters: A parameter mapping, or the path of a YAML file holding one.
        settings: Skeleton, platform and validation settings; defaults otherwise.

    Returns:
        The rendered project.

    Raises:
        ParamsError: The parameters are invalid (nothing is rendered).
    """
    from mlscaffold.api import render_project
    from mlscaffold.params import load_values_file

    settings = settings or MlscaffoldSettings()
    if isinstance(parameters, (str, Path)):
        parameters = load_values_file(Path(parameters))
    project = render_project(
        parameters, platform=settings.platform(), skeleton=settings.skeleton
    )
    if settings.validate:
        _fail_on_findings(project, settings)
    return project


def _fail_on_findings(project: RenderedProject, settings: MlscaffoldSettings) -> None:
    from mlscaffold.report.model import Severity
    from mlscaffold.validate import ValidateOptions, validate_tree

    options = ValidateOptions(
        crd_dirs=settings.crd_dirs,
        kubeconform=settings.kubeconform,
    )
    report = validate_tree(
        project.combined_tree(), options=options, skeleton=project.skeleton_sources
    )
    if report.ok:
        return
    errors = report.at_least(Severity.ERROR)
    lines = [f"  {finding}" for finding in errors]
    others = len(report.findings) - len(errors)
    if others:
        lines.append(f"  (and {others} warning(s) or note(s))")
    pytest.fail(
        f"team {project.params.team}: the rendered tree does not validate:\n"
        + "\n".join(lines),
        pytrace=False,
    )


def assert_rejected(
    parameters: Mapping[str, Any],
    field: str,
    message: str | None = None,
    *,
    settings: MlscaffoldSettings | None = None,
) -> list[str]:
    """Assert that rendering refuses ``parameters`` with a problem on ``field``.

    Args:
        parameters: The parameter set expected to be invalid.
        field: The field the problem must name (the text before ``:`` in the line).
        message: Text the problem line must contain, if given.
        settings: Skeleton and platform; defaults otherwise.

    Returns:
        All problem lines, for further checks.
    """
    from mlscaffold.api import render_project
    from mlscaffold.errors import ParamsError

    settings = settings or MlscaffoldSettings()
    try:
        project = render_project(
            parameters, platform=settings.platform(), skeleton=settings.skeleton
        )
    except ParamsError as exc:
        problems = list(exc.problems)
    else:
        pytest.fail(
            f"parameters were accepted (team {project.params.team!r} rendered "
            f"{sum(1 for _ in project.tree.files())} files); "
            f"expected {field!r} to be rejected",
            pytrace=False,
        )
    on_field = [p for p in problems if p.split(":", 1)[0].strip() == field]
    if on_field and (message is None or any(message in p for p in on_field)):
        return problems
    wanted = f"{field}: ...{message}..." if message else f"{field}: ..."
    listing = "\n".join(f"  {p}" for p in problems)
    pytest.fail(
        f"parameters were rejected, but not with {wanted!r}; problems:\n{listing}",
        pytrace=False,
    )
