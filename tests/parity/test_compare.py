"""diff_trees itself: each kind of difference is reported; equal trees give none."""

from __future__ import annotations

from pathlib import Path

from .cases import Dir, Entry, File, Link, build_skeleton
from .compare import diff_trees

BASE: dict[str, Entry] = {
    "a.txt": File("a\n"),
    "run.sh": File("#!/bin/sh\n", 0o755),
    "d": Dir(),
    "link": Link("a.txt"),
}


def _pair(tmp_path: Path, **changes: Entry) -> tuple[Path, Path]:
    build_skeleton(tmp_path / "left", BASE)
    build_skeleton(tmp_path / "right", {**BASE, **changes})
    return tmp_path / "left", tmp_path / "right"


def test_identical_trees(tmp_path: Path) -> None:
    assert diff_trees(*_pair(tmp_path)) == []


def test_content_mode_link_and_kind(tmp_path: Path) -> None:
    left, right = _pair(
        tmp_path,
        **{"a.txt": File("a\r\n"), "run.sh": File("#!/bin/sh\n")},
        link=Link("run.sh"),
    )
    (right / "d").rmdir()
    (right / "d").write_text("now a file")
    problems = diff_trees(left, right)
    assert [p.split(":")[0] for p in problems] == ["a.txt", "d", "link", "run.sh"]
    assert "contents differ at byte 1" in problems[0]
    assert "dir vs file" in problems[1]
    assert "symlink target" in problems[2]
    assert "mode 0755 vs 0644" in problems[3]


def test_missing_entries(tmp_path: Path) -> None:
    left, right = _pair(tmp_path, **{"extra/x": File("")})
    assert diff_trees(left, right) == [
        "extra: only in right (dir)",
        "extra/x: only in right (file)",
    ]
