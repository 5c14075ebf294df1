"""Effective pod views and Kubernetes quantities."""
# ruff: noqa: E501, PT018  (one-line YAML fixtures; paired checks on one view)

from __future__ import annotations

import textwrap
from fractions import Fraction

import pytest

from mlscaffold.validate.documents import parse_documents
from mlscaffold.validate.pods import PodView, effective_pods
from mlscaffold.validate.quantity import (
    container_requests,
    format_quantity,
    parse_quantity,
    pod_requests,
)


def pods(text: str) -> list[PodView]:
    (doc,) = parse_documents(textwrap.dedent(text), "x.yaml")
    return effective_pods(doc)


@pytest.mark.parametrize(
    ("kind", "spec", "pointer"),
    [
        ("Pod", "spec: {containers: [{name: a}]}", "/spec"),
        (
            "Deployment",
            "spec: {template: {spec: {containers: [{name: a}]}}}",
            "/spec/template/spec",
        ),
        (
            "StatefulSet",
            "spec: {template: {spec: {containers: [{name: a}]}}}",
            "/spec/template/spec",
        ),
        (
            "Job",
            "spec: {template: {spec: {containers: [{name: a}]}}}",
            "/spec/template/spec",
        ),
        (
            "CronJob",
            "spec: {jobTemplate: {spec: {template: {spec: {containers: [{name: a}]}}}}}",
            "/spec/jobTemplate/spec/template/spec",
        ),
    ],
)
def test_core_workloads(kind: str, spec: str, pointer: str) -> None:
    api = "v1" if kind == "Pod" else "batch/v1" if "Job" in kind else "apps/v1"
    (view,) = pods(f"apiVersion: {api}\nkind: {kind}\nmetadata: {{name: w}}\n{spec}\n")
    assert view.pointer == pointer
    assert [c.pointer for c in view.containers] == [f"{pointer}/containers/0"]


def test_non_workloads_have_no_pods() -> None:
    assert (
        pods("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n")
        == []
    )


ARGO = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: wt}
spec:
  serviceAccountName: runner
  securityContext: {runAsNonRoot: true}
  nodeSelector: {pool: cpu}
  podMetadata:
    labels: {team: a, queue: q1}
  volumes: [{name: shared, emptyDir: {}}]
  templates:
    - name: dag
      dag: {tasks: [{name: s, template: step}]}
    - name: step
      securityContext: {runAsUser: 1000}
      tolerations: [{operator: Exists}]
      metadata:
        labels: {queue: q2}
      volumes: [{name: own, emptyDir: {}}]
      initContainers: [{name: fetch, image: x}]
      sidecars: [{name: proxy, image: x}]
      script: {image: x, source: 'print(1)'}
    - name: set
      serviceAccountName: other
      containerSet:
        containers: [{name: a, image: x}, {name: b, image: x}]
