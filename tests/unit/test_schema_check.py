"""Schema findings: rule ids and exact lines for core kinds and custom resources."""

from __future__ import annotations

import re
from pathlib import Path
from textwrap import dedent

import pytest

from mlscaffold.report.model import Severity
from mlscaffold.validate import ValidateOptions, validate_paths
from mlscaffold.validate.documents import parse_documents
from mlscaffold.validate.schema.apiserver import APISERVER_RULES
from mlscaffold.validate.schema.check import SCHEMA_RULES, validate_documents
from mlscaffold.validate.schema.store import SchemaStore
from tests.helpers import expected_of

CORPUS = Path(__file__).resolve().parent.parent / "invalid" / "manifests" / "schema"
VALID = Path(__file__).resolve().parent.parent / "data" / "manifests" / "valid-project"
CASES = sorted(CORPUS.glob("*.yaml"))
# The corpus holds what the API server refuses: the schemas and its own rules.
CHECKERS = ("schema", "apiserver")


@pytest.fixture(scope="module")
def options(shared_crds: Path) -> ValidateOptions:
    return ValidateOptions(crd_dirs=[shared_crds], kubeconform="off")


@pytest.fixture(scope="module")
def store(schema_store: SchemaStore) -> SchemaStore:
    return schema_store


def check(store: SchemaStore, text: str) -> list[tuple[str, int | None]]:
    docs = parse_documents(dedent(text), "m.yaml")
    findings = validate_documents(docs, store)
    return sorted(
        (f.rule, f.rendered.line) for f in findings if f.severity >= Severity.WARNING
    )


def test_corpus_is_not_empty() -> None:
    assert len(CASES) >= 15


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_invalid_corpus(case: Path, options: ValidateOptions) -> None:
    report = validate_paths([case], options=options)
    got = sorted(
        (f.rule, f.rendered.line or 0)
        for f in report.findings
        if f.tool in CHECKERS and f.severity >= Severity.WARNING
    )
    assert got == expected_of(case)


def test_valid_project_passes_every_schema(options: ValidateOptions) -> None:
    report = validate_paths([VALID], options=options)
    schema_errors = [
        f
        for f in report.findings
        if f.tool in (*CHECKERS, "cel") and f.rule != "MLS122"
    ]
    assert schema_errors == []
    kinds_checked = {Path(p).stem for p in report.checked}
    assert {
        "namespace",
        "workflowtemplate",
        "inferenceservice",
        "application",
    } <= kinds_checked


def test_unknown_field_message_suggests_and_lists(store: SchemaStore) -> None:
    docs = parse_documents("apiVersion: v1\nkind: Namespace\nspce: {}\n", "ns.yaml")
    (finding,) = validate_documents(docs, store)
    assert finding.rule == "MLS101"
    assert (finding.rendered.line, finding.rendered.column) == (3, 1)
    assert finding.rendered.pointer == "/spce"
    assert "unknown field 'spce'" in finding.message
    assert "did you mean 'spec'?" in finding.message
    assert "allowed: apiVersion, kind, metadata, spec, status" in finding.message


def test_all_errors_are_reported_not_only_the_first(store: SchemaStore) -> None:
    got = check(
        store,
        """\
        apiVersion: v1
        kind: Namespace
        metadata:
          name: 5
          lables: {}
        spce: {}
        """,
    )
    assert got == [("MLS101", 5), ("MLS101", 6), ("MLS102", 4)]


@pytest.mark.parametrize("cpu", ["3", "'3'", "500m"])
def test_int_or_string_core_quantity_accepts_both(store: SchemaStore, cpu: str) -> None:
    text = "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q}\n"
    text += f"spec:\n  hard: {{cpu: {cpu}}}\n"
    assert check(store, text) == []


@pytest.mark.parametrize("weight", ["1", "'1'", "500m"])
def test_int_or_string_crd_field_accepts_both(store: SchemaStore, weight: str) -> None:
    text = f"""\
    apiVersion: kueue.x-k8s.io/v1beta2
    kind: LocalQueue
    metadata: {{name: q}}
    spec:
      clusterQueue: ml-shared
      fairSharing: {{weight: {weight}}}
    """
    assert check(store, text) == []


def test_int_or_string_rejects_other_types(store: SchemaStore) -> None:
    text = """\
    apiVersion: kueue.x-k8s.io/v1beta2
    kind: LocalQueue
    metadata: {name: q}
    spec:
      clusterQueue: ml-shared
      fairSharing:
        weight: [1]
    """
    docs = parse_documents(dedent(text), "q.yaml")
    errors = [f for f in validate_documents(docs, store) if f.tool == "schema"]
    assert [(f.rule, f.rendered.line) for f in errors] == [("MLS102", 7)]
    assert "expected an integer or a string" in errors[0].message


