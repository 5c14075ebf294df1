"""The standard-library parameter checker words every problem as jsonschema would.

render and the cookiecutter export's pre-generation hook both check the form with
:func:`schema_problems` (the hook runs where jsonschema is not installed; render
spares the import). Its oracle here is Python's jsonschema, Draft 7 with
JavaScript's patterns as Backstage's npm ``jsonschema`` has them: every case of the
invalid-parameter corpus, and generated values, must give the same lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, get_args

import cronsim
import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlscaffold._param_rules import (
    cron_problems,
    cross_field_problems,
    describe,
    js_regex,
    required_problem,
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
    data = _with_defaults(params)
    # In the order the hook checks (tests/invalid/test_cookiecutter_hook.py runs it).
    problems = unicode_problems(data) or schema_problems(data, parameter_pages())
    if problems:
        return problems
    sizes = {name: {"gpus": s.gpus} for name, s in platform.sizes.items()}
    return cross_field_problems(
        data, sizes, platform.allowed_hosts, get_args(Accelerator)
    ) + cron_problems(data["retrainSchedule"], cronsim.CronSim, cronsim.CronSimError)


def _with_defaults(params: Mapping[str, Any]) -> dict[str, Any]:
    defaults = {
        name: spec["default"]
        for name, spec in parameter_schema()["properties"].items()
        if "default" in spec
    }
    return {**defaults, **params}


def _js_pattern(
    validator: jsonschema.protocols.Validator, pattern: str, instance: Any, schema: Any
) -> Iterator[jsonschema.ValidationError]:
    del schema  # part of the keyword signature
    if validator.is_type(instance, "string") and not js_regex(pattern).search(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


# The stubs leave extend() unannotated; the result is a Draft7Validator subclass.
_Draft7JsPatterns: type[jsonschema.Draft7Validator] = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    jsonschema.Draft7Validator, {"pattern": _js_pattern}
)


def _jsonschema_problems(data: Mapping[str, Any]) -> list[str]:
    """The oracle: jsonschema's errors per page, by field path, worded as render's."""
    properties = parameter_schema()["properties"]
    problems: list[str] = []
    for page in parameter_pages():
        errors = _Draft7JsPatterns(page).iter_errors(data)
        for error in sorted(errors, key=lambda e: list(e.path)):
            if error.validator == "required":
                field = re.findall(r"'([^']+)'", error.message)[0]
                problems.append(required_problem(field, properties[field]))
                continue
            field = ".".join(str(p) for p in error.path)
            line = describe(
                str(error.validator),
                field,
                error.instance,
                error.validator_value,
                properties[str(error.path[0])],
            )
            problems.append(line or f"{field}: {error.message}")
    return problems


# Unknown parameters are cookiecutter's to refuse (its context has no others).
CASES = [c for c in DOC["cases"] if c["rule"] != "unknown" and "xfail" not in c]


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_same_lines_as_render_for_every_invalid_case(case: dict[str, Any]) -> None:
    params = case_params(case)
    with pytest.raises(ParamsError) as caught:
        validate_params(params)
    assert _stdlib_problems(params) == caught.value.problems


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_same_lines_as_jsonschema_for_every_invalid_case(case: dict[str, Any]) -> None:
    data = _with_defaults(case_params(case))
    assert schema_problems(data, parameter_pages()) == _jsonschema_problems(data)


def test_several_problems_keep_jsonschemas_order() -> None:
    params = {"team": "Bad_Name" * 9, "size": "xl", "gpuHoursPerMonth": -1,
              "modelName": 7}  # fmt: skip
    with pytest.raises(ParamsError) as caught:
        validate_params(params)
    assert len(caught.value.problems) >= 5
    assert _stdlib_problems(params) == caught.value.problems
    assert caught.value.problems == _jsonschema_problems(_with_defaults(params))


def test_valid_parameters_have_no_problems() -> None:
    assert _stdlib_problems(DOC["base"]) == []


_VALUES = st.one_of(
    st.text(max_size=60),
    st.from_regex(r"[a-z0-9-]{0,45}", fullmatch=True),
    st.integers(),
    st.integers(min_value=10**400),  # beyond a float
    st.floats(),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
    st.sampled_from(["xs", "l", "none", "L3", "onnx", "0 3 * * 1", "group:a/b"]),
)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(
    st.dictionaries(st.sampled_from(sorted(parameter_schema()["properties"])), _VALUES)
)
def test_generated_values_get_jsonschemas_lines(data: dict[str, Any]) -> None:
    assert schema_problems(data, parameter_pages()) == _jsonschema_problems(data)


def test_the_form_uses_only_keywords_the_checker_knows() -> None:
    # A keyword schema_problems does not check would pass silently where
    # Backstage's form refuses; extend _param_rules before using one.
    annotations = {"title", "description", "default"}
    for page in parameter_pages():
        assert set(page) <= {"type", "title", "required", "properties"}
        for name, spec in page["properties"].items():
            keywords = {k for k in spec if not k.startswith("ui:")}
            checked = {"type", "enum", "pattern", "minLength", "maxLength"}
            assert keywords <= checked | {"minimum", "maximum"} | annotations, name
