"""Map places in rendered files back to the skeleton lines they came from."""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Mapping

from mlscaffold.errors import Location
from mlscaffold.render.tree import RenderedTree
from mlscaffold.report.model import Finding


class LineMap:
    """Maps lines of a rendered file to the skeleton lines that produced them.

    The two texts are aligned line by line, once. Lines that match exactly, and
    blocks of equal length where only interpolations changed, map one to one. Inside
    a block that a loop or a conditional made longer or shorter, a line maps to the
    most similar skeleton line of the block (template markup ignored) and is marked
    approximate.

    Args:
        skeleton_text: The skeleton file's template text.
        rendered_text: What it rendered to.
    """

    def __init__(self, skeleton_text: str, rendered_text: str) -> None:
        """Align the two texts."""
        self._source = skeleton_text.splitlines()
        self._rendered = rendered_text.splitlines()
        matcher = difflib.SequenceMatcher(
            None, self._source, self._rendered, autojunk=False
        )
        self._opcodes = matcher.get_opcodes()

    def skeleton_line(self, line: int) -> tuple[int, bool]:
        """The 1-based skeleton line behind rendered ``line``; True when a guess."""
        index = line - 1
        for tag, i1, i2, j1, j2 in self._opcodes:
            if not j1 <= index < j2:
                continue
            if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
                return i1 + (index - j1) + 1, False
            if tag == "insert":
                return max(i1, 1), True
            return _most_similar(self._source, i1, i2, self._rendered[index]) + 1, True
        return max(len(self._source), 1), True


def skeleton_line(
    skeleton_text: str, rendered_text: str, line: int
) -> tuple[int, bool]:
    """The skeleton line behind rendered ``line`` (see :class:`LineMap`)."""
    return LineMap(skeleton_text, rendered_text).skeleton_line(line)


_MARKUP = re.compile(r"\$\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}")


def _most_similar(source: list[str], start: int, stop: int, text: str) -> int:
    def score(i: int) -> float:
        bare = _MARKUP.sub("", source[i])
        return difflib.SequenceMatcher(None, bare, text, autojunk=False).ratio()

    return max(range(start, stop), key=score)


def attach_skeleton_lines(
    findings: list[Finding], tree: RenderedTree, skeleton: Mapping[str, str]
) -> list[Finding]:
    """Give each finding about a rendered file the skeleton file and line behind it.

    Args:
        findings: Findings whose ``rendered`` paths are paths of ``tree``.
        tree: The rendered tree (entries know their skeleton path).
        skeleton: The text of each templated skeleton file, by skeleton path
            (:meth:`~mlscaffold.render.skeleton.CompiledSkeleton.source_texts`).
    """
    maps: dict[str, LineMap | None] = {}
    mapped = []
    for finding in findings:
        path, line = finding.rendered.path, finding.rendered.line
        entry = tree.entries.get(path)
        if entry is None or not entry.source or not entry.templated or line is None:
            mapped.append(finding)
            continue
        if path not in maps:
            template = skeleton.get(entry.source)
            maps[path] = None if template is None else LineMap(template, entry.text)
        line_map = maps[path]
        if line_map is None:
            mapped.append(finding)
            continue
        number, approximate = line_map.skeleton_line(line)
        source = Location(entry.source, number, approximate=approximate)
        mapped.append(dataclasses.replace(finding, source=source))
    return mapped
