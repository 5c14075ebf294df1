"""List a skeleton as fetch:template does, and match copyWithoutTemplating globs."""

from __future__ import annotations

import os
import posixpath
import re
import stat
from collections import deque
from collections.abc import Sequence
from pathlib import Path

__all__ = ["list_skeleton", "template_extension", "templated_locations", "untemplated"]


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


def untemplated(root: Path, patterns: Sequence[str], locations: list[str]) -> set[str]:
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


def template_extension(option: str | bool | None) -> str | None:
    """fetch:template's ``templateFileExtension`` as a suffix (``True`` is ``.njk``)."""
    if option is True:
        return ".njk"
    if not option:
        return None
    text = str(option)
    return text if text.startswith(".") else "." + text


def templated_locations(
    root: Path,
    locations: Sequence[str],
    *,
    copy_without_templating: Sequence[str] = (),
    extension: str | None = None,
) -> set[str]:
    """Which skeleton entries fetch:template renders the content of.

    The renderer and the template lint both ask this, so they never disagree.

    Args:
        root: The skeleton folder (a literal directory pattern is checked there).
        locations: Entries relative to ``root`` (folders may end with ``/``).
        copy_without_templating: The step's ``copyWithoutTemplating`` globs.
        extension: The step's ``templateFileExtension`` as a suffix (see
            :func:`template_extension`); when set, only entries whose last
            extension is exactly this one are templated (so a file named ``.njk``
            is not: it has no extension), and the globs are not consulted.

    Returns:
        The templated subset of ``locations``.
    """
    if extension:
        return {
            location
            for location in locations
            if posixpath.splitext(location.rstrip("/"))[1] == extension
        }
    raw = untemplated(root, copy_without_templating, list(locations))
    return {location for location in locations if location not in raw}


def _copied(real_root: str, path: Path) -> bool:
    """Whether Backstage's local fetch copies ``path`` into the workspace.

    fetchContents copies the skeleton with ``fs.copy(src, dest, {filter})`` where the
    filter is ``isChildPath(src, entry)``: both sides resolved through symlinks
    (dangling links by their target text), then ``path.relative`` must not start with
    ``..``. So a link leading outside the skeleton vanishes, and so does, quirk
    included, a root entry whose name starts with ``..``.
    """
    try:
        relative = os.path.relpath(os.path.realpath(path), real_root)
    except ValueError:  # another drive (Windows): never a child
        return False
    return not relative.startswith("..")


def list_skeleton(root: Path) -> list[tuple[str, os.stat_result]]:
    """What fetch:template walks, in its order, as ``(location, lstat)`` pairs.

    First the local fetch's copy filter drops what it would not copy (see
    ``_copied``). Then globby('**/*', dot, onlyFiles false, markDirectories, no
    symlink following) lists the copy: fast-glob emits a folder's entries before
    descending into any of them, so shallower entries always come first (level by
    level); within a folder, names are in code-point order (readdir order is not
    defined; this is the order the parity oracle observes).

    Args:
        root: The skeleton folder.

    Returns:
        Locations relative to ``root``; directories end with ``/``.
    """
    real_root = os.path.realpath(root)
    found: list[tuple[str, os.stat_result]] = []
    queue: deque[str] = deque([""])
    while queue:
        folder = queue.popleft()
        with os.scandir(root / folder if folder else root) as scan:
            items = sorted(scan, key=lambda item: item.name)
        for item in items:
            info = item.stat(follow_symlinks=False)
            suspect = stat.S_ISLNK(info.st_mode) or item.name.startswith("..")
            if suspect and not _copied(real_root, Path(item.path)):
                continue
            if stat.S_ISDIR(info.st_mode):
                found.append((f"{folder}{item.name}/", info))
                queue.append(f"{folder}{item.name}/")
            else:
                found.append((folder + item.name, info))
    return found
