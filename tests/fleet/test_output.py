"""Fleet text output names findings as the one-tree reporter does."""

from __future__ import annotations

from mlscaffold.errors import Location
from mlscaffold.fleet.diff import FleetDiff, TeamDiff
from mlscaffold.fleet.output import diff_text, fleet_report
from mlscaffold.fleet.render import TeamResult
from mlscaffold.report.formats import format_text
from mlscaffold.report.model import Finding, Report, Severity

FINDING = Finding(
    rendered=Location("deploy/limitrange.yaml", 4, 3),
    rule="MLS101",
    severity=Severity.ERROR,
    message="unknown field 'limitz'",
    source=Location("skeleton/deploy/limitrange.yaml", 4, 3),
    tool="schema",
)
LINE = "recs/deploy/limitrange.yaml:4:3: error MLS101 unknown field 'limitz'\n"
SKELETON = "  skeleton: skeleton/deploy/limitrange.yaml:4:3\n"


def test_diff_text_findings_read_path_line_col_rule_message() -> None:
    diff = FleetDiff("HEAD", "work tree", (TeamDiff("recs", new_findings=(FINDING,)),))
    text = diff_text(diff)
    assert LINE + SKELETON in text
    assert "[error]" not in text


def test_diff_text_and_the_fleet_report_agree() -> None:
    diff = FleetDiff("HEAD", "work tree", (TeamDiff("recs", new_findings=(FINDING,)),))
    report = fleet_report([TeamResult("recs", report=Report([FINDING]))])
    assert format_text(report).startswith(LINE + SKELETON)
    assert LINE + SKELETON in diff_text(diff)
