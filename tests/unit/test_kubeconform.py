"""kubeconform adapter: schema layout, argument list, and mapping its JSON to lines.

Parsing is tested on recorded output (tests/data/kubeconform/README.md), the wiring
on a stand-in script, and the adapter against the real kubeconform v0.6.7 in the
tests marked ``kubeconform`` (../shared/bin; never skipped where it exists).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
from pathlib import Path

import jsonschema_rs
import pytest
import yaml

from mlscaffold.errors import ToolError
from mlscaffold.report.model import Finding
from mlscaffold.validate import ValidateOptions, validate_paths
from mlscaffold.validate.documents import Document, parse_documents
from mlscaffold.validate.schema import kubeconform as kc
from mlscaffold.validate.schema.check import validate_documents
from mlscaffold.validate.schema.store import SchemaStore

DATA = Path(__file__).resolve().parent.parent / "data"
RECORDED = DATA / "kubeconform"
VALID = DATA / "manifests" / "valid-project"


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def store(shared_crds: Path, cache: Path) -> SchemaStore:
    return SchemaStore(crd_dirs=[shared_crds], cache_dir=cache)


def test_parse_recorded_output_maps_to_exact_lines() -> None:
    docs = parse_documents((RECORDED / "manifests.yaml").read_text(), "manifests.yaml")
    text = (RECORDED / "v0.6-invalid.json").read_text()
    got = [
        (f.rule, f.rendered.line, f.rendered.pointer)
        for f in kc.parse_kubeconform_output(text, docs)
    ]
    assert got == [
        # The unknown field points at the key, not at its parent object.
        ("MLS301", 17, "/spec/templates/0/container/imagePullPolcy"),
        ("MLS301", 19, "/spec/templates/0/container/ports/0/containerPort"),
        ("MLS302", 21, ""),
        ("MLS301", 37, "/spec/hardd"),
    ]


def test_findings_carry_kubeconform_messages() -> None:
    docs = parse_documents((RECORDED / "manifests.yaml").read_text(), "manifests.yaml")
    findings = kc.parse_kubeconform_output(
        (RECORDED / "v0.6-invalid.json").read_text(), docs
    )
    assert {f.tool for f in findings} == {"kubeconform"}
    assert findings[0].message == "additionalProperties 'imagePullPolcy' not allowed"
    assert "could not find schema for LocalQueue" in findings[2].message


def test_old_output_without_validation_errors() -> None:
    docs = parse_documents((RECORDED / "manifests.yaml").read_text(), "manifests.yaml")
    (finding,) = kc.parse_kubeconform_output(
        (RECORDED / "v0.5-invalid.json").read_text(), docs
    )
    assert (finding.rule, finding.rendered.line) == ("MLS301", 29)
    assert "hardd" in finding.message


def test_filenames_are_mapped_back_to_report_paths() -> None:
    docs = parse_documents((RECORDED / "manifests.yaml").read_text(), "k8s/all.yaml")
    text = (
        (RECORDED / "v0.5-invalid.json")
        .read_text()
        .replace('"manifests.yaml"', '"/srv/out/k8s/all.yaml"')
    )
    (finding,) = kc.parse_kubeconform_output(
        text, docs, {"/srv/out/k8s/all.yaml": "k8s/all.yaml"}
    )
    assert (finding.rendered.path, finding.rendered.line) == ("k8s/all.yaml", 29)


def test_unmatched_resource_is_marked_approximate() -> None:
    text = json.dumps(
        {
            "resources": [
                {
                    "filename": "gone.yaml",
                    "kind": "Pod",
                    "name": "p",
                    "status": "statusError",
                    "msg": "boom",
                }
            ]
        }
    )
    (finding,) = kc.parse_kubeconform_output(text, [])
    assert finding.rendered.path == "gone.yaml"
    assert finding.rendered.approximate


@pytest.mark.parametrize("text", ["", "Summary: 1 resource", '{"resources": 3}', "[]"])
def test_garbage_output_is_a_tool_error(text: str) -> None:
    with pytest.raises(ToolError, match="unexpected report"):
        kc.parse_kubeconform_output(text, [])


def test_valid_results_give_no_findings() -> None:
    text = json.dumps(
        {
            "resources": [
                {
                    "filename": "a.yaml",
                    "kind": "Namespace",
                    "name": "a",
                    "status": "statusValid",
                    "msg": "",
                }
            ]
        }
    )
    assert kc.parse_kubeconform_output(text, []) == []


def test_command_is_an_argument_list(tmp_path: Path) -> None:
    command = kc.kubeconform_command(
        "/usr/bin/kubeconform", tmp_path, ["a.yaml"], "1.33"
    )
    assert command[0] == "/usr/bin/kubeconform"
    assert {"-strict", "-ignore-missing-schemas"} <= set(command)
    assert command[command.index("-output") + 1] == "json"
    assert command[command.index("-kubernetes-version") + 1] == "1.33.0"
    location = command[command.index("-schema-location") + 1]
    template = "{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
    assert location == f"{tmp_path.as_posix()}/{template}"
    assert "default" not in command  # never the network registry
    assert command[-1] == "a.yaml"


@pytest.mark.parametrize(
    ("api_version", "kind", "expected"),
    [
        ("v1", "Namespace", "v1/namespace_v1.json"),
        (
            "rbac.authorization.k8s.io/v1",
            "Role",
            "rbac.authorization.k8s.io/role_v1.json",
        ),
        (
            "argoproj.io/v1alpha1",
            "WorkflowTemplate",
            "argoproj.io/workflowtemplate_v1alpha1.json",
        ),
    ],
)
def test_schema_path_matches_the_location_template(
    tmp_path: Path, api_version: str, kind: str, expected: str
) -> None:
    assert kc.schema_path(tmp_path, api_version, kind) == tmp_path / expected


def test_written_schemas_are_standalone(
    schema_store: SchemaStore, tmp_path: Path
) -> None:
    docs = [
        d
        for p in sorted(VALID.rglob("*.yaml"))
        if p.name != "catalog-info.yaml"
        for d in parse_documents(p.read_text(), p.name)
    ]
    assert kc.write_schema_layout(schema_store, docs, tmp_path) == 12
    for doc in docs:
        schema = json.loads(
            kc.schema_path(tmp_path, doc.api_version, doc.kind).read_text()
        )
        assert "kubernetes.io/api" not in json.dumps(schema)
        # No registry and offline: every $ref must resolve inside the file.
        validator = jsonschema_rs.validator_for(schema, offline=True)
        assert validator.is_valid(doc.data), doc.path
        broken = {**doc.data, "metadata": {**doc.data["metadata"], "lables": {}}}
        assert not validator.is_valid(broken), doc.path


def fake_kubeconform(bin_dir: Path, recorded: Path, log: Path) -> Path:
    """A stand-in binary: logs its argv, then prints the recorded report."""
    script = bin_dir / "kubeconform"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"json.dump(sys.argv[1:], open({str(log)!r}, 'w'))\n"
        f"report = json.load(open({str(recorded)!r}))\n"
        "for r in report['resources']:\n"
        "    r['filename'] = sys.argv[-1]\n"
        "print(json.dumps(report))\n"
        "sys.exit(1)\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_validate_runs_kubeconform_and_merges_findings(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    shared_crds: Path,
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_kubeconform(bin_dir, RECORDED / "v0.6-invalid.json", tmp_path / "argv.json")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    target = tmp_path / "manifests.yaml"
    shutil.copy(RECORDED / "manifests.yaml", target)
    options = ValidateOptions(crd_dirs=[shared_crds], kubeconform="require")
    report = validate_paths([target], options=options)
    ours = sorted(
        (f.rule, f.rendered.line) for f in report.findings if f.tool == "kubeconform"
    )
    # Lines 17, 19 and 37 are the schema check's own MLS101/MLS102 findings too,
    # so kubeconform's repeats are dropped; only what it alone says remains.
    assert ours == [("MLS302", 21)]
    schema = {(f.rule, f.rendered.line) for f in report.findings if f.tool == "schema"}
    assert {("MLS101", 17), ("MLS102", 19), ("MLS101", 37)} <= schema
    argv = json.loads((tmp_path / "argv.json").read_text())
    assert argv[-1] == target.as_posix()
    assert "-strict" in argv
    assert "kubeconform" not in report.skipped
    assert report.ran["kubeconform"] == str(bin_dir / "kubeconform")


def test_missing_binary_is_reported_as_skipped(
    monkeypatch: pytest.MonkeyPatch,
    shared_crds: Path,
) -> None:
    monkeypatch.setattr(
        "mlscaffold.validate.schema.kubeconform.shutil.which", lambda _name: None
    )
    options = ValidateOptions(crd_dirs=[shared_crds], kubeconform="auto")
    report = validate_paths([VALID], options=options)
    assert report.skipped["kubeconform"] == "kubeconform not found on PATH"


def test_missing_binary_with_require_is_a_tool_error(
    monkeypatch: pytest.MonkeyPatch,
    shared_crds: Path,
) -> None:
    monkeypatch.setattr(
        "mlscaffold.validate.schema.kubeconform.shutil.which", lambda _name: None
    )
    options = ValidateOptions(crd_dirs=[shared_crds], kubeconform="require")
    with pytest.raises(ToolError, match="required"):
        validate_paths([VALID], options=options)


def test_off_never_looks_for_the_binary(
    monkeypatch: pytest.MonkeyPatch,
    shared_crds: Path,
) -> None:
    def forbidden(_name: str) -> str:
        raise AssertionError("looked for kubeconform although it is off")

    monkeypatch.setattr(
        "mlscaffold.validate.schema.kubeconform.shutil.which", forbidden
    )
    options = ValidateOptions(crd_dirs=[shared_crds], kubeconform="off")
    reason = validate_paths([VALID], options=options).skipped["kubeconform"]
    assert reason == "off; --kubeconform auto or require runs it"


def test_kubeconform_is_off_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(_name: str) -> str:
        raise AssertionError("looked for kubeconform although nobody asked")

    monkeypatch.setattr(
        "mlscaffold.validate.schema.kubeconform.shutil.which", forbidden
    )
    report = validate_paths([VALID], options=ValidateOptions())
    assert report.skipped["kubeconform"].startswith("off")
    assert {"schema", "cel", "policy", "crossref"} <= set(report.ran)


@pytest.mark.kubeconform
def test_real_kubeconform_agrees_on_the_recorded_manifests(
    kubeconform_binary: str, store: SchemaStore
) -> None:
    path = RECORDED / "manifests.yaml"
    docs = parse_documents(path.read_text(), path.as_posix())
    findings = kc.run_kubeconform(
        kubeconform_binary, docs, {path.as_posix(): path}, store
    )
    # The field at fault, also behind a $ref (ResourceQuota's spec), not its parent.
    assert sorted((f.rule, f.rendered.line, f.rendered.pointer) for f in findings) == [
        ("MLS301", 17, "/spec/templates/0/container/imagePullPolcy"),
        ("MLS301", 19, "/spec/templates/0/container/ports/0/containerPort"),
        ("MLS301", 37, "/spec/hardd"),
    ]


CORPORA = [
    DATA.parent / "invalid" / "manifests" / "schema",
    DATA.parent / "invalid" / "manifests" / "cel",
]
# Where the two tools are not expected to agree, and why (rule -> reason).
NO_OPINION_FROM_KUBECONFORM = {
    "MLS110": "-ignore-missing-schemas: kubeconform skips kinds without a schema",
    "MLS111": "YAML that does not parse: kubeconform reports the file, not a field",
    "MLS113": "kubeconform does not know that a CRD version is deprecated",
}
# kubeconform does not evaluate x-kubernetes-validations, so the CEL corpus is
# schema-valid to both tools and its CEL findings are mlscaffold's alone.


@pytest.fixture(scope="module")
def corpus_findings(
    kubeconform_binary: str, store: SchemaStore
) -> tuple[list[Finding], list[Finding]]:
    """The schema check's and kubeconform's findings on the invalid corpora."""
    files = [path for corpus in CORPORA for path in sorted(corpus.glob("*.yaml"))]
    docs = [doc for path in files for doc in _parsed(path)]
    ours = validate_documents(docs, store)
    theirs = kc.run_kubeconform(
        kubeconform_binary, docs, {p.as_posix(): p for p in files}, store
    )
    return ours, theirs


def _parsed(path: Path) -> list[Document]:
    try:
        return parse_documents(path.read_text(), path.as_posix())
    except yaml.YAMLError:
        return []  # MLS111: no document to compare


@pytest.mark.kubeconform
@pytest.mark.slow
def test_kubeconform_and_the_schema_check_agree_on_the_corpus(
    corpus_findings: tuple[list[Finding], list[Finding]],
) -> None:
    ours, theirs = corpus_findings

    def places(
        findings: list[Finding], rules: set[str]
    ) -> dict[tuple[str, int | None], set[str | None]]:
        found: dict[tuple[str, int | None], set[str | None]] = {}
        for f in findings:
            if f.rule in rules:
                doc = (f.rendered.path, f.rendered.document)
                found.setdefault(doc, set()).add(f.rendered.pointer)
        return found

    silent = {
        (f.rendered.path, f.rendered.document)
        for f in ours
        if f.rule in NO_OPINION_FROM_KUBECONFORM
    }
    mine = places(ours, {"MLS101", "MLS102", "MLS103"})
    kubeconform = places(theirs, {"MLS301"})
    assert len(mine) >= 20  # the comparison covers the corpus, not nothing
    for doc in sorted(set(mine) | set(kubeconform)):
        if doc not in silent:
            assert kubeconform.get(doc) == mine.get(doc), doc
    # Neither tool failed to check a parsed document.
    assert not [f for f in theirs if f.rule == "MLS302" and f.rendered.document]
