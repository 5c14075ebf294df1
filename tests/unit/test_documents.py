"""YAML documents: values exactly as PyYAML builds them, positions of every field."""

from __future__ import annotations

import pytest
import yaml

from mlscaffold.validate.documents import parse_documents

TEXT = """\
# comment
kind: Pod
metadata:
  name: x
  labels: {a/b: "1", c~d: 'y'}
spec:
  containers:
    - name: c
      ports: [80, 443]
      args: ["--flag", 2.5, true, null, 2020-01-01, 0x1F]
---
---
base: &base {cpu: 1}
merged:
  <<: *base
  memory: 2Gi
? !!str 3
: value
"""


def test_values_equal_pyyaml_and_empty_documents_are_skipped() -> None:
    docs = parse_documents(TEXT, "f.yaml")
    expected = [d for d in yaml.safe_load_all(TEXT) if d is not None]
    assert [d.data for d in docs] == expected
    assert [d.index for d in docs] == [0, 2]


def test_positions_point_at_keys_and_items_with_escaped_pointers() -> None:
    pod, other = parse_documents(TEXT, "f.yaml")
    assert pod.locate("/metadata/name").line == 4
    assert pod.locate("/metadata/labels/a~1b").line == 5
    assert pod.locate("/metadata/labels/c~0d").column == 22
    port = pod.locate("/spec/containers/0/ports/1")
    assert (port.line, port.column) == (9, 19)
    assert pod.locate("/spec/containers/0/nope").line == 8  # nearest existing parent
    assert other.locate("/merged/memory").line == 16


def test_a_recursive_alias_is_a_yaml_error_not_a_crash() -> None:
    with pytest.raises(yaml.YAMLError):
        parse_documents("a: &x [*x]\n", "r.yaml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("apiVersion: v1\nkind: Namespace\n", True),
        ("apiVersion: kueue.x-k8s.io/v1beta1\nkind: LocalQueue\n", True),
        ("apiVersion: backstage.io/v1alpha1\nkind: Component\n", False),
        ("kind: Namespace\n", False),
        ("apiVersion: v1\n", False),
        ("- not an object\n", False),
    ],
)
def test_is_kubernetes_means_api_version_and_kind_and_not_backstage(
    text: str, expected: bool
) -> None:
    [doc] = parse_documents(text, "x.yaml")
    assert doc.is_kubernetes is expected
