"""The pytest plugin, run as a platform repo runs it (pytester, in a fresh folder)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import yaml

from mlscaffold._testing.snapshot import snapshot_relpath
from mlscaffold.api import render_project
from tests.plugin.conftest import TEAMS_YAML, PlatformRepo

QUOTA_SKELETON = "skeleton-platform/teams/${{ values.team }}/resourcequota.yaml"


def expected_snapshots(repo: PlatformRepo) -> list[str]:
    doc = yaml.safe_load(TEAMS_YAML)
    names = []
    for team, params in doc["teams"].items():
        project = render_project(
            {**doc["defaults"], "team": team, **params}, skeleton=repo.root / "skeleton"
        )
        names += [
            f"{team}/{snapshot_relpath(path)}"
            for path, _ in project.combined_tree().files()
        ]
    return sorted(names)


def test_update_writes_one_yaml_snapshot_per_generated_file(
    platform_repo: PlatformRepo,
) -> None:
    result = platform_repo.run("--snapshot-update")

    result.assert_outcomes(passed=2)
    files = platform_repo.snapshot_files()
    assert files == expected_snapshots(platform_repo)
    assert "recs/platform/teams/recs/resourcequota.yaml" in files
    assert "fraud/README.md.yaml" in files
    for name in files:
        text = (platform_repo.snapshots / name).read_text(encoding="utf-8")
        list(yaml.safe_load_all(text))  # every snapshot is YAML
        assert str(platform_repo.root) not in text


def test_resourcequota_snapshot_reads_like_the_manifest(
    platform_repo: PlatformRepo,
) -> None:
    platform_repo.run("--snapshot-update").assert_outcomes(passed=2)

    text = (
        platform_repo.snapshots / "recs/platform/teams/recs/resourcequota.yaml"
    ).read_text()

    assert text.startswith(
        "# mlscaffold snapshot of platform/teams/recs/resourcequota.yaml\n"
    )
    (quota,) = yaml.safe_load_all(text)
    assert quota["kind"] == "ResourceQuota"
    assert quota["metadata"]["namespace"] == "recs-ml"


def test_second_run_passes_and_changes_nothing(platform_repo: PlatformRepo) -> None:
    platform_repo.run("--snapshot-update").assert_outcomes(passed=2)
    before = {
        n: (platform_repo.snapshots / n).read_bytes()
        for n in platform_repo.snapshot_files()
    }

    result = platform_repo.run()

    result.assert_outcomes(passed=2)
    after = {
        n: (platform_repo.snapshots / n).read_bytes()
        for n in platform_repo.snapshot_files()
    }
    assert after == before


def test_skeleton_edit_fails_with_a_diff_naming_team_and_file(
    platform_repo: PlatformRepo,
) -> None:
    platform_repo.run("--snapshot-update").assert_outcomes(passed=2)
    quota = platform_repo.root / QUOTA_SKELETON
    quota.write_text(
        quota.read_text().replace(
            "kind: ResourceQuota", "kind: ResourceQuota\n# edited"
        ),
        encoding="utf-8",
    )

    result = platform_repo.run()

    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*team recs: 1 snapshot problem(s) in * generated file(s)*",
            "platform/teams/recs/resourcequota.yaml: differs from its snapshot*",
            "--- snapshot __snapshots__/test_teams/test_team/recs/"
            "platform/teams/recs/resourcequota.yaml",
            "+++ rendered platform/teams/recs/resourcequota.yaml",
            "*+# edited",
        ]
    )
    result.stdout.fnmatch_lines(["*team fraud: 1 snapshot problem(s)*"])


def test_snapshot_update_accepts_the_edit(platform_repo: PlatformRepo) -> None:
    platform_repo.run("--snapshot-update").assert_outcomes(passed=2)
    quota = platform_repo.root / QUOTA_SKELETON
    quota.write_text(quota.read_text() + "# edited\n", encoding="utf-8")

    platform_repo.run("--snapshot-update").assert_outcomes(passed=2)

    platform_repo.run().assert_outcomes(passed=2)
    assert (
        "# edited"
        in (
            platform_repo.snapshots / "recs/platform/teams/recs/resourcequota.yaml"
        ).read_text()
    )


@pytest.mark.parametrize("how", ["env", "option"])
def test_missing_snapshot_fails_in_ci_mode(
    platform_repo: PlatformRepo, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    platform_repo.run("--snapshot-update").assert_outcomes(passed=2)
    deleted = platform_repo.snapshots / "recs/platform/teams/recs/limitrange.yaml"
    deleted.unlink()

    if how == "env":
        monkeypatch.setenv("CI", "1")
        result = platform_repo.run()
    else:
        result = platform_repo.run("--mlscaffold-ci")

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*team recs: 1 snapshot problem(s)*",
            "platform/teams/recs/limitrange.yaml: no snapshot at "
            "__snapshots__/test_teams/test_team/recs/platform/teams/recs/"
            "limitrange.yaml "
            "(strict CI mode never writes snapshots*",
        ]
    )
    assert not deleted.exists()


def test_missing_snapshot_is_written_outside_ci(platform_repo: PlatformRepo) -> None:
    platform_repo.run("--snapshot-update").assert_outcomes(passed=2)
    deleted = platform_repo.snapshots / "recs/platform/teams/recs/limitrange.yaml"
    kept = deleted.read_bytes()
    deleted.unlink()

    platform_repo.run().assert_outcomes(passed=2)

    assert deleted.read_bytes() == kept


def test_ci_false_is_not_ci(
    platform_repo: PlatformRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "false")

    platform_repo.run().assert_outcomes(passed=2)


def test_changed_snapshot_fails_without_update_even_outside_ci(
    platform_repo: PlatformRepo,
) -> None:
    platform_repo.run("--snapshot-update").assert_outcomes(passed=2)
    snap = platform_repo.snapshots / "fraud/platform/teams/fraud/namespace.yaml"
    snap.write_text(snap.read_text().replace("fraud-ml", "other-ml"), encoding="utf-8")

    result = platform_repo.run()

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*team fraud*", "platform/teams/fraud/namespace.yaml: differs*"]
    )
    assert "other-ml" in snap.read_text()


def test_orphaned_snapshot_file_fails_and_update_deletes_it(
    platform_repo: PlatformRepo,
) -> None:
    platform_repo.run("--snapshot-update").assert_outcomes(passed=2)
    orphan = platform_repo.snapshots / "recs/deploy/old-quota.yaml"
    orphan.write_text("kind: ResourceQuota\n", encoding="utf-8")

    result = platform_repo.run()

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["deploy/old-quota.yaml: orphaned snapshot *: the tree no longer has*"]
    )
    platform_repo.run("--snapshot-update").assert_outcomes(passed=2)
    assert not orphan.exists()


def test_snapshots_of_a_removed_team_are_reported_then_deleted(
    platform_repo: PlatformRepo,
) -> None:
    platform_repo.run("--snapshot-update").assert_outcomes(passed=2)
    teams = yaml.safe_load(TEAMS_YAML)
    del teams["teams"]["fraud"]
    (platform_repo.root / "teams.yaml").write_text(
        yaml.safe_dump(teams), encoding="utf-8"
    )

    result = platform_repo.run()

    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["orphaned: __snapshots__/test_teams/test_team/fraud: no collected test*"]
    )
    platform_repo.run("--snapshot-update").assert_outcomes(passed=1)
    assert not (platform_repo.snapshots / "fraud").exists()
    assert platform_repo.run().ret == pytest.ExitCode.OK


def test_deselected_team_keeps_its_snapshots(platform_repo: PlatformRepo) -> None:
    platform_repo.run("--snapshot-update").assert_outcomes(passed=2)

    result = platform_repo.run("-k", "recs", "--snapshot-update")

    result.assert_outcomes(passed=1, deselected=1)
    assert (
        platform_repo.snapshots / "fraud/platform/teams/fraud/namespace.yaml"
    ).exists()


def test_invalid_rendered_tree_fails_validation(platform_repo: PlatformRepo) -> None:
    quota = platform_repo.root / QUOTA_SKELETON
    quota.write_text(quota.read_text().replace("spec:", "spce:", 1), encoding="utf-8")

    result = platform_repo.run()

    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*team recs: the rendered tree does not validate:",
            "  platform/teams/recs/resourcequota.yaml:*: error MLS101 "
            "unknown field 'spce'*",
            "  (and * warning(s) or note(s))",
        ]
    )


REJECT_MODULE = """\
import pytest
from mlscaffold.pytest_plugin import assert_rejected