def test_preserve_unknown_fields_stays_open(store: SchemaStore) -> None:
    text = """\
    apiVersion: argoproj.io/v1alpha1
    kind: Application
    metadata: {name: app, namespace: argocd}
    spec:
      project: ml-teams
      destination: {server: https://kubernetes.default.svc, namespace: fraud-ml}
      source:
        repoURL: https://github.com/acme/charts
        chart: trainer
        targetRevision: 1.0.0
        helm:
          valuesObject:
            anything: {goes: [here]}
            replicas: 3
    """
    assert check(store, text) == []


def test_preserve_unknown_with_properties_is_open_but_still_typed(
    store: SchemaStore,
) -> None:
    base = """\
    apiVersion: serving.kserve.io/v1beta1
    kind: InferenceService
    metadata: {name: m}
    spec:
      predictor:
        model: {modelFormat: {name: sklearn}, storageUri: s3://m}
    status:
    """
    assert check(store, base + "  somethingControllersAdd: {x: 1}\n") == []
    # The status object is open, yet its listed properties keep their types.
    assert check(store, base + "  url: [not, a, string]\n") == [("MLS102", 8)]


def test_transition_rule_note_once_per_kind(store: SchemaStore) -> None:
    one = """\
    apiVersion: kueue.x-k8s.io/v1beta2
    kind: LocalQueue
    metadata: {name: q%d}
    spec: {clusterQueue: ml-shared}
    """
    docs = parse_documents("---\n".join(dedent(one % i) for i in range(3)), "q.yaml")
    notes = [f for f in validate_documents(docs, store) if f.rule == "MLS122"]
    assert len(notes) == 1
    assert notes[0].severity is Severity.INFO
    assert "oldSelf" in notes[0].message


def test_core_kind_has_no_cel_note(store: SchemaStore) -> None:
    docs = parse_documents(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n", "n.yaml"
    )
    assert validate_documents(docs, store) == []


def test_unknown_kind_is_a_finding_not_a_pass(store: SchemaStore) -> None:
    docs = parse_documents(
        "apiVersion: v1\nkind: Namespaec\nmetadata: {name: a}\n", "n.yaml"
    )
    (finding,) = validate_documents(docs, store)
    assert (finding.rule, finding.severity, finding.rendered.line) == (
        "MLS110",
        Severity.ERROR,
        2,
    )


def test_deprecated_crd_version_warns(store: SchemaStore) -> None:
    text = """\
    apiVersion: kueue.x-k8s.io/v1beta1
    kind: LocalQueue
    metadata: {name: q}
    spec: {clusterQueue: ml-shared}
    """
    assert check(store, text) == [("MLS113", 1)]


def test_yaml_timestamps_are_compared_as_strings(store: SchemaStore) -> None:
    text = """\
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: c}
    data:
      released: 2024-01-01
    """
    assert check(store, text) == []


def test_rule_table_is_consistent() -> None:
    assert all(re.fullmatch(r"MLS1\d\d", rule) for rule in SCHEMA_RULES)
    assert all(re.fullmatch(r"MLS1[3-6]\d", rule) for rule in APISERVER_RULES)


def test_version_the_crd_defines_but_does_not_serve(
    shared_crds: Path, tmp_path: Path
) -> None:
    crd = shared_crds / "kueue" / "kueue.x-k8s.io_localqueues.yaml"
    text = crd.read_text(encoding="utf-8")
    # v1beta1 is served upstream; a cluster that stopped serving it says so here.
    first_served = text.index("served: true")
    (tmp_path / crd.name).write_text(
        text[:first_served]
        + "served: false"
        + text[first_served + len("served: true") :],
        encoding="utf-8",
    )
    store = SchemaStore(crd_dirs=[tmp_path], cache_dir=tmp_path / "cache")
    docs = parse_documents(
        "apiVersion: kueue.x-k8s.io/v1beta1\nkind: LocalQueue\n"
        "metadata: {name: q}\nspec: {clusterQueue: ml-shared}\n",
        "q.yaml",
    )
    rules = [(f.rule, f.rendered.line) for f in validate_documents(docs, store)]
    assert ("MLS112", 1) in rules


def test_every_schema_rule_has_a_test() -> None:
    # The input rules (MLS114, MLS115) are tested with the validate walk.
    here = " ".join(
        Path(__file__).with_name(name).read_text(encoding="utf-8")
        for name in (Path(__file__).name, "test_apiserver.py", "test_validate_walk.py")
    )
    corpus = " ".join(c.read_text(encoding="utf-8") for c in CASES)
    untested = [
        rule
        for rule in {**SCHEMA_RULES, **APISERVER_RULES}
        if rule not in here and rule not in corpus
    ]
    assert untested == []
