"""Findings point back at the skeleton line that produced the rendered line."""

from __future__ import annotations

from pathlib import Path

from mlscaffold.errors import Location
from mlscaffold.render.engine import BackstageEnvironment, render_string
from mlscaffold.render.skeleton import CompiledSkeleton, render_skeleton
from mlscaffold.report.model import Finding, Severity
from mlscaffold.validate.sourcemap import attach_skeleton_lines, skeleton_line

SKELETON = (
    "a: 1\n"
    'name: "${{ values.team }}-ml"\n'
    "items:\n"
    "{%- for x in values.items %}\n"
    '  - "${{ x }}"\n'
    "{%- endfor %}\n"
    "{%- if values.extra %}\n"
    "extra: true\n"
    "{%- endif %}\n"
    "z: 2\n"
)


def render(values: dict[str, object]) -> str:
    return render_string(
        BackstageEnvironment(), SKELETON, {"values": values}, name="x.yaml"
    )


def test_interpolated_and_static_lines_map_exactly() -> None:
    text = render({"team": "recs", "items": [], "extra": False})
    lines = text.splitlines()
    assert skeleton_line(SKELETON, text, lines.index('name: "recs-ml"') + 1) == (
        2,
        False,
    )
    assert skeleton_line(SKELETON, text, lines.index("z: 2") + 1) == (10, False)


def test_loop_lines_map_to_the_loop_body_approximately() -> None:
    text = render({"team": "recs", "items": ["a", "b", "c"], "extra": True})
    lines = text.splitlines()
    assert skeleton_line(SKELETON, text, lines.index('  - "b"') + 1) == (5, True)
    assert skeleton_line(SKELETON, text, lines.index("extra: true") + 1)[0] == 8


def test_findings_gain_the_skeleton_location(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text(SKELETON, encoding="utf-8")
    tree = render_skeleton(tmp_path, {"team": "recs", "items": ["a"], "extra": False})
    line = tree["x.yaml"].text.splitlines().index("z: 2") + 1
    finding = Finding(Location("x.yaml", line, 1), "MLS999", Severity.ERROR, "bad z")
    elsewhere = Finding(Location("other.yaml", 1, 1), "MLS999", Severity.ERROR, "other")
    sources = CompiledSkeleton(tmp_path).source_texts()
    mapped = attach_skeleton_lines([finding, elsewhere], tree, sources)
    assert mapped[0].source == Location("x.yaml", 10)
    assert mapped[1] is elsewhere
