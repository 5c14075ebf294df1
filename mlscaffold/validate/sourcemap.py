"""Map places in rendered files back to the skeleton lines they came from."""

from __future__ import annotations

import dataclasses
import difflib
import re
from pathlib import Path

from mlscaffold.errors import Location
from mlscaffold.render.tree import RenderedTree
from mlscaffold.report.model import Finding


def skeleton_line(
    skeleton_text: str, rendered_text: str, line: int
) -> tuple[int, bool]:
    """The skeleton line that produced rendered ``line``, and whether it is a guess.

    The two texts are aligned line by line. Lines that match exactly, and blocks of
    equal length where only interpolations changed, map one to one. Inside a block
    that a loop or a conditional made longer or shorter, a line maps to the most
    similar skeleton line of the block (template markup ignored) and is marked
    approximate.

    Args:
        skeleton_text: The skeleton file's template text.
        rendered_text: What it rendered to.
        line: 1-based line in the rendered text.
    """
    source = skeleton_text.splitlines()
    rendered = rendered_text.splitlines()
    matcher = difflib.SequenceMatcher(None, source, rendered, autojunk=False)
    index = line - 1
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if not j1 <= index < j2:
            continue
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            return i1 + (index - j1) + 1, False
        if tag == "insert":
            return max(i1, 1), True
        return _most_similar(source, i1, i2, rendered[index]) + 1, True
    return max(len(source), 1), True


_MARKUP = re.compile(r"\$\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}")


def _most_similar(source: list[str], start: int, stop: int, text: str) -> int:
    def score(i: int) -> float:
        bare = _MARKUP.sub("", source[i])
        return difflib.SequenceMatcher(None, bare, text, autojunk=False).ratio()

    return max(range(start, stop), key=score)


def attach_skeleton_lines(
    findings: list[Finding], tree: RenderedTree, skeleton: Path
) -> list[Finding]:
    """Give each finding about a rendered file the skeleton file and line behind it.

    Args:
        findings: Findings whose ``rendered`` paths are paths of ``tree``.
        tree: The rendered tree (entries know their skeleton path).
        skeleton: The skeleton folder the tree was rendered from.
    """
    texts: dict[str, str | None] = {}
    mapped = []
    for finding in findings:
        entry = tree.entries.get(finding.rendered.path)
        if entry is None or not entry.source or finding.rendered.line is None:
            mapped.append(finding)
            continue
        if entry.source not in texts:
            path = skeleton / entry.source
            texts[entry.source] = (
                path.read_text(encoding="utf-8", errors="replace")
                if path.is_file()
                else None
            )
        text = texts[entry.source]
        if text is None or not entry.templated:
            mapped.append(finding)
            continue
        line, approximate = skeleton_line(text, entry.text, finding.rendered.line)
        source = Location(entry.source, line, approximate=approximate)
        mapped.append(dataclasses.replace(finding, source=source))
    return mapped
