"""Evaluate CRD ``x-kubernetes-validations`` (CEL) rules as the API server does.

Per object: the schema defaults are applied first (on a copy), then every rule is
evaluated with ``self`` bound to the value at its schema node, wherever that node
is present. Transition rules (those reading ``oldSelf``) only run on update and are
noted, not evaluated. A rule the CEL library here cannot compile (a Kubernetes
library function such as ``quantity()`` that is not implemented) is reported as not
evaluated, with the reason; it never passes silently.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from mlscaffold.errors import Location
from mlscaffold.report.model import Finding, Severity
from mlscaffold.report.rules import rule_table
from mlscaffold.validate.documents import Document, pointer_of
from mlscaffold.validate.schema.check import dotted_path, jsonable

TOOL = "cel"

#: The CEL checker's rules, by id.
CEL_RULES = rule_table(
    TOOL,
    (
        ("MLS120", Severity.WARNING, "CEL rule present but not evaluated"),
        ("MLS121", Severity.ERROR, "CEL validation rule failed"),
        ("MLS122", Severity.INFO, "CEL transition rule not evaluated on create"),
        ("MLS123", Severity.ERROR, "CEL cost limit exceeded"),
    ),
)

#: The API server's limit on one rule evaluation (apiserver ``PerCallLimit``).
PER_CALL_COST_LIMIT = 1_000_000
#: The API server's budget for all rules of one object (``RuntimeCELCostBudget``).
OBJECT_COST_BUDGET = 10_000_000

# Field errors as the API server words them, by x-kubernetes-validations reason.
_REASONS = {
    "FieldValueRequired": "Required value",
    "FieldValueForbidden": "Forbidden",
    "FieldValueDuplicate": "Duplicate value",
    "FieldValueInvalid": "Invalid value",
}
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+|&&|\|\||[=!<>]=|[-+*/%<>!?:.\[(]")
_MACRO = re.compile(r"\.\s*(?:all|exists|exists_one|map|filter)\s*\(")
_FIELD_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*'([^']*)'\s*\]|\[(\d+)\]")
_UNDECLARED = re.compile(r"undeclared reference to '([^']+)'")


@dataclass(frozen=True)
class _Compiled:
    """A rule compiled once per process: an expression, or why there is none."""

    expression: Any = None
    transition: bool = False
    problem: str = ""
    tokens: int = 0
    iterates: bool = False


@dataclass
class _Walk:
    """State of checking one document: where findings go and the cost spent."""

    doc: Document
    label: str
    noted: set[str]
    budget: int
    findings: list[Finding] = field(default_factory=list)
    # Size of the value at a path: several rules of one node share it.
    sizes: dict[tuple[str | int, ...], int] = field(default_factory=dict)


def check_cel(
    doc: Document, tree: Mapping[str, Any], label: str, noted: set[str]
) -> list[Finding]:
    """Evaluate every CEL rule of ``tree`` against ``doc``.

    Args:
        doc: The custom resource.
        tree: The CRD version's CEL tree (``SchemaInfo.load_cel``).
        label: ``<kind> <apiVersion>``, used in messages.
        noted: Once-per-run notes already given (updated): MLS120 and MLS122 are
            said once per kind and rule, not once per object.

    Returns:
        MLS121 per failing rule, MLS123 when a rule or the object exceeds the
        API server's cost limits, and the once-per-run notes MLS120 and MLS122.
    """
    if not tree:
        return []
    walk = _Walk(doc, label, noted, OBJECT_COST_BUDGET)
    data = apply_defaults(jsonable(doc.data), tree)
    for path, value, node in _bound_nodes(data, tree, []):
        for rule in node.get("rules") or []:
            if isinstance(rule, Mapping) and isinstance(rule.get("rule"), str):
                _evaluate(walk, rule, path, value)
    return walk.findings


def apply_defaults(value: Any, node: Mapping[str, Any]) -> Any:
    """``value`` with the schema's defaults filled in, as the API server does.

    A missing property that has a ``default`` gets a copy of it (then its own
    defaults); objects and lists that change are copied, never modified in place.
    """
    if isinstance(value, dict):
        out = value
        for key, child in _children(value, node):
            new = apply_defaults(value[key], child)
            if new is not value[key]:
                out = dict(out) if out is value else out
                out[key] = new
        for name, child in (node.get("properties") or {}).items():
            if name not in value and "default" in child:
                out = dict(out) if out is value else out
                out[name] = apply_defaults(copy.deepcopy(child["default"]), child)
        return out
    if isinstance(value, list):
        new_items = [apply_defaults(item, child) for item, child in _items(value, node)]
        if any(a is not b for a, b in zip(new_items, value, strict=False)):
            return new_items
    return value


def _children(
    value: dict[str, Any], node: Mapping[str, Any]
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(key, schema node) of each present property that the tree describes."""
    properties = node.get("properties") or {}
    extra = node.get("additionalProperties")
    for key in value:
        child = properties.get(key)
        if child is None and key not in properties and isinstance(extra, Mapping):
            child = extra
        if child is not None:
            yield key, child


def _items(value: list[Any], node: Mapping[str, Any]) -> Iterator[tuple[Any, Any]]:
    items = node.get("items")
    for item in value:
        yield item, items if isinstance(items, Mapping) else {}


def _bound_nodes(
    value: Any, node: Mapping[str, Any], path: list[str | int]
) -> Iterator[tuple[list[str | int], Any, Mapping[str, Any]]]:
    """(path, value, schema node) for every present value whose node has rules."""
    if value is None:
        return  # A null (nullable) value is not validated by its rules.
    if node.get("rules"):
        yield path, value, node
    if isinstance(value, dict):
        for key, child in _children(value, node):
            yield from _bound_nodes(value[key], child, [*path, key])
    elif isinstance(value, list) and isinstance(node.get("items"), Mapping):
        for index, item in enumerate(value):
            yield from _bound_nodes(item, node["items"], [*path, index])