GOOD = {
    "team": "recs",
    "owner": "group:default/recs",
    "repoUrl": "github.com?owner=acme&repo=recs",
    "modelName": "ranker",
}

def test_bad_team_name_is_rejected(mlscaffold_reject):
    mlscaffold_reject({**GOOD, "team": "Recs_Team"}, "team", "has the wrong form")

def test_good_team_name_is_rejected(mlscaffold_reject):
    mlscaffold_reject(GOOD, "team", "has the wrong form")

def test_rejected_for_another_field(mlscaffold_reject):
    mlscaffold_reject({**GOOD, "modelName": "Bad"}, "team")

def test_module_helper():
    problems = assert_rejected({**GOOD, "size": "xl"}, "size", "'xl' is not allowed")
    assert len(problems) == 1
"""


def test_rejection_helper(platform_repo: PlatformRepo) -> None:
    (platform_repo.root / "test_reject.py").write_text(REJECT_MODULE, encoding="utf-8")

    result = platform_repo.run("test_reject.py")

    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*test_good_team_name_is_rejected*",
            "*parameters were accepted (team 'recs' rendered * files); "
            "expected 'team' to be rejected",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*parameters were rejected, but not with 'team: ...'; problems:",
            "*modelName: 'Bad' has the wrong form*",
        ]
    )


RENDER_MODULE = """\
def test_inline(mlscaffold_render):
    project = mlscaffold_render({
        "team": "inline", "owner": "group:default/x",
        "repoUrl": "github.com?owner=acme&repo=x", "modelName": "m",
    })
    assert project.params.namespace == "inline-ml"
    assert "teams/inline/namespace.yaml" in project.platform_tree
    assert "platform/teams/inline/namespace.yaml" in project.combined_tree()

