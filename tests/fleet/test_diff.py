"""fleet diff: the teams and files a template change touches, and its new findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlscaffold.errors import SettingsError
from mlscaffold.fleet.diff import changes_by_team, diff_fleet, diff_trees
from mlscaffold.fleet.output import diff_markdown, diff_text
from mlscaffold.fleet.render import renderer_for
from mlscaffold.fleet.revision import revision_sources, worktree_sources
from mlscaffold.render.tree import RenderedTree, TreeEntry
from mlscaffold.teams import load_teams
from mlscaffold.validate import ValidateOptions
from tests.fleet.fleet_helpers import commit, edit, git
from tests.helpers import run_cli as run

CRON = (
    "skeletons/ml-project/${{ 'deploy' if values.maturity == 'L3' else '' }}"
    "/cronworkflow.yaml"
)
LIMITS = "skeletons/ml-project-platform/teams/${{ values.team }}/limitrange.yaml"


def test_diff_names_exactly_the_changed_teams_and_files(
    platform_repo: Path, teams_file: Path
) -> None:
    edit(
        platform_repo / CRON, "concurrencyPolicy: Forbid", "concurrencyPolicy: Replace"
    )
    commit(platform_repo, "retrain: replace a running retrain")
    teams = load_teams([teams_file])
    with (
        revision_sources(platform_repo, "HEAD~1") as base,
        revision_sources(platform_repo, "HEAD") as head,
    ):
        diff = diff_fleet(teams, base, head, validate=None)
    # Only the L3 teams have a CronWorkflow; fraud (L2) shows nothing.
    assert changes_by_team(diff) == {
        "recs": ["deploy/cronworkflow.yaml"],
        "vision": ["deploy/cronworkflow.yaml"],
    }
    fraud = next(t for t in diff.teams if t.team == "fraud")
    assert not fraud.affected
    change = next(t for t in diff.teams if t.team == "recs").changes[0]
    assert change.status == "modified"
    assert (
        "--- a/recs/deploy/cronworkflow.yaml\n+++ b/recs/deploy/cronworkflow.yaml\n"
        in (change.diff)
    )
    assert (
        "-  concurrencyPolicy: Forbid\n+  concurrencyPolicy: Replace\n" in change.diff
    )
    assert diff.summary()["teamsAffected"] == 2
    assert diff.summary()["filesChanged"] == 2
    text = diff_text(diff)
    assert "=== fraud" not in text
    assert "2 of 3 teams affected, 2 files changed, 0 new findings" in text


def test_unchanged_template_shows_no_diff(
    platform_repo: Path, teams_file: Path
) -> None:
    with revision_sources(platform_repo, "HEAD") as base:
        diff = diff_fleet(
            load_teams([teams_file]),
            base,
            worktree_sources(platform_repo),
            validate=None,
        )
    assert diff.affected() == []
    assert "No team is affected." in diff_markdown(diff)


def test_new_finding_fails_the_cli_and_is_named(
    platform_repo: Path, teams_file: Path, shared_crds: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # An unknown field in a core kind: a schema error for every team, in the work tree.
    edit(platform_repo / LIMITS, "spec:\n  limits:", "spec:\n  limitz: []\n  limits:")
    monkeypatch.chdir(platform_repo)
    md = platform_repo.parent / "comment.md"
    code, out, _ = run(
        ["fleet", "diff", str(teams_file), "--base", "HEAD", "--crds", str(shared_crds),
         "--output", "json", "--markdown-file", str(md), "--no-progress"],
        capsys,
    )  # fmt: skip
    assert code == 1
    data = json.loads(out)
    assert data["base"] == "HEAD"
    assert data["head"] == "work tree"
    assert data["summary"]["teamsAffected"] == 3
    assert data["summary"]["filesChanged"] == 3
    for team in data["teams"]:
        limits = f"platform/teams/{team['team']}/limitrange.yaml"
        assert [f["path"] for f in team["files"]] == [limits]
        errors = [f for f in team["newFindings"] if f["severity"] == "error"]
        assert errors
        assert {f["path"] for f in errors} == {limits}
        assert any("limitz" in f["message"] for f in errors)
    comment = md.read_text()
    assert comment.startswith(
        "<!-- mlscaffold-fleet-diff -->\n"
        "### mlscaffold fleet diff: `HEAD` -> `work tree`"
    )
    assert "| 3 | 3 | 3 |" in comment
    assert "```diff" in comment


@pytest.mark.parametrize("option", ["--markdown-file", "--sarif-file"])
def test_report_files_are_never_written_through_a_symlink(
    option: str, platform_repo: Path, teams_file: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # A planted link must not turn a CI comment into a write to another file.
    victim = platform_repo.parent / "victim.txt"
    victim.write_text("precious\n")
    link = platform_repo.parent / "report.out"
    link.symlink_to(victim)
    monkeypatch.chdir(platform_repo)
    code, _, err = run(
        ["fleet", "diff", str(teams_file), "--base", "HEAD", "--no-validate",
         option, str(link), "--no-progress"],
        capsys,
    )  # fmt: skip
    assert code == 2
    [line] = err.splitlines()
    assert line.startswith(f"error: {link} is a symlink; refusing to replace it")
    assert victim.read_text() == "precious\n"
    assert link.is_symlink()


def test_harmless_change_exits_zero_and_the_text_has_diffs(
    platform_repo: Path, teams_file: Path, shared_crds: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    edit(
        platform_repo / LIMITS,
        "# Defaults for containers",
        "# Default values for containers",
    )
    commit(platform_repo, "reword")
    code, out, _ = run(
        ["fleet", "diff", str(teams_file), "--base", "HEAD~1", "--head", "HEAD",
         "--platform-repo", str(platform_repo), "--crds", str(shared_crds),
         "--no-progress", "-j", "2"],
        capsys,
    )  # fmt: skip
    assert code == 0
    assert out.count("+++ b/") == 3
    assert "3 of 3 teams affected, 3 files changed, 0 new findings (0 errors)" in out


def test_unknown_base_revision_is_a_tool_error(
    platform_repo: Path, teams_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git(platform_repo, "status")
    code, _, err = run(
        ["fleet", "diff", str(teams_file), "--base", "no-such-rev",
         "--platform-repo", str(platform_repo), "--no-validate"],
        capsys,
    )  # fmt: skip
    assert code == 4
    assert "no-such-rev" in err


def test_diff_trees_statuses() -> None:
    base = RenderedTree({
        "a.txt": TreeEntry("file", b"one\n"),
        "gone.txt": TreeEntry("file", b"x\n"),
        "run.sh": TreeEntry("file", b"echo\n", mode=0o644),
        "same.txt": TreeEntry("file", b"s\n", mode=0o664),
    })  # fmt: skip
    head = RenderedTree({
        "a.txt": TreeEntry("file", b"two"),
        "new.txt": TreeEntry("file", b"n\n"),
        "run.sh": TreeEntry("file", b"echo\n", mode=0o755),
        "same.txt": TreeEntry("file", b"s\n", mode=0o644),  # not a change to Git
        "d": TreeEntry("dir"),
    })  # fmt: skip
    changes = {c.path: c for c in diff_trees(base, head)}
    assert {p: c.status for p, c in changes.items()} == {
        "a.txt": "modified", "gone.txt": "removed", "new.txt": "added", "run.sh": "mode"
    }  # fmt: skip
    assert changes["a.txt"].diff.endswith("+two\n\\ No newline at end of file\n")
    assert changes["new.txt"].diff.startswith("--- /dev/null\n+++ b/new.txt\n")


def test_validation_skipped_for_unchanged_teams(
    platform_repo: Path, teams_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    import mlscaffold.fleet.diff as diff_module

    monkeypatch.setattr(diff_module, "validate_tree", lambda *_a, **_k: calls.append(1))
    with revision_sources(platform_repo, "HEAD") as base:
        diff_fleet(
            load_teams([teams_file]), base, worktree_sources(platform_repo),
            validate=ValidateOptions(kubeconform="off"),
        )  # fmt: skip
    assert calls == []


def test_each_side_is_validated_with_its_own_platform_settings(
    platform_repo: Path, teams_file: Path, shared_crds: Path
) -> None:
    # Moving Argo CD to another namespace moves every Application with it; judged
    # by the installed settings ('argocd') every team would get a new finding.
    edit(
        platform_repo / "schemas" / "platform.yaml",
        "namespace: argocd",
        "namespace: gitops",
    )
    with revision_sources(platform_repo, "HEAD") as base:
        diff = diff_fleet(
            load_teams([teams_file]), base, worktree_sources(platform_repo),
            validate=ValidateOptions(crd_dirs=(shared_crds,), kubeconform="off"),
        )  # fmt: skip
    assert all(
        f"platform/teams/{team}/application.yaml" in changes
        for team, changes in changes_by_team(diff).items()
    )
    assert len(changes_by_team(diff)) == 3
    assert diff.new_findings() == []


def test_a_team_broken_before_and_after_is_not_blamed_on_the_change(
    tmp_path: Path, platform_repo: Path, teams_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    bad = tmp_path / "bad.yaml"
    bad.write_text("teams: {bad: {modelName: X}}\n")
    args = ["fleet", "diff", str(teams_file), str(bad), "--base", "HEAD",
            "--platform-repo", str(platform_repo), "--no-validate", "--no-progress",
            "--output", "json"]  # fmt: skip
    code, out, _ = run(args, capsys)
    data = json.loads(out)
    assert code == 0
    assert data["summary"]["teamsAffected"] == 0
    assert data["summary"]["teamsFailingBefore"] == 1
    # A setting that breaks a team that rendered before is an error of the change.
    edit(platform_repo / "schemas" / "platform.yaml", "allowedHosts: [github.com]",
         "allowedHosts: [gitlab.com]")  # fmt: skip
    code, out, _ = run(args, capsys)
    assert code == 2
    assert json.loads(out)["summary"]["teamsWithNewErrors"] == 3


def test_settings_refused_at_a_revision_name_the_revision(platform_repo: Path) -> None:
    # The work tree's platform.yaml may be fine while an older revision's is not
    # (a platform skeleton without the gitops setting to open its change in): the
    # message says which one failed.
    settings = platform_repo / "schemas" / "platform.yaml"
    edit(settings, "gitops:", "gitopz:")
    commit(platform_repo, "settings an older mlscaffold wrote")
    with (
        revision_sources(platform_repo, "HEAD") as sources,
        pytest.raises(
            SettingsError, match=r"^HEAD: platform\.yaml: gitops: repoUrl: is required"
        ),
    ):
        renderer_for(sources)
