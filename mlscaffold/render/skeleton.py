"""Render a skeleton folder into a RenderedTree, step for step like fetch:template."""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import jinja2

from mlscaffold._yaml import read_input_bytes
from mlscaffold.errors import Location, RenderError, SettingsError, SkeletonError
from mlscaffold.render.binary import READ_BYTES, is_binary
from mlscaffold.render.engine import BackstageEnvironment, run_template
from mlscaffold.render.limits import deadline
from mlscaffold.render.tree import EntryKind, RenderedTree, TreeEntry
from mlscaffold.render.values import js_json_value
from mlscaffold.render.walk import (
    list_skeleton,
    template_extension,
    templated_locations,
)

__all__ = ["BACKSTAGE_UMASK", "CompiledSkeleton", "is_binary", "render_skeleton"]

_TEMPLATE_MARKERS: Final = ("${{", "{%", "{#")
# The umask Backstage runs under. fetch:template writes text files with
# fs.outputFile(..., {mode}), so the kernel applies it (0777 -> 0755, 0664 -> 0644);
# binaries and symlinks go through fs.copy, which keeps the exact source mode.
BACKSTAGE_UMASK: Final = 0o022
_DIR_MODE: Final = 0o777 & ~BACKSTAGE_UMASK
MAX_SKELETON_FILE_BYTES: Final = (
    64 * 1024 * 1024
)  # fs.ensureDir never copies a dir's mode


def _has_template(text: str) -> bool:
    return any(marker in text for marker in _TEMPLATE_MARKERS)


# ---------------------------------------------------------------- skeleton


@dataclass(frozen=True)
class _Entry:
    location: str
    kind: EntryKind
    path_source: str
    path_template: jinja2.Template | None
    mode: int
    data: bytes = b""
    text: str = ""
    template: jinja2.Template | None = None
    problem: SkeletonError | None = None
    link_target: str | None = None
    templated: bool = False


