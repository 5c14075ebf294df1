"""CEL rules (x-kubernetes-validations) evaluated as the API server does on create."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest

from mlscaffold.report.model import Finding, Severity
from mlscaffold.validate import ValidateOptions, validate_paths
from mlscaffold.validate.documents import parse_documents
from mlscaffold.validate.schema import cel
from mlscaffold.validate.schema.bundled import shipped_versions
from mlscaffold.validate.schema.check import validate_documents
from mlscaffold.validate.schema.store import SchemaStore
from tests.helpers import expected_of

TESTS = Path(__file__).resolve().parent.parent
CORPUS = TESTS / "invalid" / "manifests" / "cel"
VALID = TESTS / "data" / "manifests" / "cel-valid"
CASES = sorted(CORPUS.glob("*.yaml"))


@pytest.fixture(scope="module")
def options(tmp_path_factory: pytest.TempPathFactory) -> ValidateOptions:
    # No --crds and an empty cache: the shipped schemas and their CEL rules.
    return ValidateOptions(
        cache_dir=tmp_path_factory.mktemp("empty"), kubeconform="off"
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> SchemaStore:
    return SchemaStore(cache_dir=tmp_path_factory.mktemp("empty"))


def cel_findings(findings: list[Finding]) -> list[tuple[str, int]]:
    return sorted(
        (f.rule, f.rendered.line or 0)
        for f in findings
        if f.tool == "cel" and f.severity >= Severity.WARNING
    )


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_invalid_corpus(case: Path, options: ValidateOptions) -> None:
    report = validate_paths([case], options=options)
    assert cel_findings(report.findings) == expected_of(case)


def test_valid_cases_pass_every_rule(options: ValidateOptions) -> None:
    report = validate_paths([VALID], options=options)
    assert cel_findings(report.findings) == []


def _rules_of_shipped_crds() -> set[tuple[str, str]]:
    """(kind, rule) of every CEL rule the shipped CRDs carry, transition rules aside."""

    def walk(node: dict[str, Any]) -> Iterator[str]:
        for rule in node.get("rules") or []:
            yield rule["rule"]
        for child in (node.get("properties") or {}).values():
            yield from walk(child)
        for key in ("items", "additionalProperties"):
            if key in node:
                yield from walk(node[key])

    return {
        (crd.kind, rule)
        for crd in shipped_versions()
        for rule in walk(crd.load_bundle()["cel"])
        if "oldSelf" not in rule
    }


def test_every_rule_of_every_pinned_crd_fails_and_passes_somewhere(
    options: ValidateOptions, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcomes: dict[tuple[str, str], set[bool]] = {}
    evaluate = cel._evaluate

    def record(walk: Any, rule: Any, path: Any, value: Any) -> None:
        before = len(walk.findings)
        evaluate(walk, rule, path, value)
        new = {f.rule for f in walk.findings[before:]}
        if new <= {"MLS121"}:
            key = (walk.doc.kind, rule["rule"])
            outcomes.setdefault(key, set()).add(not new)

    monkeypatch.setattr(cel, "_evaluate", record)
    validate_paths([CORPUS, VALID], options=options)
    rules = _rules_of_shipped_crds()
    assert len(rules) >= 26
    assert {key for key in rules if outcomes.get(key) != {True, False}} == set()


def test_defaults_are_applied_before_the_rules(store: SchemaStore) -> None:
    text = """\
    apiVersion: kueue.x-k8s.io/v1beta2
    kind: ClusterQueue
    metadata: {name: q}
    spec:
      preemption:
        borrowWithinCohort: {policy: %s}
    """
    # The rule reads reclaimWithinCohort, which only its default (Never) sets.
    passing = parse_documents(dedent(text % "Never"), "q.yaml")
    assert cel_findings(validate_documents(passing, store)) == []
    failing = parse_documents(dedent(text % "LowerPriority"), "q.yaml")
    (finding,) = [f for f in validate_documents(failing, store) if f.tool == "cel"]
    assert finding.message == (
        "spec.preemption: Invalid value: "
        "reclaimWithinCohort=Never and borrowWithinCohort.Policy!=Never"
    )
    assert finding.rendered.line == 5


def test_transition_rules_are_noted_not_evaluated(store: SchemaStore) -> None:
    text = "apiVersion: kueue.x-k8s.io/v1beta2\nkind: LocalQueue\n"
    text += "metadata: {name: q}\nspec:\n  clusterQueue: ml\n"
    (note,) = validate_documents(parse_documents(text, "q.yaml"), store)
    assert (note.rule, note.severity, note.rendered.line) == (
        "MLS122",
        Severity.INFO,
        5,
    )
    assert "self == oldSelf" in note.message
    assert "not evaluated on create" in note.message


CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  names: {kind: Gadget, plural: gadgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              x-kubernetes-validations: %s
              properties:
                size: {type: string}
                items: {type: array, items: {type: string}}
                low: {type: integer}
                high: {type: integer}
"""


@pytest.fixture
def gadget_store(tmp_path: Path) -> Any:
    def make(rules: str) -> SchemaStore:
        folder = tmp_path / "crds"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        (folder / "gadget.yaml").write_text(CRD % rules)
        return SchemaStore(crd_dirs=[folder], cache_dir=tmp_path / "cache")

    return make


def gadget(spec: str) -> str:
    return (
        "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\n"
        f"spec:\n{spec}"
    )


def check_gadget(store: SchemaStore, spec: str) -> list[Finding]:
    docs = parse_documents(gadget(spec), "g.yaml")
    return [f for f in validate_documents(docs, store) if f.tool == "cel"]


def test_message_expression_reason_and_field_path(gadget_store: Any) -> None:
    store = gadget_store(
        """
                - rule: self.low <= self.high
                  messageExpression: "'low ' + string(self.low) + ' above high'"
                  message: unused
                  reason: FieldValueForbidden
                  fieldPath: .low
        """
    )
    (finding,) = check_gadget(store, "  high: 1\n  low: 5\n")
    assert finding.rule == "MLS121"
    assert finding.message == "spec.low: Forbidden: low 5 above high"
    assert finding.rendered.line == 6  # the fieldPath's line, not spec's
    assert check_gadget(store, "  high: 5\n  low: 1\n") == []


def test_library_function_that_is_missing_is_reported_not_passed(
    gadget_store: Any,
) -> None:
    store = gadget_store(
        "[{rule: \"quantity(self.size).isGreaterThan(quantity('1'))\"}]"
    )
    (finding,) = check_gadget(store, "  size: 2Gi\n")
    assert (finding.rule, finding.severity) == ("MLS120", Severity.WARNING)
    assert "uses quantity" in finding.message
    assert "not evaluated" in finding.message


def test_optional_field_syntax_is_supported(gadget_store: Any) -> None:
    store = gadget_store("[{rule: \"self.?size.orValue('s') != 'xl'\"}]")
    assert check_gadget(store, "  low: 1\n") == []
    assert [f.rule for f in check_gadget(store, "  size: xl\n")] == ["MLS121"]


def test_cost_limit(gadget_store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    store = gadget_store("[{rule: \"self.items.all(i, i != '')\"}]")
    many = "  items: [" + ", ".join(["a"] * 50) + "]\n"
    assert check_gadget(store, many) == []
    monkeypatch.setattr(cel, "PER_CALL_COST_LIMIT", 100)
    (finding,) = check_gadget(store, many)
    assert finding.rule == "MLS123"
    assert "per-rule CEL cost limit" in finding.message
