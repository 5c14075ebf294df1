"""Render a step's ``input`` as Backstage's workflow runner does before the action."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any, Final

from jinja2.runtime import Undefined

from mlscaffold.render import filters as bs
from mlscaffold.render.engine import (
    BackstageEnvironment,
    evaluate_lone_expression,
    lone_expression,
    render_string,
)

__all__ = ["js_json_value", "render_step_input"]

_MAX_SAFE: Final = 2**53


class _Missing:
    """Marker for a value JSON drops (undefined): its key disappears."""


_MISSING: Final = _Missing()


def js_json_value(value: Any) -> Any:
    """Pass ``value`` through ``JSON.parse(JSON.stringify(value))`` as Backstage does.

    Numbers become doubles (integers beyond 2**53 lose precision, ``2.0`` is ``2``),
    NaN and infinities become ``None``, tuples become lists, undefined object members
    disappear (and become ``None`` inside arrays), keys become strings.

    Returns:
        Plain JSON data, or ``None`` for a top-level undefined.
    """
    result = _json(value)
    return None if result is _MISSING else result


def _number(value: float) -> Any:
    if isinstance(value, int):
        if -_MAX_SAFE <= value <= _MAX_SAFE:
            return value
        try:
            value = float(value)
        except OverflowError:
            return None
    if not math.isfinite(value):
        return None
    if value.is_integer() and abs(value) <= _MAX_SAFE:
        return int(value)
    return value  # a double outside the safe range prints via js_number


def _json(value: Any) -> Any:
    if value is None or type(value) is str or type(value) is bool:
        return value
    if isinstance(value, str):  # Markup and other str subclasses become plain text
        return str(value)
    if isinstance(value, (int, float)):
        return _number(value)
    if isinstance(value, Undefined) or value is bs.JS_UNDEFINED or callable(value):
        return _MISSING
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            converted = _json(item)
            if converted is not _MISSING:
                out[bs.js_string(key) if not isinstance(key, str) else key] = converted
        return out
    if isinstance(value, (list, tuple, Iterator)):
        return [None if (c := _json(item)) is _MISSING else c for item in value]
    return str(value)


def _render(
    value: Any, context: Mapping[str, Any], env: BackstageEnvironment, at: str
) -> Any:
    if isinstance(value, str):
        expression = lone_expression(env, value)
        if expression is None:
            return render_string(env, value, context, name=at)
        return _json(evaluate_lone_expression(env, expression, context, name=at))
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            rendered = _render(item, context, env, f"{at}.{key}")
            if rendered is not _MISSING:
                out[str(key)] = rendered
        return out
    if isinstance(value, (list, tuple)):
        items = [
            _render(item, context, env, f"{at}[{i}]") for i, item in enumerate(value)
        ]
        return [None if item is _MISSING else item for item in items]
    return _json(value)


def render_step_input(
    value: Any,
    context: Mapping[str, Any],
    env: BackstageEnvironment,
    *,
    name: str = "input",
) -> Any:
    """Render a step ``input`` (for example fetch:template's ``values``) like Backstage.

    - A string that is exactly one ``${{ expr }}`` keeps the expression's JSON type
      (number, boolean, object, list, ``''``); if the value is undefined the key is
      dropped (``None`` at the top level).
    - Any other string renders to a string, printed with JavaScript's rules; an
      empty result stays ``''`` (design.md section 5).
    - Mappings and lists recurse; other values pass through as JSON.

    Args:
        value: The raw input from template.yaml.
        context: What expressions see, e.g. ``{"parameters": {...}}``.
        env: The environment to render with.
        name: Label for error locations (e.g. ``steps[0].input.values``).

    Returns:
        Plain JSON data (dict, list, str, int, float, bool, None).

    Raises:
        SkeletonError: An expression does not parse.
        RenderError: An expression fails.
    """
    result = _render(value, context, env, name)
    return None if result is _MISSING else result
