"""JavaScript value rules Backstage prints with: String(), toString, JSON.stringify."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from typing import Any, Final

__all__ = [
    "JS_UNDEFINED",
    "is_undefined",
    "js_dump",
    "js_number",
    "js_string",
    "js_truthy",
    "template_literal",
]


class _JsUndefined:
    """JavaScript ``undefined``: what a filter returns for a missing value."""

    _instance: _JsUndefined | None = None

    def __new__(cls) -> _JsUndefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "JS_UNDEFINED"

    def __bool__(self) -> bool:
        return False


JS_UNDEFINED: Final = _JsUndefined()

# JS Number.MAX_SAFE_INTEGER: integers beyond it only exist as doubles in Backstage.
_MAX_SAFE = 2**53 - 1


def is_undefined(value: object) -> bool:
    """True for JS_UNDEFINED and any Jinja2 ``Undefined``."""
    # jinja2.Undefined is duck-typed here so this module stays free of jinja2.
    return value is JS_UNDEFINED or type(value).__name__.endswith("Undefined")


def js_number(value: float) -> str:  # noqa: C901 - one branch per ECMAScript case
    """Format a number the way JavaScript's ``Number.prototype.toString`` does.

    Integers beyond 2**53 are rounded to a double first, as JSON.parse would.

    Args:
        value: An int or float (not a bool).

    Returns:
        ``1.0`` -> ``1``, ``1e16`` -> ``10000000000000000``, ``1e-06`` -> ``0.000001``,
        ``1e21`` -> ``1e+21``, ``nan`` -> ``NaN``.
    """
    if isinstance(value, int):
        if -_MAX_SAFE <= value <= _MAX_SAFE:
            return str(value)
        try:
            value = float(value)
        except OverflowError:
            return "Infinity" if value > 0 else "-Infinity"
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    # repr() gives the shortest round-trip digits, like the ECMAScript algorithm.
    mantissa, _, exp_text = repr(abs(value)).partition("e")
    int_part, _, frac_part = mantissa.partition(".")
    digits = int_part + frac_part
    point = len(int_part) + int(exp_text or 0)
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    k, n = len(digits), point
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    exponent = f"{'+' if n - 1 >= 0 else '-'}{abs(n - 1)}"
    if k == 1:
        return f"{sign}{digits}e{exponent}"
    return f"{sign}{digits[0]}.{digits[1:]}e{exponent}"


def js_string(value: object) -> str:
    """Convert a value to text like JavaScript's ``String(value)``.

    ``None`` and undefined give ``''`` here because that is how Backstage *prints*
    them; inside arrays they also join as empty (``Array.prototype.join``).
    """
    if value is None or is_undefined(value):
        return ""
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return js_number(value)
    if isinstance(value, (list, tuple)):
        return ",".join(js_string(item) for item in value)
    if isinstance(value, Mapping):
        return "[object Object]"
    if isinstance(value, Iterator):
        # Jinja filters such as select or batch return generators where nunjucks
        # returns arrays; print them as the array would print.
        return ",".join(js_string(item) for item in value)
    return str(value)


def template_literal(value: object) -> str:
    """``${value}`` in a JS template literal: js_string, null/undefined spelled out."""
    if value is None:
        return "null"
    if is_undefined(value):
        return "undefined"
    return js_string(value)


def js_dump(value: object, indent: int | str | None = None) -> Any:
    """Nunjucks' ``dump`` filter: ``JSON.stringify(value, null, indent)``.

    Returns:
        The JSON text, or JS_UNDEFINED for values JSON.stringify drops.
    """
    pad = " " * min(int(indent), 10) if isinstance(indent, (int, float)) else ""
    if isinstance(indent, str):
        pad = indent[:10]
    return _stringify(value, pad, "")


def _stringify(value: object, pad: str, current: str) -> Any:  # noqa: C901
    if value is None:
        return "null"
    if is_undefined(value) or callable(value):
        return JS_UNDEFINED
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return "null"
        return js_number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    inner = current + pad
    sep, colon = ("," + "\n" + inner, ": ") if pad else (",", ":")
    if isinstance(value, Mapping):
        parts = []
        for key, item in value.items():
            text = _stringify(item, pad, inner)
            if text is not JS_UNDEFINED:
                parts.append(
                    json.dumps(js_string(key), ensure_ascii=False) + colon + text
                )
        if not parts:
            return "{}"
        return _wrap("{", "}", parts, sep, pad, inner, current)
    if isinstance(value, (list, tuple, Iterator)):
        items = [_stringify(item, pad, inner) for item in value]
        parts = ["null" if text is JS_UNDEFINED else text for text in items]
        if not parts:
            return "[]"
        return _wrap("[", "]", parts, sep, pad, inner, current)
    return json.dumps(str(value), ensure_ascii=False)


def _wrap(
    start: str, end: str, parts: list[str], sep: str, pad: str, inner: str, current: str
) -> str:
    if not pad:
        return start + sep.join(parts) + end
    return f"{start}\n{inner}{sep.join(parts)}\n{current}{end}"


def js_truthy(value: object) -> bool:
    """JavaScript truthiness: ``''``, ``0``, ``NaN``, null and undefined are false."""
    if value is None or is_undefined(value) or value is False:
        return False
    if isinstance(value, (int, float)):
        return value != 0 and not (isinstance(value, float) and math.isnan(value))
    if isinstance(value, str):
        return value != ""
    return True
