"""Repeated CRD subschemas kept once in $defs: same verdicts, same error paths."""

from __future__ import annotations

import json
from typing import Any

import jsonschema_rs

from mlscaffold.validate.schema.kubeconform import bundle_schema
from mlscaffold.validate.schema.shared import share_repeated_subschemas

# A container-like object large enough to be worth sharing.
CONTAINER: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["image"],
    "properties": {
        f"field{i:03d}": {
            "type": "string",
            "enum": [f"value-{i}-{j}" for j in range(4)],
        }
        for i in range(40)
    }
    | {"image": {"type": "string"}, "port": {"type": "integer"}},
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "main": CONTAINER,
        "sidecars": {"type": "array", "items": CONTAINER},
        "init": {"type": "object", "additionalProperties": CONTAINER},
    },
}
BAD = {
    "main": {"image": "a", "port": "80"},
    "sidecars": [{"image": "b", "imagePullPolcy": "x"}, {"port": 1}],
    "init": {"setup": {"image": "c", "field001": "nope"}},
}


def errors(schema: dict[str, Any]) -> list[tuple[str, tuple[Any, ...]]]:
    validator = jsonschema_rs.validator_for(schema)
    return sorted(
        (e.kind.name, tuple(e.instance_path)) for e in validator.iter_errors(BAD)
    )


def test_repeats_are_shared_once() -> None:
    shared = share_repeated_subschemas(SCHEMA)
    assert list(shared["$defs"]) == ["shared0"]
    text = json.dumps(shared)
    assert text.count('"#/$defs/shared0"') == 3
    assert len(text) < len(json.dumps(SCHEMA)) / 2
    assert share_repeated_subschemas(SCHEMA) == shared  # deterministic


def test_same_errors_at_the_same_places() -> None:
    shared = share_repeated_subschemas(SCHEMA)
    assert errors(shared) == errors(SCHEMA)
    assert len(errors(SCHEMA)) == 4


def test_kubeconform_gets_them_inlined_again() -> None:
    # kubeconform names only an error's direct cause: behind a $ref, the wrong field.
    bundled = bundle_schema(share_repeated_subschemas(SCHEMA), {"$defs": {}})
    assert "$ref" not in json.dumps(bundled)
    assert errors(bundled) == errors(SCHEMA)
