from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlscaffold.errors import RenderError, SkeletonError
from mlscaffold.render.engine import BackstageEnvironment
from mlscaffold.render.values import js_json_value, render_step_input

PARAMS: dict[str, Any] = {
    "parameters": {
        "name": "proj",
        "epochs": 3,
        "ratio": 2.0,
        "big": 2**60 + 1,
        "useGpu": False,
        "empty": "",
        "none": None,
        "tags": ["a", "b"],
        "nested": {"k": 1.5},
    }
}


@pytest.fixture(scope="module")
def env() -> BackstageEnvironment:
    return BackstageEnvironment()


def test_lone_expressions_keep_json_types(env: BackstageEnvironment) -> None:
    values = {
        "epochs": "${{ parameters.epochs }}",
        "useGpu": "${{ parameters.useGpu }}",
        "tags": "${{ parameters.tags }}",
        "nested": "${{ parameters.nested }}",
        "none": "${{ parameters.none }}",
    }
    assert render_step_input(values, PARAMS, env) == {
        "epochs": 3,
        "useGpu": False,
        "tags": ["a", "b"],
        "nested": {"k": 1.5},
        "none": None,
    }


def test_numbers_become_js_doubles(env: BackstageEnvironment) -> None:
    out = render_step_input(
        {"r": "${{ parameters.ratio }}", "b": "${{ parameters.big }}"}, PARAMS, env
    )
    assert out["r"] == 2
    assert type(out["r"]) is int
    assert out["b"] == float(2**60 + 1)
    assert out["b"] != 2**60 + 1


def test_empty_string_from_a_lone_expression_is_kept(env: BackstageEnvironment) -> None:
    values = {
        "lone": "${{ parameters.empty }}",
        "literal": "",  # renders to '' -> undefined -> dropped
        "text": "x${{ parameters.empty }}",
        "gone": "${{ parameters.empty }}${{ parameters.empty }}",
    }
    assert render_step_input(values, PARAMS, env) == {"lone": "", "text": "x"}


def test_single_tag_is_coerced_to_json(env: BackstageEnvironment) -> None:
    values = {
        "off": "{% if parameters.useGpu %}true{% else %}false{% endif %}",
        "text": "{% if true %}abc{% endif %}",
        "loop": "{% for t in parameters.tags %}${{ loop.index }}{% endfor %}",
        "obj": "{% if true %}${{ parameters.nested }}{% endif %}",
        "comment": "{# c #}${{ parameters.epochs }}",
        "raw": "{% raw %}42{% endraw %}",
        "two": "${{ parameters.epochs }}${{ parameters.epochs }}",
        "none": "{% if false %}x{% endif %}",
    }
    assert render_step_input(values, PARAMS, env) == {
        "off": False,
        "text": "abc",
        "loop": 12,
        "obj": {"k": 1.5},
        "comment": 3,
        "raw": "42",
        "two": "33",
    }


def test_undefined_lone_expression_drops_key(env: BackstageEnvironment) -> None:
    values = {"gone": "${{ parameters.missing }}", "kept": "a${{ parameters.missing }}"}
    assert render_step_input(values, PARAMS, env) == {"kept": "a"}


def test_other_strings_render_with_js_printing(env: BackstageEnvironment) -> None:
    values = {
        "s": "gpu=${{ parameters.useGpu }} n=${{ parameters.ratio }}",
        "t": " ${{ parameters.epochs }}",
    }
    assert render_step_input(values, PARAMS, env) == {"s": "gpu=false n=2", "t": " 3"}


def test_nested_structures_and_passthrough(env: BackstageEnvironment) -> None:
    values = {
        "outer": {
            "inner": ["${{ parameters.name }}", "${{ parameters.missing }}", 4, True]
        },
        "num": 1.0,
        "none": None,
    }
    assert render_step_input(values, PARAMS, env) == {
        "outer": {"inner": ["proj", None, 4, True]},
        "num": 1,
        "none": None,
    }


def test_failure_keeps_the_raw_text(env: BackstageEnvironment) -> None:
    values = {
        "filter": "${{ 'foo' | parseEntityRef }}",
        "unknown": "a ${{ parameters.name | nofilter }}",
        "syntax": "${{ parameters.name ",
    }
    assert render_step_input(values, PARAMS, env) == values


def test_strict_raises(env: BackstageEnvironment) -> None:
    with pytest.raises(RenderError):
        render_step_input(
            {"x": "${{ 'foo' | parseEntityRef }}"}, PARAMS, env, strict=True
        )
    with pytest.raises(SkeletonError):
        render_step_input({"x": "${{ parameters.name "}, PARAMS, env, strict=True)


def test_js_json_value() -> None:
    assert js_json_value({"a": (1, 2.0), 3: float("nan"), "u": js_json_value}) == {
        "a": [1, 2],
        "3": None,
    }


_JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
)
_RAW = st.recursive(
    _JSON_LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(raw=_RAW, literal=_RAW)
def test_rendered_step_input_is_already_json_data(raw: Any, literal: Any) -> None:
    # CompiledSkeleton.render trusts step_values to hand it JSON data and does not
    # round-trip the values again; so whatever the parameters and literal settings
    # hold, the rendered input must be a fixed point of the JSON round trip.
    values = {
        "lone": "${{ parameters.raw }}",
        "text": "x ${{ parameters.raw }}",
        "literal": literal,
    }
    out = render_step_input(
        values, {"parameters": {"raw": raw}}, BackstageEnvironment()
    )
    assert js_json_value(out) == out
    assert _types(js_json_value(out)) == _types(out)


def _types(value: Any) -> Any:
    """The value's shape with every leaf's type, so 2 and 2.0 differ."""
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value).__name__
