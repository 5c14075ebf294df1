"""pytester for the plugin tests, and a fresh platform repo to run them in."""

from __future__ import annotations

import importlib.metadata
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

# cel_expr_python is a pybind11 extension, which cannot be initialised twice in one
# process, and pytester's in-process runs drop the modules a run imported; imported
# here, before any run, it stays loaded for all of them.
from cel_expr_python import cel  # noqa: F401
from cel_expr_python.ext import ext_optional, ext_strings  # noqa: F401

from mlscaffold._data import skeleton_dir


def plugin_args() -> list[str]:
    """``-p mlscaffold.pytest_plugin`` unless the installed entry point loads it."""
    installed = any(
        ep.value == "mlscaffold.pytest_plugin"
        for ep in importlib.metadata.entry_points(group="pytest11")
    )
    return [] if installed else ["-p", "mlscaffold.pytest_plugin"]


TEAMS_YAML = """\
# Teams of a platform repo; each gets one snapshot test.
defaults:
  owner: group:default/ml-platform
  repoUrl: github.com?owner=acme&repo=ml-projects
teams:
  recs:
    modelName: ranker
    size: m
  fraud:
    modelName: scorer
    size: xs
    accelerator: none
    gpuHoursPerMonth: 0
    maturity: L3
"""

TEST_MODULE = """\
def test_team(mlscaffold_team, mlscaffold_snapshot):
    mlscaffold_snapshot.assert_match(mlscaffold_team)
"""


@dataclass
class PlatformRepo:
    """A platform repository laid out in a pytester folder."""

    pytester: pytest.Pytester
    root: Path

    def run(self, *args: str) -> pytest.RunResult:
        return self.pytester.runpytest(*plugin_args(), "-p", "no:cacheprovider", *args)

    @property
    def snapshots(self) -> Path:
        return self.root / "__snapshots__" / "test_teams" / "test_team"

    def snapshot_files(self) -> list[str]:
        return sorted(
            p.relative_to(self.snapshots).as_posix()
            for p in self.snapshots.rglob("*")
            if p.is_file()
        )


@pytest.fixture
def platform_repo(
    pytester: pytest.Pytester,
    shared_crds: Path,
    _session_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> PlatformRepo:
    """A platform repo: its own skeleton copy, a teams.yaml and one test module."""
    # The session's converted-CRD cache (conversion takes seconds); pytester runs
    # in this process, so the inner runs also reuse the stores already built.
    monkeypatch.setenv("MLSCAFFOLD_CACHE_DIR", str(_session_cache))
    monkeypatch.delenv("CI", raising=False)
    root = pytester.path
    shutil.copytree(skeleton_dir(), root / "skeleton")
    # The platform change's skeleton sits beside it, named <skeleton>-platform.
    shutil.copytree(skeleton_dir("ml-project-platform"), root / "skeleton-platform")
    pytester.makeini(
        textwrap.dedent(
            f"""\
            [pytest]
            mlscaffold_skeleton = skeleton
            mlscaffold_crds = {shared_crds}
            """
        )
    )
    (root / "teams.yaml").write_text(TEAMS_YAML, encoding="utf-8")
    (root / "test_teams.py").write_text(TEST_MODULE, encoding="utf-8")
    return PlatformRepo(pytester, root)
