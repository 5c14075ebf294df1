"""Team parameters: schema validation, cross-field rules and error wording."""

from __future__ import annotations

from dataclasses import MISSING, fields
from typing import Any, get_args, get_type_hints

import pytest

from mlscaffold.errors import ParamsError
from mlscaffold.params import (
    Params,
    parameter_pages,
    parameter_schema,
    parse_assignments,
    validate_params,
)

BASE: dict[str, Any] = {
    "team": "recs",
    "owner": "group:default/recs",
    "repoUrl": "github.com?owner=acme&repo=recs-ml",
    "modelName": "ranker",
}


def problems_of(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(ParamsError) as caught:
        validate_params(raw)
    return caught.value.problems


def test_defaults_are_applied_from_the_schema() -> None:
    params = validate_params(BASE)
    for name, spec in parameter_schema()["properties"].items():
        if "default" in spec:
            assert getattr(params, name) == spec["default"], name


def test_typed_view_agrees_with_the_schema_field_by_field() -> None:
    """The dataclass and the JSON Schema are one contract: names, enums, defaults."""
    schema = parameter_schema()
    hints = get_type_hints(Params)
    assert {f.name for f in fields(Params)} == set(schema["properties"])
    for name, spec in schema["properties"].items():
        hint = hints[name]
        if "enum" in spec:
            assert set(get_args(hint)) == set(spec["enum"]), name
        elif spec["type"] == "integer":
            assert hint is int, name
        else:
            assert hint is str, name
        field = next(f for f in fields(Params) if f.name == name)
        assert ("default" in spec) == (name not in schema["required"]), name
        assert field.default == spec.get("default", MISSING), name


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"team": "Recs_Team"},
            "team: 'Recs_Team' has the wrong form (allowed: Lower-case DNS label",
        ),
        ({"team": "a" * 41}, "team: is 41 characters long, at most 40 allowed"),
        ({"team": "-recs"}, "team: '-recs' has the wrong form"),
        (
            {"owner": "recs"},
            "owner: 'recs' has the wrong form (allowed: The Backstage group",
        ),
        ({"size": "xl"}, "size: 'xl' is not allowed (allowed: xs, s, m, l)"),
        (
            {"gpuHoursPerMonth": -1},
            "gpuHoursPerMonth: -1 is out of range (allowed: at least 0)",
        ),
        ({"gpuHoursPerMonth": "many"}, "gpuHoursPerMonth: 'many' is not an integer"),
        ({"gpuHoursPerMonth": True}, "gpuHoursPerMonth: True is not an integer"),
        ({"modelName": "9lives"}, "modelName: '9lives' has the wrong form"),
        (
            {"modelFormat": "keras"},
            "modelFormat: 'keras' is not allowed (allowed: sklearn,",
        ),
        ({"maturity": "L4"}, "maturity: 'L4' is not allowed (allowed: L2, L3)"),
        ({"servingMode": "serverless"}, "servingMode: 'serverless' is not allowed"),
        ({"retrainSchedule": "daily"}, "retrainSchedule: 'daily' has the wrong form"),
        (
            {"repoUrl": "https://github.com/acme/x"},
            "repoUrl: 'https://github.com/acme/x' has the wrong form",
        ),
        ({"description": "bell\x07"}, "description: 'bell\\x07' has the wrong form"),
        (
            {"description": "line\u2028sep"},
            "description: 'line\\u2028sep' has the wrong form",
        ),
        ({"costCenter": "cc 12"}, "costCenter: 'cc 12' has the wrong form"),
        ({"colour": "blue"}, "colour: unknown parameter (allowed: team, owner,"),
    ],
)
def test_each_schema_problem_is_one_clear_line(
    change: dict[str, Any], expected: str
) -> None:
    problems = problems_of({**BASE, **change})
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected)


def test_missing_required_fields_are_all_reported() -> None:
    problems = problems_of({})
    assert [p.split(":")[0] for p in problems] == [
        "team",
        "owner",
        "repoUrl",
        "modelName",
    ]
    assert all(": is required (allowed: " in p for p in problems)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"size": "xs", "gpuHoursPerMonth": 0},
            "accelerator: size 'xs' has no GPU quota, so accelerator must be 'none'",
        ),
        (
            {"size": "m", "accelerator": "none", "gpuHoursPerMonth": 0},
            "accelerator: size 'm' includes 4 GPU(s) but accelerator is 'none'",
        ),
        (
            {"size": "s", "gpuHoursPerMonth": 731},
            "gpuHoursPerMonth: 731 exceeds what size 's' can use in a month "
            "(1 GPU x 730 h = 730",
        ),
        (
            {"repoUrl": "gitlab.com?owner=a&repo=b"},
            "repoUrl: host 'gitlab.com' is not allowed (allowed: github.com)",
        ),
        (
            {"repoUrl": "github.com?owner=a&repo=b&repo=c"},
            "repoUrl: 'github.com?owner=a&repo=b&repo=c' has the wrong form",
        ),
    ],
)
def test_cross_field_rules(change: dict[str, Any], expected: str) -> None:
    problems = problems_of({**BASE, **change})
    assert any(p.startswith(expected) for p in problems), problems


def test_boundaries_that_are_allowed() -> None:
    assert (
        validate_params({**BASE, "size": "s", "gpuHoursPerMonth": 730}).gpuHoursPerMonth
        == 730
    )
    assert validate_params(
        {**BASE, "size": "xs", "accelerator": "none", "gpuHoursPerMonth": 0}
    )
    assert validate_params({**BASE, "team": "a" * 40}).namespace == "a" * 40 + "-ml"
    text = 'He said "hi": ${{ x }} {{ y }} {% if %} # ../ ü\\ \n\ttab'
    assert validate_params({**BASE, "description": text}).description == text


def test_assignments_are_typed_by_the_schema() -> None:
    parsed = parse_assignments(
        ["team=recs", "gpuHoursPerMonth=200", "description=a=b", "modelName=007"]
    )
    assert parsed == {
        "team": "recs",
        "gpuHoursPerMonth": 200,
        "description": "a=b",
        "modelName": "007",
    }


def test_assignment_without_equals_is_refused() -> None:
    with pytest.raises(ParamsError, match="team: expected KEY=VALUE"):
        parse_assignments(["team"])


def test_pages_are_backstage_form_pages() -> None:
    pages = parameter_pages()
    assert [p["title"] for p in pages] == ["Team", "Repository", "Machine learning"]
    props = {name: spec for page in pages for name, spec in page["properties"].items()}
    assert props["owner"]["ui:field"] == "OwnerPicker"
    assert props["repoUrl"]["ui:field"] == "RepoUrlPicker"
    assert len(props["size"]["ui:enumNames"]) == len(props["size"]["enum"])
