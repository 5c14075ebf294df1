"""Nunjucks built-ins whose results differ from Jinja2's; JS string/array members."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping, Sized
from typing import Any, Final
from urllib.parse import quote

import jinja2
from jinja2.runtime import Undefined
from jinja2.sandbox import MAX_RANGE
from jinja2.utils import pass_environment

from mlscaffold.render import jsprint as js
from mlscaffold.render.limits import spend_iterations

__all__ = [
    "NUNJUCKS_FILTERS",
    "NUNJUCKS_TESTS",
    "js_join",
    "js_length",
    "js_member",
    "js_range",
]


def js_length(value: Any) -> Any:
    """Nunjucks ``length``: UTF-16 code units for text, 0 for null and undefined."""
    if isinstance(value, str):  # JS counts UTF-16 code units: '😀' has length 2
        return len(value.encode("utf-16-le", "surrogatepass")) // 2
    if value is None or isinstance(value, Undefined):
        return 0
    if isinstance(value, Sized):
        return len(value)
    if isinstance(value, Iterator):
        return len(list(value))
    return js.JS_UNDEFINED


def _js_round(value: Any, precision: int = 0, method: str = "common") -> float:
    factor = 10.0**precision
    scaled = float(value) * factor
    if method == "ceil":
        rounded = math.ceil(scaled)
    elif method == "floor":
        rounded = math.floor(scaled)
    else:  # Math.round: halves go towards +infinity
        rounded = math.floor(scaled + 0.5)
    return rounded / factor


def _js_title(value: Any) -> str:
    return " ".join(
        w[:1].upper() + w[1:].lower() for w in js.js_string(value).split(" ")
    )


def _js_indent(value: Any, width: int = 4, indentfirst: bool = False) -> str:
    text = js.js_string(value)
    if not text:
        return ""
    pad = " " * int(width)
    lines = text.split("\n")
    return "\n".join(
        line if i == 0 and not indentfirst else pad + line
        for i, line in enumerate(lines)
    )


def _js_truncate(
    value: Any, length: int = 255, killwords: bool = False, end: str | None = "..."
) -> str:
    text = js.js_string(value)
    length = int(length) or 255
    if len(text) <= length:
        return text
    if killwords:
        text = text[:length]
    else:
        cut = text.rfind(" ", 0, length + 1)
        text = text[: length if cut == -1 else cut]
    return text + ("..." if end is None or isinstance(end, Undefined) else end)


def _uri_component(value: Any) -> str:
    return quote(js.js_string(value), safe="-_.!~*'()")


def _js_urlencode(value: Any) -> str:
    if isinstance(value, Mapping):
        pairs: Any = value.items()
    elif isinstance(value, (list, tuple)):
        pairs = value
    else:
        return _uri_component(value)
    return "&".join(f"{_uri_component(k)}={_uri_component(v)}" for k, v in pairs)


def js_member(obj: str | list[Any] | tuple[Any, ...], name: str) -> Any:
    """The JS property ``name`` of a string or array, or JS_UNDEFINED.

    Args:
        obj: A string or an array.
        name: The property, e.g. ``length`` or ``toUpperCase``.

    Returns:
        The value or a bound method; JS_UNDEFINED for anything else.
    """
    if name == "length":
        return js_length(obj)
    if isinstance(obj, str):
        methods: dict[str, Callable[..., Any]] = {
            "toUpperCase": obj.upper,
            "toLowerCase": obj.lower,
            "trim": obj.strip,
            "trimStart": obj.lstrip,
            "trimEnd": obj.rstrip,
            "startsWith": lambda s, pos=0: obj.startswith(js.js_string(s), int(pos)),
            "endsWith": lambda s: obj.endswith(js.js_string(s)),
            "includes": lambda s: js.js_string(s) in obj,
            "indexOf": lambda s: obj.find(js.js_string(s)),
            "split": lambda sep=js.JS_UNDEFINED: (
                [obj]
                if sep is js.JS_UNDEFINED or isinstance(sep, Undefined)
                else (list(obj) if sep == "" else obj.split(js.js_string(sep)))
            ),
            # JS replaces only the first match for a string pattern.
            "replace": lambda a, b: obj.replace(js.js_string(a), js.js_string(b), 1),
            "replaceAll": lambda a, b: obj.replace(js.js_string(a), js.js_string(b)),
            "slice": lambda start=0, end=None: obj[
                int(start) : None if end is None else int(end)
            ],
            "toString": lambda: obj,
        }
        return methods.get(name, js.JS_UNDEFINED)
    seq = obj
    array_methods: dict[str, Callable[..., Any]] = {
        "join": lambda sep=",": js.js_string(sep).join(js.js_string(v) for v in seq),
        "includes": lambda v: v in seq,
        "indexOf": lambda v: seq.index(v) if v in seq else -1,
        "slice": lambda start=0, end=None: list(
            seq[int(start) : None if end is None else int(end)]
        ),
    }
    return array_methods.get(name, js.JS_UNDEFINED)


@pass_environment
def js_join(
    environment: jinja2.Environment, value: Any, d: Any = "", attribute: Any = None
) -> str:
    """Nunjucks ``join``: Array.join, so ``null`` items join as empty text.

    Args:
        environment: The rendering environment (for attribute lookup).
        value: An array (or iterator); a string joins its characters.
        d: The separator (empty by default, unlike Array.join).
        attribute: Join this attribute of each item instead.

    Returns:
        The joined text.
    """
    if isinstance(value, str) or not isinstance(value, (list, tuple, Iterator)):
        return "".join(js.js_string(v) for v in value) if value else ""
    items = list(value)
    if attribute is not None and not isinstance(attribute, Undefined):
        items = [environment.getitem(item, attribute) for item in items]
    sep = js.js_string(d) if d else ""
    return sep.join(js.js_string(item) for item in items)


def js_range(start: Any, stop: Any = None, step: Any = None) -> list[Any]:
    """Nunjucks' ``range`` global: an array (not a lazy range), as nunjitsu returns.

    ``range(n)`` counts from 0; a missing or falsy step is 1; a negative step counts
    down; floats work. Like Jinja's sandbox, more than ``MAX_RANGE`` items are refused.

    Raises:
        OverflowError: The range would be too big.
        RenderError: The render's loops have used up their budget.
    """
    if stop is None or isinstance(stop, Undefined):
        start, stop, step = 0, start, 1
    elif not js.js_truthy(step):
        step = 1
    output: list[Any] = []
    value = start
    ascending = step > 0
    while (value < stop) if ascending else (value > stop):
        if len(output) >= MAX_RANGE:
            raise OverflowError(
                "Range too big. The sandbox blocks ranges larger than "
                f"MAX_RANGE ({MAX_RANGE})."
            )
        output.append(value)
        value = value + step
    spend_iterations(len(output))
    return output


# JS StrWhiteSpaceChar: what parseFloat/parseInt skip before the number.
_JS_SPACE: Final = (
    "\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
)
_JS_FLOAT = re.compile(r"[+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_DIGITS: Final = "0123456789abcdefghijklmnopqrstuvwxyz"


def js_float(value: Any, default: Any = js.JS_UNDEFINED) -> Any:
    """Nunjucks ``float``: ``parseFloat(String(value))``, ``default`` when NaN.

    ``'3.5px'`` gives 3.5 and ``'abc'`` gives undefined, where Jinja2 gives 0.0.
    """
    match = _JS_FLOAT.match(js.template_literal(value).lstrip(_JS_SPACE))
    if match is None:
        return default
    return float(match.group(0).replace("Infinity", "inf"))


def js_int(value: Any, default: Any = js.JS_UNDEFINED, base: Any = 10) -> Any:
    """Nunjucks ``int``: ``parseInt(String(value), base)``, ``default`` when NaN."""
    text = js.template_literal(value).lstrip(_JS_SPACE)
    sign = -1 if text[:1] == "-" else 1
    text = text[1:] if text[:1] in "+-" else text
    radix = 10 if js.is_undefined(base) else int(base)
    if radix in (0, 16) and text[:2].lower() == "0x":
        text, radix = text[2:], 16
    radix = radix or 10
    if not 2 <= radix <= 36:
        return default
    allowed = _DIGITS[:radix]
    count = 0
    while count < len(text) and text[count].lower() in allowed:
        count += 1
    if count == 0:
        return default
    return sign * int(text[:count], radix)


# Filters registered over Jinja's own (fidelity table, section 4.4); they take plain
# arguments and may raise RenderError unwrapped.
NUNJUCKS_FILTERS: Final[Mapping[str, Callable[..., Any]]] = {
    "dump": js.js_dump,
    "string": js.js_string,
    "length": js_length,
    "round": _js_round,
    "title": _js_title,
    "indent": _js_indent,
    "truncate": _js_truncate,
    "urlencode": _js_urlencode,
    "float": js_float,
    "int": js_int,
}

NUNJUCKS_TESTS: Final[Mapping[str, Callable[[Any], bool]]] = {
    "null": lambda v: v is None,
    "undefined": lambda v: isinstance(v, Undefined),
    "truthy": js.js_truthy,
    "falsy": lambda v: not js.js_truthy(v),
}
