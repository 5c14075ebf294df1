"""Hypothesis strategies for team parameters, derived from the parameter JSON Schema.

Valid sets draw every field from its own schema (hypothesis-jsonschema) and then fix
the fields that cross-field rules tie together (size, accelerator, GPU hours, the
repo host); free-text fields also draw adversarial text. Invalid sets start from a
valid one and break exactly one rule of one field.
"""

from __future__ import annotations

import re
from typing import Any, cast

from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from mlscaffold.params import HOURS_PER_MONTH, parameter_schema
from mlscaffold.settings import PlatformSettings, load_platform

SCHEMA = parameter_schema()
PROPERTIES: dict[str, Any] = SCHEMA["properties"]
REQUIRED: list[str] = SCHEMA["required"]
PLATFORM: PlatformSettings = load_platform()
FREE_TEXT = ("description",)

ADVERSARIAL_PIECES = [
    "'",
    '"',
    ":",
    ": ",
    "\n",
    "\n\n",
    "\t",
    "${{",
    "}}",
    "${{ values.team }}",
    "{{",
    "{%",
    "%}",
    "{#",
    "#",
    " #",
    "../",
    "..",
    "/",
    "\\",
    "- ",
    "? ",
    "&a",
    "*a",
    "!!python/object",
    "|",
    ">",
    "---",
    "...",
    "@",
    "`",
    "%",
    "[",
    "]",
    "{",
    "}",
    ",",
    "null",
    "true",
    "0x1F",
    "1e3",
    "ünïcödé",
    "—",
    "日本語",
    "😀",
    "\u00a0",
    " ",
    "  ",
    "key: value",
    "- item",
]


def js_pattern_ok(pattern: str, value: str) -> bool:
    """Match like JavaScript (Backstage): ``$`` is the very end of the text."""
    return re.search(pattern.replace("$", r"\Z"), value) is not None


def _schema_text(name: str) -> st.SearchStrategy[str]:
    spec = {k: v for k, v in PROPERTIES[name].items() if not k.startswith("ui:")}
    # A text field's schema only generates strings.
    strategy = cast("st.SearchStrategy[str]", from_schema(spec))
    if "pattern" in spec:
        strategy = strategy.filter(lambda v: js_pattern_ok(spec["pattern"], v))
    return strategy


def adversarial_text(name: str) -> st.SearchStrategy[str]:
    """Quotes, colons, newlines, template markers, paths, unicode: within the schema."""
    spec = PROPERTIES[name]
    text = st.lists(
        st.one_of(st.sampled_from(ADVERSARIAL_PIECES), st.text(max_size=5)), max_size=12
    ).map("".join)
    limit = spec.get("maxLength", 10_000)
    return text.map(lambda v: v[:limit]).filter(
        lambda v: "pattern" not in spec or js_pattern_ok(spec["pattern"], v)
    )


@st.composite
def valid_params(draw: st.DrawFn, adversarial: bool = True) -> dict[str, Any]:
    """A parameter set the form and validate_params both accept."""
    params: dict[str, Any] = {}
    for name in PROPERTIES:
        if name not in REQUIRED and draw(st.booleans()):
            continue  # the default applies
        if name in FREE_TEXT and adversarial:
            params[name] = draw(st.one_of(_schema_text(name), adversarial_text(name)))
        else:
            params[name] = draw(_schema_text(name))
    # Cross-field rules: derive the tied fields from the drawn size.
    size = params.get("size", PROPERTIES["size"]["default"])
    gpus = PLATFORM.sizes[size].gpus
    choices = [
        a for a in PROPERTIES["accelerator"]["enum"] if (a == "none") == (gpus == 0)
    ]
    accelerator = params.get("accelerator", PROPERTIES["accelerator"]["default"])
    if accelerator not in choices:
        params["accelerator"] = draw(st.sampled_from(choices))
    hours = params.get("gpuHoursPerMonth", PROPERTIES["gpuHoursPerMonth"]["default"])
    if hours > gpus * HOURS_PER_MONTH:
        params["gpuHoursPerMonth"] = draw(st.integers(0, gpus * HOURS_PER_MONTH))
    query = params["repoUrl"].partition("?")[2]
    params["repoUrl"] = f"{draw(st.sampled_from(PLATFORM.allowed_hosts))}?{query}"
    if "retrainSchedule" in params:  # the pattern checks characters, not ranges
        params["retrainSchedule"] = draw(cron_expressions())
    return params


