"""pytest plugin: render teams, snapshot every generated file, assert rejections.

Loaded through the ``pytest11`` entry point. syrupy and the renderer are imported
only when a fixture needs them, so installing mlscaffold never slows down or
breaks an unrelated pytest run.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from mlscaffold.errors import ParamsError

if TYPE_CHECKING:
    from mlscaffold.api import RenderedProject
    from mlscaffold.render.tree import RenderedTree
    from mlscaffold.settings import PlatformSettings

__all__ = [
    "MlscaffoldSettings",
    "RenderedTeam",
    "TeamCase",
    "TreeSnapshot",
    "assert_rejected",
    "ci_mode",
    "load_teams",
    "render_checked",
]

_FALSE_WORDS = frozenset({"", "0", "false", "no", "off"})
_SETTINGS_KEY = pytest.StashKey["MlscaffoldSettings"]()
_STATE_KEY = pytest.StashKey["_SessionState"]()


@dataclass(frozen=True)
class MlscaffoldSettings:
    """What the fixtures render and validate with; override the fixture to change it.

    Attributes:
        skeleton: Skeleton folder; None means the one shipped with mlscaffold.
        platform_file: platform.yaml; None means the shipped settings.
        crd_dirs: CRD folders for validation (``mlscaffold_crds`` or $MLSCAFFOLD_CRDS).
        validate: Validate every rendered tree and fail on error findings.
        kubeconform: ``off``, ``auto`` or ``require`` (see ValidateOptions).
        ci: Strict mode: missing snapshots fail instead of being written.
        teams_file: Default teams file for the ``mlscaffold_team`` matrix.
    """

    skeleton: Path | None = None
    platform_file: Path | None = None
    crd_dirs: tuple[Path, ...] = ()
    validate: bool = True
    kubeconform: str = "off"
    ci: bool = False
    teams_file: Path | None = None

    def platform(self) -> PlatformSettings:
        """The platform settings, loaded from ``platform_file`` or the shipped ones."""
        return _load_platform(self.platform_file)


@functools.lru_cache(maxsize=8)
def _load_platform(path: Path | None) -> PlatformSettings:
    # Loaded once per file: a matrix renders many teams with the same settings.
    from mlscaffold.settings import load_platform

    return load_platform(path)


@dataclass(frozen=True)
class RenderedTeam:
    """One team of a matrix, rendered and validated.

    Attributes:
        name: The team's id in the teams file (also the test id).
        parameters: The parameters as declared (defaults merged in).
        project: The rendered project (params, values, tree).
    """

    name: str
    parameters: Mapping[str, Any]
    project: RenderedProject

    @property
    def tree(self) -> RenderedTree:
        """The rendered files."""
        return self.project.tree


@dataclass
class _SessionState:
    """Which snapshot folders tests claimed, to find the folders of removed teams."""

    claimed: set[Path] = dataclasses.field(default_factory=set)
    function_roots: set[Path] = dataclasses.field(default_factory=set)
    orphan_dirs: list[Path] = dataclasses.field(default_factory=list)
    deleted_dirs: list[Path] = dataclasses.field(default_factory=list)


@dataclass(frozen=True)
class TeamCase:
    """One entry of a teams file.

    Attributes:
        name: Its id: the test id and the snapshot folder name.
        parameters: Its parameters, with the file's ``defaults`` merged under them.
    """

    name: str
    parameters: Mapping[str, Any]


def load_teams(path: Path) -> list[TeamCase]:
    """Read a teams file: ``defaults`` (optional) and ``teams`` (id to parameters).

    ``teams`` is a mapping of ids to parameter mappings, or a list of parameter
    mappings each with an ``id`` or a ``team``. ``team`` defaults to the id.

    Raises:
        ParamsError: The file is missing or not shaped like that.
    """
    import yaml

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ParamsError([f"{path.name}: cannot read the teams file: {exc}"]) from exc
    teams = doc.get("teams") if isinstance(doc, dict) else None
    defaults = doc.get("defaults", {}) if isinstance(doc, dict) else None
    if (
        not isinstance(defaults, dict)
        or not isinstance(teams, (dict, list))
        or not teams
    ):
        raise ParamsError(
            [
                f"{path.name}: expected a mapping with `teams` (id: parameters) "
                "and optional `defaults`"
            ]
        )
    entries = teams.items() if isinstance(teams, dict) else ((None, t) for t in teams)
    cases: list[TeamCase] = []
    problems: list[str] = []
    for key, params in entries:
        if not isinstance(params, dict):
            problems.append(f"{path.name}: team {key!r}: parameters must be a mapping")
            continue
        params = dict(params)
        name = str(key if key is not None else params.pop("id", params.get("team", "")))
        if not name or name in {c.name for c in cases}:
            problems.append(f"{path.name}: team id {name!r} is empty or repeated")
            continue
        cases.append(
            TeamCase(name=name, parameters={**defaults, "team": name, **params})
        )
    if problems:
        raise ParamsError(problems)
    return cases


def ci_mode(config: pytest.Config) -> bool:
    """True under ``--mlscaffold-ci``, or when $CI is set and not a false word."""
    if config.getoption("mlscaffold_ci", default=False):
        return True
    return os.environ.get("CI", "").strip().lower() not in _FALSE_WORDS


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
    config.stash[_SETTINGS_KEY] = _read_settings(config)
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
    cases = load_teams(path)
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

        from mlscaffold.snapshot import test_snapshot_dir
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
            f"orphaned: {_rel(folder, config.rootpath)}: no collected test "
            "renders this team any more (run pytest --snapshot-update to delete it)"
        )
    for folder in state.deleted_dirs:
        terminalreporter.write_line(f"deleted: {_rel(folder, config.rootpath)}")


def pytest_assertrepr_compare(op: str, left: object, right: object) -> list[str] | None:
    """Explain ``assert tree == mlscaffold_snapshot`` with the per-file report."""
    for side in (left, right):
        if op == "==" and isinstance(side, TreeSnapshot) and side.last_failure:
            return ["tree differs from its snapshots", *side.last_failure.splitlines()]
    return None


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _read_settings(config: pytest.Config) -> MlscaffoldSettings:
    base = config.inipath.parent if config.inipath else config.rootpath

    def path_setting(ini: str, option: str | None = None) -> Path | None:
        value = (option and config.getoption(option, default=None)) or config.getini(
            ini
        )
        if not value:
            return None
        path = Path(str(value))
        return path if path.is_absolute() else base / path

    crds = tuple(Path(p) for p in config.getini("mlscaffold_crds"))
    if not crds and os.environ.get("MLSCAFFOLD_CRDS"):
        crds = tuple(
            Path(p) for p in os.environ["MLSCAFFOLD_CRDS"].split(os.pathsep) if p
        )
    return MlscaffoldSettings(
        skeleton=path_setting("mlscaffold_skeleton", "mlscaffold_skeleton"),
        platform_file=path_setting("mlscaffold_platform", "mlscaffold_platform"),
        crd_dirs=crds,
        validate=bool(config.getini("mlscaffold_validate")),
        kubeconform=str(config.getini("mlscaffold_kubeconform") or "off"),
        ci=ci_mode(config),
        teams_file=path_setting("mlscaffold_teams"),
    )


# --- rendering ----------------------------------------------------------------


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
        kubeconform=settings.kubeconform,  # type: ignore[arg-type]  # validate checks it
    )
    report = validate_tree(project.tree, options=options)
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
    if not isinstance(case, TeamCase):
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


# --- snapshots ----------------------------------------------------------------


@pytest.fixture
def mlscaffold_snapshot(
    request: pytest.FixtureRequest, mlscaffold_settings: MlscaffoldSettings
) -> TreeSnapshot:
    """Snapshot a rendered tree, one readable YAML file per generated file."""
    return TreeSnapshot(request, mlscaffold_settings)


class TreeSnapshot:
    """Compares a rendered tree with its per-file snapshots (see ``assert_match``).

    Args:
        request: The requesting test.
        settings: For strict (CI) mode and the skeleton path to normalize.
    """

    def __init__(
        self, request: pytest.FixtureRequest, settings: MlscaffoldSettings
    ) -> None:
        """Bind to the requesting test."""
        self._request = request
        self._settings = settings
        self.last_failure = ""

    def assert_match(self, tree: RenderedTree | RenderedProject | RenderedTeam) -> None:
        """Fail the test with a per-file report unless every snapshot matches.

        Missing snapshots are written, except in CI mode where they fail; changed
        ones fail unless ``--snapshot-update``; snapshots of files the tree no
        longer holds are orphans: they fail, or are deleted under ``--snapshot-update``.

        Args:
            tree: The tree, or a project or team holding it (named in messages).
        """
        if self != tree:
            pytest.fail(self.last_failure, pytrace=False)

    def __eq__(self, other: object) -> bool:
        """Compare (see ``assert_match``); the report is kept in ``last_failure``."""
        try:
            from mlscaffold.snapshot import compare_tree
        except ImportError as exc:  # syrupy is an extra
            raise pytest.UsageError(
                "mlscaffold snapshots need syrupy: "
                f"pip install 'mlscaffold[pytest]' ({exc})"
            ) from exc
        config = self._request.config
        self.last_failure = compare_tree(
            self._request.node,
            other,
            ci=self._settings.ci,
            replacements=_replacements(config, self._settings),
        )
        return not self.last_failure

    __hash__ = None  # type: ignore[assignment]


def _replacements(
    config: pytest.Config, settings: MlscaffoldSettings
) -> tuple[tuple[str, str], ...]:
    """Machine paths that must never reach a snapshot, most specific first."""
    pairs = [
        (settings.skeleton, "<skeleton>"),
        (config.rootpath, "<rootdir>"),
        (Path.home(), "<home>"),
    ]
    return tuple(
        (str(path), label)
        for path, label in pairs
        if path is not None and len(path.parts) > 1
    )