def _evaluate(
    walk: _Walk, rule: Mapping[str, Any], path: list[str | int], value: Any
) -> None:
    text = str(rule["rule"])
    compiled = _compile(text)
    if compiled.transition:
        _note(
            walk,
            path,
            "MLS122",
            f"transition rule `{text}` reads oldSelf: the API "
            "server runs it on update only, so it was not evaluated on create",
        )
        return
    if compiled.expression is None:
        _note(
            walk,
            path,
            "MLS120",
            f"rule `{text}` was not evaluated: "
            f"{compiled.problem}; the API server may still reject this object",
        )
        return
    cost = _estimated_cost(walk, compiled, path, value)
    walk.budget -= cost
    if cost > PER_CALL_COST_LIMIT or walk.budget < 0:
        limit = "per-rule" if cost > PER_CALL_COST_LIMIT else "per-object"
        _add(
            walk,
            path,
            "MLS123",
            f"{dotted_path(path) or '(root)'}: rule `{text}` exceeds "
            f"the API server's {limit} CEL cost limit (estimated cost {cost})",
        )
        return
    result = compiled.expression.eval(data={"self": value})
    kind = result.type().name()
    if kind == "BOOL" and result.value() is True:
        return
    if kind == "BOOL":
        message = _message(rule, value) or f"failed rule: {text}"
    else:
        detail = result.value() if kind == "ERROR" else f"returned {kind.lower()}"
        message = f"rule `{text}` evaluation error: {detail}"
    where = [*path, *_field_path(rule.get("fieldPath"))]
    reason = _REASONS.get(str(rule.get("reason", "")), "Invalid value")
    _add(
        walk, where, "MLS121", f"{dotted_path(where) or '(root)'}: {reason}: {message}"
    )


def _message(rule: Mapping[str, Any], value: Any) -> str:
    """The rule's messageExpression result, else its message (API server order)."""
    expression = rule.get("messageExpression")
    if isinstance(expression, str):
        compiled = _compile(expression)
        if compiled.expression is not None:
            result = compiled.expression.eval(data={"self": value})
            text = result.value()
            if result.type().name() == "STRING" and text.strip():
                return str(text)
    message = rule.get("message")
    return str(message) if message else ""


def _field_path(text: Any) -> list[str | int]:
    """``.spec.x['a.b']`` -> ``['spec', 'x', 'a.b']`` (relative to ``self``)."""
    if not isinstance(text, str):
        return []
    steps: list[str | int] = []
    for name, quoted, index in _FIELD_STEP.findall(text):
        steps.append(int(index) if index else name or quoted)
    return steps


def _estimated_cost(
    walk: _Walk, compiled: _Compiled, path: list[str | int], value: Any
) -> int:
    """An upper estimate of cel-go's runtime cost of one evaluation.

    cel-expr-python has no cost tracker. A rule without a comprehension macro
    costs about one unit per operation; one that iterates (``all``, ``exists``,
    ``map``, ``filter``) is charged every operation once per value below ``self``,
    which bounds what nested iteration over ``self`` can cost.
    """
    if not compiled.iterates:
        return compiled.tokens
    key = tuple(path)
    if key not in walk.sizes:
        walk.sizes[key] = _size(value)
    return compiled.tokens * (1 + walk.sizes[key])


def _size(value: Any) -> int:
    if isinstance(value, dict):
        return len(value) + sum(_size(v) for v in value.values())
    if isinstance(value, list):
        return len(value) + sum(_size(v) for v in value)
    return 0


@cache
def _compile(text: str) -> _Compiled:
    tokens = len(_TOKEN.findall(text))
    iterates = _MACRO.search(text) is not None
    try:
        expression = _environment(with_old_self=False).compile(text)
    except (RuntimeError, ValueError) as exc:
        problem = str(exc)
        try:
            _environment(with_old_self=True).compile(text)
        except (RuntimeError, ValueError):
            return _Compiled(problem=_reason_not_compiled(problem))
        return _Compiled(transition=True)
    return _Compiled(expression, tokens=tokens, iterates=iterates)


def _reason_not_compiled(problem: str) -> str:
    undeclared = _UNDECLARED.search(problem)
    if undeclared:
        return (
            f"it uses {undeclared[1]}, a Kubernetes CEL library function or "
            "variable that mlscaffold does not implement"
        )
    first = problem.splitlines()[0] if problem else "it does not compile"
    return f"it does not compile here ({first.strip()})"


@cache
def _environment(*, with_old_self: bool) -> Any:
    # Imported here: only documents of kinds with CEL rules need the library.
    from cel_expr_python import cel
    from cel_expr_python.ext import ext_optional, ext_strings

    variables = {"self": cel.Type.DYN}
    if with_old_self:
        variables["oldSelf"] = cel.Type.DYN
    # Kubernetes enables the optional types (self.?x) and the strings extension.
    return cel.NewEnv(
        variables=variables,
        extensions=[ext_optional.ExtOptional(), ext_strings.ExtStrings()],
    )


def _note(walk: _Walk, path: list[str | int], rule: str, message: str) -> None:
    text = f"{walk.label}: {message}"
    if text not in walk.noted:
        walk.noted.add(text)
        _add(walk, path, rule, text)


def _add(walk: _Walk, path: list[str | int], rule: str, message: str) -> None:
    doc = walk.doc
    walk.findings.append(
        Finding(
            rendered=doc.locate(pointer_of(path)),
            rule=rule,
            severity=CEL_RULES[rule].severity,
            message=message,
            source=Location(doc.source) if doc.source else None,
            tool=TOOL,
        )
    )