def _cron_field(low: int, high: int, names: tuple[str, ...] = ()) -> Any:
    number = st.integers(low, high).map(str)
    return st.one_of(
        st.just("*"),
        number,
        st.integers(1, high).map(lambda n: f"*/{n}"),
        st.tuples(st.integers(low, high), st.integers(low, high)).map(
            lambda r: f"{min(r)}-{max(r)}"
        ),
        st.lists(number, min_size=2, max_size=3).map(",".join),
        *([st.sampled_from(names)] if names else []),
    )


def cron_expressions() -> st.SearchStrategy[str]:
    """Schedules Argo Workflows accepts: five fields in range, or a macro."""
    fields = st.tuples(
        _cron_field(0, 59),
        _cron_field(0, 23),
        _cron_field(1, 28),
        _cron_field(1, 12, ("JAN", "JUN", "DEC")),
        _cron_field(0, 7, ("MON", "FRI", "SUN")),
    ).map(" ".join)
    return st.one_of(fields, st.sampled_from(["@daily", "@weekly", "@hourly"]))


def _not_string() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.integers(), st.booleans(), st.none(), st.lists(st.text(), max_size=2)
    )


def _breakers(name: str, base: dict[str, Any]) -> list[st.SearchStrategy[Any]]:
    """Values that break one schema or cross-field rule of field ``name``."""
    spec = PROPERTIES[name]
    if spec["type"] == "integer":
        found = [
            st.one_of(
                st.text(max_size=5),
                st.floats(allow_nan=False, allow_infinity=False).filter(
                    lambda f: not f.is_integer()
                ),
                st.booleans(),
                st.none(),
            ),
            st.integers(max_value=spec["minimum"] - 1),
            st.integers(min_value=spec["maximum"] + 1),
        ]
        budget = PLATFORM.sizes[base.get("size", "s")].gpus * HOURS_PER_MONTH
        if budget < spec["maximum"]:
            found.append(st.integers(budget + 1, spec["maximum"]))
        return found
    found = [_not_string()]
    if "enum" in spec:
        found.append(st.text(max_size=20).filter(lambda v: v not in spec["enum"]))
    if "pattern" in spec:
        found.append(
            st.text(max_size=30).filter(
                lambda v: (
                    not js_pattern_ok(spec["pattern"], v)
                    and len(v) <= spec.get("maxLength", 10_000)
                )
            )
        )
    if "maxLength" in spec:
        found.append(
            st.integers(spec["maxLength"] + 1, spec["maxLength"] + 50).map(
                lambda n: "a" * n
            )
        )
    if "minLength" in spec:
        found.append(st.just(""))
    if name == "repoUrl":
        found.append(st.just("gitlab.example?owner=acme&repo=x"))
    if name == "accelerator":
        gpus = PLATFORM.sizes[base.get("size", "s")].gpus
        wrong = [a for a in spec["enum"] if (a == "none") != (gpus == 0)]
        found.append(st.sampled_from(wrong))
    return found


def _cross_size(base: dict[str, Any]) -> st.SearchStrategy[str] | None:
    """A size that the drawn accelerator does not fit (reported on ``accelerator``)."""
    accelerator = base.get("accelerator", PROPERTIES["accelerator"]["default"])
    wrong = [
        s for s, p in PLATFORM.sizes.items() if (p.gpus == 0) != (accelerator == "none")
    ]
    return st.sampled_from(wrong) if wrong else None


@st.composite
def invalid_params(draw: st.DrawFn, field: str) -> tuple[dict[str, Any], set[str]]:
    """A valid set with one rule of ``field`` broken.

    Returns:
        The set, and the fields a problem line may name (a broken cross-field
        rule is reported on the field the rule is about).
    """
    params = draw(valid_params(adversarial=False))
    if field == "(unknown)":
        key = draw(
            st.text(min_size=1, max_size=10).filter(lambda k: k not in PROPERTIES)
        )
        return {**params, key: draw(st.text(max_size=5))}, {key}
    options = [(s, {field}) for s in _breakers(field, params)]
    if field in REQUIRED:
        options.append((st.just(_DROP), {field}))
    cross = _cross_size(params) if field == "size" else None
    if cross is not None:
        options.append((cross, {"size", "accelerator", "gpuHoursPerMonth"}))
    strategy, named = options[draw(st.integers(0, len(options) - 1))]
    value = draw(strategy)
    if value is _DROP:
        params.pop(field)
    else:
        params[field] = value
    return params, named


_DROP = object()
