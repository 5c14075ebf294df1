"""A misspelled field in any custom resource the package ships schemas for is reported.

For every (apiVersion, kind) in the shipped schema set, one valid document (as the
skeleton renders it where it renders that kind, else a small valid one) is checked
with a misspelling of one of its own fields inserted at the top of ``spec`` and one
inserted in a nested object: no ``--crds``, no network, an empty cache. Each must
give exactly one MLS101 that names the field, suggests the real one and points at
its line; the valid document must give no schema finding. A kind added to the
shipped set fails here until it has a case.
"""

from __future__ import annotations

import re
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlscaffold.api import render_project
from mlscaffold.params import merge_values
from mlscaffold.validate import ValidateOptions, validate_paths
from mlscaffold.validate.schema.bundled import shipped_versions

Key = tuple[str, str]  # (apiVersion, kind)
Step = str | int

TEAM = {
    "team": "recs",
    "owner": "group:default/recs",
    "repoUrl": "github.com?owner=acme&repo=recs-ml",
    "modelName": "ranker",
    "maturity": "L3",  # renders the CronWorkflow too
}


@dataclass(frozen=True)
class Case:
    """Where a kind's valid document comes from and where to misspell a field.

    Attributes:
        nested: Path from the document's root to an object below ``spec``.
        rendered: The rendered file that holds the document, or "" for ``document``.
        document: A small valid document, for kinds the skeleton does not render.
        extra: YAML deep-merged into the rendered document: a nested object that
            the skeleton leaves out but the schema has.
    """

    nested: tuple[Step, ...]
    rendered: str = ""
    document: str = ""
    extra: str = ""


_CLUSTER_QUEUE = """\
apiVersion: kueue.x-k8s.io/{version}
kind: ClusterQueue
metadata: {{name: ml-shared}}
spec:
  namespaceSelector: {{}}
  resourceGroups:
    - coveredResources: [cpu]
      flavors:
        - name: on-demand
          resources:
            - name: cpu
              nominalQuota: "8"
"""
_LOCAL_QUEUE_V1BETA1 = """\
apiVersion: kueue.x-k8s.io/v1beta1
kind: LocalQueue
metadata: {name: recs-queue, namespace: recs-ml}
spec:
  clusterQueue: ml-shared
  fairSharing: {weight: "1"}
"""
_RESOURCE_FLAVOR = """\
apiVersion: kueue.x-k8s.io/{version}
kind: ResourceFlavor
metadata: {{name: spot}}
spec:
  nodeLabels: {{karpenter.sh/capacity-type: spot}}
  tolerations:
    - key: karpenter.sh/capacity-type
      operator: Equal
      value: spot
      effect: NoSchedule
"""
_RESOURCES = ("spec", "resourceGroups", 0, "flavors", 0, "resources", 0)

CASES: dict[Key, Case] = {
    ("argoproj.io/v1alpha1", "Application"): Case(
        ("spec", "syncPolicy", "automated"),
        rendered="platform/teams/recs/application.yaml",
    ),
    ("argoproj.io/v1alpha1", "AppProject"): Case(
        ("spec", "destinations", 0), rendered="platform/teams/recs/appproject.yaml"
    ),
    ("argoproj.io/v1alpha1", "CronWorkflow"): Case(
        ("spec", "workflowSpec", "arguments", "parameters", 0),
        rendered="deploy/cronworkflow.yaml",
    ),
    ("argoproj.io/v1alpha1", "WorkflowTemplate"): Case(
        ("spec", "templates", 0, "dag", "tasks", 0),
        rendered="deploy/workflowtemplate.yaml",
    ),
    ("serving.kserve.io/v1beta1", "InferenceService"): Case(
        ("spec", "predictor", "model"), rendered="deploy/inferenceservice.yaml"
    ),
    ("kueue.x-k8s.io/v1beta1", "ClusterQueue"): Case(
        _RESOURCES, document=_CLUSTER_QUEUE.format(version="v1beta1")
    ),
    ("kueue.x-k8s.io/v1beta2", "ClusterQueue"): Case(
        _RESOURCES, document=_CLUSTER_QUEUE.format(version="v1beta2")
    ),
    ("kueue.x-k8s.io/v1beta1", "LocalQueue"): Case(
        ("spec", "fairSharing"), document=_LOCAL_QUEUE_V1BETA1
    ),
    ("kueue.x-k8s.io/v1beta2", "LocalQueue"): Case(
        ("spec", "fairSharing"),
        rendered="platform/teams/recs/localqueue.yaml",
        extra='spec: {fairSharing: {weight: "1"}}',
    ),
    ("kueue.x-k8s.io/v1beta1", "ResourceFlavor"): Case(
        ("spec", "tolerations", 0), document=_RESOURCE_FLAVOR.format(version="v1beta1")
    ),
    ("kueue.x-k8s.io/v1beta2", "ResourceFlavor"): Case(
        ("spec", "tolerations", 0), document=_RESOURCE_FLAVOR.format(version="v1beta2")
    ),
}

