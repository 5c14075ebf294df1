"""The API server's create-time rules that the JSON Schemas do not carry."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from mlscaffold.validate.documents import parse_documents
from mlscaffold.validate.schema.apiserver import check_apiserver
from mlscaffold.validate.schema.metadata import (
    ANNOTATIONS_MAX_BYTES,
    label_key_problems,
    name_problems,
)
from mlscaffold.validate.schema.store import SchemaStore


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> SchemaStore:
    return SchemaStore(cache_dir=tmp_path_factory.mktemp("cache"))


def rules(text: str, store: SchemaStore | None = None) -> list[tuple[str, int | None]]:
    docs = parse_documents(dedent(text), "m.yaml")
    return sorted((f.rule, f.rendered.line) for f in check_apiserver(docs, store))


def test_duplicate_key_points_at_the_second_one() -> None:
    text = """\
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: c
      name: d
    """
    docs = parse_documents(dedent(text), "m.yaml")
    (finding,) = check_apiserver(docs)
    assert (finding.rule, finding.rendered.line) == ("MLS130", 5)
    assert 'key "name" already set in map (metadata)' in finding.message
    # YAML keeps the last value; the other checks see that one.
    assert docs[0].name == "d"


@pytest.mark.parametrize(
    ("group", "kind", "name", "ok"),
    [
        ("", "ConfigMap", "a.b-c", True),
        ("", "ConfigMap", "A", False),
        ("", "ConfigMap", "a" * 253, True),
        ("", "ConfigMap", "a" * 254, False),
        ("", "Namespace", "a.b", False),
        ("", "Namespace", "a" * 64, False),
        ("", "Service", "a1", True),
        ("", "Service", "1a", False),
        ("apps", "StatefulSet", "db.main", False),
        ("apps", "Deployment", "db.main", True),
        ("batch", "Job", "a" * 64, False),
        ("batch", "CronJob", "a" * 52, True),
        ("batch", "CronJob", "a" * 53, False),
        # RBAC names are path segments: upper case and colons are fine.
        ("rbac.authorization.k8s.io", "ClusterRole", "system:Reader", True),
        ("rbac.authorization.k8s.io", "Role", "a/b", False),
        ("rbac.authorization.k8s.io", "Role", "..", False),
        # Custom resources use the general rule.
        ("argoproj.io", "WorkflowTemplate", "train.v2", True),
    ],
)
def test_name_per_kind(group: str, kind: str, name: str, ok: bool) -> None:
    assert (name_problems(group, kind, name) == []) is ok


def test_generate_name_allows_a_trailing_dash_only_as_a_prefix() -> None:
    assert name_problems("", "Namespace", "team-", prefix=True) == []
    assert name_problems("", "Namespace", "team-") != []
    assert name_problems("", "Namespace", "-", prefix=True) != []


@pytest.mark.parametrize(
    ("key", "ok"),
    [
        ("app", True),
        ("app.kubernetes.io/name", True),
        ("MyName", True),
        ("/name", False),
        ("Example.com/name", False),
        ("a/b/c", False),
        ("a" * 63, True),
        ("a" * 64, False),
        ("example.com/", False),
        ("-app", False),
    ],
)
def test_label_keys(key: str, ok: bool) -> None:
    assert (label_key_problems(key) == []) is ok


def test_a_missing_name_is_refused_unless_generated() -> None:
    assert rules("apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n") == [("MLS131", 3)]
    assert rules("apiVersion: v1\nkind: Pod\nmetadata: {generateName: p-}\n") == []
    assert rules("apiVersion: v1\nkind: List\nitems: []\n") == []


def test_namespace_field_must_be_a_dns_label() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: a.b}\n"
    assert rules(text) == [("MLS131", 3)]


def test_annotations_total_size_is_limited() -> None:
    half = "x" * (ANNOTATIONS_MAX_BYTES // 2)
    text = f"""\
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: c
      annotations:
        a: {half}
        b: {half}
    """
    assert rules(text) == [("MLS136", 5)]
    assert rules(text.replace(f"b: {half}", "b: x")) == []


def test_set_and_map_lists(store: SchemaStore) -> None:
    text = """\
    apiVersion: v1
    kind: Service
    metadata:
      name: s
      finalizers: [example.com/a, example.com/b, example.com/a]
    spec:
      ipFamilies: [IPv4, IPv4]
      ports:
        - {port: 80, protocol: UDP}
        - {port: 80, name: a}
        - {port: 80, name: b}
    """
    # finalizers is a set; ipFamilies is atomic (repeats are left to other
    # rules); ports are keyed by port + protocol, which defaults to TCP.
    assert rules(text, store) == [("MLS140", 5), ("MLS140", 11)]


POD = """\
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: app
      image: x
