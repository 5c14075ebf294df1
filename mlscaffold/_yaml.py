"""The one bounded, strict YAML loader for files mlscaffold reads as input.

``--values`` files, answers files, teams files and ``platform.yaml`` all come
through :func:`load_yaml_file`. PyYAML's ``safe_load`` shares aliased objects, so
an alias bomb of a few hundred bytes loads fast and then costs gigabytes in
whatever walks the data (validation, JSON dumps, rendering); it also takes the
last of two equal keys without a word and accepts lone surrogates that cannot be
written back as UTF-8. Here the composed node graph is walked once, with a budget.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml

from mlscaffold._param_rules import clip
from mlscaffold.errors import SettingsError

try:  # PyYAML's C loader: the composer in C, about 15x the pure-Python one.
    from yaml import CSafeLoader as Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as Loader  # type: ignore[assignment]

__all__ = [
    "MAX_ALIASES",
    "MAX_DEPTH",
    "MAX_INPUT_BYTES",
    "Loader",
    "clip",
    "expansion_budget",
    "load_yaml_file",
    "load_yaml_text",
    "read_input_bytes",
    "yaml_problem",
]

MAX_INPUT_BYTES = 4 * 1024 * 1024
"""Largest input file (4 MiB): a teams file of a thousand teams is about 300 kB."""
MAX_DEPTH = 64
"""Deepest nesting of an input file (parameters are two levels deep)."""
MAX_ALIASES = 100
"""Most alias references (``*name``) in one input file."""
_CLIP = 80

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"


def expansion_budget(text_length: int) -> int:
    """How many nodes a document of ``text_length`` characters may expand to.

    Without aliases every node costs at least one character of source, so the
    limit only bites when aliases multiply the tree (the "billion laughs").
    """
    return text_length + 10_000


def read_input_bytes(path: Path, *, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    A FIFO, device or socket would block or never end, so only regular files
    are read (a symlink to one is fine: it is an input, not an output).

    Raises:
        SettingsError: Not a regular file, too large, or unreadable.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SettingsError(f"{path}: not a regular file (allowed: a file)")
        if info.st_size > limit:
            raise SettingsError(
                f"{path}: {info.st_size} bytes is too large (at most {limit})"
            )
        with os.fdopen(fd, "rb", closefd=False) as stream:
            data = stream.read(limit + 1)
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read: {exc.strerror}") from exc
    finally:
        os.close(fd)
    if len(data) > limit:
        raise SettingsError(f"{path}: too large (at most {limit} bytes)")
    return data


def load_yaml_file(path: Path, *, limit: int = MAX_INPUT_BYTES) -> Any:
    """Read one YAML document from ``path`` with every bound and strict check.

    Raises:
        SettingsError: The file is not a regular file, too large, not UTF-8, not
            YAML, too deep, holds too many aliases or a duplicate key, or a lone
            surrogate; the message names the file and the field.
    """
    data = read_input_bytes(path, limit=limit)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SettingsError(
            f"{path}: byte {exc.start} is not UTF-8 (files must be UTF-8 encoded)"
        ) from exc
    return load_yaml_text(text, str(path))


def load_yaml_text(text: str, name: str) -> Any:
    """Parse one YAML document of ``text`` (named ``name`` in messages), bounded.

    Raises:
        SettingsError: As :func:`load_yaml_file`.
    """
    loader = Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        return _Builder(loader, name, expansion_budget(len(text))).build(node, "", 0)
    except yaml.YAMLError as exc:
        where, problem = yaml_problem(exc)
        raise SettingsError(f"{name}{where}: not valid YAML: {problem}") from exc
    finally:
        loader.dispose()


def yaml_problem(exc: yaml.YAMLError) -> tuple[str, str]:
    """``(":line:column" or "", problem)`` of a YAML error, for a one-line message.

    ``str()`` of PyYAML's errors spans several lines (context, mark, snippet).
    """
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    return (f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""), problem


class _Builder:
    """Builds plain data from a composed node graph, within the bounds."""

    def __init__(self, loader: Loader, name: str, budget: int) -> None:
        self._loader = loader
        self._name = name
        self._budget = budget
        self._seen: set[int] = set()
        self._aliases = 0

    def _fail(self, node: yaml.Node, pointer: str, problem: str) -> SettingsError:
        mark = node.start_mark
        where = f"{self._name}:{mark.line + 1}:{mark.column + 1}"
        field = pointer or "/"
        if len(field) > _CLIP:
            field = field[: _CLIP - 3] + "..."
        return SettingsError(f"{where}: {field}: {problem}")

    def build(self, node: yaml.Node, pointer: str, depth: int) -> Any:
        self._budget -= 1
        if depth > MAX_DEPTH:
            raise self._fail(node, pointer, f"nested deeper than {MAX_DEPTH} levels")
        if id(node) in self._seen:  # the composer resolves an alias to its node
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise self._fail(node, pointer, f"more than {MAX_ALIASES} aliases")
        self._seen.add(id(node))
        if self._budget < 0:
            raise self._fail(node, pointer, "aliases expand to too large a document")
        if isinstance(node, yaml.ScalarNode):
            value = (
                node.value if node.tag == _STR else self._loader.construct_object(node)
            )
            if isinstance(value, str):
                _check_text(value, lambda p: self._fail(node, pointer, p))
            return value
        if isinstance(node, yaml.SequenceNode):
            return [
                self.build(item, f"{pointer}/{i}", depth + 1)
                for i, item in enumerate(node.value)
            ]
        return self._mapping(node, pointer, depth)

    def _mapping(self, node: yaml.Node, pointer: str, depth: int) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        lines: dict[Any, int] = {}
        merged: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged.update(self._merged(value_node, pointer, depth + 1))
                continue
            key = self.build(key_node, pointer, depth + 1)
            if isinstance(key, (list, dict)):
                raise self._fail(key_node, pointer, "a key must be a scalar")
            if key in result:
                raise self._fail(
                    key_node,
                    f"{pointer}/{key}",
                    f"duplicate key {clip(key)} (first at line {lines[key]})",
                )
            lines[key] = key_node.start_mark.line + 1
            result[key] = self.build(value_node, f"{pointer}/{key}", depth + 1)
        # A merge (``<<: *base``) fills in only what the mapping does not say.
        return {**merged, **result} if merged else result

    def _merged(self, node: yaml.Node, pointer: str, depth: int) -> dict[Any, Any]:
        value = self.build(node, pointer, depth)
        sources = value if isinstance(value, list) else [value]
        if not all(isinstance(source, dict) for source in sources):
            raise self._fail(node, pointer, "a merge key (<<) takes mappings only")
        merged: dict[Any, Any] = {}
        for source in reversed(sources):  # the first mapping listed wins
            merged.update(source)
        return merged


def _check_text(value: str, fail: Any) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise fail(
            f"holds a lone surrogate at character {exc.start} "
            "(text must be valid Unicode)"
        ) from exc
