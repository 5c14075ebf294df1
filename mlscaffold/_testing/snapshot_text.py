"""Snapshot text: one rendered file as deterministic, readable YAML (no syrupy)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mlscaffold.render.tree import TreeEntry

_YAML_SUFFIXES = (".yaml", ".yml")
# Characters that a verbatim YAML snapshot cannot hold safely (YAML forbids most
# C0/C1 controls; a bare carriage return would be normalized away by git or by
# universal-newline reads, hiding a real difference).
_UNSAFE_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


@dataclass(frozen=True)
class GeneratedFile:
    """What the extension serializes: one rendered entry and where it goes.

    Attributes:
        path: POSIX path of the entry relative to the rendered tree's root.
        entry: The rendered entry.
        replacements: Literal text to replace before storing (absolute paths
            of the machine, mapped to stable placeholders).
    """

    path: str
    entry: TreeEntry
    replacements: tuple[tuple[str, str], ...] = ()


def snapshot_relpath(path: str) -> str:
    """The snapshot name of a generated path: YAML keeps its name, others get ``.yaml``.

    Args:
        path: Generated path, e.g. ``deploy/inferenceservice.yaml`` or ``README.md``.
    """
    return path if path.endswith(_YAML_SUFFIXES) else f"{path}.yaml"


class _LiteralDumper(yaml.SafeDumper):
    """Dumps multi-line strings as ``|`` blocks, so a diff reads line by line."""


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_LiteralDumper.add_representer(str, _represent_str)


def _replace(text: str, replacements: Iterable[tuple[str, str]]) -> str:
    for old, new in replacements:
        if old:
            text = text.replace(old, new)
    return text


def _parses_as_yaml(text: str) -> bool:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        for _ in yaml.load_all(text, Loader=loader):
            pass
    except yaml.YAMLError:
        return False
    return True


def serialize_entry(
    path: str, entry: TreeEntry, replacements: Iterable[tuple[str, str]] = ()
) -> str:
    """The snapshot text of one rendered entry; always valid, deterministic YAML.

    A YAML file that parses is stored verbatim under a one-line comment header, so
    the snapshot reads exactly like the manifest (key order as rendered). Any other
    file is wrapped as a mapping: ``text`` as a literal block, or ``binary`` with
    size and sha256. The header records only what is stable across machines: the
    path, the executable bit (not the umask-dependent mode) and a missing final
    newline. Machine paths in ``replacements`` become placeholders.

    Args:
        path: Generated path relative to the tree root.
        entry: The rendered entry.
        replacements: ``(literal, placeholder)`` pairs applied to text content.
    """
    notes = [f"mlscaffold snapshot of {path}"]
    if entry.mode & 0o111:
        notes.append("executable")
    body: dict[str, Any]
    if entry.kind == "symlink":
        body = {"symlink": entry.link_target or ""}
        return _wrapped(notes, body)
    try:
        text = entry.data.decode("utf-8")
    except UnicodeDecodeError:
        body = {
            "binary": {
                "bytes": len(entry.data),
                "sha256": hashlib.sha256(entry.data).hexdigest(),
            }
        }
        return _wrapped(notes, body)
    text = _replace(text, replacements)
    verbatim = (
        path.endswith(_YAML_SUFFIXES)
        and text.strip() != ""
        and not _UNSAFE_TEXT.search(text)
        and _parses_as_yaml(text)
    )
    if not verbatim:
        return _wrapped(notes, {"text": text})
    if not text.endswith("\n"):
        notes.append("no newline at end of file")
        text += "\n"
    return f"# {', '.join(notes)}\n{text}"


def _wrapped(notes: list[str], body: Mapping[str, Any]) -> str:
    dumped = yaml.dump(
        dict(body),
        Dumper=_LiteralDumper,
        sort_keys=False,
        allow_unicode=True,
        width=10_000,
        default_flow_style=False,
    )
    return f"# {', '.join(notes)}\n{dumped}"


def iter_snapshot_files(folder: Path) -> Iterator[Path]:
    """Every file under a snapshot folder, hidden ones included, sorted."""
    if folder.is_dir():
        yield from sorted(p for p in folder.rglob("*") if p.is_file())
