"""Fleet results as text, JSON and Markdown (a pull-request comment)."""

from __future__ import annotations

import json
import posixpath
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from mlscaffold.errors import Location
from mlscaffold.fleet.diff import FleetDiff, TeamDiff
from mlscaffold.fleet.render import TeamResult
from mlscaffold.report.formats import format_finding
from mlscaffold.report.model import Finding, Report, Severity

__all__ = [
    "COMMENT_MARKER",
    "MARKDOWN_LIMIT",
    "diff_json",
    "diff_markdown",
    "diff_report",
    "diff_text",
    "fleet_report",
    "render_summary",
]

MARKDOWN_LIMIT = 60_000
"""Default size cap of the Markdown summary (GitHub comments stop at 65,536)."""
COMMENT_MARKER = "<!-- mlscaffold-fleet-diff -->"
"""First line of the Markdown summary; the CI action finds its comment by it."""


def _finding_json(team: str, finding: Finding) -> dict[str, Any]:
    loc = finding.rendered
    return {
        "team": team,
        "path": loc.path,
        "line": loc.line,
        "column": loc.column,
        "rule": finding.rule,
        "severity": str(finding.severity),
        "message": finding.message,
        "tool": finding.tool,
    }


def _team_json(team: TeamDiff) -> dict[str, Any]:
    return {
        "team": team.team,
        "affected": team.affected,
        "files": [
            {"path": c.path, "status": c.status, "diff": c.diff} for c in team.changes
        ],
        "newFindings": [_finding_json(team.team, f) for f in team.new_findings],
        "baseError": team.base_error.message if team.base_error else None,
        "error": team.error.message if team.error else None,
    }


