"""Values parity: render_step_input vs Backstage's NunjucksWorkflowRunner."""
# ruff: noqa: E501  (a data table: template strings read best unbroken)

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

import pytest

from .oracle import ValuesJob, backstage_step_inputs, require_oracle

pytestmark = [pytest.mark.parity]


class _Absent:
    """Expected when Backstage drops the key (the rendered value is undefined)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = _Absent()

PARAMETERS: Mapping[str, Any] = {
    "name": "proj",
    "n": 7,
    "f": 1.5,
    "empty": "",
    "on": True,
    "off": False,
    "obj": {"k": [1, "v"]},
    "nul": None,
    "list": ["a", "b"],
    "entity": "group:team-a",
}

# (id, the step input value, what Backstage gives). Each case is one key of the
# step's `values`, so one workflow run covers them all.
CASES: tuple[tuple[str, Any, Any], ...] = (
    ("lone-string", "${{ parameters.name }}", "proj"),
    ("lone-number", "${{ parameters.n }}", 7),
    ("lone-float", "${{ parameters.f }}", 1.5),
    ("lone-bool", "${{ parameters.on }}", True),
    ("lone-object", "${{ parameters.obj }}", {"k": [1, "v"]}),
    ("lone-null", "${{ parameters.nul }}", None),
    ("lone-empty-string", "${{ parameters.empty }}", ""),
    ("lone-missing", "${{ parameters.nope }}", ABSENT),
    ("lone-missing-deep", "${{ parameters.nope.deeper }}", ABSENT),
    ("lone-arith", "${{ parameters.n * 2 }}", 14),
    ("lone-filter", "${{ parameters.list | join('-') }}", "a-b"),
    ("lone-parseEntityRef", "${{ parameters.entity | parseEntityRef }}",
     {"kind": "group", "namespace": "default", "name": "team-a"}),
    ("lone-dict-literal", "${{ { kind: parameters.name } }}", {"kind": "proj"}),
    ("lone-range", "${{ range(3) }}", [0, 1, 2]),
    ("lone-numeric-string", "${{ '42' }}", "42"),
    ("literal", "hello", "hello"),
    ("literal-number-text", "123", "123"),
    ("literal-true-text", "true", "true"),
    ("literal-empty", "", ABSENT),
    ("two-expressions", "${{ parameters.n }}${{ parameters.n }}", "77"),
    ("expression-then-space", "${{ parameters.n }} ", "7 "),
    ("space-then-expression", "  ${{ parameters.n }}", "  7"),
    ("text-around", "a-${{ parameters.name }}-b", "a-proj-b"),
    ("text-renders-empty", "${{ parameters.empty }}${{ parameters.nope }}", ABSENT),
    ("comment-then-expression", "{# c #}${{ parameters.n }}", 7),
    ("if-false-text", "{% if parameters.off %}x{% else %}false{% endif %}", False),
    ("if-text", "{% if parameters.on %}abc{% endif %}", "abc"),
    ("if-nothing", "{% if parameters.off %}abc{% endif %}", ABSENT),
    ("if-expression", "{% if parameters.on %}${{ parameters.obj }}{% endif %}",
     {"k": [1, "v"]}),
    ("if-json-text", "{% if parameters.on %}[${{ parameters.n }}, 2]{% endif %}", [7, 2]),
    ("if-quoted", "{% if parameters.on %}\"${{ parameters.name }}\"{% endif %}",
     '"proj"'),
    ("if-two-strings", "{% if parameters.on %}${{ parameters.name }}${{ parameters.name }}{% endif %}",
     "projproj"),
    ("for-digits", "{% for i in [1, 2] %}${{ i }}{% endfor %}", 12),
    ("set-only", "{% set x = 1 %}", ABSENT),
    ("set-block-then-print", "{% set x %}5{% endset %}${{ x }}", "5"),
    ("raw-digits", "{% raw %}42{% endraw %}", "42"),
    ("filter-block", "{% filter upper %}true{% endfilter %}", "TRUE"),
    ("json-looking-text", '{"a": ${{ parameters.n }}}', '{"a": 7}'),
    ("list-looking-text", "[${{ parameters.n }}, ${{ parameters.n }}]", "[7, 7]"),
    ("dump", "${{ parameters.obj | dump }}", '{"k":[1,"v"]}'),
    ("unknown-filter-kept-raw", "${{ parameters.name | nofilter }}",
     "${{ parameters.name | nofilter }}"),
    ("unknown-filter-in-text", "a ${{ parameters.name | nofilter }}",
     "a ${{ parameters.name | nofilter }}"),
    ("syntax-error-kept-raw", "${{ parameters.name ", "${{ parameters.name "),
    ("call-undefined-kept-raw", "${{ parameters.nope() }}", "${{ parameters.nope() }}"),
    ("filter-error-kept-raw", "${{ 'foo' | parseEntityRef }}", "${{ 'foo' | parseEntityRef }}"),
    ("list", ["${{ parameters.n }}", "", "${{ parameters.nope }}", "x"], [7, None, None, "x"]),
    ("nested", {"a": "${{ parameters.on }}", "b": "", "c": 1.0}, {"a": True, "c": 1}),
    ("ws-control-before-tag", "  {%- if parameters.on %}true{% endif %}", True),
    ("ws-control-inside", "{% if parameters.on -%}  5  {%- endif %}", 5),
    ("tag-then-newline", "{% if parameters.on %}true{% endif %}\n", "true\n"),
    ("expression-then-newline", "${{ parameters.n }}\n", "7\n"),
    ("macro-call", "{% macro m() %}1{% endmacro %}${{ m() }}", "1"),
    ("if-list", "{% if parameters.on %}${{ parameters.list }}{% endif %}", ["a", "b"]),
    # The template's fallbacks to the schema defaults: only an undefined value is replaced.
    ("default-missing", "${{ parameters.nope | default('s') }}", "s"),
    ("default-missing-number", "${{ parameters.nope | default(100) }}", 100),
    ("default-zero-kept", "${{ (parameters.n * 0) | default(100) }}", 0),
    ("default-false-kept", "${{ parameters.off | default(true) }}", False),
    ("default-empty-kept", "${{ parameters.empty | default('x') }}", ""),
    ("default-null-kept", "${{ parameters.nul | default('x') }}", None),
    ("default-quoted", "${{ parameters.nope | default('it\\'s \\\\ a') }}", "it's \\ a"),
    ("lone-float-of-undefined", "${{ parameters.nope | float }}", ABSENT),
    ("lone-undefined-in-if", "{% if parameters.on %}${{ parameters.nope }}{% endif %}", ABSENT),
    ("lone-float-prefix", "${{ '3.5px' | float }}", 3.5),
    ("lone-int-hex", "${{ '0x1f' | int(0, 16) }}", 31),
    ("int", 5, 5),
    ("null", None, None),
    ("bool", False, False),
)  # fmt: skip


@pytest.fixture(scope="session")
def backstage_values(tmp_path_factory: pytest.TempPathFactory) -> Mapping[str, Any]:
    """The rendered `values` of one step holding every case, from the real runner."""
    require_oracle()
    root = tmp_path_factory.mktemp("values-parity")
    template = {
        "apiVersion": "scaffolder.backstage.io/v1beta3",
        "kind": "Template",
        "metadata": {"name": "values-parity"},
        "spec": {
            "owner": "group:default/parity",
            "type": "service",
            "steps": [
                {
                    "id": "record",
                    "name": "record",
                    "action": "debug:log",
                    "input": {"values": {cid: raw for cid, raw, _ in CASES}},
                }
            ],
        },
    }
    path = root / "template.yaml"
    path.write_text(json.dumps(template), encoding="utf-8")  # JSON is YAML
    (result,) = backstage_step_inputs([ValuesJob(path, "record", PARAMETERS)])
    assert result.get("ok"), result
    values = result.get("values")
    assert isinstance(values, Mapping)
    return values


def _ours(raw: Any) -> Any:
    from mlscaffold.render.engine import BackstageEnvironment
    from mlscaffold.render.values import render_step_input

    rendered = render_step_input(
        {"case": raw}, {"parameters": dict(PARAMETERS)}, BackstageEnvironment()
    )
    return rendered.get("case", ABSENT)


def _ids() -> list[Any]:
    return [pytest.param(cid, raw, expected, id=cid) for cid, raw, expected in CASES]


@pytest.mark.parametrize(("cid", "raw", "expected"), _ids())
def test_backstage_values_as_documented(
    cid: str, raw: Any, expected: Any, backstage_values: Mapping[str, Any]
) -> None:
    """The oracle gives the documented value: guards against a broken harness."""
    assert raw is not None or expected is None  # only literal null gives null raw
    assert backstage_values.get(cid, ABSENT) == expected


@pytest.mark.parametrize(("cid", "raw", "expected"), _ids())
def test_values_match_backstage(
    cid: str, raw: Any, expected: Any, backstage_values: Mapping[str, Any]
) -> None:
    """render_step_input gives Backstage's value, type included (7 is not 7.0)."""
    theirs = backstage_values.get(cid, ABSENT)
    ours = _ours(raw)
    assert ours == theirs, f"documented: {expected!r}"
    assert json.dumps(ours, sort_keys=True, default=repr) == json.dumps(
        theirs, sort_keys=True, default=repr
    )


def test_cases_have_unique_ids() -> None:
    """One key per case in the step's values."""
    ids = [cid for cid, _, _ in CASES]
    assert len(ids) == len(set(ids))
