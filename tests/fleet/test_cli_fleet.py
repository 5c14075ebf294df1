"""`mlscaffold fleet render`: exit codes, output, progress and what is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli as run


def test_fleet_render_writes_every_team_and_exits_zero(
    tmp_path: Path,
    teams_file: Path,
    shared_crds: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out"
    code, stdout, err = run(
        [
            "fleet",
            "render",
            str(teams_file),
            "--crds",
            str(shared_crds),
            "-o",
            str(out),
        ],
        capsys,
    )
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["fraud", "recs", "vision"]
    assert (out / "recs" / "deploy" / "cronworkflow.yaml").is_file()
    assert not (out / "fraud" / "deploy" / "cronworkflow.yaml").exists()
    # Not a terminal: plain progress lines, then the summary.
    assert "[3/3] vision ok" in err
    assert "3 teams: 3 rendered, 3 written, 0 with findings at or above error" in err
    assert "0 errors" in stdout


def test_fleet_render_json_report_prefixes_paths_with_the_team(
    teams_file: Path, shared_crds: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, _ = run(
        ["fleet", "render", str(teams_file), "--crds", str(shared_crds),
         "--output", "json", "--no-progress", "--fail-on", "warning"],
        capsys,
    )  # fmt: skip
    data = json.loads(stdout)
    assert "recs/platform/teams/recs/namespace.yaml" in data["checked"]
    assert len(data["checked"]) == len({p for p in data["checked"]})
    warnings = [f for f in data["findings"] if f["severity"] == "warning"]
    assert code == (1 if warnings else 0)
    assert all(f["path"].split("/")[0] in {"recs", "fraud", "vision"} for f in warnings)


def test_one_bad_team_gives_exit_two_and_the_others_are_still_written(
    tmp_path: Path, teams_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "template: {name: ml-project, version: '1.0.0'}\n"
        "parameters: {team: bad, owner: 'group:default/x', modelName: X,"
        " repoUrl: 'github.com?owner=a&repo=b'}\n"
    )
    out = tmp_path / "out"
    code, _, err = run(
        ["fleet", "render", str(teams_file), str(bad), "--no-validate", "-o", str(out)],
        capsys,
    )
    assert code == 2
    assert "bad: ParamsError: modelName:" in err
    assert "[1/4] bad FAILED" in err
    assert sorted(p.name for p in out.iterdir()) == ["fraud", "recs", "vision"]


def test_fleet_render_at_a_revision_ignores_work_tree_edits(
    tmp_path: Path, platform_repo: Path, teams_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    limits = (
        platform_repo / "skeletons" / "ml-project" / "deploy" / "inferenceservice.yaml"
    )
    limits.write_text("# uncommitted\n" + limits.read_text())
    for rev, expected in ((["--rev", "HEAD"], False), ([], True)):
        out = tmp_path / f"out{len(rev)}"
        code, _, err = run(
            ["fleet", "render", str(teams_file), "--no-validate", "-o", str(out),
             "--platform-repo", str(platform_repo), *rev],
            capsys,
        )  # fmt: skip
        assert code == 0, err
        text = (out / "recs" / "deploy" / "inferenceservice.yaml").read_text()
        assert text.startswith("# uncommitted") is expected
