"""Schema store lookups (core and CRD), Kubernetes versions, and `schemas pull`."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from mlscaffold._cache import default_cache_dir
from mlscaffold.errors import SchemaStoreError
from mlscaffold.validate.schema.store import (
    DEFAULT_KUBE_VERSION,
    SchemaStore,
    pull_crds,
    pulled_crd_dir,
    read_catalog,
    supported_kube_versions,
)

CATALOG = Path(__file__).resolve().parent.parent.parent / "schemas" / "crd-sources.yaml"


def serve_shared(shared_crds: Path) -> Callable[[str], bytes]:
    """A fake fetch: the network is unavailable, so serve the pinned local copies."""
    by_name = {p.name: p for p in shared_crds.rglob("*.yaml")}

    def fetch(url: str) -> bytes:
        return by_name[url.rsplit("/", 1)[1]].read_bytes()

    return fetch


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [
        ("v1", "Namespace"),
        ("v1", "ResourceQuota"),
        ("rbac.authorization.k8s.io/v1", "RoleBinding"),
        ("networking.k8s.io/v1", "NetworkPolicy"),
        ("apps/v1", "Deployment"),
    ],
)
def test_core_kinds_come_from_kubernetes_validate(
    schema_store: SchemaStore, api_version: str, kind: str
) -> None:
    info = schema_store.lookup(api_version, kind)
    assert info is not None
    assert info.origin == f"kubernetes-validate {DEFAULT_KUBE_VERSION}"
    assert info.load()["additionalProperties"] is False  # the strict variant


@pytest.mark.parametrize(
    ("api_version", "kind", "cel"),
    [
        ("kueue.x-k8s.io/v1beta2", "LocalQueue", True),
        ("argoproj.io/v1alpha1", "WorkflowTemplate", True),
        ("argoproj.io/v1alpha1", "CronWorkflow", True),
        ("serving.kserve.io/v1beta1", "InferenceService", False),
        ("argoproj.io/v1alpha1", "Application", False),
    ],
)
def test_custom_resources_come_from_crds(
    schema_store: SchemaStore, api_version: str, kind: str, cel: bool
) -> None:
    info = schema_store.lookup(api_version, kind)
    assert info is not None
    # --crds wins over the shipped set, and the pinned file's release is named.
    assert info.origin.startswith("--crds ")
    assert info.origin.endswith(" v0.19.2)") is (kind == "LocalQueue")
    assert (info.cel_rules > 0) is cel


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [
        ("v1", "Widget"),
        (
            "example.com/v1",
            "Namespace",
        ),  # same file name as rbac-like groups, wrong group
        ("rbac.example.com/v1", "Role"),  # the file is role-rbac-v1.json, group differs
        ("kueue.x-k8s.io/v1", "LocalQueue"),
    ],
)
def test_unknown_kinds_have_no_schema(
    schema_store: SchemaStore, api_version: str, kind: str
) -> None:
    assert schema_store.lookup(api_version, kind) is None


def test_known_versions_help_with_a_wrong_version(schema_store: SchemaStore) -> None:
    assert schema_store.known_versions("LocalQueue") == [
        "kueue.x-k8s.io/v1beta1",
        "kueue.x-k8s.io/v1beta2",
    ]


def test_kube_versions() -> None:
    versions = supported_kube_versions()
    assert DEFAULT_KUBE_VERSION in versions
    assert SchemaStore("v1.30.4").kube_version == "1.30"
    with pytest.raises(SchemaStoreError, match="not supported"):
        SchemaStore("1.2")
    with pytest.raises(SchemaStoreError, match=r"MAJOR\.MINOR"):
        SchemaStore("latest")


def test_kube_version_changes_the_core_schemas() -> None:
    old, new = SchemaStore(supported_kube_versions()[0]), SchemaStore("1.33")
    assert old.lookup("v1", "Namespace") is not None
    assert old.definitions() is not new.definitions()


def test_missing_crd_folder(tmp_path: Path) -> None:
    with pytest.raises(SchemaStoreError, match="does not exist"):
        SchemaStore(crd_dirs=[tmp_path / "nope"])


def test_same_crd_twice_is_an_error(shared_crds: Path, tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        shutil.copy(
            shared_crds / "kueue" / "kueue.x-k8s.io_localqueues.yaml", tmp_path / name
        )
    with pytest.raises(SchemaStoreError, match="defined twice"):
        SchemaStore(crd_dirs=[tmp_path / "a", tmp_path / "b"], cache_dir=tmp_path / "c")


def test_cache_dir_honours_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLSCAFFOLD_CACHE_DIR", str(tmp_path))
    assert default_cache_dir() == tmp_path


@pytest.mark.slow  # parses every pinned CRD in full
def test_catalog_lists_the_eight_pinned_crds(shared_crds: Path) -> None:
    sources = read_catalog(CATALOG)
    assert len(sources) == 8
    local = {p.name: p for p in shared_crds.rglob("*.yaml")}
    for source in sources:
        assert source.url.startswith("https://raw.githubusercontent.com/")
        assert source.name == source.url.rsplit("/", 1)[1]
        data = local[source.name].read_bytes()
        assert hashlib.sha256(data).hexdigest() == source.sha256
        crd = yaml.load(data, Loader=yaml.CSafeLoader)
        served = [v["name"] for v in crd["spec"]["versions"] if v["served"]]
        assert source.served_version in served
        assert crd["spec"]["names"]["kind"] == source.kind


@pytest.mark.slow  # converts every pulled CRD into a fresh cache
def test_pull_verifies_caches_and_feeds_the_store(
    shared_crds: Path, tmp_path: Path
) -> None:
    written = pull_crds(CATALOG, tmp_path, serve_shared(shared_crds))
    assert len(written) == 8
    assert all(p.parent == pulled_crd_dir(tmp_path) for p in written)
    assert not [p for p in pulled_crd_dir(tmp_path).iterdir() if p.suffix == ".tmp"]
    store = SchemaStore(cache_dir=tmp_path)  # no --crds: the pulled CRDs are used
    info = store.lookup("argoproj.io/v1alpha1", "CronWorkflow")
    assert info is not None
    assert info.origin == "pulled Argo Workflows v4.1.2"


def test_pull_rejects_tampered_bytes_and_caches_nothing(
    shared_crds: Path, tmp_path: Path
) -> None:
    honest = serve_shared(shared_crds)

    def tampered(url: str) -> bytes:
        data = honest(url)
        return (
            data.replace(b"served: true", b"served: false")
            if "cronworkflows" in url
            else data
        )

    with pytest.raises(SchemaStoreError, match="sha256 mismatch"):
        pull_crds(CATALOG, tmp_path, tampered)
    assert not pulled_crd_dir(tmp_path).exists()


def test_pull_download_failure_is_a_store_error(tmp_path: Path) -> None:
    def offline(url: str) -> bytes:
        raise OSError(f"network unreachable: {url}")

    with pytest.raises(SchemaStoreError, match="cannot download"):
        pull_crds(CATALOG, tmp_path, offline)
