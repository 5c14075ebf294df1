"""The standard-library parameter checker words every problem as render does.

The cookiecutter export's pre-generation hook uses it where jsonschema is not
installed; every case of the invalid-parameter corpus must give the same lines.
"""

from __future__ import annotations

from typing import Any, get_args

import cronsim
import pytest

from mlscaffold._param_rules import (
    cron_problems,
    cross_field_problems,
    schema_problems,
    unicode_problems,
)
from mlscaffold.errors import ParamsError
from mlscaffold.params import (
    Accelerator,
    parameter_pages,
    parameter_schema,
    validate_params,
)
from mlscaffold.settings import load_platform
from tests.invalid.params.test_params_rejected import DOC, case_id, case_params


def _stdlib_problems(params: dict[str, Any]) -> list[str]:
    platform = load_platform()
    defaults = {
        name: spec["default"]
        for name, spec in parameter_schema()["properties"].items()
        if "default" in spec
    }
    data = {**defaults, **params}
    # In the order the hook checks (tests/invalid/test_cookiecutter_hook.py runs it).
    problems = unicode_problems(data) or schema_problems(data, parameter_pages())
    if problems:
        return problems
    sizes = {name: {"gpus": s.gpus} for name, s in platform.sizes.items()}
    return cross_field_problems(
        data, sizes, platform.allowed_hosts, get_args(Accelerator)
    ) + cron_problems(data["retrainSchedule"], cronsim.CronSim, cronsim.CronSimError)


# Unknown parameters are cookiecutter's to refuse (its context has no others).
CASES = [c for c in DOC["cases"] if c["rule"] != "unknown" and "xfail" not in c]


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_same_lines_as_jsonschema_for_every_invalid_case(case: dict[str, Any]) -> None:
    params = case_params(case)
    with pytest.raises(ParamsError) as caught:
        validate_params(params)
    assert _stdlib_problems(params) == caught.value.problems


def test_several_problems_keep_jsonschemas_order() -> None:
    params = {"team": "Bad_Name" * 9, "size": "xl", "gpuHoursPerMonth": -1,
              "modelName": 7}  # fmt: skip
    with pytest.raises(ParamsError) as caught:
        validate_params(params)
    assert len(caught.value.problems) >= 5
    assert _stdlib_problems(params) == caught.value.problems


def test_valid_parameters_have_no_problems() -> None:
    assert _stdlib_problems(DOC["base"]) == []
