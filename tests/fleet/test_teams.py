"""Loading teams: teams files, answers files and folders of them (fleet and plugin)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlscaffold.errors import SettingsError
from mlscaffold.teams import load_answers, load_teams, read_teams

ANSWERS = """\
template:
  name: ml-project
  version: "1.0.0"
parameters:
  team: {team}
  owner: group:default/{team}
  repoUrl: github.com?owner=acme&repo={team}
  modelName: m
"""


def test_teams_file_as_list_with_defaults(tmp_path: Path) -> None:
    path = tmp_path / "teams.yaml"
    path.write_text(
        "defaults: {owner: 'group:default/ml', size: m}\n"
        "teams:\n  - {team: b, modelName: x}\n  - {team: a, modelName: y, size: l}\n"
    )
    teams = load_teams([path])
    assert [t.name for t in teams] == ["a", "b"]
    assert teams[0].parameters == {
        "owner": "group:default/ml", "size": "l", "team": "a", "modelName": "y"
    }  # fmt: skip
    assert teams[1].parameters["size"] == "m"


def test_teams_file_as_mapping_names_teams_by_key(tmp_path: Path) -> None:
    path = tmp_path / "teams.yaml"
    path.write_text("teams:\n  recs: {modelName: x}\n  other: {team: fraud}\n")
    teams = load_teams([path])
    # the key names the entry; it is the team parameter only when none is set
    assert [(t.name, t.parameters["team"]) for t in teams] == [
        ("other", "fraud"), ("recs", "recs")
    ]  # fmt: skip


def test_folder_of_answers_files_and_team_repositories(tmp_path: Path) -> None:
    (tmp_path / "recs.yaml").write_text(ANSWERS.format(team="recs"))
    repo = tmp_path / "checkouts" / "fraud-ml"
    (repo / ".mlscaffold").mkdir(parents=True)
    (repo / ".mlscaffold" / "answers.yaml").write_text(ANSWERS.format(team="fraud"))
    # Manifests in a checked-out repository are not answers files.
    (repo / "deploy").mkdir()
    (repo / "deploy" / "namespace.yaml").write_text("apiVersion: v1\nkind: Namespace\n")
    teams = load_teams([tmp_path])
    assert [(t.name, t.template_version) for t in teams] == [
        ("fraud", "1.0.0"), ("recs", "1.0.0")
    ]  # fmt: skip


def test_duplicate_team_is_refused_with_both_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(ANSWERS.format(team="recs"))
    (tmp_path / "b.yaml").write_text(ANSWERS.format(team="recs"))
    with pytest.raises(SettingsError, match=r"b\.yaml: team 'recs' is also defined in"):
        load_teams([tmp_path])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("teams: [{modelName: x}]\n", "has no 'team' parameter"),
        ("teams: 3\n", "must be a list or a mapping"),
        ("- a\n", "must be a YAML mapping"),
        ("parameters: {team: a}\n", "needs a 'template' and a 'parameters' mapping"),
        ("teams: [a]\n", r"teams\.\[0\]: must be a mapping"),
        ("teams: {}\n", "must be a list or a mapping of teams, not empty"),
        ("teams: [{id: a, team: x}, {id: a, team: y}]\n", "team 'a' is also defined"),
        ("defaults: {size: m}\n", "expected a teams file .* or an answers file"),
    ],
)
def test_bad_files_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(text)
    with pytest.raises(SettingsError, match=message):
        load_teams([path])


def test_empty_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="no answers or teams files"):
        load_teams([tmp_path])


def test_load_answers_reads_template_version(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(ANSWERS.format(team="recs"))
    answers = load_answers(path)
    assert (answers.template_name, answers.template_version) == ("ml-project", "1.0.0")
    assert answers.parameters["team"] == "recs"


# The plugin's README example: a variant of a team under its own key.
README_TEAMS = """\
defaults:
  owner: group:default/ml-platform
  team: ignored
teams:
  recs:   {modelName: ranker, size: m}
  fraud:  {modelName: scorer, size: xs}
  recs-l3: {team: recs, modelName: ranker, maturity: L3}
"""


def test_the_plugin_and_the_fleet_read_a_teams_file_alike(tmp_path: Path) -> None:
    path = tmp_path / "teams.yaml"
    path.write_text(README_TEAMS)
    fleet = load_teams([path])
    plugin = read_teams(path)
    assert [t.name for t in plugin] == ["recs", "fraud", "recs-l3"]  # file order
    assert sorted(plugin, key=lambda t: t.name) == fleet
    by_name = {t.name: t.parameters for t in fleet}
    assert by_name["recs"]["team"] == "recs"  # the key, not the defaults' team
    assert by_name["recs-l3"]["team"] == "recs"
    assert by_name["fraud"]["owner"] == "group:default/ml-platform"


def test_list_entries_are_named_by_id_else_team(tmp_path: Path) -> None:
    path = tmp_path / "teams.yaml"
    path.write_text("teams:\n  - {id: small, team: a}\n  - {team: b}\n")
    for teams in (load_teams([path]), read_teams(path)):
        assert {t.name: dict(t.parameters) for t in teams} == {
            "small": {"team": "a"}, "b": {"team": "b"}
        }  # fmt: skip


def test_the_plugin_reads_an_answers_file_too(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(ANSWERS.format(team="recs"))
    [team] = read_teams(path)
    assert (team.name, team.parameters["modelName"]) == ("recs", "m")