"""


def test_argo_templates_are_pods_with_template_fields_winning() -> None:
    step, cset = pods(ARGO)
    assert step.pointer == "/spec/templates/1"
    assert step.security_context.value == {"runAsUser": 1000}  # replaced, not merged
    assert step.security_context.pointer == "/spec/templates/1/securityContext"
    assert step.node_selector.pointer == "/spec/nodeSelector"  # inherited
    assert step.tolerations.pointer == "/spec/templates/1/tolerations"
    assert {k: f.value for k, f in step.labels.items()} == {"team": "a", "queue": "q2"}
    assert step.labels["queue"].pointer == "/spec/templates/1/metadata/labels/queue"
    assert [(c.name, c.role) for c in step.containers] == [
        ("main", "container"),
        ("fetch", "init"),
        ("proxy", "sidecar"),
    ]
    assert [v.value["name"] for v in step.volumes] == ["shared", "own"]
    assert step.service_account is not None and step.service_account.value == "runner"
    assert step.injected == ("init", "wait")
    assert cset.service_account is not None and cset.service_account.value == "other"
    assert [c.pointer for c in cset.containers] == [
        "/spec/templates/2/containerSet/containers/0",
        "/spec/templates/2/containerSet/containers/1",
    ]


def test_cron_workflow_spec_and_template_defaults() -> None:
    (view,) = pods(
        """\
        apiVersion: argoproj.io/v1alpha1
        kind: CronWorkflow
        metadata: {name: cw}
        spec:
          workflowSpec:
            securityContext: {runAsNonRoot: false}
            templateDefaults:
              securityContext: {runAsNonRoot: true}
            templates:
              - name: t
                container: {image: x}
        """
    )
    assert view.pointer == "/spec/workflowSpec/templates/0"
    assert view.security_context.value == {"runAsNonRoot": True}


def test_inference_service_components() -> None:
    predictor, transformer = pods(
        """\
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: m
          annotations: {serving.kserve.io/deploymentMode: RawDeployment}
        spec:
          predictor:
            minReplicas: 2
            serviceAccountName: sa
            labels: {a: b}
            securityContext: {runAsNonRoot: true}
            model: {modelFormat: {name: sklearn}, storageUri: 's3://b/m'}
            containers: [{name: extra, image: x}]
          transformer:
            containers: [{name: t, image: x}]
        """
    )
    assert predictor.kind == "serving"
    assert [c.name for c in predictor.containers] == ["kserve-container", "extra"]
    assert predictor.containers[0].pointer == "/spec/predictor/model"
    assert predictor.security_context.pointer == "/spec/predictor/securityContext"
    assert predictor.labels["a"].pointer == "/spec/predictor/labels/a"
    assert predictor.injected == ("storage-initializer",)
    assert predictor.replicas == 2
    assert transformer.injected == () and transformer.replicas == 1


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("250m", Fraction(1, 4)),
        ("2", Fraction(2)),
        (2, Fraction(2)),
        (0.5, Fraction(1, 2)),
        ("1.5Gi", Fraction(3 * 2**29)),
        ("512Mi", Fraction(2**29)),
        ("1Ki", Fraction(1024)),
        ("2Ti", Fraction(2 * 2**40)),
        ("1k", Fraction(1000)),
        ("1M", Fraction(10**6)),
        ("3G", Fraction(3 * 10**9)),
        ("1T", Fraction(10**12)),
        ("1E", Fraction(10**18)),
        ("1e3", Fraction(1000)),
        ("1.5E-3", Fraction(3, 2000)),
        ("100n", Fraction(1, 10**7)),
        (".5", Fraction(1, 2)),
        ("+1", Fraction(1)),
    ],
)
def test_parse_quantity(text: object, value: Fraction) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["", "1 Gi", "1gi", "Gi", "1.2.3", "1KB", True, None])
def test_parse_quantity_rejects(text: object) -> None:
    with pytest.raises(ValueError, match="not a quantity"):
        parse_quantity(text)


def test_format_quantity() -> None:
    assert format_quantity("cpu", Fraction(3, 2)) == "1500m"
    assert format_quantity("cpu", Fraction(16)) == "16"
    assert format_quantity("memory", Fraction(64 * 2**30)) == "64Gi"
    assert format_quantity("nvidia.com/gpu", Fraction(2)) == "2"


def test_requests_fall_back_to_limits_then_defaults() -> None:
    defaults = {"cpu": Fraction(1, 4), "memory": Fraction(2**29)}
    got = container_requests(
        {"resources": {"limits": {"cpu": "2", "nvidia.com/gpu": 1}}}, defaults
    )
    assert got == {
        "cpu": Fraction(2),
        "nvidia.com/gpu": Fraction(1),
        "memory": Fraction(2**29),
    }


def test_pod_requests_sum_running_containers_and_max_init() -> None:
    (view,) = pods(
        """\
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          initContainers:
            - {name: big, resources: {requests: {cpu: '4'}}}
            - {name: side, restartPolicy: Always, resources: {requests: {cpu: 500m}}}
          containers:
            - {name: a, resources: {requests: {cpu: '1', memory: 1Gi}}}
            - {name: b, resources: {requests: {cpu: '1'}}}
        """
    )
    assert pod_requests(view) == {"cpu": Fraction(4), "memory": Fraction(2**30)}
    assert pod_requests(view, {"memory": Fraction(1)})["memory"] == Fraction(2**30 + 2)
