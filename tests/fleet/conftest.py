"""Fixtures for fleet tests: a platform repository in Git, a fleet of teams."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from mlscaffold._data import data_dir
from tests.fleet.fleet_helpers import TEAMS, commit, git, team_parameters


@pytest.fixture(autouse=True)
def _git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "GIT_AUTHOR_NAME": "Fleet Test",
        "GIT_AUTHOR_EMAIL": "fleet@example.com",
        "GIT_COMMITTER_NAME": "Fleet Test",
        "GIT_COMMITTER_EMAIL": "fleet@example.com",
        "GIT_CONFIG_NOSYSTEM": "1",
    }.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def platform_repo(tmp_path: Path) -> Path:
    """A platform repository: the shipped skeleton and schemas, tagged v1.0.0."""
    repo = tmp_path / "platform"
    (repo / "skeletons").mkdir(parents=True)
    for name in ("ml-project", "ml-project-platform"):
        shutil.copytree(data_dir("skeletons") / name, repo / "skeletons" / name)
    shutil.copytree(data_dir("schemas"), repo / "schemas")
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "template 1.0.0")
    version = yaml.safe_load((repo / "schemas" / "platform.yaml").read_text())
    git(repo, "tag", f"ml-project-v{version['templateVersion']}")
    return repo


@pytest.fixture
def teams_file(tmp_path: Path) -> Path:
    path = tmp_path / "teams.yaml"
    path.write_text(
        yaml.safe_dump({"teams": [team_parameters(name) for name in TEAMS]}),
        encoding="utf-8",
    )
    return path
