"""The shipped CRD schemas: equal to a fresh build, and the store's default layer."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mlscaffold.report.model import Severity
from mlscaffold.validate import ValidateOptions, validate_paths
from mlscaffold.validate.schema.bundled import (
    build_shipped,
    diff_shipped,
    shipped_versions,
)
from mlscaffold.validate.schema.crd import read_bundle
from mlscaffold.validate.schema.store import SchemaStore
from tests.helpers import run_cli

VALID = Path(__file__).resolve().parent.parent / "data" / "manifests" / "valid-project"
LOCALQUEUE = Path("kueue") / "kueue.x-k8s.io_localqueues.yaml"


def test_shipped_schemas_equal_a_fresh_build(shared_crds: Path) -> None:
    # Drift fails CI: rebuild with `mlscaffold schemas build` after a CRD bump.
    assert diff_shipped(shared_crds) == []


def test_shipped_set_covers_the_pinned_releases() -> None:
    releases = {(v.kind, v.version): v.release for v in shipped_versions()}
    assert releases[("LocalQueue", "v1beta2")] == "Kueue v0.19.2"
    assert releases[("WorkflowTemplate", "v1alpha1")] == "Argo Workflows v4.1.2"
    assert releases[("InferenceService", "v1beta1")] == "KServe v0.20.0"
    assert releases[("Application", "v1alpha1")] == "Argo CD v3.5.1"


def test_bundles_drop_descriptions_and_keep_cel_rules() -> None:
    (template,) = [v for v in shipped_versions() if v.kind == "WorkflowTemplate"]
    bundle = read_bundle(template.schema_file)
    assert '"description"' not in str(bundle["schema"])
    assert "x-kubernetes-validations" not in str(bundle["schema"])
    templates = bundle["cel"]["properties"]["spec"]["properties"]["templates"]
    assert templates["rules"][0]["message"]


def test_drift_is_detected(shared_crds: Path, tmp_path: Path) -> None:
    crds, shipped = tmp_path / "crds", tmp_path / "shipped"
    (crds / "kueue").mkdir(parents=True)
    shutil.copy(shared_crds / LOCALQUEUE, crds / LOCALQUEUE)
    build_shipped(crds, shipped)
    assert diff_shipped(crds, shipped) == []
    edited = (crds / LOCALQUEUE).read_text().replace("clusterQueue:", "clusterQueu:")
    (crds / LOCALQUEUE).write_text(edited)
    assert diff_shipped(crds, shipped) == [
        "index.json",  # the CRD's sha256 and release changed
        "kueue.x-k8s.io_localqueue_v1beta1.json.gz",
        "kueue.x-k8s.io_localqueue_v1beta2.json.gz",
    ]


def test_precedence_crds_over_pulled_over_shipped(
    shared_crds: Path, tmp_path: Path
) -> None:
    shipped = SchemaStore(cache_dir=tmp_path / "empty")
    info = shipped.lookup("kueue.x-k8s.io/v1beta2", "LocalQueue")
    assert info is not None
    assert info.origin == "shipped Kueue v0.19.2"
    own = tmp_path / "own"
    own.mkdir()
    text = (shared_crds / LOCALQUEUE).read_text()
    (own / "lq.yaml").write_text(text.replace("stopPolicy:", "stopPolicyX:"))
    store = SchemaStore(crd_dirs=[own], cache_dir=tmp_path / "c")
    info = store.lookup("kueue.x-k8s.io/v1beta2", "LocalQueue")
    assert info is not None
    # Not a pinned file, so no release; its schema is the one used.
    assert info.origin == f"--crds {(own / 'lq.yaml').as_posix()}"
    assert "stopPolicyX" in info.load()["properties"]["spec"]["properties"]
    # Kinds the folder does not define still come from the shipped set.
    other = store.lookup("argoproj.io/v1alpha1", "WorkflowTemplate")
    assert other is not None
    assert other.origin == "shipped Argo Workflows v4.1.2"


def test_validate_works_with_no_crds_and_an_empty_cache(tmp_path: Path) -> None:
    options = ValidateOptions(cache_dir=tmp_path / "empty", kubeconform="off")
    report = validate_paths([VALID], options=options)
    assert not [f for f in report.findings if f.rule == "MLS110"]
    assert report.schemas["LocalQueue kueue.x-k8s.io/v1beta2"] == (
        "shipped Kueue v0.19.2"
    )
    assert report.schemas["Namespace v1"].startswith("kubernetes-validate ")
    assert not (tmp_path / "empty").exists()  # nothing converted, nothing cached


@pytest.mark.parametrize("field", ["spce", "spec/clusterQueu"])
def test_shipped_schemas_report_misspelled_fields(tmp_path: Path, field: str) -> None:
    top, _, sub = field.partition("/")
    body = f"{top}:\n  {sub}: q\n" if sub else f"{top}: {{}}\n"
    manifest = tmp_path / "lq.yaml"
    manifest.write_text(
        "apiVersion: kueue.x-k8s.io/v1beta2\nkind: LocalQueue\n"
        "metadata: {name: q, namespace: n}\n" + body
    )
    options = ValidateOptions(cache_dir=tmp_path / "empty", kubeconform="off")
    report = validate_paths([manifest], options=options)
    assert [
        (f.rule, f.rendered.line)
        for f in report.findings
        if f.tool == "schema" and f.severity is Severity.ERROR
    ][:1] == [("MLS101", 4 if not sub else 5)]


def _build_command(shared_crds: Path, tmp_path: Path, out: Path) -> list[str]:
    """``schemas build`` of a folder holding only the LocalQueue CRD into ``out``."""
    crds = tmp_path / "crds"
    (crds / "kueue").mkdir(parents=True)
    shutil.copy(shared_crds / LOCALQUEUE, crds / LOCALQUEUE)
    return ["schemas", "build", "--crds", str(crds), "--out", str(out)]


def test_schemas_build_command_writes_and_checks(
    shared_crds: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    build = _build_command(shared_crds, tmp_path, out)
    code, stdout, _ = run_cli(build, capsys)
    assert (code, stdout.split(" CRD versions")[0]) == (0, "wrote 2")
    assert run_cli([*build, "--check"], capsys)[0] == 0
    (out / "kueue.x-k8s.io_localqueue_v1beta2.json.gz").write_bytes(b"stale")
    code, _, stderr = run_cli([*build, "--check"], capsys)
    assert code == 1
    assert "kueue.x-k8s.io_localqueue_v1beta2.json.gz" in stderr
    assert "run `mlscaffold schemas build`" in stderr


def test_schemas_build_replaces_only_its_own_earlier_build(
    shared_crds: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    build = _build_command(shared_crds, tmp_path, out)
    # A folder it did not write (no index.json) keeps its .json.gz files.
    out.mkdir()
    (out / "backup.json.gz").write_bytes(b"precious")
    code, _, stderr = run_cli(build, capsys)
    assert code == 2
    [line] = stderr.splitlines()
    assert line.startswith(f"error: {out} holds files but no index.json")
    assert sorted(p.name for p in out.iterdir()) == ["backup.json.gz"]
    # Its own earlier build is replaced; a file the index does not list stays.
    (out / "backup.json.gz").unlink()
    assert run_cli(build, capsys)[0] == 0
    (out / "backup.json.gz").write_bytes(b"precious")
    assert run_cli(build, capsys)[0] == 0
    assert (out / "backup.json.gz").read_bytes() == b"precious"
