"""CRD conversion rules and the content-hash conversion cache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from mlscaffold._cache import atomic_write
from mlscaffold.errors import SchemaStoreError
from mlscaffold.validate.schema import crd
from mlscaffold.validate.schema.crd import (
    OBJECT_META_REF,
    convert_version_schema,
    count_cel_rules,
    load_crd_file,
)

OPEN_API: dict[str, Any] = {
    "type": "object",
    "description": "dropped",
    "properties": {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": {
            "type": "object",
            "required": ["size"],
            "x-kubernetes-validations": [{"rule": "self.size > 0"}],
            "properties": {
                "size": {"x-kubernetes-int-or-string": True},
                "labels": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                },
                "bare": {"type": "object"},
                "open": {
                    "type": "object",
                    "x-kubernetes-preserve-unknown-fields": True,
                    "properties": {"known": {"type": "integer"}},
                },
                "note": {"type": "string", "nullable": True},
            },
        },
    },
}

CRD_TEXT = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
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
              x-kubernetes-validations: [{rule: "true"}, {rule: "true"}]
              properties: {size: {type: integer}}
    - name: v0
      served: false
      storage: false
      deprecated: true
      schema:
        openAPIV3Schema: {type: object}
"""


def errors(schema: dict[str, Any], instance: Any) -> list[str]:
    validator = jsonschema_rs.validator_for(
        schema, registry=jsonschema_rs.Registry([(crd.K8S_DEFINITIONS_URI, {})])
    )
    return [
        f"{list(e.instance_path)}:{e.kind.name}"
        for e in validator.iter_errors(instance)
    ]


def spec_only(schema: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": crd.JSON_SCHEMA_DIALECT, **schema["properties"]["spec"]}


def test_root_and_listed_objects_are_closed() -> None:
    schema = convert_version_schema(OPEN_API)
    assert schema["additionalProperties"] is False
    assert schema["properties"]["spec"]["additionalProperties"] is False
    assert errors(spec_only(schema), {"size": 1, "sise": 2}) == [
        "[]:additionalProperties"
    ]


def test_metadata_is_the_strict_object_meta() -> None:
    schema = convert_version_schema(OPEN_API)
    assert schema["properties"]["metadata"] == {"$ref": OBJECT_META_REF}


def test_maps_and_bare_objects_stay_open() -> None:
    schema = spec_only(convert_version_schema(OPEN_API))
    assert errors(schema, {"size": 1, "labels": {"any": "x"}, "bare": {"x": 1}}) == []
    assert errors(schema, {"size": 1, "labels": {"any": 1}}) == [
        "['labels', 'any']:type"
    ]


def test_preserve_unknown_fields_is_open_but_typed() -> None:
    schema = spec_only(convert_version_schema(OPEN_API))
    assert errors(schema, {"size": 1, "open": {"extra": [1]}}) == []
    assert errors(schema, {"size": 1, "open": {"known": "x"}}) == [
        "['open', 'known']:type"
    ]


@pytest.mark.parametrize(
    ("size", "ok"), [(3, True), ("50%", True), (1.5, False), ([], False)]
)
def test_int_or_string(size: object, ok: bool) -> None:
    schema = spec_only(convert_version_schema(OPEN_API))
    assert (errors(schema, {"size": size}) == []) is ok


def test_nullable_admits_null_and_required_is_kept() -> None:
    schema = spec_only(convert_version_schema(OPEN_API))
    assert errors(schema, {"size": 1, "note": None}) == []
    assert errors(schema, {}) == ["[]:required"]


def test_documentation_and_extensions_are_dropped() -> None:
    schema = convert_version_schema(OPEN_API)
    assert "description" not in schema
    assert "x-kubernetes-validations" not in schema["properties"]["spec"]
    assert OPEN_API["properties"]["spec"]["x-kubernetes-validations"]  # input untouched


def test_count_cel_rules() -> None:
    assert count_cel_rules(OPEN_API) == 1


def test_load_crd_file_reads_every_version(tmp_path: Path) -> None:
    path = tmp_path / "widget.yaml"
    path.write_text(CRD_TEXT)
    versions = {v.version: v for v in load_crd_file(path, tmp_path / "cache")}
    assert set(versions) == {"v1", "v0"}
    assert versions["v1"].api_version == "example.com/v1"
    assert versions["v1"].cel_rules == 2
    assert versions["v1"].served
    assert not versions["v0"].served
    assert versions["v0"].deprecated == "deprecated"
    assert versions["v1"].load_bundle()["schema"]["additionalProperties"] is False


def test_cached_conversion_does_not_parse_yaml_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "widget.yaml"
    path.write_text(CRD_TEXT)
    first = load_crd_file(path, tmp_path / "cache")

    def no_yaml(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("YAML parsed although the conversion is cached")

    monkeypatch.setattr("mlscaffold.validate.schema.crd.yaml.load_all", no_yaml)
    again = load_crd_file(path, tmp_path / "cache")
    assert [v.schema_file for v in again] == [v.schema_file for v in first]


def test_changed_crd_is_converted_again(tmp_path: Path) -> None:
    path = tmp_path / "widget.yaml"
    path.write_text(CRD_TEXT)
    (before,) = [v for v in load_crd_file(path, tmp_path / "c") if v.version == "v1"]
    path.write_text(CRD_TEXT.replace("size: {type: integer}", "size: {type: string}"))
    (after,) = [v for v in load_crd_file(path, tmp_path / "c") if v.version == "v1"]
    assert before.schema_file != after.schema_file
    spec = after.load_bundle()["schema"]["properties"]["spec"]
    assert spec["properties"]["size"] == {"type": "string"}


def test_damaged_cache_entry_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "widget.yaml"
    path.write_text(CRD_TEXT)
    (first, _) = load_crd_file(path, tmp_path / "c")
    (first.schema_file.parent / "index.json").write_text("{not json")
    assert len(load_crd_file(path, tmp_path / "c")) == 2


def test_non_yaml_crd_file_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("spec: [unclosed\n")
    with pytest.raises(SchemaStoreError, match="not valid YAML"):
        load_crd_file(path, tmp_path / "c")


def test_atomic_write_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b.json"
    atomic_write(target, b"1")
    atomic_write(target, b"2")
    assert target.read_bytes() == b"2"
    assert [p.name for p in target.parent.iterdir()] == ["b.json"]
