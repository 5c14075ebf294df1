"""pytest plugin: render teams, snapshot every generated file, assert rejections.

Loaded through the ``pytest11`` entry point. syrupy and the renderer are imported
only when a fixture needs them, so installing mlscaffold never slows down or
breaks an unrelated pytest run.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from mlscaffold._files import display_path
from mlscaffold._testing.checks import assert_rejected, render_checked
from mlscaffold._testing.config import MlscaffoldSettings, ci_mode, read_settings
from mlscaffold._testing.teams import RenderedTeam
from mlscaffold._testing.tree_snapshot import TreeSnapshot
from mlscaffold.teams import Team, read_teams

if TYPE_CHECKING:
    from mlscaffold.api import RenderedProject

__all__ = [
    "MlscaffoldSettings",
    "RenderedTeam",
    "Team",
    "TreeSnapshot",
    "assert_rejected",
    "ci_mode",
    "read_teams",
    "render_checked",
]

_SETTINGS_KEY = pytest.StashKey["MlscaffoldSettings"]()
_STATE_KEY = pytest.StashKey["_SessionState"]()


@dataclass
class _SessionState:
    """Which snapshot folders tests claimed, to find the folders of removed teams."""

    claimed: set[Path] = dataclasses.field(default_factory=set)
    function_roots: set[Path] = dataclasses.field(default_factory=set)
    orphan_dirs: list[Path] = dataclasses.field(default_factory=list)
    deleted_dirs: list[Path] = dataclasses.field(default_factory=list)


# --- hooks --------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register mlscaffold's command-line options and ini settings."""
    group = parser.getgroup("mlscaffold", "mlscaffold snapshot testing")
    group.addoption(
        "--mlscaffold-ci",
        action="store_true",
        default=False,
        dest="mlscaffold_ci",
        help="Strict mode (also on when $CI is set): a missing snapshot fails "
        "instead of being written.",
    )
    group.addoption(
        "--mlscaffold-skeleton", default=None, help="Skeleton folder to render."
    )
    group.addoption(
        "--mlscaffold-platform", default=None, help="platform.yaml to render with."
    )
    parser.addini(
        "mlscaffold_skeleton", "Skeleton folder (default: the shipped ml-project)."
    )
    parser.addini(
        "mlscaffold_platform", "platform.yaml (default: the shipped settings)."
    )
    parser.addini("mlscaffold_crds", "CRD folders for validation.", type="paths")
    parser.addini(
        "mlscaffold_teams",
        "Teams file of the mlscaffold_team matrix.",
        default="teams.yaml",
    )
    parser.addini(
        "mlscaffold_validate", "Validate rendered trees.", type="bool", default=True
    )
    parser.addini(
        "mlscaffold_kubeconform", "kubeconform: off, auto or require.", default="off"
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker and read the settings once."""
    config.addinivalue_line(
        "markers",
        "mlscaffold_teams(path): teams file for this test's mlscaffold_team matrix",
    )
    config.stash[_SETTINGS_KEY] = read_settings(config)
    config.stash[_STATE_KEY] = _SessionState()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``mlscaffold_team`` with one case per team of the teams file."""
    if "mlscaffold_team" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("mlscaffold_teams")
    if marker is not None and marker.args:
        path = Path(str(marker.args[0]))
        if not path.is_absolute():
            path = metafunc.definition.path.parent / path
    else:
        settings = metafunc.config.stash[_SETTINGS_KEY]
        path = settings.teams_file or metafunc.config.rootpath / "teams.yaml"
    cases = read_teams(path)
    metafunc.parametrize(
        "mlscaffold_team", cases, ids=[c.name for c in cases], indirect=True
    )


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Claim the snapshot folders of every collected snapshot test (run or not)."""
    _claim(config, items)


def pytest_deselected(items: Sequence[pytest.Item]) -> None:
    """Deselected tests keep their snapshots: claim their folders too."""
    if items:
        _claim(items[0].config, items)


def _claim(config: pytest.Config, items: Sequence[pytest.Item]) -> None:
    state = config.stash.get(_STATE_KEY, None)
    if state is None:
        return
    for item in items:
        if "mlscaffold_snapshot" in getattr(item, "fixturenames", ()) and hasattr(
            item, "obj"
        ):
            folder = _snapshot_dir_of(item)
            if folder is not None:
                state.claimed.add(folder)
                if "[" in item.name:
                    state.function_roots.add(folder.parent)


def _snapshot_dir_of(item: pytest.Item) -> Path | None:
    try:
        from syrupy.location import PyTestLocation

        from mlscaffold._testing.snapshot import test_snapshot_dir
    except ImportError:
        return None
    return test_snapshot_dir(PyTestLocation(item))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Report (or, when updating, delete) snapshot folders no collected test owns."""
    del exitstatus
    config = session.config
    state = config.stash.get(_STATE_KEY, None)
    # A node-id selection collects only some parameters of a function: its siblings
    # are not orphans, so the folder-level check needs whole functions.
    if state is None or any("::" in arg for arg in config.args):
        return
    updating = bool(config.getoption("update_snapshots", default=False))
    for root in sorted(state.function_roots):
        if not root.is_dir():
            continue
        for child in sorted(root.iterdir()):
            if not child.is_dir() or child in state.claimed:
                continue
            if updating:
                shutil.rmtree(child)
                state.deleted_dirs.append(child)
            else:
                state.orphan_dirs.append(child)
    warn_only = bool(config.getoption("warn_unused_snapshots", default=False))
    if state.orphan_dirs and not warn_only and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(
    terminalreporter: Any, exitstatus: int, config: pytest.Config
) -> None:
    """List orphaned or deleted team snapshot folders."""
    del exitstatus
    state = config.stash.get(_STATE_KEY, None)
    if state is None or not (state.orphan_dirs or state.deleted_dirs):
        return
    terminalreporter.write_sep("-", "mlscaffold snapshots")
    for folder in state.orphan_dirs:
        terminalreporter.write_line(
            f"orphaned: {display_path(folder, config.rootpath)}: no collected test "
            "renders this team any more (run pytest --snapshot-update to delete it)"
        )
    for folder in state.deleted_dirs:
        terminalreporter.write_line(f"deleted: {display_path(folder, config.rootpath)}")


def pytest_assertrepr_compare(op: str, left: object, right: object) -> list[str] | None:
    """Explain ``assert tree == mlscaffold_snapshot`` with the per-file report."""
    for side in (left, right):
        if op == "==" and isinstance(side, TreeSnapshot) and side.last_failure:
            return ["tree differs from its snapshots", *side.last_failure.splitlines()]
    return None


@pytest.fixture(scope="session")
def mlscaffold_settings(pytestconfig: pytest.Config) -> MlscaffoldSettings:
    """Settings from the ini file and options; override in a conftest to change them."""
    return pytestconfig.stash[_SETTINGS_KEY]


@pytest.fixture
def mlscaffold_render(
    mlscaffold_settings: MlscaffoldSettings,
) -> Callable[[Mapping[str, Any] | str | Path], RenderedProject]:
    """Render a team from a mapping or a YAML file, validated (see render_checked)."""

    def render(parameters: Mapping[str, Any] | str | Path) -> RenderedProject:
        return render_checked(parameters, mlscaffold_settings)

    return render


@pytest.fixture
def mlscaffold_team(
    request: pytest.FixtureRequest, mlscaffold_settings: MlscaffoldSettings
) -> RenderedTeam:
    """One team of the teams file, rendered (the test runs once per team)."""
    case = getattr(request, "param", None)
    if not isinstance(case, Team):
        raise pytest.UsageError(
            "mlscaffold_team is parametrized by the plugin from a teams file; "
            "do not parametrize it yourself"
        )
    project = render_checked(case.parameters, mlscaffold_settings)
    return RenderedTeam(name=case.name, parameters=case.parameters, project=project)


@pytest.fixture
def mlscaffold_reject(
    mlscaffold_settings: MlscaffoldSettings,
) -> Callable[..., list[str]]:
    """:func:`assert_rejected` bound to the configured skeleton and platform."""

    def reject(
        parameters: Mapping[str, Any], field: str, message: str | None = None
    ) -> list[str]:
        return assert_rejected(parameters, field, message, settings=mlscaffold_settings)

    return reject


# --- snapshots ----------------------------------------------------------------


@pytest.fixture
def mlscaffold_snapshot(
    request: pytest.FixtureRequest, mlscaffold_settings: MlscaffoldSettings
) -> TreeSnapshot:
    """Snapshot a rendered tree, one readable YAML file per generated file."""
    return TreeSnapshot(request, mlscaffold_settings)
