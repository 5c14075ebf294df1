"""The pre-commit hooks, run by the real pre-commit on a sample repository."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mlscaffold._data import data_dir, skeleton_dir

_REPO = Path(__file__).resolve().parents[2]
_TEAM = [
    "--set", "team=recs",
    "--set", "owner=group:default/recs",
    "--set", "repoUrl=github.com?owner=acme&repo=recs-ml",
    "--set", "modelName=ranker",
]  # fmt: skip


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def _local_hooks() -> dict[str, object]:
    """This repository's hooks as a ``repo: local`` block.

    ``language: python`` would make pre-commit pip-install mlscaffold into a fresh
    environment (network); ``unsupported`` runs the ``mlscaffold`` already on PATH.
    Everything else (ids, entries, file patterns) is the shipped definition.
    """
    hooks = yaml.safe_load((_REPO / ".pre-commit-hooks.yaml").read_text())
    return {"repo": "local", "hooks": [{**h, "language": "unsupported"} for h in hooks]}


def _pre_commit(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color=never"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def sample_repo(tmp_path: Path, shared_crds: Path) -> Path:
    """A platform repository that is also one team's repository, committed.

    It holds both of the team's trees: the repository's files at its top and the
    platform change at teams/recs/, as in the platform's GitOps repository.
    """
    repo = tmp_path / "platform"
    mlscaffold = [sys.executable, "-m", "mlscaffold"]
    subprocess.run(
        [*mlscaffold, "render", *_TEAM, "--no-validate", "-o", str(repo),
         "--platform-out", str(repo.parent / "change")],
        check=True, capture_output=True,
    )  # fmt: skip
    shutil.copytree(repo.parent / "change" / "teams", repo / "teams")
    for name in ("ml-project", "ml-project-platform"):
        shutil.copytree(skeleton_dir(name), repo / "skeletons" / name)
    shutil.copytree(data_dir("schemas"), repo / "schemas")
    (repo / "mlscaffold.yaml").write_text(
        yaml.safe_dump({"crds": [str(shared_crds)]}), encoding="utf-8"
    )
    (repo / ".pre-commit-config.yaml").write_text(
        yaml.safe_dump({"repos": [_local_hooks()]}, sort_keys=False),
        encoding="utf-8",
    )
    subprocess.run(
        [*mlscaffold, "template", "build"], cwd=repo, check=True, capture_output=True
    )
    _git(tmp_path, "init", "-q", "-b", "main", str(repo))
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com",
         "commit", "-q", "-m", "init")  # fmt: skip
    return repo


@pytest.mark.slow
def test_hooks_pass_on_a_clean_repository_and_catch_each_problem(
    sample_repo: Path, tmp_path: Path
) -> None:
    home = tmp_path / "pre-commit-home"
    clean = _pre_commit(sample_repo, home)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    for hook in ("mlscaffold validate", "mlscaffold lint",
                 "mlscaffold template build --check"):  # fmt: skip
        assert f"{hook}" in clean.stdout
    assert "Failed" not in clean.stdout

    # A settings change without a rebuild, a non-portable skeleton construct and a
    # manifest that breaks Pod Security: each hook fails, naming the place.
    settings = sample_repo / "schemas" / "platform.yaml"
    settings.write_text(
        settings.read_text().replace("ml-shared", "ml-other"), encoding="utf-8"
    )
    (sample_repo / "skeletons" / "ml-project" / "x.yaml").write_text(
        "name: ${{ values.team.upper() }}\n", encoding="utf-8"
    )
    rbac = sample_repo / "teams" / "recs" / "rbac.yaml"
    rbac.write_text(
        rbac.read_text() + "---\napiVersion: v1\nkind: Pod\nmetadata:\n"
        "  name: p\n  namespace: recs-ml\nspec:\n  containers:\n"
        "  - name: c\n    image: x\n    securityContext:\n      privileged: true\n",
        encoding="utf-8",
    )
    _git(sample_repo, "add", "-A")
    broken = _pre_commit(sample_repo, home)
    assert broken.returncode == 1
    out = broken.stdout
    assert out.count("Failed") == 3, out
    assert "template.yaml: differs from a fresh build" in out
    assert re.search(r"x\.yaml:1:\d+: \w+ MLS503 ", out), out
    assert re.search(r"teams/recs/rbac\.yaml:\d+:\d+: error MLS2\d\d ", out), out


def test_the_hooks_file_is_a_valid_pre_commit_manifest() -> None:
    from pre_commit.clientlib import load_manifest

    hooks = load_manifest(str(_REPO / ".pre-commit-hooks.yaml"))
    assert [h["id"] for h in hooks] == [
        "mlscaffold-validate", "mlscaffold-lint", "mlscaffold-template-check"
    ]  # fmt: skip
    # Installed from this repository by pre-commit, as `pip install .` would.
    assert {h["language"] for h in hooks} == {"python"}
    assert all(h["entry"].startswith("mlscaffold ") for h in hooks)