class CompiledSkeleton:
    """A skeleton loaded and compiled once; ``render(values)`` is then cheap.

    Args:
        root: The skeleton folder.
        copy_without_templating: fetch:template's ``copyWithoutTemplating`` globs,
            matched against the un-rendered paths (names are still rendered).
        template_file_extension: ``True`` (``.njk``) or an extension: only such
            files are templated, and the extension is removed.
        trim_blocks: fetch:template's ``trimBlocks``.
        lstrip_blocks: fetch:template's ``lstripBlocks``.
        env: A ready environment; by default one is built from the options.

    Raises:
        SkeletonError: Unreadable skeleton, or options Backstage refuses.
    """

    def __init__(
        self,
        root: Path,
        *,
        copy_without_templating: Sequence[str] = (),
        template_file_extension: str | bool | None = None,
        trim_blocks: bool = False,
        lstrip_blocks: bool = False,
        env: BackstageEnvironment | None = None,
    ) -> None:
        """Load and compile the skeleton (see the class docstring)."""
        self.root = Path(root)
        extension = template_extension(template_file_extension)
        if extension and copy_without_templating:
            raise SkeletonError(
                "Fetch action input extension incompatible with copyWithoutTemplating "
                "and cookiecutterCompat",
                source=Location(self.root.as_posix()),
            )
        if isinstance(copy_without_templating, str):
            raise SkeletonError(
                "Fetch action input copyWithoutTemplating must be an Array"
            )
        self.env = env or BackstageEnvironment(
            trim_blocks=trim_blocks, lstrip_blocks=lstrip_blocks
        )
        try:
            listing = list_skeleton(self.root)
        except OSError as exc:
            raise SkeletonError(
                f"cannot read skeleton: {exc}", source=Location(self.root.as_posix())
            ) from exc
        templated = templated_locations(
            self.root,
            [loc for loc, _ in listing],
            copy_without_templating=copy_without_templating,
            extension=extension,
        )
        self._entries = [
            self._load(loc, info, extension, loc in templated) for loc, info in listing
        ]

    def _load(
        self,
        location: str,
        info: os.stat_result,
        extension: str | None,
        templated: bool,
    ) -> _Entry:
        # with templateFileExtension the extension comes off the templated names
        path_source = (
            location[: -len(extension)] if extension and templated else location
        )
        path_template = None
        if _has_template(path_source):
            path_template = self.env.compile_source(path_source, location)
        mode = stat.S_IMODE(info.st_mode)
        head = (location, path_source, path_template, mode)
        if stat.S_ISDIR(info.st_mode):
            return _Entry(location, "dir", *head[1:])
        full = self.root / location
        if stat.S_ISLNK(info.st_mode):
            target = os.readlink(full)  # noqa: PTH115 - keep the raw target text
            return _Entry(location, "symlink", *head[1:], link_target=target)
        try:
            # Regular files only: reading a FIFO or a device would never end.
            data = read_input_bytes(full, limit=MAX_SKELETON_FILE_BYTES)
        except SettingsError as exc:
            raise SkeletonError(exc.message, source=Location(location)) from exc
        if is_binary(data[:READ_BYTES]):
            return _Entry(location, "file", *head[1:], data=data)
        # fs.readFile(path, 'utf-8'): invalid sequences become U+FFFD, a BOM stays.
        text = data.decode("utf-8", errors="replace")
        mode &= ~BACKSTAGE_UMASK  # text goes through fs.outputFile's open()
        head = (location, path_source, path_template, mode)
        template, problem = None, None
        if templated and _has_template(text):
            try:
                template = self.env.compile_source(text, location)
            except SkeletonError as exc:
                problem = (
                    exc  # raised only if the entry is not skipped, as in Backstage
                )
        return _Entry(location, "file", *head[1:], data=text.encode("utf-8"),
                      text=text, template=template, problem=problem,
                      templated=templated)  # fmt: skip

    def source_texts(self) -> dict[str, str]:
        """The text of every templated file, by skeleton path (for source maps)."""
        return {e.location: e.text for e in self._entries if e.templated}

    def render(self, values: Mapping[str, Any]) -> RenderedTree:
        """Render every entry for ``values`` (the fetch:template ``values`` input).

        Args:
            values: JSON data, as Backstage's runner hands the step its input
                (:func:`~mlscaffold.template.steps.step_values` returns it so; pass
                other data through :func:`~mlscaffold.render.values.js_json_value`).

        Raises:
            SkeletonError: A template that is used does not compile.
            RenderError: Rendering failed, or a rendered path leaves the output root.
        """
        context = {"values": values}
        entries: dict[str, TreeEntry] = {}
        with deadline() as budget:
            for entry in self._entries:
                budget.current = entry.location
                target = self._target(entry, context)
                if target is None or target in entries:
                    continue  # first entry to a path wins (fs.existsSync)
                self._add_parents(entries, target, entry.location)
                entries[target] = self._build(entry, context, target)
        return RenderedTree(entries)

    def _target(self, entry: _Entry, context: Mapping[str, Any]) -> str | None:
        rendered = entry.path_source
        if entry.path_template is not None:
            rendered = run_template(
                entry.path_template,
                context,
                source=entry.path_source,
                name=entry.location,
            )
        if rendered == "" or rendered.startswith("/") or "//" in rendered:
            return None
        normalized = posixpath.normpath(rendered)
        if normalized == ".." or normalized.startswith("../"):
            # resolveSafeChildPath's refusal, e.g. a value of '../x' in a file name.
            raise RenderError(
                "Relative path is not allowed to refer to a directory outside its "
                "parent",
                rendered=Location(rendered),
                source=Location(entry.location),
            )
        return None if normalized == "." else normalized

    @staticmethod
    def _add_parents(entries: dict[str, TreeEntry], target: str, source: str) -> None:
        parent = posixpath.dirname(target)
        while parent and parent not in entries:
            entries[parent] = TreeEntry(kind="dir", mode=_DIR_MODE, source=source)
            parent = posixpath.dirname(parent)

    def _build(
        self, entry: _Entry, context: Mapping[str, Any], target: str
    ) -> TreeEntry:
        if entry.kind == "dir":
            return TreeEntry(
                kind="dir", mode=_DIR_MODE, source=entry.location.rstrip("/")
            )
        if entry.kind == "symlink":
            return TreeEntry(
                kind="symlink",
                mode=entry.mode,
                source=entry.location,
                link_target=entry.link_target,
                templated=False,
            )
        if entry.problem is not None:
            raise entry.problem
        data = entry.data
        if entry.template is not None:
            text = run_template(
                entry.template, context, source=entry.text, name=entry.location,
                rendered=Location(target),
            )  # fmt: skip
            data = text.encode("utf-8", errors="surrogatepass")
        return TreeEntry(kind="file", data=data, mode=entry.mode, source=entry.location,
                         templated=entry.templated)  # fmt: skip


def render_skeleton(
    skeleton: Path,
    values: Mapping[str, Any],
    *,
    copy_without_templating: Sequence[str] = (),
    template_file_extension: str | bool | None = None,
    trim_blocks: bool = False,
    lstrip_blocks: bool = False,
    env: BackstageEnvironment | None = None,
) -> RenderedTree:
    """Render ``skeleton`` once; build a ``CompiledSkeleton`` to render many times.

    See ``CompiledSkeleton`` for the arguments.

    Returns:
        The rendered tree (sorted POSIX paths relative to the output root).
    """
    compiled = CompiledSkeleton(
        skeleton,
        copy_without_templating=copy_without_templating,
        template_file_extension=template_file_extension,
        trim_blocks=trim_blocks,
        lstrip_blocks=lstrip_blocks,
        env=env,
    )
    # Raw values: the JSON round trip Backstage's runner gives a step's input.
    return compiled.render(js_json_value(values))
