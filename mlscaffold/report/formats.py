"""Reporters that turn a Report into text, JSON, JUnit XML or SARIF 2.1.0.

Every reporter is a pure function ``Report -> str``; :data:`REPORTERS` maps the
``--format`` names to them. Output is deterministic: findings keep the report's
order, and mappings are emitted in sorted order.

JSON structure (``version`` 1; fields are only ever added, never renamed)::

    {
      "version": 1,
      "tool": {"name": "mlscaffold", "version": "<package version>"},
      "summary": {"errors": int, "warnings": int, "notes": int,
                  "checked": int, "ok": bool},
      "findings": [
        {"rule": "MLS101", "severity": "error" | "warning" | "note",
         "message": str, "tool": str,
         "rendered": {"path": str, "line": int | null, "column": int | null,
                      "pointer": str | null, "document": int | null,
                      "approximate": bool},
         "source": <same shape as rendered> | null}
      ],
      "checked": [str, ...],
      "skipped": {"<checker>": "<reason>", ...},
      "ran": {"<checker>": "<what it covered>", ...},
      "schemas": {"<kind> <apiVersion>": "<origin and version>", ...}
    }
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import mlscaffold
from mlscaffold.errors import Location
from mlscaffold.report.model import Finding, Report, Severity
from mlscaffold.report.rules import rule_info

__all__ = [
    "JSON_FORMAT_VERSION",
    "REPORTERS",
    "SARIF_SCHEMA_URI",
    "format_finding",
    "format_json",
    "format_junit",
    "format_sarif",
    "format_text",
    "summary_line",
    "to_json_data",
    "to_sarif_data",
]

JSON_FORMAT_VERSION = 1
"""Version of the JSON report structure; bumped only on incompatible changes."""

SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
    "sarif-schema-2.1.0.json"
)
"""``$schema`` written into SARIF logs: the OASIS 2.1.0 errata01 schema."""

_TOOL_NAME = "mlscaffold"

# SARIF and the text summary say "note" where the model says INFO.
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _level(severity: Severity) -> str:
    return _LEVEL[severity]


def _place(loc: Location) -> str:
    """``path:line:col`` without the ``(approximate)`` suffix, so editors can jump."""
    text = loc.path
    if loc.line is not None:
        text += f":{loc.line}"
        if loc.column is not None:
            text += f":{loc.column}"
    return text


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _counts(report: Report) -> dict[str, int]:
    counts = {"error": 0, "warning": 0, "note": 0}
    for finding in report.findings:
        counts[_level(finding.severity)] += 1
    return counts


def format_finding(finding: Finding) -> str:
    """One finding as text: ``path:line:col: severity RULE message``.

    The severity word is ``error``, ``warning`` or ``note``, as compilers and
    linters print it, so CI log matchers and editors pick the line up.

    A finding with a skeleton source other than its rendered place gets a second
    line, ``  skeleton: path:line:col``.

    Args:
        finding: The finding.

    Returns:
        The line(s), without a trailing newline.
    """
    message = finding.message
    if finding.rendered.approximate:
        message += " (line approximate)"
    text = (
        f"{_place(finding.rendered)}: {_level(finding.severity)} {finding.rule} "
        f"{message}"
    )
    if finding.source is not None and finding.source != finding.rendered:
        text += f"\n  skeleton: {_place(finding.source)}"
        if finding.source.approximate:
            text += " (approximate)"
    return text


def summary_line(report: Report) -> str:
    """One line: counts by severity, files checked, and skipped checkers with reasons.

    Args:
        report: The report to summarise.

    Returns:
        For example ``1 error, 2 warnings, 0 notes; 7 files checked;
        ran: cel, schema; skipped: kubeconform (not on PATH); schemas: shipped
        Kueue v0.19.2 (LocalQueue)``.
    """
    counts = _counts(report)
    parts = [
        ", ".join(
            [
                _plural(counts["error"], "error"),
                _plural(counts["warning"], "warning"),
                _plural(counts["note"], "note"),
            ]
        ),
        f"{_plural(len(report.checked), 'file')} checked",
    ]
    if report.ran:
        parts.append(f"ran: {', '.join(sorted(report.ran))}")
    if report.skipped:
        skipped = ", ".join(
            f"{name} ({reason})" for name, reason in sorted(report.skipped.items())
        )
        parts.append(f"skipped: {skipped}")
    if report.schemas:
        parts.append(f"schemas: {_schema_origins(report.schemas)}")
    return "; ".join(parts)


def _schema_origins(schemas: dict[str, str]) -> str:
    """``origin (Kind, Kind), ...``: which source and version served which kinds."""
    kinds: dict[str, set[str]] = {}
    for kind_version, origin in schemas.items():
        kinds.setdefault(origin, set()).add(kind_version.split(" ", 1)[0])
    return ", ".join(
        f"{origin} ({', '.join(sorted(names))})"
        for origin, names in sorted(kinds.items())
    )


def format_text(report: Report) -> str:
    """Text: ``path:line:col: severity RULE message`` per finding, then a summary.

    A finding with a skeleton source gets a second line ``  skeleton: path:line``.

    Args:
        report: The report to print.

    Returns:
        The text, ending in a newline.
    """
    lines = [format_finding(finding) for finding in report.findings]
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def _location_json(loc: Location) -> dict[str, Any]:
    return {
        "path": loc.path,
        "line": loc.line,
        "column": loc.column,
        "pointer": loc.pointer,
        "document": loc.document,
        "approximate": loc.approximate,
    }


def to_json_data(report: Report) -> dict[str, Any]:
    """The JSON report as plain data (see the module docstring for the structure).

    Args:
        report: The report to convert.

    Returns:
        A JSON-serialisable dict.
    """
    counts = _counts(report)
    return {
        "version": JSON_FORMAT_VERSION,
        "tool": {"name": _TOOL_NAME, "version": mlscaffold.__version__},
        "summary": {
            "errors": counts["error"],
            "warnings": counts["warning"],
            "notes": counts["note"],
            "checked": len(report.checked),
            "ok": report.ok,
        },
        "findings": [
            {
                "rule": f.rule,
                "severity": _level(f.severity),
                "message": f.message,
                "tool": f.tool,
                "rendered": _location_json(f.rendered),
                "source": None if f.source is None else _location_json(f.source),
            }
            for f in report.findings
        ],
        "checked": sorted(report.checked),
        "skipped": dict(sorted(report.skipped.items())),
        "ran": dict(sorted(report.ran.items())),
        "schemas": dict(sorted(report.schemas.items())),
    }


def format_json(report: Report) -> str:
    """JSON, in the versioned structure described in the module docstring.

    Args:
        report: The report to print.

    Returns:
        Indented JSON text, ending in a newline.
    """
    return json.dumps(to_json_data(report), indent=2, ensure_ascii=False) + "\n"


def _junit_case(
    suite: ET.Element, tool: str, path: str, findings: list[Finding]
) -> bool:
    """Append one testcase; return True when it failed."""
    case = ET.SubElement(suite, "testcase", name=path, classname=tool)
    errors = [f for f in findings if f.severity >= Severity.ERROR]
    for finding in errors:
        failure = ET.SubElement(
            case, "failure", message=f"{finding.rule} {finding.message}"
        )
        failure.set("type", finding.rule)
        failure.text = format_finding(finding)
    others = [f for f in findings if f.severity < Severity.ERROR]
    if others:
        out = ET.SubElement(case, "system-out")
        out.text = "\n".join(format_finding(f) for f in others)
    return bool(errors)


def _suite_attrs(suite: ET.Element, tests: int, failures: int, skipped: int) -> None:
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    suite.set("time", "0")


def format_junit(report: Report) -> str:
    """JUnit XML: one testsuite per checker, one testcase per checked file.

    Each error finding is a ``<failure>`` of its file's testcase; warnings and notes
    go to the testcase's ``<system-out>``. Checkers named in ``report.skipped`` get a
    suite with one skipped testcase carrying the reason. When no finding names a
    checker, the files are listed under a single ``mlscaffold`` suite.

    Args:
        report: The report to print.

    Returns:
        An XML document, ending in a newline.
    """
    root = ET.Element("testsuites", name=_TOOL_NAME)
    tools = sorted({f.tool for f in report.findings}) or [_TOOL_NAME]
    total_tests = total_failures = total_skipped = 0
    for tool in tools:
        suite = ET.SubElement(root, "testsuite", name=tool)
        mine = [f for f in report.findings if f.tool == tool]
        paths = sorted(set(report.checked) | {f.rendered.path for f in mine})
        failures = 0
        for path in paths:
            failures += _junit_case(
                suite, tool, path, [f for f in mine if f.rendered.path == path]
            )
        _suite_attrs(suite, len(paths), failures, 0)
        total_tests += len(paths)
        total_failures += failures
    for name, reason in sorted(report.skipped.items()):
        suite = ET.SubElement(root, "testsuite", name=name)
        case = ET.SubElement(suite, "testcase", name=name, classname=name)
        ET.SubElement(case, "skipped", message=reason)
        _suite_attrs(suite, 1, 0, 1)
        total_tests += 1
        total_skipped += 1
    _suite_attrs(root, total_tests, total_failures, total_skipped)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _artifact(loc: Location, base: str) -> dict[str, Any]:
    physical: dict[str, Any] = {
        "artifactLocation": {"uri": quote(loc.path), "uriBaseId": base}
    }
    if loc.line is not None and loc.line >= 1:
        region: dict[str, Any] = {"startLine": loc.line}
        if loc.column is not None and loc.column >= 1:
            region["startColumn"] = loc.column
        physical["region"] = region
    location: dict[str, Any] = {"physicalLocation": physical}
    extra = {
        key: value
        for key, value in (("pointer", loc.pointer), ("document", loc.document))
        if value is not None
    }
    if loc.approximate:
        extra["approximate"] = True
    if extra:
        location["properties"] = extra
    return location


def _sarif_result(finding: Finding, index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": index,
        "level": _level(finding.severity),
        "message": {"text": finding.message},
        "locations": [_artifact(finding.rendered, "%SRCROOT%")],
    }
    if finding.source is not None:
        related = _artifact(finding.source, "SKELETON")
        related["id"] = 0
        related["message"] = {"text": "skeleton source"}
        result["relatedLocations"] = [related]
    if finding.tool:
        result["properties"] = {"tool": finding.tool}
    return result


def to_sarif_data(report: Report) -> dict[str, Any]:
    """The SARIF 2.1.0 log as plain data: one run, rules from the rule registry.

    Args:
        report: The report to convert.

    Returns:
        A JSON-serialisable dict that validates against the SARIF 2.1.0 schema.
    """
    severity_of: dict[str, Severity] = {}
    for finding in report.findings:
        severity_of.setdefault(finding.rule, finding.severity)
    rule_ids = sorted(severity_of)
    rules = []
    for rule_id in rule_ids:
        info = rule_info(rule_id, severity_of[rule_id])
        rule: dict[str, Any] = {
            "id": rule_id,
            "shortDescription": {"text": info.short},
            "defaultConfiguration": {"level": _level(info.severity)},
        }
        if info.help:
            rule["help"] = {"text": info.help}
        if info.tool != _TOOL_NAME:
            rule["properties"] = {"tool": info.tool}
        rules.append(rule)
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    notifications = [
        {
            "level": "warning",
            "message": {"text": f"{name} skipped: {reason}"},
            "descriptor": {"id": name},
        }
        for name, reason in sorted(report.skipped.items())
    ]
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": _TOOL_NAME,
                "version": mlscaffold.__version__,
                "rules": rules,
            }
        },
        "originalUriBaseIds": {
            "%SRCROOT%": {"description": {"text": "root of the rendered output"}},
            "SKELETON": {"description": {"text": "root of the skeleton"}},
        },
        "invocations": [invocation],
        "results": [_sarif_result(f, index[f.rule]) for f in report.findings],
    }
    return {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def format_sarif(report: Report) -> str:
    """SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

    Args:
        report: The report to print.

    Returns:
        Indented JSON text, ending in a newline.
    """
    return json.dumps(to_sarif_data(report), indent=2, ensure_ascii=False) + "\n"


REPORTERS: dict[str, Callable[[Report], str]] = {
    "text": format_text,
    "json": format_json,
    "junit": format_junit,
    "sarif": format_sarif,
}
"""Reporter for each ``--format`` name."""
