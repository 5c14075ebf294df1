"""Byte-for-byte comparison of two output trees: contents, kinds, modes, links."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

# How much of a differing file to show on each side of the first difference.
_CONTEXT_BYTES = 40


@dataclass(frozen=True)
class _Node:
    kind: str  # "file", "dir", "symlink" or "other"
    mode: int  # permission bits only: the type is in `kind`
    data: bytes  # file bytes, or the symlink target as bytes


def _scan(root: Path) -> dict[str, _Node]:
    """Entries under root (root excluded) by POSIX relative path; links not followed."""
    nodes: dict[str, _Node] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        base = Path(dirpath)
        # os.walk lists symlinks to directories under dirnames; treat every name alike.
        for name in (*dirnames, *filenames):
            path = base / name
            rel = path.relative_to(root).as_posix()
            info = path.lstat()
            mode = stat.S_IMODE(info.st_mode)
            if stat.S_ISLNK(info.st_mode):
                nodes[rel] = _Node("symlink", 0, os.fsencode(path.readlink()))
            elif stat.S_ISDIR(info.st_mode):
                nodes[rel] = _Node("dir", mode, b"")
            elif stat.S_ISREG(info.st_mode):
                nodes[rel] = _Node("file", mode, path.read_bytes())
            else:
                nodes[rel] = _Node("other", mode, b"")
    return nodes


def _first_difference(a: bytes, b: bytes) -> int:
    for index, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return index
    return min(len(a), len(b))


def _describe_bytes(rel: str, a: bytes, b: bytes) -> str:
    at = _first_difference(a, b)
    lo = max(0, at - _CONTEXT_BYTES)
    return (
        f"{rel}: contents differ at byte {at} (sizes {len(a)} vs {len(b)}):"
        f" {a[lo : at + _CONTEXT_BYTES]!r} vs {b[lo : at + _CONTEXT_BYTES]!r}"
    )


def _compare_node(rel: str, x: _Node, y: _Node) -> list[str]:
    if x.kind != y.kind:
        return [f"{rel}: {x.kind} vs {y.kind}"]
    problems = []
    if x.kind == "symlink" and x.data != y.data:
        problems.append(f"{rel}: symlink target {x.data!r} vs {y.data!r}")
    if x.kind == "file" and x.data != y.data:
        problems.append(_describe_bytes(rel, x.data, y.data))
    if x.mode != y.mode:
        problems.append(f"{rel}: mode {x.mode:04o} vs {y.mode:04o}")
    return problems


def diff_trees(a: Path, b: Path) -> list[str]:
    """Human-readable differences between two directory trees.

    Compares the set of paths, each entry's kind (file, directory, symlink), file bytes,
    permission bits of files and directories, and symlink targets (links are not
    followed). Missing roots count as empty trees.

    Args:
        a: First tree (in the parity tests: Backstage's output).
        b: Second tree (mlscaffold's output).

    Returns:
        One line per difference, sorted by path; empty when the trees are identical.
    """
    left = _scan(a) if a.is_dir() else {}
    right = _scan(b) if b.is_dir() else {}
    problems: list[str] = []
    for rel in sorted(left.keys() | right.keys()):
        if rel not in right:
            problems.append(f"{rel}: only in {a.name or a} ({left[rel].kind})")
        elif rel not in left:
            problems.append(f"{rel}: only in {b.name or b} ({right[rel].kind})")
        else:
            problems.extend(_compare_node(rel, left[rel], right[rel]))
    return problems
