"""Validate Kubernetes documents against the schema store; errors become Findings."""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Iterable, Sequence
from typing import Any

import jsonschema_rs

from mlscaffold.errors import Location
from mlscaffold.report.model import Finding, Severity
from mlscaffold.report.rules import rule_table
from mlscaffold.validate.documents import Document, pointer_of
from mlscaffold.validate.schema.crd import K8S_DEFINITIONS_URI
from mlscaffold.validate.schema.store import SchemaInfo, SchemaStore

TOOL = "schema"

#: The schema checker's rules, by id.
SCHEMA_RULES = rule_table(
    TOOL,
    (
        ("MLS101", Severity.ERROR, "unknown field"),
        ("MLS102", Severity.ERROR, "wrong type or value"),
        ("MLS103", Severity.ERROR, "missing required field"),
        ("MLS110", Severity.ERROR, "no schema for kind"),
        ("MLS111", Severity.ERROR, "YAML does not parse"),
        ("MLS112", Severity.ERROR, "CRD version not served"),
        ("MLS113", Severity.WARNING, "CRD version deprecated"),
        ("MLS114", Severity.ERROR, "object without apiVersion or kind"),
        ("MLS115", Severity.INFO, "symlink leading outside the folder not followed"),
    ),
)

_MAX_ALLOWED_LISTED = 12
# The pattern controller-gen writes for every resource.Quantity in a CRD.
_QUANTITY_PATTERN = (
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]"
    r"|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)
_MAX_MESSAGE = 240

# Validators are compiled once per schema and kept for the life of the process: the
# Argo and KServe schemas take 30-50 ms each to compile, then validate in microseconds.
_VALIDATORS: dict[tuple[str, str], jsonschema_rs.Validator] = {}
_REGISTRIES: dict[str, jsonschema_rs.Registry] = {}


def validate_documents(docs: Sequence[Document], store: SchemaStore) -> list[Finding]:
    """Check every Kubernetes document against its schema; report every error.

    Args:
        docs: Parsed documents that have ``apiVersion`` and ``kind``.
        store: Where schemas come from.

    Returns:
        Findings MLS101-MLS113 per problem, and the CEL findings (MLS120-MLS123,
        see :mod:`mlscaffold.validate.schema.cel`) of kinds with CEL rules.
    """
    findings: list[Finding] = []
    cel_noted: set[str] = set()
    for doc in docs:
        info = store.lookup(doc.api_version, doc.kind)
        if info is None:
            findings.append(_no_schema(doc, store))
            continue
        findings.extend(_version_findings(doc, info))
        findings.extend(check_document(doc, info, store))
        if info.cel_rules:
            # Imported here: most kinds have no CEL rules.
            from mlscaffold.validate.schema.cel import check_cel

            label = f"{info.kind} {info.api_version}"
            findings.extend(check_cel(doc, info.load_cel(), label, cel_noted))
    return findings


def schema_origins(docs: Sequence[Document], store: SchemaStore) -> dict[str, str]:
    """``"<kind> <apiVersion>"`` -> where its schema came from, for every kind seen."""
    origins: dict[str, str] = {}
    for doc in docs:
        info = store.lookup(doc.api_version, doc.kind)
        if info is not None:
            origins[f"{doc.kind} {doc.api_version}"] = info.origin
    return origins


def check_document(
    doc: Document, info: SchemaInfo, store: SchemaStore
) -> list[Finding]:
    """Schema findings (MLS101-MLS103) for one document against ``info``."""
    validator = _validator(info, store)
    data = doc.data
    try:
        if validator.is_valid(data):
            return []
    except ValueError:
        # YAML timestamps and non-string keys have no JSON form; compare them as
        # the API server would see them after JSON conversion.
        data = jsonable(data)
        if validator.is_valid(data):
            return []
    findings: list[Finding] = []
    for error in validator.iter_errors(data):
        findings.extend(_error_findings(doc, error, info, store))
    return findings


def _validator(info: SchemaInfo, store: SchemaStore) -> jsonschema_rs.Validator:
    key = (store.kube_version, info.key)
    validator = _VALIDATORS.get(key)
    if validator is None:
        registry = _REGISTRIES.get(store.kube_version)
        if registry is None:
            registry = jsonschema_rs.Registry(
                [(K8S_DEFINITIONS_URI, store.definitions())]
            )
            _REGISTRIES[store.kube_version] = registry
        # offline: a $ref that is not in the registry fails instead of fetching.
        validator = jsonschema_rs.validator_for(
            info.load(), registry=registry, offline=True, validate_formats=False
        )
        _VALIDATORS[key] = validator
    return validator


