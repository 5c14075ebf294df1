"""update: a three-way merge of the new render into a team repository."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlscaffold.fleet.render import renderer_for
from mlscaffold.fleet.revision import worktree_sources
from mlscaffold.fleet.update import update_repo
from mlscaffold.render.write import write_tree
from mlscaffold.settings import load_platform
from tests.fleet.fleet_helpers import commit, edit, git, team_parameters
from tests.helpers import run_cli as run

SERVING = "deploy/inferenceservice.yaml"
README = "README.md"
PIPELINE = "deploy/workflowtemplate.yaml"
REPLICAS = "    maxReplicas: 3\n"


@pytest.fixture
def team_repo(platform_repo: Path, tmp_path: Path) -> Path:
    """The team 'recs' as Backstage created it from template 1.0.0, in Git."""
    tree = (
        renderer_for(worktree_sources(platform_repo))
        .render(team_parameters("recs"))
        .tree
    )
    repo = tmp_path / "recs-ml"
    write_tree(tree, repo)
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "created by Backstage")
    return repo


def release(platform_repo: Path, version: str, *edits: tuple[str, str, str]) -> None:
    """Change the skeleton, bump the template version, commit and tag."""
    for path, old, new in edits:
        edit(platform_repo / "skeletons" / "ml-project" / path, old, new)
    edit(platform_repo / "schemas" / "platform.yaml", "templateVersion: '1.0.0'",
         f"templateVersion: '{version}'")  # fmt: skip
    commit(platform_repo, f"template {version}")
    git(platform_repo, "tag", f"ml-project-v{version}")


def recorded_version(repo: Path) -> str:
    answers = yaml.safe_load((repo / ".mlscaffold" / "answers.yaml").read_text())
    return str(answers["template"]["version"])


def test_local_edit_and_upstream_change_in_other_files_both_land(
    platform_repo: Path, team_repo: Path
) -> None:
    edit(team_repo / PIPELINE, "\n", "\n# Our team's note.\n")
    commit(team_repo, "the team's edit")
    release(platform_repo, "1.1.0", (SERVING, REPLICAS, "    maxReplicas: 5\n"))
    result = update_repo(team_repo, platform_repo, to_rev="ml-project-v1.1.0")
    # README.md names the template version, so it changes with every release.
    assert {o.path: o.action for o in result.outcomes} == {
        ".mlscaffold/answers.yaml": "updated",
        README: "updated",
        SERVING: "updated",
    }
    assert result.conflicts == []
    assert "# Our team's note." in (team_repo / PIPELINE).read_text()
    served = yaml.safe_load((team_repo / SERVING).read_text())
    assert served["spec"]["predictor"]["maxReplicas"] == 5
    assert recorded_version(team_repo) == "1.1.0"
    # Now up to date: the next check finds the 1.1.0 tag as its base.
    assert not update_repo(team_repo, platform_repo, to_rev="HEAD", check=True).pending


def test_same_lines_changed_on_both_sides_conflict_and_keep_the_team_edit(
    platform_repo: Path, team_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(team_repo / SERVING, REPLICAS, "    maxReplicas: 4\n")
    commit(team_repo, "the team's edit")
    release(platform_repo, "1.1.0", (SERVING, REPLICAS, "    maxReplicas: 5\n"))
    code, out, err = run(
        ["update", str(team_repo), "--platform-repo", str(platform_repo)], capsys
    )
    assert code == 1
    assert f"  conflict   {SERVING}: 1 conflict(s) marked in the file" in out
    assert "need the team's resolution" in err
    text = (team_repo / SERVING).read_text()
    assert f"<<<<<<< team {SERVING}\n" in text
    assert "    maxReplicas: 4\n" in text  # the team's edit survives
    assert "||||||| base\n" in text
    assert REPLICAS in text
    assert "    maxReplicas: 5\n" in text
    assert ">>>>>>> upstream\n" in text
    assert recorded_version(team_repo) == "1.1.0"


def test_edits_in_the_same_file_at_different_places_merge_cleanly(
    platform_repo: Path, team_repo: Path
) -> None:
    edit(team_repo / SERVING, "# The served model.", "# Our served model.")
    commit(team_repo, "the team's edit")
    release(platform_repo, "1.1.0", (SERVING, REPLICAS, "    maxReplicas: 5\n"))
    result = update_repo(team_repo, platform_repo)
    assert {o.path: o.action for o in result.outcomes}[SERVING] == "merged"
    text = (team_repo / SERVING).read_text()
    assert text.startswith("# Our served model.")
    assert "    maxReplicas: 5\n" in text
    assert "<<<<<<<" not in text


def test_platform_change_differences_are_reported_not_applied(
    platform_repo: Path, team_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    quota = platform_repo / "skeletons" / "ml-project-platform" / "teams"
    quota = quota / "${{ values.team }}" / "resourcequota.yaml"
    edit(quota, "spec:\n", "spec:\n  # reviewed\n")
    release(platform_repo, "1.1.0")
    code, _, err = run(
        ["update", str(team_repo), "--platform-repo", str(platform_repo)], capsys
    )
    assert code == 0
    assert "  platform   teams/recs/resourcequota.yaml" in err
    assert "open a pull request there" in err
    assert not (team_repo / "teams").exists()


def test_files_added_and_removed_upstream(platform_repo: Path, team_repo: Path) -> None:
    skeleton = platform_repo / "skeletons" / "ml-project"
    (skeleton / "deploy" / "podmonitor.yaml").write_text("# new\n")
    (skeleton / "catalog-info.yaml").unlink()
    (skeleton / SERVING).unlink()
    edit(team_repo / SERVING, "\n", "\n# ours\n")
    commit(team_repo, "the team's edit")
    release(platform_repo, "1.1.0")
    result = update_repo(team_repo, platform_repo)
    actions = {o.path: o.action for o in result.outcomes}
    assert actions["deploy/podmonitor.yaml"] == "added"
    assert actions["catalog-info.yaml"] == "removed"
    assert actions[SERVING] == "conflict"
    assert (team_repo / "deploy" / "podmonitor.yaml").read_text() == "# new\n"
    assert not (team_repo / "catalog-info.yaml").exists()
    # Changed by the team, deleted upstream: kept, with the upstream deletion beside it.
    assert "# ours" in (team_repo / SERVING).read_text()
    rej = (team_repo / f"{SERVING}.rej").read_text()
    assert rej.startswith(f"--- a/{SERVING}\n+++ /dev/null\n")


def test_check_exit_codes(
    platform_repo: Path, team_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["update", str(team_repo), "--platform-repo", str(platform_repo), "--check"]
    code, out, _ = run(base, capsys)
    assert (code, "is up to date" in out) == (0, True)
    release(platform_repo, "1.1.0", (README, "\n", "\nNew upstream line.\n"))
    before = (team_repo / README).read_text()
    code, out, _ = run(base, capsys)
    assert code == 1
    assert f"  updated    {README}\n" in out
    assert (team_repo / README).read_text() == before  # --check writes nothing
    code, _, err = run([*base, "--from", "no-such-tag"], capsys)
    assert code == 4
    assert "no-such-tag" in err


def test_wrong_base_version_is_refused(
    platform_repo: Path, team_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    release(platform_repo, "1.1.0")
    code, _, err = run(
        ["update", str(team_repo), "--platform-repo", str(platform_repo), "--check",
         "--from", "ml-project-v1.1.0"],
        capsys,
    )  # fmt: skip
    assert code == 4
    assert "renders template version 1.1.0" in err


def test_missing_answers_file_is_a_usage_error(
    platform_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["update", str(tmp_path), "--platform-repo", str(platform_repo)],
                       capsys)  # fmt: skip
    assert code == 2
    assert "answers.yaml" in err


def test_symlink_changes_are_reported_not_applied(tmp_path: Path) -> None:
    from mlscaffold.fleet.update import _merge_one
    from mlscaffold.render.tree import TreeEntry

    (tmp_path / "link").write_text("team file\n")
    writes: list[Any] = []
    outcome = _merge_one(
        tmp_path, "link", TreeEntry("file", b"x\n"),
        TreeEntry("symlink", link_target="elsewhere"), writes,
    )  # fmt: skip
    assert outcome is not None
    assert outcome.action == "conflict"
    assert writes == []
    assert (tmp_path / "link").read_text() == "team file\n"


def test_a_failing_merge_changes_nothing(
    platform_repo: Path, team_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlscaffold.errors import ToolError
    from mlscaffold.fleet import update

    edit(team_repo / SERVING, "\n", "\n# Our team's note.\n")
    commit(team_repo, "the team's edit")
    release(platform_repo, "1.1.0", (SERVING, REPLICAS, "    maxReplicas: 5\n"))
    before = {p: p.read_bytes() for p in team_repo.rglob("*") if p.is_file()}

    def broken(*_: object) -> tuple[bytes, int]:
        raise ToolError("git merge-file failed")

    monkeypatch.setattr(update, "_merge_file", broken)
    with pytest.raises(ToolError):
        update_repo(team_repo, platform_repo, to_rev="ml-project-v1.1.0")
    # README.md and answers.yaml would have been updated before SERVING was merged.
    assert {p: p.read_bytes() for p in team_repo.rglob("*") if p.is_file()} == before


def test_a_repository_from_another_template_is_refused(
    platform_repo: Path, team_repo: Path
) -> None:
    from mlscaffold.errors import SettingsError

    edit(
        team_repo / ".mlscaffold" / "answers.yaml",
        'name: "ml-project"',
        'name: "web-app"',
    )
    with pytest.raises(
        SettingsError, match="rendered from 'web-app', not 'ml-project'"
    ):
        update_repo(team_repo, platform_repo, check=True)


def test_many_repositories_each_updated_with_progress_lines(
    platform_repo: Path, team_repo: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    other = tmp_path / "not-a-team"
    other.mkdir()
    release(platform_repo, "1.1.0", (README, "\n", "\nNew upstream line.\n"))
    code, out, err = run(
        ["update", str(other), str(team_repo), "--platform-repo", str(platform_repo),
         "--check"],
        capsys,
    )  # fmt: skip
    # The broken one is named and does not stop the other; the worst code wins.
    assert code == 2
    assert f"error: {other}: " in err
    assert f"Update available for {team_repo}" in out
    assert f"[1/2] {other} FAILED" in err
    assert f"[2/2] {team_repo} ok" in err


def test_a_dirty_team_repository_is_refused_unless_allowed(
    platform_repo: Path, team_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    release(platform_repo, "1.1.0", (README, "\n", "\nNew upstream line.\n"))
    edit(team_repo / SERVING, "\n", "\n# Uncommitted.\n")
    base = ["update", str(team_repo), "--platform-repo", str(platform_repo)]
    before = (team_repo / README).read_text()
    code, _, err = run(base, capsys)
    assert code == 2
    assert "has uncommitted changes" in err
    assert "--allow-dirty" in err
    assert (team_repo / README).read_text() == before
    code, _, _ = run([*base, "--allow-dirty"], capsys)
    assert code == 0
    assert "New upstream line." in (team_repo / README).read_text()


def test_a_downgrade_is_refused_unless_allowed(
    platform_repo: Path, team_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    release(platform_repo, "1.1.0", (README, "\n", "\nNew upstream line.\n"))
    base = ["update", str(team_repo), "--platform-repo", str(platform_repo)]
    assert run(base, capsys)[0] == 0
    commit(team_repo, "template 1.1.0")
    assert recorded_version(team_repo) == "1.1.0"
    back = [*base, "--to", "ml-project-v1.0.0"]
    code, _, err = run(back, capsys)
    assert code == 2
    assert "version 1.0.0, older than the 1.1.0" in err
    assert recorded_version(team_repo) == "1.1.0"
    assert run([*back, "--allow-downgrade"], capsys)[0] == 0
    assert recorded_version(team_repo) == "1.0.0"


def test_a_missing_tag_and_a_non_platform_repository_get_one_clear_line(
    platform_repo: Path,
    team_repo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    answers = team_repo / ".mlscaffold" / "answers.yaml"
    edit(answers, 'version: "1.0.0"', 'version: "9.9.9"')
    commit(team_repo, "claims a version without a tag")
    base = ["update", str(team_repo), "--check"]
    code, _, err = run([*base, "--platform-repo", str(platform_repo)], capsys)
    assert code == 4
    [line] = err.splitlines()
    assert "'ml-project-v9.9.9' names no commit" in line
    assert "git fetch --tags" in line
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code, _, err = run([*base, "--platform-repo", str(elsewhere)], capsys)
    assert code == 4
    [line] = err.splitlines()
    assert "is not inside a Git repository" in line


def test_an_update_writes_only_safe_file_names(
    platform_repo: Path, team_repo: Path
) -> None:
    from mlscaffold.errors import RenderError

    answers = team_repo / ".mlscaffold" / "answers.yaml"
    edit(answers, 'description: ""', 'description: "a\\tb"')
    commit(team_repo, "a description with a tab")
    skeleton = platform_repo / "skeletons" / "ml-project"
    (skeleton / "docs").mkdir()
    (skeleton / "docs" / "${{ values.description }}").write_text("x\n")
    release(platform_repo, "1.1.0")
    with pytest.raises(RenderError, match="must not hold control characters"):
        update_repo(team_repo, platform_repo)
    assert not (team_repo / "docs").exists()


def test_a_team_symlink_where_upstream_adds_a_file_is_left_alone(
    platform_repo: Path, team_repo: Path
) -> None:
    victim = team_repo.parent / "victim.yaml"
    victim.write_text("precious\n")
    (team_repo / "deploy" / "podmonitor.yaml").symlink_to(victim)
    commit(team_repo, "the team links a file of its own")
    skeleton = platform_repo / "skeletons" / "ml-project"
    (skeleton / "deploy" / "podmonitor.yaml").write_text("# new\n")
    release(platform_repo, "1.1.0")
    result = update_repo(team_repo, platform_repo)
    [outcome] = [o for o in result.outcomes if o.path == "deploy/podmonitor.yaml"]
    assert outcome.action == "conflict"
    assert "symlink" in outcome.detail
    assert (team_repo / "deploy" / "podmonitor.yaml").readlink() == victim
    assert victim.read_text() == "precious\n"


@pytest.mark.parametrize("deleted", [False, True], ids=["kept", "deleted-already"])
def test_a_team_from_before_the_split_updates_and_keeps_what_moved(
    platform_repo: Path, tmp_path: Path, deleted: bool
) -> None:
    # A 1.x release as it was: one skeleton, the namespace, quota, RBAC and
    # Argo CD objects in the team repository, no gitops setting.
    skeletons = platform_repo / "skeletons"
    platform_skeleton = skeletons / "ml-project-platform"
    team_dir = platform_skeleton / "teams" / "${{ values.team }}"
    names = sorted(p.name for p in team_dir.iterdir())
    for name in names:
        (team_dir / name).rename(skeletons / "ml-project" / "deploy" / name)
    shutil.rmtree(platform_skeleton)
    # Its README did not name the platform's GitOps repository yet.
    (skeletons / "ml-project" / "README.md").write_text("# ${{ values.team }}\n")
    settings = platform_repo / "schemas" / "platform.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(
        re.sub(r"^gitops:\n(  .*\n)+", "", text, flags=re.M), encoding="utf-8"
    )
    assert "gitops" not in load_platform(settings).data
    release(platform_repo, "0.9.0")
    old = renderer_for(worktree_sources(platform_repo)).render(team_parameters("recs"))
    assert not old.platform_tree
    repo = tmp_path / "old-recs-ml"
    write_tree(old.tree, repo)
    # Then the split, as this version ships it.
    git(platform_repo, "rm", "-rq", "skeletons", "schemas")
    git(platform_repo, "checkout", "ml-project-v1.0.0", "--", "skeletons", "schemas")
    edit(settings, "templateVersion: '1.0.0'", "templateVersion: '2.0.0'")
    commit(platform_repo, "template 2.0.0: the platform change")
    git(platform_repo, "tag", "ml-project-v2.0.0")
    if deleted:
        # A team that already left its namespace to the platform: nothing to do.
        (repo / "deploy" / "namespace.yaml").unlink()
        names.remove("namespace.yaml")

    result = update_repo(repo, platform_repo)

    outcomes = {o.path: o for o in result.outcomes}
    for name in names:
        outcome = outcomes[f"deploy/{name}"]
        # Deleting it now would let Argo CD prune the namespace before the
        # platform's pull request is merged: it stays, and the team is told why.
        assert outcome.action == "conflict", name
        assert f"moved to the platform change (teams/recs/{name})" in outcome.detail
        assert (repo / "deploy" / name).is_file()
        assert f"teams/recs/{name}" in result.platform_changes
    assert recorded_version(repo) == "2.0.0"
    if deleted:
        assert "deploy/namespace.yaml" not in outcomes
        assert not (repo / "deploy" / "namespace.yaml").exists()


def test_invalid_settings_at_the_base_revision_are_named_by_that_revision(
    platform_repo: Path, team_repo: Path
) -> None:
    from mlscaffold.errors import SettingsError

    # A revision with a platform change but no gitops setting to open it in: the
    # error must not read as if the work tree's platform.yaml (fine) were wrong.
    settings = platform_repo / "schemas" / "platform.yaml"
    head = settings.read_text()
    edit(
        settings, "gitops:\n  repoUrl: github.com?owner=acme&repo=platform-gitops\n", ""
    )
    commit(platform_repo, "settings without gitops")
    git(platform_repo, "tag", "old-settings")
    settings.write_text(head)
    commit(platform_repo, "gitops back")
    with pytest.raises(
        SettingsError,
        match=r"^old-settings: platform\.yaml: gitops: repoUrl: is required",
    ):
        update_repo(team_repo, platform_repo, from_rev="old-settings", check=True)