SHIPPED: list[Key] = sorted(
    {(f"{v.group}/{v.version}", v.kind) for v in shipped_versions()}
)


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    """The files of one rendered team project (both trees), by path."""
    tree = render_project(TEAM).combined_tree()
    return {path: entry.text for path, entry in tree.files()}


@pytest.fixture(scope="module")
def options(tmp_path_factory: pytest.TempPathFactory) -> ValidateOptions:
    """Shipped schemas only: no CRD folder, an empty cache shared by the cases."""
    empty = tmp_path_factory.mktemp("cache") / "empty"
    return ValidateOptions(cache_dir=empty, kubeconform="off")


def typo(name: str) -> str:
    """``name`` with its first two different neighbours after the first swapped."""
    for i in range(1, len(name) - 1):
        if name[i] != name[i + 1]:
            return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    raise AssertionError(f"cannot misspell {name!r}")


def base_document(key: Key, case: Case, rendered: dict[str, str]) -> dict[str, Any]:
    if not case.rendered:
        doc = yaml.safe_load(case.document)
    else:
        docs = yaml.safe_load_all(rendered[case.rendered])
        doc = next(d for d in docs if d and (d["apiVersion"], d["kind"]) == key)
        doc = merge_values([doc, yaml.safe_load(case.extra) or {}])
    assert isinstance(doc, dict)
    return doc


def with_typo(doc: dict[str, Any], path: tuple[Step, ...]) -> tuple[Any, str, str]:
    """A copy of ``doc`` whose object at ``path`` starts with a misspelled field.

    Returns:
        The copy, the misspelled name and the field it misspells.
    """
    copy: Any = deepcopy(doc)
    target = copy
    for step in path:
        target = target[step]
    assert isinstance(target, dict), path
    assert target, path
    field, value = next(iter(target.items()))
    wrong = typo(field)
    assert wrong not in target
    items = list(target.items())
    target.clear()
    target.update([(wrong, value), *items])
    return copy, wrong, field


def line_of(text: str, name: str) -> int:
    """The one line of ``text`` where the key ``name`` is written."""
    pattern = re.compile(rf"^\s*(- )?{re.escape(name)}:")
    lines = [n for n, line in enumerate(text.splitlines(), 1) if pattern.match(line)]
    assert len(lines) == 1, (name, lines)
    return lines[0]


@pytest.mark.parametrize("key", SHIPPED, ids=["/".join(key) for key in SHIPPED])
def test_misspelled_fields_are_reported_at_their_line(
    key: Key,
    rendered: dict[str, str],
    options: ValidateOptions,
    tmp_path: Path,
) -> None:
    case = CASES.get(key)
    if case is None:
        pytest.fail(f"{'/'.join(key)} is shipped but has no case: add one to CASES")
    assert case.nested[0] == "spec"
    assert len(case.nested) > 1
    doc = base_document(key, case, rendered)
    top, top_typo, top_field = with_typo(doc, ("spec",))
    nested, nested_typo, nested_field = with_typo(doc, case.nested)
    text = yaml.safe_dump_all([doc, top, nested], sort_keys=False)
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(text, encoding="utf-8")

    report = validate_paths([manifest], options=options)

    schema = [f for f in report.findings if f.rule in ("MLS101", "MLS102", "MLS103")]
    assert [(f.rule, f.rendered.line if f.rendered else None) for f in schema] == [
        ("MLS101", line_of(text, top_typo)),
        ("MLS101", line_of(text, nested_typo)),
    ], [f.message for f in schema]
    for finding, wrong, right in zip(
        schema, (top_typo, nested_typo), (top_field, nested_field), strict=True
    ):
        assert finding.message.startswith(f"unknown field '{wrong}' in spec")
        assert f"did you mean '{right}'?" in finding.message
    assert report.schemas[f"{key[1]} {key[0]}"].startswith("shipped ")
    assert not options.cache_dir or not options.cache_dir.exists()


def test_every_case_is_of_a_shipped_kind() -> None:
    assert set(CASES) - set(SHIPPED) == set()
