"""Render a step's ``input`` as Backstage's workflow runner does before the action."""

from __future__ import annotations

import json
import math
import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import CodeType
from typing import Any, Final

import jinja2
from jinja2 import nodes
from jinja2.runtime import Undefined

from mlscaffold.render import jsprint as js
from mlscaffold.render.codecache import cached_json_mode_code
from mlscaffold.render.engine import (
    BackstageEnvironment,
    newline_sequence_for,
    run_template,
)

__all__ = ["js_json_value", "render_step_input"]

_MAX_SAFE: Final = 2**53
_CACHE_LIMIT: Final = 4096
# Statements whose body writes straight into the template output; anything else
# (macros, call/filter/set blocks) captures its output first.
_PASS_THROUGH: Final = (
    nodes.If,
    nodes.For,
    nodes.With,
    nodes.Scope,
    nodes.ScopedEvalContextModifier,
)


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
    if isinstance(value, Undefined) or value is js.JS_UNDEFINED or callable(value):
        return _MISSING
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            converted = _json(item)
            if converted is not _MISSING:
                out[js.js_string(key) if not isinstance(key, str) else key] = converted
        return out
    if isinstance(value, (list, tuple, Iterator)):
        return [None if (c := _json(item)) is _MISSING else c for item in value]
    return str(value)


@dataclass(frozen=True)
class _Plan:
    """A compiled step-input string: the plain template, and the JSON-mode one.

    In JSON mode (``encoded``) every printed expression goes through ``dump``.
    """

    source: str
    normal: jinja2.Template
    encoded: jinja2.Template | None


_PLANS: weakref.WeakKeyDictionary[BackstageEnvironment, dict[str, _Plan]] = (
    weakref.WeakKeyDictionary()
)


def _children(body: list[nodes.Node]) -> list[nodes.Node]:
    """The top-level nodes as nunjucks counts them: one per text run or ``${{ }}``."""
    out: list[nodes.Node] = []
    for node in body:
        out.extend(node.nodes if isinstance(node, nodes.Output) else [node])
    return out


def _dump_outputs(node: nodes.Node) -> None:
    """Wrap every expression printed straight into the output in ``| dump``."""
    if isinstance(node, nodes.Output):
        node.nodes = [
            part
            if isinstance(part, nodes.TemplateData)
            else nodes.Filter(part, "dump", [], [], None, None, lineno=part.lineno)
            for part in node.nodes
        ]
        return
    if isinstance(node, (nodes.Template, *_PASS_THROUGH)):
        for field in ("body", "elif_", "else_"):
            for child in getattr(node, field, None) or ():
                _dump_outputs(child)


def _json_mode_code(env: BackstageEnvironment, source: str, at: str) -> CodeType | None:
    """The code that prints each expression as JSON, for a single-node string."""
    tree = env.parse(source, filename=at)
    top = _children(tree.body)
    if len(top) != 1 or isinstance(top[0], nodes.TemplateData):
        return None
    _dump_outputs(tree)
    return env.compile(tree, filename=at)


def _plan(env: BackstageEnvironment, source: str, at: str) -> _Plan:
    cache = _PLANS.setdefault(env, {})
    plan = cache.get(source)
    if plan is not None:
        return plan
    normal = env.compile_source(source, at)  # syntax errors raise here
    variant = env.for_newline(newline_sequence_for(source, at))
    code = cached_json_mode_code(
        variant, source, at, lambda: _json_mode_code(variant, source, at)
    )
    encoded = None
    if code is not None:
        encoded = variant.template_class.from_code(
            variant, code, variant.make_globals(None)
        )
    plan = _Plan(source, normal, encoded)
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[source] = plan
    return plan


def _no_constant(name: str) -> Any:
    raise ValueError(f"JSON.parse does not accept {name}")


def _render_text(
    source: str, context: Mapping[str, Any], env: BackstageEnvironment, at: str
) -> Any:
    """What nunjitsu's ``renderValue(source, ctx, {coercion: 'json'})`` returns.

    When the template is one node (one ``${{ }}``, or one tag such as ``{% if %}``),
    it is rendered with each printed expression as JSON (``dump``) and the whole
    text is ``JSON.parse``-d: ``{% if x %}false{% endif %}`` gives ``false``. When
    that is no JSON, or the template has several nodes, the plain text is the value.
    An empty result is undefined (the key disappears).
    """
    if "{" not in source:
        # No template syntax can start without a brace: the text is its own value.
        # (Most of a step's input is literal settings; this skips Jinja for them.)
        return _MISSING if source == "" else source
    plan = _plan(env, source, at)
    if plan.encoded is not None:
        encoded = run_template(plan.encoded, context, source=source, name=at)
        if encoded == "":
            return _MISSING
        try:
            decoded = json.loads(encoded, parse_constant=_no_constant)
        except ValueError:
            pass
        else:
            return _json(decoded)
    text = run_template(plan.normal, context, source=source, name=at)
    return _MISSING if text == "" else text


def _render(
    value: Any, context: Mapping[str, Any], render: Callable[[str, str], Any], at: str
) -> Any:
    if isinstance(value, str):
        return render(value, at)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            rendered = _render(item, context, render, f"{at}.{key}")
            if rendered is not _MISSING:
                out[str(key)] = rendered
        return out
    if isinstance(value, (list, tuple)):
        items = [
            _render(item, context, render, f"{at}[{i}]") for i, item in enumerate(value)
        ]
        return [None if item is _MISSING else item for item in items]
    return _json(value)


def render_step_input(
    value: Any,
    context: Mapping[str, Any],
    env: BackstageEnvironment,
    *,
    name: str = "input",
    strict: bool = False,
) -> Any:
    """Render a step ``input`` (for example fetch:template's ``values``) like Backstage.

    The runner JSON-round-trips the input and renders every string with nunjitsu's
    ``renderValue(..., {coercion: 'json'})``:

    - A string that is one node keeps a JSON type: ``${{ parameters.n }}`` stays a
      number, an object stays an object, ``''`` stays ``''``; so does a single tag
      whose output is JSON (``{% if x %}false{% endif %}`` is ``false``, a loop
      printing ``1`` and ``2`` is ``12``). Comments do not count as nodes.
    - Any other string renders to text, printed with JavaScript's rules.
    - A result that is undefined or empty text drops its key (``None`` in a list or
      at the top level); a literal ``''`` is dropped too.
    - A string whose rendering fails (unknown filter, syntax error, calling an
      undefined value) silently keeps its raw ``${{ ... }}`` text, as Backstage
      does; ``strict=True`` raises instead.
    - Mappings and lists recurse; other values pass through as JSON.

    Args:
        value: The raw input from template.yaml.
        context: What expressions see, e.g. ``{"parameters": {...}}``.
        env: The environment to render with.
        name: Label for error locations (e.g. ``steps[0].input.values``).
        strict: Raise on a failing string instead of keeping it raw.

    Returns:
        Plain JSON data (dict, list, str, int, float, bool, None).

    Raises:
        SkeletonError: With ``strict``, an expression does not parse.
        RenderError: With ``strict``, an expression fails.
    """

    def render(source: str, at: str) -> Any:
        try:
            return _render_text(source, context, env, at)
        except Exception:
            if strict:
                raise
            return source  # the runner's `catch { return value; }`

    result = _render(value, context, render, name)
    return None if result is _MISSING else result