def _error_findings(
    doc: Document,
    error: jsonschema_rs.ValidationError,
    info: SchemaInfo,
    store: SchemaStore,
) -> Iterable[Finding]:
    path = list(error.instance_path)
    pointer = pointer_of(path)
    where = dotted_path(path)
    kind = error.kind.name
    details = error.kind.as_dict()
    if kind == "additionalProperties":
        allowed = _allowed_properties(error, info, store)
        for name in details.get("unexpected", []):
            yield _finding(
                doc,
                pointer_of([*path, name]),
                "MLS101",
                _unknown_field_message(str(name), where, allowed),
            )
    elif kind == "required":
        name = details.get("property")
        at = f" in {where}" if where else ""
        yield _finding(doc, pointer, "MLS103", f"missing required field '{name}'{at}")
    else:
        yield _finding(
            doc, pointer, "MLS102", f"{where or '(root)'}: {_describe(error)}"
        )


def _unknown_field_message(name: str, where: str, allowed: list[str]) -> str:
    at = f" in {where}" if where else " at the top level"
    text = f"unknown field '{name}'{at}"
    close = difflib.get_close_matches(name, allowed, n=1)
    if close:
        text += f"; did you mean '{close[0]}'?"
    if allowed:
        listed = ", ".join(allowed[:_MAX_ALLOWED_LISTED])
        if len(allowed) > _MAX_ALLOWED_LISTED:
            listed += f", ... ({len(allowed)} in all)"
        text += f" (allowed: {listed})"
    return text


def _allowed_properties(
    error: jsonschema_rs.ValidationError, info: SchemaInfo, store: SchemaStore
) -> list[str]:
    """Property names of the schema object that rejected the field."""
    location = error.absolute_keyword_location or ""
    document: Any = (
        store.definitions() if location.startswith(K8S_DEFINITIONS_URI) else info.load()
    )
    node = document
    try:
        for part in list(error.schema_path)[:-1]:
            node = node[part]
    except (KeyError, IndexError, TypeError):
        return []
    properties = node.get("properties") if isinstance(node, dict) else None
    return sorted(properties) if isinstance(properties, dict) else []


def _describe(error: jsonschema_rs.ValidationError) -> str:
    kind = error.kind.name
    if kind == "anyOf":
        types = _any_of_types(error)
        if types:
            return f"expected {' or '.join(types)}, got {_short(error.instance)}"
    if kind == "pattern" and error.kind.as_dict().get("pattern") == _QUANTITY_PATTERN:
        return (
            f"{_short(error.instance)} is not a quantity; write a number with an "
            "optional suffix such as 500m, 2, 1.5Gi or 4e3"
        )
    if kind == "enum":
        options = error.kind.as_dict().get("options", [])
        shown = ", ".join(repr(o) for o in options[:_MAX_ALLOWED_LISTED])
        return f"{_short(error.instance)} is not one of: {shown}"
    message = error.message
    return (
        message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 3] + "..."
    )


def _any_of_types(error: jsonschema_rs.ValidationError) -> list[str]:
    types: list[str] = []
    for branch in error.kind.as_dict().get("context", []):
        for sub in branch:
            if sub.kind.name != "type":
                return []
            types.extend(
                f"{'an' if t[0] in 'aeiou' else 'a'} {t}"
                for t in sub.kind.as_dict()["types"]
            )
    return types


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def dotted_path(path: Sequence[str | int]) -> str:
    """``['spec', 'templates', 0]`` -> ``spec.templates[0]`` ('' for the root)."""
    text = ""
    for part in path:
        text += (
            f"[{part}]"
            if isinstance(part, int)
            else (f".{part}" if text else str(part))
        )
    return text


def _no_schema(doc: Document, store: SchemaStore) -> Finding:
    known = store.known_versions(doc.kind)
    if known:
        hint = f"; the CRDs define {doc.kind} as {', '.join(known)}"
    elif "." in doc.api_version.partition("/")[0]:
        hint = "; pass --crds DIR with its CRD (it is not among the shipped ones)"
    else:
        hint = f" in Kubernetes {store.kube_version}"
    return _finding(
        doc,
        "/kind",
        "MLS110",
        f"no schema for {doc.kind} {doc.api_version}{hint}; the object was not checked",
    )


def _version_findings(doc: Document, info: SchemaInfo) -> list[Finding]:
    findings = []
    if not info.served:
        findings.append(
            _finding(
                doc,
                "/apiVersion",
                "MLS112",
                f"{info.api_version} is defined by the {info.kind} CRD but not served",
            )
        )
    if info.deprecated:
        findings.append(
            _finding(
                doc,
                "/apiVersion",
                "MLS113",
                f"{info.kind} {info.api_version} is deprecated: {info.deprecated}",
            )
        )
    return findings


def _finding(doc: Document, pointer: str, rule: str, message: str) -> Finding:
    source = Location(doc.source) if doc.source else None
    return Finding(
        rendered=doc.locate(pointer),
        rule=rule,
        severity=SCHEMA_RULES[rule].severity,
        message=message,
        source=source,
        tool=TOOL,
    )


def jsonable(value: Any) -> Any:
    """``value`` as the API server sees it after JSON conversion.

    Keys become strings and YAML timestamps ISO text.
    """
    if isinstance(value, dict):
        return {
            str(k).lower() if isinstance(k, bool) else str(k): jsonable(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value
