"""Render a skeleton folder into a RenderedTree, step for step like fetch:template."""

from __future__ import annotations

import os
import posixpath
import re
import stat
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import jinja2

from mlscaffold.errors import Location, RenderError, SkeletonError
from mlscaffold.render.engine import BackstageEnvironment, run_template
from mlscaffold.render.tree import EntryKind, RenderedTree, TreeEntry
from mlscaffold.render.values import js_json_value

__all__ = ["CompiledSkeleton", "is_binary", "render_skeleton"]

_TEMPLATE_MARKERS: Final = ("${{", "{%", "{#")
# isbinaryfile 5.0.7 reads 512 bytes plus 3 so a UTF-8 sequence cut at 512 is whole.
_MAX_BYTES: Final = 512
_READ_BYTES: Final = _MAX_BYTES + 3
_TEXT_BOMS: Final = (
    b"\xef\xbb\xbf",
    b"\x00\x00\xfe\xff",
    b"\xff\xfe\x00\x00",
    b"\x84\x31\x95\x33",
)
_DIR_MODE: Final = 0o755  # fs.ensureDir: 0o777 minus the usual umask 022


def _has_template(text: str) -> bool:
    return any(marker in text for marker in _TEMPLATE_MARKERS)


# ------------------------------------------------------------ isbinaryfile


def _proto_varint(buf: bytes, pos: int, size: int) -> tuple[int, int, bool]:
    """Read a protobuf varint with JavaScript's 32-bit ``|`` and ``<<``."""
    value, idx = 0, 0
    while True:
        if pos >= size:
            return value, pos, True
        byte = buf[pos]
        pos += 1
        value = (value | ((byte & 0x7F) << ((7 * idx) % 32))) & 0xFFFFFFFF
        if not byte & 0x80:
            break
        if idx >= 10:
            return value, pos, True
        idx += 1
    return (value - (1 << 32) if value & 0x80000000 else value), pos, False


def _is_binary_proto(buf: bytes, size: int) -> bool:
    pos, messages = 0, 0
    while True:
        key, pos, error = _proto_varint(buf, pos, size)
        if not error:
            wire = key & 0x7
            if wire == 0:
                _, pos, error = _proto_varint(buf, pos, size)
            elif wire in (1, 2, 5):
                length = 8 if wire == 1 else 4
                if wire == 2:
                    length, pos, error = _proto_varint(buf, pos, size)
                if not error and length > 0:
                    error = pos + length > size
                    pos = min(pos + length, size)
            else:
                return False
        if error:
            return messages > 0
        messages += 1


def is_binary(head: bytes) -> bool:  # noqa: C901 - mirrors the upstream algorithm
    """Tell text from binary exactly as npm isbinaryfile 5.0.7 does.

    Args:
        head: The first 515 bytes (or the whole file when shorter).

    Returns:
        True for a NUL byte, a ``%PDF-`` header, more than 10 % suspicious bytes in
        the first 512, or a protobuf-looking file; False for BOMs and empty files.
    """
    total = min(len(head), _READ_BYTES)
    if total == 0 or head.startswith(_TEXT_BOMS):
        return False
    if head.startswith(b"%PDF-"):
        return True
    if head.startswith((b"\xfe\xff", b"\xff\xfe")):
        return False
    scan = min(total, _MAX_BYTES)
    suspicious = 0
    i = 0
    while i < scan:
        byte = head[i]
        if byte == 0:
            return True
        if (byte < 7 or byte > 14) and (byte < 32 or byte > 127):
            follow = 1 if 0xC0 <= byte <= 0xDF else 2 if 0xE0 <= byte <= 0xEF else 0
            follow = 3 if 0xF0 <= byte <= 0xF7 else follow
            if follow and i + follow < total:
                i += 1
                if all(0x80 <= b <= 0xBF for b in head[i : i + follow]):
                    i += follow
                    continue
            suspicious += 1
            if i >= 32 and suspicious * 100 / scan > 10:
                return True
        i += 1
    if suspicious * 100 / scan > 10:
        return True
    return suspicious > 1 and _is_binary_proto(head, scan)


# ------------------------------------------------------------------- globs


def _expand_braces(pattern: str) -> list[str]:
    match = re.search(r"\{([^{}]*,[^{}]*)\}", pattern)
    if match is None:
        return [pattern]
    head, tail = pattern[: match.start()], pattern[match.end() :]
    return [
        x
        for alt in match.group(1).split(",")
        for x in _expand_braces(head + alt + tail)
    ]


