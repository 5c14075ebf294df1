"""Rendering and validating a fleet, in one process and in several."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlscaffold.api import render_project
from mlscaffold.fleet.render import FleetProgress, render_fleet, renderer_for
from mlscaffold.fleet.revision import installed_sources
from mlscaffold.teams import Team, load_teams
from mlscaffold.validate import ValidateOptions
from tests.fleet.fleet_helpers import TEAMS, team_parameters


def options(crds: Path) -> ValidateOptions:
    return ValidateOptions(crd_dirs=(crds,), kubeconform="off")


@pytest.mark.parametrize("name", sorted(TEAMS))
def test_team_renderer_matches_render_project(name: str) -> None:
    renderer = renderer_for(installed_sources())
    tree = renderer.render(team_parameters(name)).tree
    expected = render_project(team_parameters(name)).tree
    assert dict(tree.entries) == dict(expected.entries)


def test_renderer_is_reusable_across_teams() -> None:
    renderer = renderer_for(installed_sources())
    first = renderer.render(team_parameters("recs")).tree
    renderer.render(team_parameters("fraud"))
    assert renderer.render(team_parameters("recs")).tree == first


def test_fleet_render_writes_valid_teams_and_keeps_going_after_a_bad_one(
    tmp_path: Path, teams_file: Path, shared_crds: Path
) -> None:
    teams = [*load_teams([teams_file]), Team("bad", {"team": "bad", "modelName": "X"})]
    events: list[FleetProgress] = []
    results = render_fleet(
        teams, installed_sources(), validate=options(shared_crds),
        out_dir=tmp_path / "out", progress=events.append,
    )  # fmt: skip
    assert [r.team for r in results] == ["bad", "fraud", "recs", "vision"]
    bad = results[0]
    assert bad.error is not None
    assert bad.error.kind == "ParamsError"
    assert bad.written is None
    for result in results[1:]:
        assert result.error is None
        assert result.files >= 12
        assert not [f for f in result.report.findings if f.severity >= 30]
        team = tmp_path / "out" / result.team
        assert (team / "platform" / "teams" / result.team / "namespace.yaml").is_file()
        assert (team / "deploy" / "inferenceservice.yaml").is_file()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "fraud",
        "recs",
        "vision",
    ]
    assert [e.done for e in events] == [1, 2, 3, 4]
    assert {e.team: e.ok for e in events} == {
        "bad": False, "fraud": True, "recs": True, "vision": True
    }  # fmt: skip


def test_parallel_render_gives_the_same_results(
    teams_file: Path, shared_crds: Path
) -> None:
    teams = load_teams([teams_file])
    serial = render_fleet(teams, installed_sources(), validate=options(shared_crds))
    parallel = render_fleet(
        teams, installed_sources(), validate=options(shared_crds), jobs=2
    )
    assert parallel == serial
    assert all(
        r.report.findings for r in serial
    )  # the notes are there, so both validated


def test_without_validation_no_findings(teams_file: Path) -> None:
    results = render_fleet(load_teams([teams_file]), installed_sources(), validate=None)
    assert all(r.error is None and r.report.findings == [] for r in results)


def test_force_replaces_team_folders_an_earlier_render_wrote_and_nothing_else(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    l3 = Team("recs", {**team_parameters("recs"), "maturity": "L3"})
    l2 = Team("recs", {**team_parameters("recs"), "maturity": "L2"})
    sources = installed_sources()
    [first] = render_fleet([l3], sources, validate=None, out_dir=out)
    assert first.error is None
    assert (out / "recs" / "deploy" / "cronworkflow.yaml").is_file()
    [again] = render_fleet([l2], sources, validate=None, out_dir=out, force=True)
    assert again.error is None, again.error
    assert not (out / "recs" / "deploy" / "cronworkflow.yaml").exists()
    (out / "recs" / "notes.md").write_text("the team's", encoding="utf-8")
    [refused] = render_fleet([l3], sources, validate=None, out_dir=out, force=True)
    assert refused.error is not None
    assert refused.error.exit_code == 2
    assert "notes.md" in refused.error.message
    assert (out / "recs" / "notes.md").read_text(encoding="utf-8") == "the team's"