"""


def test_a_plain_pod_passes_and_a_volume_without_source_defaults() -> None:
    # The API server defaults a volume without a source to emptyDir.
    text = POD + "  volumes:\n    - name: scratch\n"
    text += "  ephemeralContainers:\n    - {name: debug, image: x}\n"
    assert rules(text) == []


def test_gpus_are_whole_numbers_equal_to_their_limit() -> None:
    text = POD + "      resources:\n"
    text += "        requests: {nvidia.com/gpu: 0.5}\n"
    text += "        limits: {nvidia.com/gpu: 0.5, hugepages-2Mi: 1Gi}\n"
    assert rules(text) == [("MLS155", 9), ("MLS155", 10)]


def test_a_workflow_level_volume_is_reported_once() -> None:
    text = """\
    apiVersion: argoproj.io/v1alpha1
    kind: WorkflowTemplate
    metadata: {name: w}
    spec:
      volumes:
        - {name: v, emptyDir: {}, secret: {secretName: s}}
      templates:
        - {name: a, container: {image: x}}
        - {name: b, container: {image: x}}
    """
    assert rules(text) == [("MLS153", 6)]


def test_negative_requests_in_custom_resource_pods() -> None:
    text = """\
    apiVersion: argoproj.io/v1alpha1
    kind: WorkflowTemplate
    metadata: {name: w}
    spec:
      templates:
        - name: a
          container: {image: x, resources: {requests: {cpu: -1}}}
    """
    assert rules(text) == [("MLS141", 7)]


def test_service_target_port_zero_defaults_to_the_port() -> None:
    text = """\
    apiVersion: v1
    kind: Service
    metadata: {name: s}
    spec:
      ports:
        - {port: 80, targetPort: 0, nodePort: 0}
        - {port: 0, targetPort: http}
    """
    assert rules(text) == [("MLS151", 7)]


def test_container_names_only_compared_across_lists() -> None:
    # KServe merges a container named kserve-container into the model spec.
    text = """\
    apiVersion: serving.kserve.io/v1beta1
    kind: InferenceService
    metadata: {name: m}
    spec:
      predictor:
        model: {modelFormat: {name: sklearn}, storageUri: s3://m}
        containers:
          - {name: kserve-container, image: x}
    """
    assert rules(text) == []
    pod = POD + "  initContainers:\n    - {name: app, image: x}\n"
    assert rules(pod) == [("MLS154", 6)]


def test_core_containers_need_an_image_and_distinct_port_names() -> None:
    text = POD.replace("      image: x\n", "")
    text += "      ports:\n        - {containerPort: 80, name: http}\n"
    text += "        - {containerPort: 81, name: http}\n"
    assert rules(text) == [("MLS157", 9), ("MLS159", 6)]
    # An Argo template's container may leave the image to templateDefaults.
    argo = """\
    apiVersion: argoproj.io/v1alpha1
    kind: WorkflowTemplate
    metadata: {name: w}
    spec:
      templates:
        - {name: a, container: {command: [run]}}
    """
    assert rules(argo) == []


def test_env_names_follow_the_version(tmp_path: Path) -> None:
    text = POD + "      env:\n        - {name: 1ST.RUN, value: x}\n"
    text += "        - {name: 'A=B', value: x}\n"
    old = SchemaStore("1.31", cache_dir=tmp_path)
    # Relaxed (printable ASCII but '=') from 1.32, the default 1.33 included.
    assert rules(text) == [("MLS160", 10)]
    assert rules(text, old) == [("MLS160", 9), ("MLS160", 10)]
