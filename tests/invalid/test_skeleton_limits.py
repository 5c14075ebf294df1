"""A hostile custom skeleton: every render stops within its limits, naming the file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlscaffold.errors import RenderError, SkeletonError
from mlscaffold.render import limits
from mlscaffold.render.skeleton import render_skeleton

VALUES = {"name": "x"}


def skeleton(tmp_path: Path, text: str, name: str = "bomb.txt") -> Path:
    root = tmp_path / "skeleton"
    root.mkdir()
    (root / "ok.txt").write_text("fine\n")
    (root / name).write_text(text)
    return root


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # nested loops: each range is small, together they never end
        (
            "{% for i in range(100000) %}{% for j in range(100000) %}"
            "{% endfor %}{% endfor %}",
            "more than 1000000 range items",
        ),
        ("${{ 'x' * 100000000 }}", r"'\*' would build 100000000 items"),
        ("${{ 10 ** 100000000 }}", r"'\*\*' would build a number"),
        (
            "{% for i in range(100000) %}${{ 'y' * 1000 }}{% endfor %}",
            "grows past 16777216 characters",
        ),
    ],
)
def test_a_render_that_would_not_end_or_fit_is_stopped(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(RenderError, match=message) as caught:
        render_skeleton(skeleton(tmp_path, text), VALUES)
    assert caught.value.source is not None
    assert caught.value.source.path == "bomb.txt"


def test_a_loop_with_no_range_calls_is_stopped_by_the_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One range, iterated in nested loops: only the clock can stop it.
    text = (
        "{% set r = range(100000) %}"
        "{% for i in r %}{% for j in r %}{% endfor %}{% endfor %}"
    )
    monkeypatch.setattr(limits, "MAX_SECONDS", 0.5)
    with pytest.raises(RenderError, match=r"took longer than 0\.5 s") as caught:
        render_skeleton(skeleton(tmp_path, text), VALUES)
    assert caught.value.source is not None
    assert caught.value.source.path == "bomb.txt"


def test_a_fifo_in_a_skeleton_is_refused_not_waited_for(tmp_path: Path) -> None:
    root = skeleton(tmp_path, "fine\n")
    os.mkfifo(root / "pipe")
    with pytest.raises(SkeletonError, match="not a regular file") as caught:
        render_skeleton(root, VALUES)
    assert caught.value.source is not None
    assert caught.value.source.path == "pipe"