def _segment_regex(segment: str) -> str:
    out, i = [], 0
    while i < len(segment):
        ch = segment[i]
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\" and i + 1 < len(segment):
            i += 1
            out.append(re.escape(segment[i]))
        elif ch == "[" and segment.find("]", i + 2) != -1:
            end = segment.find("]", i + 2)
            body = segment[i + 1 : end]
            negate = body[:1] in ("!", "^")
            body = body[1:] if negate else body
            out.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\") + "]")
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A micromatch-like pattern (``dot: true``) as one regex over POSIX paths."""
    alternatives = []
    for expanded in _expand_braces(pattern):
        text = expanded.removeprefix("./").rstrip("/")
        rx, glued = "", False
        segments = text.split("/")
        for index, segment in enumerate(segments):
            if segment == "**":
                if index == len(segments) - 1:
                    rx += "(?:/.*)?" if rx else ".*"
                else:
                    rx += ("/" if rx else "") + "(?:.*/)?"
                    glued = True
                continue
            rx += ("/" if rx and not glued else "") + _segment_regex(segment)
            glued = False
        alternatives.append(rx)
    return re.compile("(?:" + "|".join(alternatives) + r")\Z")


def _untemplated(root: Path, patterns: Sequence[str], locations: list[str]) -> set[str]:
    """Which listed entries ``copyWithoutTemplating`` selects, globby style.

    A literal directory expands to ``dir/**`` (globby ``expandDirectories``); a
    ``!pattern`` excludes from the patterns before it, and excludes a whole folder
    when the folder matches (fast-glob does not descend into it).
    """
    compiled: list[tuple[bool, re.Pattern[str]]] = []
    for pattern in patterns:
        negative = pattern.startswith("!")
        body = pattern[1:] if negative else pattern
        if body and (root / body).is_dir():
            body = body.rstrip("/") + "/**"
        compiled.append((negative, _glob_regex(body)))
    selected: set[str] = set()
    for location in locations:
        path = location.rstrip("/")
        parts = path.split("/")
        prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
        for index, (negative, regex) in enumerate(compiled):
            if negative or not regex.match(path):
                continue
            later = [rx for neg, rx in compiled[index + 1 :] if neg]
            if not any(rx.match(prefix) for rx in later for prefix in prefixes):
                selected.add(location)
                break
    return selected


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


def _listing(root: Path) -> list[tuple[str, os.stat_result]]:
    """globby('**/*', dot, onlyFiles false, markDirectories, no symlink following).

    fast-glob emits a folder's entries before descending, in readdir order; readdir
    order is not defined, so (assumption) names are sorted per folder, breadth first.
    """
    found: list[tuple[str, os.stat_result]] = []
    queue: deque[str] = deque([""])
    while queue:
        folder = queue.popleft()
        with os.scandir(root / folder if folder else root) as scan:
            items = sorted(scan, key=lambda item: item.name)
        for item in items:
            info = item.stat(follow_symlinks=False)
            if stat.S_ISDIR(info.st_mode):
                found.append((f"{folder}{item.name}/", info))
                queue.append(f"{folder}{item.name}/")
            else:
                found.append((folder + item.name, info))
    return found


def _extension(option: str | bool | None) -> str | None:
    if option is True:
        return ".njk"
    if not option:
        return None
    text = str(option)
    return text if text.startswith(".") else "." + text


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
        extension = _extension(template_file_extension)
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
            listing = _listing(self.root)
        except OSError as exc:
            raise SkeletonError(
                f"cannot read skeleton: {exc}", source=Location(self.root.as_posix())
            ) from exc
        raw = _untemplated(
            self.root, copy_without_templating, [loc for loc, _ in listing]
        )
        self._entries = [self._load(loc, info, extension, raw) for loc, info in listing]

    def _load(
        self, location: str, info: os.stat_result, extension: str | None, raw: set[str]
    ) -> _Entry:
        if extension:
            ext = posixpath.splitext(location.rstrip("/"))[1]
            templated = ext == extension
            path_source = location[: -len(extension)] if templated else location
        else:
            templated = location not in raw
            path_source = location
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
        data = full.read_bytes()
        if is_binary(data[:_READ_BYTES]):
            return _Entry(location, "file", *head[1:], data=data)
        # fs.readFile(path, 'utf-8'): invalid sequences become U+FFFD, a BOM stays.
        text = data.decode("utf-8", errors="replace")
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

    def render(self, values: Mapping[str, Any]) -> RenderedTree:
        """Render every entry for ``values`` (the fetch:template ``values`` input).

        Raises:
            SkeletonError: A template that is used does not compile.
            RenderError: Rendering failed, or a rendered path leaves the output root.
        """
        context = {"values": js_json_value(values)}
        entries: dict[str, TreeEntry] = {}
        for entry in self._entries:
            target = self._target(entry, context)
            if target is None or target in entries:
                continue  # first entry to a path wins (fs.existsSync, replace: false)
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
    return compiled.render(values)
