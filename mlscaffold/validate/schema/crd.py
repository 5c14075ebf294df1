"""CRD to JSON Schema conversion, cached by the sha256 of the CRD file."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from mlscaffold._files import atomic_write
from mlscaffold._yaml import yaml_problem
from mlscaffold.errors import Location, SchemaStoreError
from mlscaffold.validate.documents import parse_documents
from mlscaffold.validate.schema.shared import share_repeated_subschemas

try:  # The C loader, for the catalogue (CRD files go through parse_documents).
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

#: Base URI of the Kubernetes definitions shipped by kubernetes-validate.
K8S_DEFINITIONS_URI = "https://kubernetes.io/api/_definitions.json"
OBJECT_META_REF = (
    K8S_DEFINITIONS_URI + "#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
)
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Bump when the conversion changes, so stale cache entries are never read.
_CONVERTER_VERSION = 4
# Keywords that only document the schema; dropping them halves the cached size.
_DOC_KEYWORDS = frozenset({"description", "example", "externalDocs", "default"})
# Extensions kept for the API-server rules (list uniqueness); JSON Schema
# validators ignore unknown keywords.
_KEPT_EXTENSIONS = frozenset({"x-kubernetes-list-type", "x-kubernetes-list-map-keys"})
#: Name of the index of converted CRD versions in a cache entry or the shipped set.
INDEX_NAME = "index.json"


@dataclass(frozen=True)
class CrdVersion:
    """One version of one CRD, converted to JSON Schema.

    Attributes:
        group: API group, e.g. ``argoproj.io``.
        version: Version name, e.g. ``v1alpha1``.
        kind: Resource kind, e.g. ``WorkflowTemplate``.
        served: Whether the API server serves this version.
        deprecated: The deprecation warning, or None when not deprecated.
        cel_rules: Number of ``x-kubernetes-validations`` rules.
        schema_file: Gzipped JSON bundle: ``schema`` (the converted JSON Schema)
            and ``cel`` (the rules and defaults, see :func:`cel_tree`).
        source: The CRD file it came from.
        release: Upstream release of the CRD file (e.g. ``Kueue v0.19.2``), from the
            pinned catalog by sha256; empty when the file is not a pinned one.
    """

    group: str
    version: str
    kind: str
    served: bool
    deprecated: str | None
    cel_rules: int
    schema_file: Path
    source: Path
    release: str = ""

    @property
    def api_version(self) -> str:
        """``group/version`` as written in a manifest."""
        return f"{self.group}/{self.version}"

    def load_bundle(self) -> dict[str, Any]:
        """Read the converted schema and CEL tree (gzipped JSON, never the CRD YAML).

        Raises:
            SchemaStoreError: The bundle is missing or damaged.
        """
        try:
            return read_bundle(self.schema_file)
        except (OSError, ValueError, EOFError) as exc:
            raise SchemaStoreError(
                f"cannot read converted schema {self.schema_file}: {exc}",
                source=Location(self.source.as_posix()),
            ) from exc


def convert_version_schema(open_api: Mapping[str, Any]) -> dict[str, Any]:
    """Turn one ``openAPIV3Schema`` into a closed JSON Schema (draft 2020-12).

    Every object that lists properties is closed unless it preserves unknown
    fields, ``x-kubernetes-int-or-string`` becomes integer-or-string, ``nullable``
    admits null, the root ``metadata`` refers to the strict ObjectMeta, which CRDs
    leave as a bare object, and large subschemas that repeat are kept once in
    ``$defs`` (see :mod:`mlscaffold.validate.schema.shared`).

    Args:
        open_api: The CRD version's ``schema.openAPIV3Schema``.

    Returns:
        A new schema; the input is not modified.
    """
    root = _convert_node(open_api)
    properties = root.setdefault("properties", {})
    properties["metadata"] = {"$ref": OBJECT_META_REF}
    properties.setdefault("apiVersion", {"type": "string"})
    properties.setdefault("kind", {"type": "string"})
    if not open_api.get("x-kubernetes-preserve-unknown-fields"):
        root["additionalProperties"] = False
    root["$schema"] = JSON_SCHEMA_DIALECT
    return share_repeated_subschemas(root)


def count_cel_rules(node: Any) -> int:
    """Number of ``x-kubernetes-validations`` rules anywhere under ``node``."""
    if isinstance(node, dict):
        rules = node.get("x-kubernetes-validations")
        own = len(rules) if isinstance(rules, list) else 0
        return own + sum(count_cel_rules(v) for v in node.values())
    if isinstance(node, list):
        return sum(count_cel_rules(v) for v in node)
    return 0


def cel_tree(node: Mapping[str, Any]) -> dict[str, Any]:
    """What CEL evaluation needs of an ``openAPIV3Schema``: rules and defaults.

    A node keeps ``rules`` (its ``x-kubernetes-validations``), ``default``, and the
    children (``properties``, ``items``, ``additionalProperties``) that lead to a
    rule. Defaults elsewhere never reach a rule's ``self`` and are dropped, which
    keeps the tree of the 2.7 MB Argo CRDs to a few kilobytes.

    Args:
        node: A CRD schema node.

    Returns:
        The pruned node; empty when nothing below it has a rule.
    """
    return _cel_node(node, under_rule=False) or {}


def _cel_node(node: Mapping[str, Any], *, under_rule: bool) -> dict[str, Any] | None:
    rules = node.get("x-kubernetes-validations")
    has_rules = isinstance(rules, list) and bool(rules)
    inner = under_rule or has_rules
    out: dict[str, Any] = {}
    properties = node.get("properties")
    if isinstance(properties, dict):
        kept = {
            name: child
            for name, sub in properties.items()
            if isinstance(sub, dict)
            and (child := _cel_node(sub, under_rule=inner)) is not None
        }
        if kept:
            out["properties"] = kept
    for key in ("items", "additionalProperties"):
        sub = node.get(key)
        if isinstance(sub, dict):
            child = _cel_node(sub, under_rule=inner)
            if child is not None:
                out[key] = child
    if has_rules:
        out["rules"] = rules
    if "default" in node and (out or under_rule):
        out["default"] = node["default"]
    return out or None


def _convert_node(node: Mapping[str, Any]) -> dict[str, Any]:
    out = _convert_children(node)
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])
    if node.get("x-kubernetes-embedded-resource") and "properties" in out:
        # The API server accepts apiVersion/kind/metadata on embedded objects.
        for name in ("apiVersion", "kind"):
            out["properties"].setdefault(name, {"type": "string"})
        out["properties"].setdefault("metadata", {"type": "object"})
    if node.get("nullable") and "type" in out:
        kinds = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = [*kinds, "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    closes = "properties" in out and "additionalProperties" not in out
    if closes and not node.get("x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False
    return out


def _convert_children(node: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DOC_KEYWORDS or key == "nullable":
            continue
        if key.startswith("x-kubernetes-") and key not in _KEPT_EXTENSIONS:
            continue
        if key in ("properties", "patternProperties", "$defs", "definitions"):
            out[key] = {name: _convert_node(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not") and isinstance(
            value, dict
        ):
            out[key] = _convert_node(value)
        elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
            out[key] = [_convert_node(sub) for sub in value]
        else:
            out[key] = value
    return out


def load_crd_file(path: Path, cache_dir: Path) -> list[CrdVersion]:
    """Versions defined by the CRD(s) in ``path``, converted and cached.

    The cache key is the sha256 of the file content (plus the converter version),
    so an edited CRD is converted again and an unchanged one is never re-parsed.

    Args:
        path: A YAML file holding one or more CustomResourceDefinitions.
        cache_dir: Root of the conversion cache.

    Returns:
        Every version of every CRD in the file (empty when it holds no CRD).

    Raises:
        SchemaStoreError: The file cannot be read or is not YAML.
    """
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise SchemaStoreError(f"cannot read CRD file {path}: {exc}") from exc
    digest = hashlib.sha256(content).hexdigest()
    entry_dir = cache_dir / "converted" / f"{digest}-c{_CONVERTER_VERSION}"
    index_file = entry_dir / INDEX_NAME
    if index_file.is_file():
        try:
            return versions_from_index(
                json.loads(index_file.read_bytes()), entry_dir, lambda _item: path
            )
        except (OSError, ValueError, KeyError, TypeError):
            pass  # A damaged entry is rebuilt below.
    index = convert_crd_file(content, path, entry_dir)
    atomic_write(index_file, json.dumps(index, sort_keys=True).encode())
    return versions_from_index(index, entry_dir, lambda _item: path)


def convert_crd_file(
    content: bytes, path: Path, out_dir: Path, prefix: str = ""
) -> list[dict[str, Any]]:
    """Convert every version of every CRD in ``content``; write one bundle each.

    Args:
        content: The CRD file's bytes.
        path: Where they came from (for messages).
        out_dir: Folder that receives ``<prefix><group>_<kind>_<version>.json.gz``.
        prefix: File name prefix (the shipped set keeps all files in one folder).

    Returns:
        Index entries: group, kind, version, served, deprecated, cel_rules, file,
        sha256 of the CRD file and its pinned release (empty if not pinned).

    Raises:
        SchemaStoreError: The file is not YAML.
    """
    digest = hashlib.sha256(content).hexdigest()
    index: list[dict[str, Any]] = []
    for crd in _crd_documents(content, path):
        spec = crd["spec"]
        group, kind = spec["group"], spec["names"]["kind"]
        for version in spec.get("versions") or []:
            open_api = (version.get("schema") or {}).get("openAPIV3Schema")
            if not isinstance(open_api, dict):
                continue
            bundle = {
                "schema": convert_version_schema(open_api),
                "cel": cel_tree(open_api),
            }
            name = f"{prefix}{group}_{kind}_{version['name']}.json.gz".lower()
            atomic_write(out_dir / name, bundle_bytes(bundle))
            deprecated = version.get("deprecationWarning") or (
                "deprecated" if version.get("deprecated") else None
            )
            index.append(
                {
                    "group": group,
                    "kind": kind,
                    "version": version["name"],
                    "served": bool(version.get("served", True)),
                    "deprecated": deprecated,
                    "cel_rules": count_cel_rules(open_api),
                    "file": name,
                    "sha256": digest,
                    "release": pinned_release(digest),
                }
            )
    return index


def bundle_bytes(bundle: Mapping[str, Any]) -> bytes:
    """Deterministic gzipped JSON: sorted keys, no whitespace, mtime 0.

    The same input always gives the same bytes, so the shipped files can be
    compared with a fresh build byte for byte.
    """
    text = json.dumps(bundle, sort_keys=True, separators=(",", ":"))
    return gzip.compress(text.encode(), compresslevel=9, mtime=0)


def read_bundle(path: Path) -> dict[str, Any]:
    """Read a bundle written by :func:`bundle_bytes`."""
    data: dict[str, Any] = json.loads(gzip.decompress(path.read_bytes()))
    return data


@cache
def _pinned_releases() -> dict[str, str]:
    from mlscaffold._data import schema_file

    catalog = yaml.load(schema_file("crd-sources.yaml").read_bytes(), Loader=_Loader)
    return {
        str(item["sha256"]).lower(): str(item.get("release", ""))
        for item in catalog.get("crds") or []
    }


def pinned_release(sha256: str) -> str:
    """Upstream release of a pinned CRD file (``schemas/crd-sources.yaml``) or ''."""
    return _pinned_releases().get(sha256, "")


def _crd_documents(content: bytes, path: Path) -> Iterator[dict[str, Any]]:
    # The bounded parser of validated manifests: an alias bomb in a CRD file
    # would otherwise cost gigabytes when the schema is converted and dumped.
    try:
        docs = [doc.data for doc in parse_documents(content.decode("utf-8"), str(path))]
    except UnicodeDecodeError as exc:
        raise SchemaStoreError(
            f"CRD file {path}: byte {exc.start} is not UTF-8 (files must be UTF-8)"
        ) from exc
    except yaml.YAMLError as exc:
        where, problem = yaml_problem(exc)
        raise SchemaStoreError(
            f"CRD file {path}{where} is not valid YAML: {problem}"
        ) from exc
    for doc in docs:
        if (
            isinstance(doc, dict)
            and doc.get("kind") == "CustomResourceDefinition"
            and isinstance(doc.get("spec"), dict)
        ):
            yield doc


def versions_from_index(
    index: list[dict[str, Any]], entry_dir: Path, source: Callable[[Any], Path]
) -> list[CrdVersion]:
    """CrdVersions of an index written by :func:`convert_crd_file`.

    Args:
        index: The index entries.
        entry_dir: Folder holding the bundles.
        source: The CRD file of an index entry.
    """
    return [
        CrdVersion(
            group=item["group"],
            version=item["version"],
            kind=item["kind"],
            served=item["served"],
            deprecated=item["deprecated"],
            cel_rules=item["cel_rules"],
            schema_file=entry_dir / item["file"],
            source=source(item),
            release=item.get("release", ""),
        )
        for item in index
    ]
