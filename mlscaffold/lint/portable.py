"""The Backstage/Jinja2 portable subset as data, and helpers for the linter."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import jinja2
from jinja2 import nodes

__all__ = [
    "Contract",
    "Hit",
    "Tokens",
    "bound_names",
    "chain",
    "is_nullish",
    "missing_key",
    "mixed",
    "syntax_hit",
]

# Filters that render the same in Backstage (nunjucks/nunjitsu) and Jinja2, measured
# in backstage-fidelity.md 4.2, plus `default` (same for undefined), the `replace`
# filter (replaces all in both) and Backstage's own default filters.
PORTABLE_FILTERS = frozenset(
    [
        "upper",
        "lower",
        "capitalize",
        "trim",
        "center",
        "escape",
        "e",
        "safe",
        "striptags",
        "wordcount",
        "first",
        "last",
        "join",
        "length",
        "reverse",
        "sort",
        "sum",
        "select",
        "reject",
        "rejectattr",
        "selectattr",
        "dictsort",
        "list",
        "default",
        "d",
        "replace",
        "parseRepoUrl",
        "parseEntityRef",
        "pick",
        "projectSlug",
    ]
)
# Present in both engines but rendering differently: filter -> what differs.
DIFFERING_FILTERS = {
    "title": "Jinja2 also capitalises after '-' (World-Foo vs World-foo)",
    "truncate": "Jinja2 has a leeway of 5 characters and treats killwords differently",
    "indent": "nunjucks also indents blank lines, Jinja2 does not",
    "urlencode": "nunjucks encodes '/' as %2F, Jinja2 keeps '/'",
    "string": "lists and booleans stringify differently (b,a vs ['b', 'a'])",
    "int": "a non-number gives '' in Backstage and 0 in Jinja2",
    "float": "floats print in JS form in Backstage (3 vs 3.0)",
    "round": "Backstage rounds half up and prints an integer (2.5 -> 3 vs 2.0)",
    "batch": "nunjucks ignores the fill value",
    "groupby": "nunjucks returns an object that a loop does not iterate",
    "slice": "the engines split lists differently",
    "random": "the result is random in both engines",
    "abs": "floats print in JS form in Backstage",
    "forceescape": "escaping rules differ",
    "urlize": "the generated markup differs",
}
# Tests that exist, with the same meaning, in both engines.
PORTABLE_TESTS = frozenset(
    [
        "callable",
        "defined",
        "divisibleby",
        "eq",
        "equalto",
        "escaped",
        "even",
        "ge",
        "greaterthan",
        "gt",
        "iterable",
        "le",
        "lessthan",
        "lower",
        "lt",
        "mapping",
        "ne",
        "none",
        "number",
        "odd",
        "sameas",
        "string",
        "undefined",
        "upper",
    ]
)
LOOP_ATTRS = frozenset(
    ["index", "index0", "revindex", "revindex0", "first", "last", "length"]
)
# Globals both engines provide; `values` is the only data a skeleton sees.
KNOWN_ROOTS = frozenset(
    ["values", "loop", "range", "cycler", "joiner", "caller", "varargs", "kwargs"]
)
JINJA_ONLY_GLOBALS = frozenset({"namespace", "dict", "lipsum"})
GITHUB_CONTEXTS = frozenset(
    [
        "github",
        "secrets",
        "env",
        "matrix",
        "inputs",
        "runner",
        "needs",
        "vars",
        "job",
        "steps",
        "strategy",
    ]
)
BACKSTAGE_CONTEXTS = frozenset({"parameters", "user", "secrets", "steps", "each"})
# Tags that nunjucks has and Jinja2 lacks, or that need an extension in Jinja2.
NON_PORTABLE_TAGS = frozenset(
    [
        "switch",
        "case",
        "verbatim",
        "break",
        "continue",
        "do",
        "asyncEach",
        "asyncAll",
        "ifAsync",
    ]
)
# Advice for `.method()` calls: the filter (or construct) to use instead.
METHOD_ADVICE = {
    "upper": "| upper",
    "toUpperCase": "| upper",
    "lower": "| lower",
    "toLowerCase": "| lower",
    "strip": "| trim",
    "trim": "| trim",
    "capitalize": "| capitalize",
    "title": "| capitalize",
    "join": "| join(sep)",
    "replace": "| replace(old, new) (the JS method replaces only the first match)",
    "get": "x['key'] | default(...)",
    "keys": "| dictsort",
    "values": "| dictsort",
    "format": "~ or adjacent ${{ }} outputs",
}
PORTABLE_METHODS = frozenset({"split"})


@dataclass(frozen=True)
class Hit:
    """One construct found in a source string, before it becomes a Finding.

    Attributes:
        rule: Rule id (MLS5xx).
        line: 1-based line in the source, or None.
        column: 1-based column, or None when the token cannot be found.
        message: What is wrong and what to write instead.
    """

    rule: str
    line: int | None
    column: int | None
    message: str


@dataclass(frozen=True)
class Contract:
    """What the template's ``fetch:template`` step passes as ``values``.

    Attributes:
        passed: ``input.values`` as written in the template (keys and raw values).
        always_set: Keys that are never null or dropped (literals and required
            parameters passed as a lone ``${{ parameters.X }}``).
    """

    passed: Mapping[str, Any]
    always_set: frozenset[str] = field(default_factory=frozenset)


class Tokens:
    """Token positions, to give a line-only AST node a column."""

    def __init__(self, env: jinja2.Environment, source: str) -> None:
        """Lex ``source`` (which must parse) and index every token by line."""
        text = re.sub(r"\r\n?", "\n", source)
        starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.by_line: dict[int, list[tuple[str, str, int]]] = {}
        cursor = 0
        for lineno, kind, value in env.lex(source):
            pos = text.find(value, cursor) if value else -1
            if pos < 0:
                continue
            cursor = pos + len(value)
            line = text.count("\n", 0, pos) + 1
            col = pos - starts[line - 1] + 1
            self.by_line.setdefault(lineno, []).append((kind, value, col))

    def column(self, line: int | None, *values: str) -> int | None:
        """Column of the last of the first run of tokens ``values`` on ``line``.

        Whitespace tokens are ignored, so ``column(3, "values", ".", "team")`` finds
        ``values . team`` and gives the column of ``team``.
        """
        tokens = [t for t in self.by_line.get(line or 0, []) if t[0] != "whitespace"]
        size = len(values)
        for i in range(len(tokens) - size + 1):
            if all(tokens[i + j][1] == values[j] for j in range(size)):
                return tokens[i + size - 1][2]
        return None

    def names(self) -> Iterator[tuple[int, str, int]]:
        """Every name token as ``(line, name, column)``."""
        for line, tokens in self.by_line.items():
            for kind, value, col in tokens:
                if kind == "name":
                    yield line, value, col


def syntax_hit(err: jinja2.TemplateSyntaxError, source: str) -> Hit:
    """Classify a syntax error: stray ``{#``/``{%``, ``elseif``, or anything else."""
    lines = source.splitlines()
    line = err.lineno if err.lineno and err.lineno <= len(lines) else None
    text = lines[line - 1] if line else ""
    tag = re.match(r"Encountered unknown tag '([^']*)'", err.message or "")
    raw = (
        "wrap the text in {% raw %}...{% endraw %} or list the file in "
        "copyWithoutTemplating"
    )
    if "end of comment" in (err.message or ""):
        col = text.find("{#") + 1 or None
        return Hit(
            "MLS501",
            line,
            col,
            "'{#' opens a template comment in Backstage and Jinja2 (e.g. shell "
            f"${{#arr[@]}}); {raw}",
        )
    if tag and tag.group(1) == "elseif":
        col = text.find("elseif") + 1 or None
        return Hit("MLS502", line, col, "'elseif' exists only in nunjucks; use 'elif'")
    if tag and tag.group(1) in NON_PORTABLE_TAGS:
        col = text.find(tag.group(1)) + 1 or None
        return Hit(
            "MLS512",
            line,
            col,
            f"'{{% {tag.group(1)} %}}' is not supported by both engines; "
            "restructure with if/for",
        )
    if tag and "{%" in text:
        return Hit(
            "MLS501",
            line,
            text.find("{%") + 1,
            f"'{{%' starts a template tag ('{tag.group(1)}' is unknown), e.g. printf "
            f"'{{%s}}'; {raw}",
        )
    return Hit("MLS500", line, None, f"template syntax error: {err.message}")


def bound_names(tree: nodes.Template) -> set[str]:
    """Names a template assigns anywhere (set, for, macro and call arguments)."""
    bound = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    bound.update(m.name for m in tree.find_all(nodes.Macro))
    return bound


def chain(node: nodes.Node) -> tuple[str | None, list[str | None]]:
    """Root name and keys of ``a.b['c'][x]`` (None for a dynamic subscript)."""
    keys: list[str | None] = []
    while True:
        if isinstance(node, nodes.Getattr):
            keys.append(node.attr)
        elif isinstance(node, nodes.Getitem):
            arg = node.arg
            if isinstance(arg, nodes.Const) and isinstance(arg.value, str):
                keys.append(arg.value)
            else:
                keys.append(None)
        elif isinstance(node, nodes.Name):
            return node.name, keys[::-1]
        else:
            return None, []
        node = node.node


def missing_key(data: Any, keys: list[str | None]) -> int | None:
    """Index of the first key absent from literal ``data``; None when all resolve."""
    candidates = [data]
    for i, key in enumerate(keys):
        maps = [c for c in candidates if isinstance(c, Mapping)]
        if not maps:
            return None
        if key is None:
            candidates = [v for m in maps for v in m.values()]
        elif any(key not in m for m in maps):
            return i
        else:
            candidates = [m[key] for m in maps]
    return None


def is_nullish(node: nodes.Node) -> bool:
    """True for the literal ``none``."""
    return isinstance(node, nodes.Const) and node.value is None


def mixed(left: nodes.Node, right: nodes.Node) -> bool:
    """True for ``==`` between a non-string literal and anything not of its type."""
    for one, other in ((left, right), (right, left)):
        if isinstance(one, nodes.Const) and not isinstance(one.value, str):
            if isinstance(other, nodes.Const):
                return type(one.value) is not type(other.value)
            return True
    return False
