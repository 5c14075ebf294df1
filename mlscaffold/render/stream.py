"""A rendered tree as one YAML stream, as ``helm template`` prints it.

``render --dry-run`` prints this so it can be piped into ``kubectl apply
--dry-run=client -f -`` or ``kubeconform -``: each Kubernetes manifest becomes
YAML documents under a ``# Source: path`` comment, and every other file (README,
answers file, Backstage descriptor, binaries, symlinks) is listed in comments, so
the stream holds only objects the API server understands.
"""

from __future__ import annotations

import re

import yaml

from mlscaffold.render.binary import READ_BYTES, is_binary
from mlscaffold.render.tree import RenderedTree, TreeEntry

__all__ = ["tree_as_yaml_stream"]

# Backstage entity descriptors look like objects but no cluster serves them.
_NOT_KUBERNETES_API = re.compile(r"^backstage\.io/")
_SEPARATOR = re.compile(r"^---[ \t]*(#.*)?$")


def tree_as_yaml_stream(tree: RenderedTree) -> str:
    """Every file of ``tree`` in path order, as one multi-document YAML stream.

    Args:
        tree: The rendered files.

    Returns:
        Manifests as ``---`` + ``# Source: path`` + the file's documents, byte for
        byte; other files as comments: ``# Source: path (binary, N bytes)``,
        ``# Source: path -> target (symlink)``, or ``# Source: path (not a
        Kubernetes manifest)`` followed by its lines, each behind ``# | ``.
    """
    parts: list[str] = []
    for path in tree:
        entry = tree[path]
        if entry.kind == "dir":
            continue
        if entry.kind == "symlink":
            parts.append(f"# Source: {path} -> {entry.link_target} (symlink)\n")
        elif not entry.templated and is_binary(entry.data[:READ_BYTES]):
            parts.append(f"# Source: {path} (binary, {len(entry.data)} bytes)\n")
        elif _is_manifest(path, entry):
            parts.append(f"---\n# Source: {path}\n{_documents(entry.text)}")
        else:
            quoted = "".join(
                f"# | {line}".rstrip() + "\n" for line in entry.text.splitlines()
            )
            parts.append(f"# Source: {path} (not a Kubernetes manifest)\n{quoted}")
    return "".join(parts)


def _is_manifest(path: str, entry: TreeEntry) -> bool:
    if not path.endswith((".yaml", ".yml")):
        return False
    try:
        docs = [d for d in yaml.load_all(entry.text, Loader=_LOADER) if d is not None]
    except yaml.YAMLError:
        return False  # shown as comments; `validate` says what is wrong with it
    return bool(docs) and all(
        isinstance(d, dict)
        and isinstance(d.get("apiVersion"), str)
        and isinstance(d.get("kind"), str)
        and not _NOT_KUBERNETES_API.match(d["apiVersion"])
        for d in docs
    )


def _documents(text: str) -> str:
    """The file's documents without a leading or trailing ``---`` line.

    Either would make an empty document between this file and the next.
    """
    lines = text.splitlines(keepends=True)
    while lines and _SEPARATOR.match(lines[0].rstrip("\r\n")):
        lines.pop(0)
    while lines and (
        not lines[-1].strip() or _SEPARATOR.match(lines[-1].rstrip("\r\n"))
    ):
        lines.pop()
    body = "".join(lines)
    return body if body.endswith("\n") else body + "\n"


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
