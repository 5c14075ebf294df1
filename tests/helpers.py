"""Helpers shared by test modules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mlscaffold.cli import main

#: ``--set`` arguments of a valid team, for commands that render one.
TEAM_ARGS = [
    "--set", "team=recs",
    "--set", "owner=group:default/recs",
    "--set", "repoUrl=github.com?owner=acme&repo=recs-ml",
    "--set", "modelName=ranker",
]  # fmt: skip


def run_cli(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    """Run ``mlscaffold ARGS`` in process, as the console script does.

    Returns:
        The exit code, stdout and stderr.
    """
    with pytest.raises(SystemExit) as caught:
        main(args)
    out, err = capsys.readouterr()
    return int(caught.value.code or 0), out, err


def expected_of(case: Path) -> list[tuple[str, int]]:
    """The findings a corpus case's ``# expect: RULE@LINE ...`` line names, sorted."""
    match = re.search(r"^# expect: (.*)$", case.read_text(), re.MULTILINE)
    assert match, f"{case.name} has no '# expect:' line"
    return sorted(
        (rule, int(line))
        for rule, line in (item.split("@") for item in match[1].split())
    )
