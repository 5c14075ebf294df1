"""Every parameter rule refuses a bad value with a clear ``field: message`` line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlscaffold.params import parameter_schema

CASES_FILE = Path(__file__).with_name("cases.yaml")
DOC = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))
KEYWORDS = ("pattern", "enum", "minLength", "maxLength", "minimum", "maximum")
# Rules that only Python can check (see params.py), named as in cases.yaml.
CROSS_FIELD_RULES = {
    "cross.cpu-size-needs-no-accelerator",
    "cross.gpu-size-needs-accelerator",
    "cross.gpu-hours-budget",
    "repoUrl.allowedHosts",
    "retrainSchedule.cron",
    "description.unicode",
    "unknown",
}


def case_params(case: dict[str, Any]) -> dict[str, Any]:
    params = {**DOC["base"], **case.get("params", {})}
    for name in case.get("drop", []):
        params.pop(name)
    return params


def case_id(case: dict[str, Any]) -> str:
    return f"{case['rule']}:{case.get('params', case.get('drop'))}"


def as_param(case: dict[str, Any]) -> Any:
    marks = [pytest.mark.xfail(reason=case["xfail"])] if "xfail" in case else []
    return pytest.param(case, id=case_id(case), marks=marks)


@pytest.mark.parametrize("case", [as_param(c) for c in DOC["cases"]])
def test_rejected(
    case: dict[str, Any], mlscaffold_reject: Callable[..., list[str]]
) -> None:
    mlscaffold_reject(case_params(case), case["field"], case["message"])


def test_base_parameters_are_valid(mlscaffold_reject: Callable[..., list[str]]) -> None:
    with pytest.raises(pytest.fail.Exception, match="parameters were accepted"):
        mlscaffold_reject(DOC["base"], "team")


def expected_rules() -> set[str]:
    schema = parameter_schema()
    rules = {f"{name}.required" for name in schema["required"]}
    for name, spec in schema["properties"].items():
        rules.add(f"{name}.type")
        rules.update(f"{name}.{kw}" for kw in KEYWORDS if kw in spec)
    return rules | CROSS_FIELD_RULES


def test_every_rule_has_a_case() -> None:
    covered = {case["rule"] for case in DOC["cases"]}

    assert expected_rules() - covered == set()
    assert covered - expected_rules() == set(), "cases name rules the schema lost"
