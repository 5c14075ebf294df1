"""Rules the schemas imply but do not enforce: list types, integer formats, quantities.

``x-kubernetes-list-type: map`` lists must not repeat the values of their
``x-kubernetes-list-map-keys``, ``set`` lists must not repeat an item (the API
server and server-side apply refuse both; JSON Schema validators ignore the
extensions), an ``int32``/``int64`` field must fit its format, and a core
``Quantity`` must parse and not be negative. Core kinds get
the extensions from kubernetes-validate's schemas, custom resources from their
CRDs (the converter keeps them).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mlscaffold.validate.documents import escape_pointer_token
from mlscaffold.validate.quantity import parse_quantity
from mlscaffold.validate.schema.metadata import FieldHit

_FORMAT_RANGES = {
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
}
# Map keys the API server defaults before it compares entries (ContainerPort,
# ServicePort and EndpointPort protocols); the schemas do not say so.
_KEY_DEFAULTS = {"protocol": "TCP"}
_MAX_SHOWN = 60
_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"


# A node's place is a chain (parent, key or index), built as the walk goes down
# and turned into a JSON pointer only for a finding: most nodes never need one.


class SchemaWalker:
    """Walks a document along its schema, resolving ``$ref`` into the definitions.

    Args:
        definitions: The ``$defs`` of kubernetes-validate's ``_definitions.json``.
    """

    def __init__(self, definitions: Mapping[str, Any]) -> None:
        """Keep the definitions the ``$ref``s point into."""
        self._defs = definitions
        self._local: Mapping[str, Any] = {}

    def hits(self, data: Any, schema: Mapping[str, Any]) -> list[FieldHit]:
        """MLS140-MLS142 findings for ``data`` (a whole object) under ``schema``."""
        found: list[FieldHit] = []
        # A converted CRD keeps its repeated subschemas in its own $defs.
        self._local = schema.get("$defs") or {}
        self._walk(data, schema, None, found)
        return found

    def _resolve(self, node: Any) -> tuple[Mapping[str, Any], str]:
        name = ""
        while isinstance(node, dict) and "$ref" in node:
            _, _, name = str(node["$ref"]).rpartition("/$defs/")
            target = self._local.get(name) or self._defs.get(name)
            if target is None:
                return node, name
            node = target
        return (node if isinstance(node, dict) else {}), name

    def _walk(self, data: Any, schema: Any, path: Any, found: list[FieldHit]) -> None:
        node, name = self._resolve(schema)
        if name == _QUANTITY:
            # Core schemas type quantities as any string or number; CRDs carry a
            # pattern the schema check enforces, so only core kinds get here.
            found.extend(_quantity_hits(data, path))
            return
        for sub in node.get("allOf") or ():
            self._walk(data, sub, path, found)
        if isinstance(data, dict):
            properties = node.get("properties") or {}
            extra = node.get("additionalProperties")
            for key, value in data.items():
                sub = properties.get(key, extra)
                if isinstance(sub, dict) and _may_matter(value, sub):
                    self._walk(value, sub, (path, key), found)
        elif isinstance(data, list):
            self._walk_list(data, node, path, found)
        elif isinstance(data, int) and not isinstance(data, bool):
            found.extend(_int_hits(data, node, path))

    def _walk_list(
        self, data: list[Any], node: Mapping[str, Any], path: Any, found: list[FieldHit]
    ) -> None:
        if "x-kubernetes-list-type" in node:
            found.extend(_list_hits(data, node, path))
        items = node.get("items")
        if isinstance(items, dict):
            for i, item in enumerate(data):
                if _may_matter(item, items):
                    self._walk(item, items, (path, i), found)


def _may_matter(value: Any, schema: Mapping[str, Any]) -> bool:
    """Whether a value can break a rule here: most leaves are plain strings."""
    if isinstance(value, (dict, list)):
        return True
    if value is None or isinstance(value, bool):
        return False
    # A scalar matters only as a Quantity ($ref) or a formatted integer.
    return "$ref" in schema or "format" in schema or "allOf" in schema


def _pointer(path: Any) -> str:
    parts: list[str] = []
    while path is not None:
        path, key = path
        parts.append(escape_pointer_token(str(key)))
    return "".join(f"/{part}" for part in reversed(parts))


def _int_hits(value: int, node: Mapping[str, Any], path: Any) -> Iterator[FieldHit]:
    bounds = _FORMAT_RANGES.get(str(node.get("format")))
    if bounds is not None and not bounds[0] <= value <= bounds[1]:
        pointer = _pointer(path)
        yield (
            "MLS142",
            pointer,
            f"{_dotted(pointer)}: {value} is out of range for "
            f"{node['format']} ({bounds[0]} to {bounds[1]})",
        )


def _quantity_hits(value: Any, path: Any) -> Iterator[FieldHit]:
    if value is None:
        return
    try:
        amount = parse_quantity(value)
    except ValueError:
        pointer = _pointer(path)
        yield (
            "MLS141",
            pointer,
            f"{_dotted(pointer)}: {_short(value)} is not a quantity; write a "
            "number with an optional suffix such as 500m, 2, 1.5Gi or 4e3",
        )
        return
    if amount < 0:
        pointer = _pointer(path)
        yield (
            "MLS141",
            pointer,
            f"{_dotted(pointer)}: {_short(value)} must be greater than or equal to 0",
        )


def _list_hits(
    items: list[Any], node: Mapping[str, Any], path: Any
) -> Iterator[FieldHit]:
    list_type = node.get("x-kubernetes-list-type")
    if list_type == "map":
        keys = [str(k) for k in node.get("x-kubernetes-list-map-keys") or ()]
        if keys:
            yield from _map_duplicates(items, keys, path)
    elif list_type == "set":
        seen: set[str] = set()
        for i, item in enumerate(items):
            token = repr(item)
            if token in seen:
                pointer = _pointer(path)
                yield (
                    "MLS140",
                    f"{pointer}/{i}",
                    f"{_dotted(pointer)}: duplicate value {_short(item)} in a "
                    "list of unique items (x-kubernetes-list-type: set)",
                )
            seen.add(token)


def _map_duplicates(items: list[Any], keys: list[str], path: Any) -> Iterator[FieldHit]:
    seen: set[tuple[str, ...]] = set()
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        values = tuple(repr(item.get(k, _KEY_DEFAULTS.get(k))) for k in keys)
        if values in seen:
            pointer = _pointer(path)
            shown = ", ".join(
                f"{k}={_short(item.get(k, _KEY_DEFAULTS.get(k)))}" for k in keys
            )
            yield (
                "MLS140",
                f"{pointer}/{i}",
                f"{_dotted(pointer)}: duplicate entry for key [{shown}]; each "
                f"entry needs its own {' + '.join(keys)} "
                "(x-kubernetes-list-type: map)",
            )
        seen.add(values)


def _dotted(pointer: str) -> str:
    parts = pointer.strip("/").split("/")
    text = ""
    for part in parts:
        token = part.replace("~1", "/").replace("~0", "~")
        text += f"[{token}]" if token.isdigit() else (f".{token}" if text else token)
    return text or "(root)"


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."
