"""Snapshots of every team in teams.yaml: one readable YAML file per generated file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mlscaffold.params import parameter_schema
from mlscaffold.pytest_plugin import RenderedTeam, TreeSnapshot
from mlscaffold.teams import read_teams

TEAMS = Path(__file__).with_name("teams.yaml")


@pytest.mark.mlscaffold_teams("teams.yaml")
def test_team(mlscaffold_team: RenderedTeam, mlscaffold_snapshot: TreeSnapshot) -> None:
    mlscaffold_snapshot.assert_match(mlscaffold_team)


@pytest.mark.parametrize("field", ["size", "accelerator", "maturity", "servingMode"])
def test_matrix_covers_every_choice(field: str) -> None:
    properties = parameter_schema()["properties"]
    used = {
        case.parameters.get(field, properties[field]["default"])
        for case in read_teams(TEAMS)
    }

    assert used == set(properties[field]["enum"])


def test_snapshot_folders_match_the_teams() -> None:
    folder = Path(__file__).parent / "__snapshots__" / "test_golden" / "test_team"
    teams = {case.name for case in read_teams(TEAMS)}

    assert {p.name for p in folder.iterdir()} == teams


def test_adversarial_description_is_one_string_in_the_snapshot() -> None:
    folder = Path(__file__).parent / "__snapshots__" / "test_golden" / "test_team"
    (case,) = [c for c in read_teams(TEAMS) if c.name == "mig-l"]
    catalog = yaml.safe_load((folder / "mig-l" / "catalog-info.yaml").read_text())

    assert catalog["metadata"]["description"] == case.parameters["description"]
