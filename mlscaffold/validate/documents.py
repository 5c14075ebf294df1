"""YAML documents with positions: parse once, then map JSON pointers to line:column."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from mlscaffold._yaml import expansion_budget
from mlscaffold.errors import Location

try:  # PyYAML's C loader is about 15x faster than the pure-Python one.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


MAX_MANIFEST_DEPTH = 200
"""Deepest nesting of a validated manifest (CRD-based objects reach about 30)."""

# Backstage descriptors sit beside the manifests but are not Kubernetes objects.
_NOT_KUBERNETES_GROUPS = ("backstage.io/",)


@dataclass(frozen=True)
class Document:
    """One YAML document of one file, with the position of every node.

    Attributes:
        path: POSIX path of the file, relative to the tree root (or as given).
        index: 0-based position of the document in its file.
        data: The parsed value (a dict for Kubernetes objects).
        positions: JSON pointer -> (line, column), both 1-based. For a mapping key the
            position is the key's, so a finding points at the field name.
        source: Skeleton path the file was rendered from, when known.
        duplicates: JSON pointers of mapping keys written again in the same mapping
            (YAML keeps the last value; the API server refuses the object); their
            positions are those of the repeated key.
    """

    path: str
    index: int
    data: Any
    positions: Mapping[str, tuple[int, int]] = field(repr=False)
    source: str | None = None
    duplicates: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        """``kind`` of the object, or empty."""
        return _str_field(self.data, "kind")

    @property
    def api_version(self) -> str:
        """``apiVersion`` of the object, or empty."""
        return _str_field(self.data, "apiVersion")

    @property
    def name(self) -> str:
        """``metadata.name``, or empty."""
        meta = self.data.get("metadata") if isinstance(self.data, dict) else None
        return _str_field(meta, "name")

    @property
    def namespace(self) -> str:
        """``metadata.namespace``, or empty."""
        meta = self.data.get("metadata") if isinstance(self.data, dict) else None
        return _str_field(meta, "namespace")

    @property
    def is_kubernetes(self) -> bool:
        """An object with ``apiVersion`` and ``kind`` that is not a Backstage entity."""
        return bool(self.api_version and self.kind) and not self.api_version.startswith(
            _NOT_KUBERNETES_GROUPS
        )

    def locate(self, pointer: str = "") -> Location:
        """Location of ``pointer``, or of its nearest existing ancestor.

        Args:
            pointer: JSON pointer such as ``/spec/template/spec/containers/0``.
        """
        probe = pointer
        while probe not in self.positions and probe:
            probe = probe.rsplit("/", 1)[0]
        line, column = self.positions.get(probe, (1, 1))
        return Location(self.path, line, column, pointer=pointer, document=self.index)


def escape_pointer_token(token: str) -> str:
    """Escape one JSON pointer token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


def pointer_of(
    path: Iterator[str | int] | list[str | int] | tuple[str | int, ...],
) -> str:
    """Join path elements into a JSON pointer."""
    return "".join("/" + escape_pointer_token(str(part)) for part in path)


def parse_documents(text: str, path: str, source: str | None = None) -> list[Document]:
    """Parse every YAML document in ``text`` and index node positions.

    Args:
        text: File content.
        path: Path recorded in each document's locations.
        source: Skeleton path the file came from, if any.

    Returns:
        The non-empty documents, in file order.

    Raises:
        yaml.YAMLError: When the text is not YAML; callers turn this into a Finding.
    """
    documents: list[Document] = []
    loader = _Loader(text)
    try:
        index = 0
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                positions: dict[str, tuple[int, int]] = {}
                duplicates: list[str] = []
                budget = _Budget(expansion_budget(len(text)))
                data = _build(node, "", positions, loader, duplicates, budget, 0)
                if data is not None:
                    documents.append(
                        Document(
                            path, index, data, positions, source, tuple(duplicates)
                        )
                    )
            index += 1
    except RecursionError as exc:
        raise yaml.YAMLError(f"{path}: recursive YAML alias") from exc
    finally:
        loader.dispose()
    return documents


class _Budget:
    """Nodes a document may still expand to: aliases must not multiply it."""

    __slots__ = ("left",)

    def __init__(self, left: int) -> None:
        self.left = left

    def spend(self, node: yaml.Node, depth: int) -> None:
        self.left -= 1
        if self.left < 0:
            raise _bounds_error(node, "YAML aliases expand to too large a document")
        if depth > MAX_MANIFEST_DEPTH:
            raise _bounds_error(node, f"nested deeper than {MAX_MANIFEST_DEPTH} levels")


def _bounds_error(node: yaml.Node, problem: str) -> yaml.MarkedYAMLError:
    return yaml.MarkedYAMLError(problem=problem, problem_mark=node.start_mark)


_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"


def _build(
    node: yaml.Node,
    pointer: str,
    positions: dict[str, tuple[int, int]],
    loader: _Loader,
    duplicates: list[str],
    budget: _Budget,
    depth: int,
) -> Any:
    # Builds the value and indexes positions in one walk: PyYAML's generic
    # constructor plus a second indexing walk cost twice as much, and parsing is
    # most of what validating a large fleet costs.
    budget.spend(node, depth)
    mark = node.start_mark
    positions.setdefault(pointer, (mark.line + 1, mark.column + 1))
    if isinstance(node, yaml.ScalarNode):
        if node.tag == _STR:
            return node.value
        return loader.construct_object(node)
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(
                item, f"{pointer}/{i}", positions, loader, duplicates, budget, depth + 1
            )
            for i, item in enumerate(node.value)
        ]
    if not isinstance(node, yaml.MappingNode) or any(
        k.tag == _MERGE or not isinstance(k, yaml.ScalarNode) for k, _ in node.value
    ):
        # Merge keys and complex keys are rare: let PyYAML build those, then index.
        positions.pop(pointer)
        _index_node(node, pointer, positions, budget, depth)
        return loader.construct_object(node, deep=True)
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = (
            key_node.value
            if key_node.tag == _STR
            else loader.construct_object(key_node)
        )
        child = pointer + "/" + escape_pointer_token(str(key_node.value))
        key_mark = key_node.start_mark
        # A repeated key's value is the one kept, so its pointer maps to the
        # repeated key; the API server's strict decoding refuses the object.
        positions[child] = (key_mark.line + 1, key_mark.column + 1)
        if key in result:
            duplicates.append(child)
        result[key] = _build(
            value_node, child, positions, loader, duplicates, budget, depth + 1
        )
    return result


def _index_node(
    node: yaml.Node,
    pointer: str,
    positions: dict[str, tuple[int, int]],
    budget: _Budget,
    depth: int,
) -> None:
    budget.spend(node, depth)
    positions.setdefault(
        pointer, (node.start_mark.line + 1, node.start_mark.column + 1)
    )
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = pointer + "/" + escape_pointer_token(str(key_node.value))
            positions[child] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            _index_node(value_node, child, positions, budget, depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_node(item, f"{pointer}/{i}", positions, budget, depth + 1)


def _str_field(mapping: object, key: str) -> str:
    if isinstance(mapping, dict):
        value = mapping.get(key)
        if isinstance(value, str):
            return value
    return ""
