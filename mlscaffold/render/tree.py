"""The in-memory result of rendering: a sorted map of output paths to entries."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

EntryKind = Literal["file", "dir", "symlink"]


@dataclass(frozen=True)
class TreeEntry:
    """One rendered file, directory or symlink.

    Attributes:
        kind: ``file``, ``dir`` or ``symlink``.
        data: File bytes exactly as they will be written (empty for dirs).
        mode: Permission bits copied from the skeleton entry.
        source: Skeleton path (POSIX, relative to the skeleton root) it came from.
        link_target: For symlinks, the unchanged target.
        templated: False when the content was copied verbatim (binary,
            copyWithoutTemplating).
    """

    kind: EntryKind
    data: bytes = b""
    mode: int = 0o644
    source: str = ""
    link_target: str | None = None
    templated: bool = True

    @property
    def text(self) -> str:
        """The content decoded as UTF-8 (rendered text files are always UTF-8)."""
        return self.data.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class RenderedTree(Mapping[str, TreeEntry]):
    """Rendered output keyed by POSIX path relative to the output root, sorted.

    Attributes:
        entries: Path to entry; paths never start with ``/`` nor contain ``..``.
    """

    entries: Mapping[str, TreeEntry] = field(default_factory=dict)

    def __getitem__(self, path: str) -> TreeEntry:
        """Entry at ``path``."""
        return self.entries[path]

    def __iter__(self) -> Iterator[str]:
        """Paths in sorted order, so output is deterministic."""
        return iter(sorted(self.entries))

    def __len__(self) -> int:
        """Number of entries, directories included."""
        return len(self.entries)

    def files(self) -> Iterator[tuple[str, TreeEntry]]:
        """Regular files in sorted order."""
        for path in self:
            entry = self.entries[path]
            if entry.kind == "file":
                yield path, entry

    def common_folder(self) -> str:
        """The deepest folder below which every file, link and empty folder lies.

        ``""`` when that is the root.
        """
        parts: list[str] | None = None
        for path in self.entries:
            if self.entries[path].kind == "dir":
                if any(p.startswith(path + "/") for p in self.entries):
                    continue  # a folder on the way to others holds nothing itself
                folder = path.split("/")
            else:
                folder = path.split("/")[:-1]
            if parts is None:
                parts = folder
            else:
                while parts != folder[: len(parts)]:
                    parts.pop()
        return "/".join(parts or [])

    def subtree(self, folder: str) -> RenderedTree:
        """The entries below ``folder``, with paths relative to it."""
        if not folder:
            return self
        prefix = folder + "/"
        return RenderedTree(
            {
                path.removeprefix(prefix): entry
                for path, entry in self.entries.items()
                if path.startswith(prefix)
            }
        )