def test_from_file(mlscaffold_render):
    project = mlscaffold_render("team.yaml")
    assert project.params.team == "fromfile"
"""


def test_render_fixture_takes_a_dict_or_a_yaml_file(
    platform_repo: PlatformRepo,
) -> None:
    (platform_repo.root / "test_render.py").write_text(RENDER_MODULE, encoding="utf-8")
    (platform_repo.root / "team.yaml").write_text(
        textwrap.dedent(
            """\
            team: fromfile
            owner: group:default/x
            repoUrl: github.com?owner=acme&repo=x
            modelName: m
            """
        ),
        encoding="utf-8",
    )

    platform_repo.run("test_render.py").assert_outcomes(passed=2)


def test_teams_file_errors_are_clear(platform_repo: PlatformRepo) -> None:
    (platform_repo.root / "teams.yaml").write_text("teams: [1]\n", encoding="utf-8")

    result = platform_repo.run()

    result.stdout.fnmatch_lines(
        ["*teams.yaml: teams.[[]0[]]: must be a mapping of parameters*"]
    )
    assert result.ret == pytest.ExitCode.INTERRUPTED


def test_teams_marker_picks_another_file(platform_repo: PlatformRepo) -> None:
    (platform_repo.root / "other.yaml").write_text(
        "defaults: {owner: 'group:default/x', repoUrl: 'github.com?owner=a&repo=b'}\n"
        "teams: {solo: {modelName: m}}\n",
        encoding="utf-8",
    )
    (platform_repo.root / "test_other.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.mlscaffold_teams('other.yaml')\n"
        "def test_team(mlscaffold_team):\n"
        "    assert mlscaffold_team.name == 'solo'\n",
        encoding="utf-8",
    )

    platform_repo.run("test_other.py", "-v").stdout.fnmatch_lines(
        ["*test_team?solo? PASSED*"]
    )


def test_importing_mlscaffold_never_imports_syrupy() -> None:
    code = (
        "import sys, mlscaffold, mlscaffold.pytest_plugin\n"
        "assert 'syrupy' not in sys.modules, 'syrupy imported'\n"
        "assert 'mlscaffold.api' not in sys.modules, 'renderer imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_bad_kubeconform_mode_is_a_usage_error(platform_repo: PlatformRepo) -> None:
    ini = platform_repo.root / "tox.ini"  # where pytester.makeini wrote it
    ini.write_text(ini.read_text() + "\nmlscaffold_kubeconform = sometimes\n")
    result = platform_repo.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*mlscaffold_kubeconform: kubeconform mode 'sometimes' is not one of: *"]
    )


def test_the_platform_repositorys_config_is_the_default(
    platform_repo: PlatformRepo,
) -> None:
    # No ini setting for the skeleton: the repository's mlscaffold.yaml names it.
    ini = platform_repo.root / "tox.ini"
    ini.write_text(
        ini.read_text(encoding="utf-8").replace("mlscaffold_skeleton = skeleton\n", ""),
        encoding="utf-8",
    )
    (platform_repo.root / "mlscaffold.yaml").write_text(
        "skeleton: skeleton\n", encoding="utf-8"
    )
    (platform_repo.root / "skeleton" / "OWNERS").write_text(
        "${{ values.owner }}\n", encoding="utf-8"
    )
    (platform_repo.root / "test_owners.py").write_text(
        "def test_owners(mlscaffold_render):\n"
        "    project = mlscaffold_render({'team': 't', 'owner': 'group:default/x',\n"
        "        'repoUrl': 'github.com?owner=acme&repo=x', 'modelName': 'm'})\n"
        "    assert project.tree['OWNERS'].text == 'group:default/x\\n'\n",
        encoding="utf-8",
    )
    platform_repo.run("test_owners.py").assert_outcomes(passed=1)
