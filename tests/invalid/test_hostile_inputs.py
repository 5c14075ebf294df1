"""Hostile inputs from files: each gets one line, its exit code, and writes nothing.

Every folder under ``hostile/`` holds the input files and a ``_case.yaml``: the
CLI arguments (``{case}`` is a copy of the folder, ``{out}`` an output folder in a
fresh directory), the exit code and a fragment of the one error line (or, for
findings, of the report).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from mlscaffold.cli import cli

CASES = Path(__file__).parent / "hostile"


def _listing(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_hostile_input_gets_one_line_and_its_exit_code(
    case: str, tmp_path: Path
) -> None:
    spec = yaml.safe_load((CASES / case / "_case.yaml").read_text(encoding="utf-8"))
    work = tmp_path / "work"
    shutil.copytree(CASES / case, work / "case")
    before = _listing(tmp_path)
    args = [arg.format(case=work / "case", out=work / "out") for arg in spec["args"]]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == spec["exit"], result.output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    if "stderr" in spec:
        assert len(errors) == 1, result.stderr
        assert spec["stderr"] in errors[0]
        assert len(errors[0]) < 400  # a message quotes a value, never the input
    else:  # findings, reported on stdout
        assert errors == [], result.stderr
        assert spec["stdout"] in result.stdout, result.stdout
    assert "Traceback" not in result.output
    assert _listing(tmp_path) == before  # nothing written, inside or outside