def diff_json(diff: FleetDiff) -> str:
    """The whole diff as JSON (for CI): summary plus every team, sorted."""
    data = {
        "base": diff.base,
        "head": diff.head,
        "summary": diff.summary(),
        "teams": [_team_json(t) for t in diff.teams],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _summary_rows(diff: FleetDiff) -> list[tuple[str, str, str, str]]:
    rows = []
    for team in diff.affected():
        files = ", ".join(f"{c.path} ({c.status})" for c in team.changes) or "-"
        errors = sum(1 for f in team.new_findings if f.severity >= Severity.ERROR)
        findings = (
            f"{len(team.new_findings)} ({errors} errors)" if team.new_findings else "0"
        )
        rows.append((team.team, str(len(team.changes)), findings, files))
    return rows


def _under_team(team: str, finding: Finding) -> Finding:
    """The finding with its rendered path put under ``<team>/``."""
    moved = replace(finding.rendered, path=f"{team}/{finding.rendered.path}")
    return replace(finding, rendered=moved)


def diff_text(diff: FleetDiff, *, show_diffs: bool = True) -> str:
    """Unified diffs per team and file, new findings, then a summary table."""
    out: list[str] = []
    for team in diff.affected():
        out.append(f"=== {team.team}\n")
        if team.base_error:
            out.append(
                f"base render failed (counted as empty): {team.base_error.message}\n"
            )
        if team.error:
            out.append(f"error: {team.error.message}\n")
        if show_diffs:
            out.extend(c.diff for c in team.changes)
        out.extend(
            format_finding(_under_team(team.team, f)) + "\n" for f in team.new_findings
        )
    s = diff.summary()
    out.append(
        f"\n{s['teamsAffected']} of {s['teams']} teams affected, {s['filesChanged']} "
        f"files changed, {s['newFindings']} new findings ({s['newErrors']} errors), "
        f"{s['teamsWithNewErrors']} teams newly failed to render "
        f"({diff.base} -> {diff.head})\n"
    )
    rows = _summary_rows(diff)
    if rows:
        header = ("team", "files", "new findings", "changed")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
        for row in [header, *rows]:
            cells = [row[i].ljust(widths[i]) for i in range(3)]
            out.append("  ".join([*cells, row[3]]).rstrip() + "\n")
    return "".join(out)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def diff_markdown(diff: FleetDiff, *, limit: int = MARKDOWN_LIMIT) -> str:
    """A pull-request comment: summary table, then each team's diff folded away.

    Diffs that would push the comment past ``limit`` characters are left out
    (with a note), so the comment always posts; the JSON output has everything.
    """
    s = diff.summary()
    head = [
        f"{COMMENT_MARKER}\n",
        f"### mlscaffold fleet diff: `{diff.base}` -> `{diff.head}`\n\n",
        "| teams | affected | files changed | new findings | new errors "
        "| new render errors |\n",
        "|---:|---:|---:|---:|---:|---:|\n",
        f"| {s['teams']} | {s['teamsAffected']} | {s['filesChanged']} | "
        f"{s['newFindings']} | {s['newErrors']} | {s['teamsWithNewErrors']} |\n\n",
    ]
    rows = _summary_rows(diff)
    if rows:
        head.append("| team | files | new findings | changed |\n|---|---:|---|---|\n")
        head.extend(f"| {' | '.join(_md_cell(c) for c in row)} |\n" for row in rows)
        head.append("\n")
    else:
        head.append("No team is affected.\n")
    body: list[str] = []
    used = sum(map(len, head))
    left_out = 0
    for team in diff.affected():
        section = _md_team(team)
        if used + len(section) > limit:
            left_out += 1
            continue
        body.append(section)
        used += len(section)
    if left_out:
        body.append(
            f"\n_{left_out} teams' details left out to keep this comment short; "
            "see the JSON output._\n"
        )
    return "".join(head + body)


def diff_report(diff: FleetDiff, skeleton: str) -> Report:
    """The change's new findings, placed in the platform repository (for SARIF).

    Code scanning can only annotate files of the repository, and the rendered
    teams are not in it; so each finding points at the skeleton file it came from
    (``skeleton``/its source path), and its message names the team and the
    rendered place. A finding with no skeleton source keeps its rendered path.

    Args:
        diff: The fleet diff.
        skeleton: The skeleton folder's path in the repository
            (``skeletons/ml-project``).
    """
    findings = []
    for team in diff.teams:
        for finding in team.new_findings:
            rendered = _place(team.team, finding.rendered)
            source = finding.source
            where = (
                Location(
                    # The platform skeleton's files are named from the team
                    # skeleton (../ml-project-platform/...).
                    posixpath.normpath(f"{skeleton}/{source.path}"),
                    source.line,
                    source.column,
                )
                if source is not None
                else Location(f"{team.team}/{finding.rendered.path}")
            )
            findings.append(
                replace(
                    finding,
                    rendered=where,
                    source=None,
                    message=f"team {team.team}, {rendered}: {finding.message}",
                )
            )
    report = Report()
    report.extend(findings)
    return report


def _place(team: str, loc: Location) -> str:
    text = f"{team}/{loc.path}"
    if loc.line is not None:
        text += f":{loc.line}"
    return text


def _md_team(team: TeamDiff) -> str:
    parts = [f"<details><summary><b>{team.team}</b>: {len(team.changes)} files"]
    if team.new_findings:
        parts.append(f", {len(team.new_findings)} new findings")
    parts.append("</summary>\n\n")
    if team.error:
        parts.append(f"**Error:** {_md_cell(team.error.message)}\n\n")
    parts.extend(
        f"- `{finding.rendered}` {finding.rule} ({finding.severity}): "
        f"{_md_cell(finding.message)}\n"
        for finding in team.new_findings
    )
    if team.changes:
        fence = "````" if any("```" in c.diff for c in team.changes) else "```"
        parts.append(
            f"\n{fence}diff\n" + "".join(c.diff for c in team.changes) + f"{fence}\n"
        )
    parts.append("\n</details>\n")
    return "".join(parts)


def fleet_report(results: Sequence[TeamResult]) -> Report:
    """One Report for the fleet: each finding's paths put under ``<team>/``.

    The usual reporters (text, JSON, JUnit, SARIF) then work on a fleet as on one tree.
    """
    report = Report()
    findings: list[Finding] = []
    for result in results:
        prefix = f"{result.team}/"
        team = result.report
        findings.extend(_under_team(result.team, f) for f in team.findings)
        report.checked.extend(prefix + path for path in team.checked)
        report.skipped.update(team.skipped)
        report.schemas.update(team.schemas)
        for name, covered in team.ran.items():
            report.ran.setdefault(name, covered)
    report.extend(findings)
    return report


def render_summary(results: Sequence[TeamResult], fail_on: Severity) -> str:
    """A short table: teams rendered, written, with failing findings, with errors."""
    failing = [r for r in results if r.error is None and r.report.at_least(fail_on)]
    errors = [r for r in results if r.error is not None]
    written = sum(1 for r in results if r.written)
    lines = [
        f"{len(results)} teams: {len(results) - len(errors)} rendered, "
        f"{written} written, "
        f"{len(failing)} with findings at or above {fail_on}, {len(errors)} failed\n"
    ]
    lines.extend(
        f"  {r.team}: {r.error.kind}: {r.error.message}\n" for r in errors if r.error
    )
    lines.extend(
        f"  {r.team}: {len(r.report.at_least(fail_on))} findings\n" for r in failing
    )
    return "".join(lines)
