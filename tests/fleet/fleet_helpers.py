"""Helpers shared by the fleet tests: the teams, and Git in a temporary repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

TEAMS = {
    "recs": {"modelName": "ranker", "maturity": "L3", "retrainSchedule": "0 3 * * 1"},
    "fraud": {"modelName": "scorer", "size": "m"},
    "vision": {"modelName": "detector", "maturity": "L3", "costCenter": "cc-42"},
}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return done.stdout


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def team_parameters(name: str) -> dict[str, object]:
    return {
        "team": name,
        "owner": f"group:default/{name}",
        "repoUrl": f"github.com?owner=acme&repo={name}-ml",
        **TEAMS[name],
    }
