"""The CLI: exit codes, messages, and what is (not) written."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
import yaml

from mlscaffold._data import data_dir, skeleton_dir
from tests.helpers import TEAM_ARGS as TEAM
from tests.helpers import run_cli as run


@pytest.fixture
def rendered(
    tmp_path: Path, shared_crds: Path, capsys: pytest.CaptureFixture[str]
) -> Path:
    out = tmp_path / "recs"
    code, _, err = run(
        ["render", *TEAM, "--crds", str(shared_crds), "-o", str(out)], capsys
    )
    assert code == 0, err
    return out


def test_render_writes_the_project_and_summarises_it(
    tmp_path: Path, shared_crds: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "recs"
    code, stdout, _ = run(
        [
            "render",
            *TEAM,
            "--set",
            "maturity=L3",
            "--crds",
            str(shared_crds),
            "-o",
            str(out),
        ],
        capsys,
    )
    assert code == 0
    assert "namespace  recs-ml (Pod Security restricted)" in stdout
    assert "queue      recs-queue -> ClusterQueue ml-shared" in stdout
    assert "retrained on '0 3 * * 1'" in stdout
    assert (out / "deploy" / "cronworkflow.yaml").is_file()
    answers = yaml.safe_load((out / ".mlscaffold" / "answers.yaml").read_text())
    assert answers["parameters"]["team"] == "recs"


def test_invalid_parameters_exit_2_one_line_each_and_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = run(
        ["render", "--set", "team=Bad_Team", "--set", "size=xl", "-o", str(out)], capsys
    )
    assert code == 2
    assert stdout == ""
    lines = stderr.splitlines()
    assert lines[0] == "Invalid parameters:"
    assert (
        "  team: 'Bad_Team' has the wrong form (allowed: Lower-case DNS label" in stderr
    )
    assert "  size: 'xl' is not allowed (allowed: xs, s, m, l)" in lines
    assert lines[-1] == "Nothing was written."
    assert not out.exists()


def test_non_empty_output_needs_force(
    rendered: Path, shared_crds: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keep = rendered / "team-notes.md"
    keep.write_text("mine", encoding="utf-8")
    args = ["render", *TEAM, "--crds", str(shared_crds), "-o", str(rendered)]
    code, _, stderr = run(args, capsys)
    assert code == 2
    assert "--force" in stderr
    assert keep.read_text(encoding="utf-8") == "mine"
    # --force replaces only what mlscaffold wrote: the team's notes are in the way.
    code, _, stderr = run([*args, "--force"], capsys)
    assert code == 2
    assert "holds team-notes.md, which mlscaffold would not write there" in stderr
    assert keep.read_text(encoding="utf-8") == "mine"
    keep.unlink()
    code, _, _ = run([*args, "--force"], capsys)
    assert code == 0


def test_force_replaces_what_an_earlier_render_of_the_project_wrote(
    tmp_path: Path, shared_crds: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "recs"
    args = ["render", *TEAM, "--crds", str(shared_crds), "-o", str(out)]
    assert run([*args, "--set", "maturity=L3"], capsys)[0] == 0
    assert (out / "deploy" / "cronworkflow.yaml").is_file()
    # L2 writes no CronWorkflow; the L3 render's file is still mlscaffold's to drop.
    code, _, err = run([*args, "--set", "maturity=L2", "--force"], capsys)
    assert code == 0, err
    assert not (out / "deploy" / "cronworkflow.yaml").exists()


def test_invalid_tree_is_refused_unless_no_validate(
    tmp_path: Path, shared_crds: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    skeleton = tmp_path / "skeleton"
    subprocess.run(["cp", "-r", str(skeleton_dir()), str(skeleton)], check=True)
    # The platform change's skeleton beside it, as <skeleton>-platform.
    platform_skeleton = tmp_path / "skeleton-platform"
    shutil.copytree(skeleton_dir("ml-project-platform"), platform_skeleton)
    quota = platform_skeleton / "teams" / "${{ values.team }}" / "resourcequota.yaml"
    quota.write_text(
        quota.read_text(encoding="utf-8").replace("spec:", "spce:"), encoding="utf-8"
    )
    out = tmp_path / "out"
    args = [
        "render",
        *TEAM,
        "--skeleton",
        str(skeleton),
        "--crds",
        str(shared_crds),
        "-o",
        str(out),
    ]
    code, _, stderr = run(args, capsys)
    assert code == 1
    assert "platform/teams/recs/resourcequota.yaml:" in stderr
    # The finding points at the skeleton it came from, beside the team's.
    assert "skeleton: ../skeleton-platform/teams/${{ values.team }}/resourcequota" in (
        stderr
    )
    assert "MLS101 unknown field 'spce'" in stderr
    assert "nothing was written" in stderr
    assert not out.exists()
    assert not (tmp_path / "platform").exists()
    code, _, _ = run([*args, "--no-validate"], capsys)
    assert code == 0
    change = tmp_path / "platform" / "teams" / "recs"
    assert "spce:" in (change / "resourcequota.yaml").read_text(encoding="utf-8")


def test_skeleton_syntax_error_exits_3_with_the_skeleton_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    skeleton = tmp_path / "skeleton"
    skeleton.mkdir()
    (skeleton / "a.yaml").write_text("ok: 1\nbad: ${{ values.team \n", encoding="utf-8")
    code, _, stderr = run(
        ["render", *TEAM, "--skeleton", str(skeleton), "--dry-run"], capsys
    )
    assert code == 3
    assert "a.yaml:2" in stderr


def test_dry_run_prints_files_and_writes_nothing(
    tmp_path: Path, shared_crds: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, _ = run(
        ["render", *TEAM, "--crds", str(shared_crds), "--dry-run"], capsys
    )
    assert code == 0
    assert "---\n# Source: deploy/inferenceservice.yaml\n" in stdout
    assert "---\n# Source: platform/teams/recs/localqueue.yaml\n" in stdout
    assert 'name: "recs-queue"' in stdout
    assert list(tmp_path.iterdir()) == []


def test_values_file_accepts_an_answers_file(
    rendered: Path,
    tmp_path: Path,
    shared_crds: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    again = tmp_path / "again"
    answers = rendered / ".mlscaffold" / "answers.yaml"
    args = [
        "render",
        "--values",
        str(answers),
        "--crds",
        str(shared_crds),
        "-o",
        str(again),
        "--platform-out",
        str(tmp_path / "platform-again"),
    ]
    code, _, _ = run(args, capsys)
    assert code == 0
    for path in rendered.rglob("*"):
        if path.is_file():
            assert (
                again / path.relative_to(rendered)
            ).read_bytes() == path.read_bytes()


def test_validate_clean_tree_exits_0(
    rendered: Path, shared_crds: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, _ = run(
        ["validate", str(rendered), "--crds", str(shared_crds)], capsys
    )
    assert code == 0
    assert stdout.splitlines()[-1].startswith("0 errors, 0 warnings")


def test_validate_points_at_file_line_and_rule(
    rendered: Path, shared_crds: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    change = rendered.parent / "platform" / "teams" / "recs"
    queue = change / "localqueue.yaml"
    text = queue.read_text(encoding="utf-8").replace("clusterQueue:", "clusterQeue:")
    queue.write_text(text, encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "clusterQeue" in row)
    code, stdout, _ = run(
        ["validate", str(rendered), str(change), "--crds", str(shared_crds)], capsys
    )
    assert code == 1
    assert f"{queue.as_posix()}:{line}:" in stdout
    assert "MLS101 unknown field 'clusterQeue'" in stdout


@pytest.mark.parametrize("fmt", ["json", "junit", "sarif"])
def test_machine_readable_reports_parse(
    fmt: str, rendered: Path, shared_crds: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (rendered / "deploy" / "namespace.yaml").write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: recs-ml\n  lables: {}\n",
        encoding="utf-8",
    )
    args = ["validate", str(rendered), "--crds", str(shared_crds), "--output", fmt]
    code, stdout, _ = run(args, capsys)
    assert code == 1
    if fmt == "sarif":
        # The real command output (not a hand-built report) vs the official schema.
        from tests.unit.test_formats import _sarif_schema

        jsonschema.Draft7Validator(_sarif_schema()).validate(json.loads(stdout))
    if fmt == "junit":
        assert ET.fromstring(stdout).iter("failure")  # noqa: S314 - our own output
    else:
        data = json.loads(stdout)
        rules = (
            [f["rule"] for f in data["findings"]]
            if fmt == "json"
            else [r["ruleId"] for r in data["runs"][0]["results"]]
        )
        assert "MLS101" in rules


def test_template_build_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ml-project"
    code, _, stderr = run(["template", "build", "--check", "--out", str(out)], capsys)
    assert code == 1
    assert "template.yaml: missing" in stderr
    code, stdout, _ = run(["template", "build", "--out", str(out)], capsys)
    assert code == 0
    assert stdout == f"Wrote {out}/template.yaml, {out}/platform/ and {out}/skeleton/\n"
    assert run(["template", "build", "--check", "--out", str(out)], capsys)[0] == 0


def test_lint_reports_non_portable_constructs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    skeleton = tmp_path / "skel"
    skeleton.mkdir()
    (skeleton / "x.yaml").write_text(
        "name: ${{ values.team.upper() }}\n", encoding="utf-8"
    )
    code, stdout, _ = run(["lint", "--skeleton", str(skeleton)], capsys)
    assert code == 1
    assert "x.yaml:1:" in stdout
    assert "MLS503" in stdout
    assert run(["lint"], capsys)[0] == 0  # the shipped skeleton is portable


def test_lint_names_the_platform_skeletons_files_from_the_team_skeleton(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "skel").mkdir()
    (tmp_path / "skel" / "x.yaml").write_text("name: ok\n", encoding="utf-8")
    (tmp_path / "skel-platform").mkdir()
    (tmp_path / "skel-platform" / "x.yaml").write_text(
        "name: ${{ values.team.upper() }}\n", encoding="utf-8"
    )
    code, stdout, _ = run(["lint", "--skeleton", str(tmp_path / "skel")], capsys)
    assert code == 1
    # Not "x.yaml:1:", which would point at the team skeleton's clean file.
    assert stdout.startswith("../skel-platform/x.yaml:1:"), stdout
    assert "2 files checked" in stdout


def test_schemas_pull_verifies_every_file(
    tmp_path: Path, shared_crds: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crd = shared_crds / "kueue" / "kueue.x-k8s.io_localqueues.yaml"
    digest = hashlib.sha256(crd.read_bytes()).hexdigest()

    def catalog(sha: str) -> Path:
        path = tmp_path / f"catalog-{sha[:6]}.yaml"
        entry = {"name": crd.name, "url": crd.resolve().as_uri(), "sha256": sha}
        path.write_text(yaml.safe_dump({"crds": [entry]}), encoding="utf-8")
        return path

    code, _, stderr = run(
        ["schemas", "pull", "--catalog", str(catalog("0" * 64))], capsys
    )
    assert code == 4
    assert "sha256 mismatch" in stderr
    code, stdout, _ = run(
        ["schemas", "pull", "--catalog", str(catalog(digest))], capsys
    )
    assert code == 0
    assert crd.name in stdout


def test_help_and_module_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mlscaffold", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    for command in (
        "render",
        "validate",
        "lint",
        "params",
        "template",
        "export",
        "schemas",
    ):
        assert command in result.stdout
    assert (
        "2  usage error, invalid parameters or settings, or an output in the way"
        in result.stdout
    )
    assert "4  schema store, external tool or file-system error" in result.stdout


def test_params_schema_is_the_form_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, _ = run(["params", "schema"], capsys)
    assert code == 0
    schema = json.loads(stdout)
    assert schema["required"] == ["team", "owner", "repoUrl", "modelName"]
    assert schema["properties"]["size"]["enum"] == ["xs", "s", "m", "l"]


def test_platform_settings_are_used_for_validation_too(
    tmp_path: Path, shared_crds: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = yaml.safe_load((data_dir("schemas") / "platform.yaml").read_text())
    settings["argocd"]["namespace"] = "gitops"
    platform = tmp_path / "platform.yaml"
    platform.write_text(yaml.safe_dump(settings), encoding="utf-8")
    out = tmp_path / "out"
    args = ["render", *TEAM, "--platform", str(platform), "--crds", str(shared_crds)]
    code, _, stderr = run([*args, "-o", str(out)], capsys)
    assert code == 0, stderr
    change = tmp_path / "platform" / "teams" / "recs"
    app = yaml.safe_load((change / "application.yaml").read_text())
    assert app["metadata"]["namespace"] == "gitops"
    validate = ["validate", str(out), str(change), "--crds", str(shared_crds)]
    assert run([*validate, "--platform", str(platform)], capsys)[0] == 0
    code, stdout, _ = run(validate, capsys)  # judged by the shipped settings instead
    assert code == 1
    assert "MLS403" in stdout


def test_a_passing_render_still_says_what_was_checked_and_skipped(
    tmp_path: Path, shared_crds: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["render", *TEAM, "--crds", str(shared_crds), "-o", str(tmp_path / "o")]
    code, _, stderr = run([*args, "--kubeconform", "off"], capsys)
    assert code == 0
    summary = stderr.splitlines()[-1]
    assert summary.startswith("Validated: 0 errors, 0 warnings, ")
    assert "files checked" in summary
    assert "skipped: kubeconform" in summary


def test_a_passing_render_lists_its_notes_only_when_asked(
    shared_crds: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The summary counts the notes; --min-severity note must then be able to show
    # them (its help says so) instead of being clamped to warnings.
    args = ["render", *TEAM, "--crds", str(shared_crds), "--dry-run"]
    code, _, quiet = run(args, capsys)
    assert code == 0
    assert "MLS230" not in quiet
    code, _, noted = run([*args, "--min-severity", "note"], capsys)
    assert code == 0
    assert "note MLS230" in noted


def test_the_readme_command_needs_no_crds_no_network_and_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MLSCAFFOLD_CACHE_DIR", str(tmp_path / "empty-cache"))
    monkeypatch.delenv("MLSCAFFOLD_CRDS", raising=False)
    code, _, stderr = run(["render", *TEAM, "-o", str(tmp_path / "recs")], capsys)
    assert code == 0, stderr
    assert "MLS110" not in stderr
    summary = stderr.splitlines()[-1]
    assert "ran: apiserver, cel, crossref, policy, schema;" in summary
    assert (
        "skipped: kubeconform (off; --kubeconform auto or require runs it)" in summary
    )
    # Every custom resource was checked against the shipped schemas, per release.
    for origin in (
        "shipped Argo CD v3.5.1 (AppProject, Application)",
        "shipped Argo Workflows v4.1.2 (WorkflowTemplate)",
        "shipped KServe v0.20.0 (InferenceService)",
        "shipped Kueue v0.19.2 (LocalQueue)",
    ):
        assert origin in summary


def test_unknown_kube_version_is_a_usage_error(
    rendered: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, stderr = run(["validate", str(rendered), "--kube-version", "9.99"], capsys)
    assert code == 2
    assert "'9.99' is not one of 1.25," in stderr


def test_kube_version_ignores_the_patch(
    rendered: Path, shared_crds: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["validate", str(rendered), "--crds", str(shared_crds)]
    args += ["--kubeconform", "off", "--kube-version", "1.33.2"]
    code, _, stderr = run(args, capsys)
    assert code == 0, stderr


def test_dry_run_does_not_print_binary_bytes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    skeleton = tmp_path / "skeleton"
    skeleton.mkdir()
    (skeleton / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(64))
    (skeleton / "a.txt").write_text("team ${{ values.team }}\n", encoding="utf-8")
    args = ["render", *TEAM, "--skeleton", str(skeleton), "--dry-run", "--no-validate"]
    code, stdout, _ = run(args, capsys)
    assert code == 0
    assert "# Source: logo.png (binary, 80 bytes)\n" in stdout
    assert "# Source: a.txt (not a Kubernetes manifest)\n# | team recs\n" in stdout


def test_render_writes_the_platform_change_beside_the_repository(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "recs"
    args = ["render", *TEAM, "-o", str(out)]
    code, stdout, _ = run(args, capsys)
    assert code == 0
    change = tmp_path / "platform" / "teams" / "recs"
    assert (
        f"platform   8 files into {change}: the pull request for "
        "https://github.com/acme/platform-gitops"
    ) in stdout
    assert (change / "namespace.yaml").is_file()
    assert (change / "appproject.yaml").is_file()
    # The team repository holds only what the team owns.
    assert not (out / "deploy" / "namespace.yaml").exists()
    assert not (out / "platform").exists()
    # Another team's change lands beside it; this team's is not replaced silently,
    # and then nothing is written at all.
    other = tmp_path / "fraud"
    code, _, _ = run(
        ["render", *TEAM[:-2], "--set", "modelName=ranker", "--set", "team=fraud",
         "-o", str(other)],
        capsys,
    )  # fmt: skip
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "platform" / "teams").iterdir()) == [
        "fraud",
        "recs",
    ]
    again = tmp_path / "recs-again"
    code, _, stderr = run(["render", *TEAM, "-o", str(again)], capsys)
    assert code == 2, stderr
    assert f"output folder {change} already exists" in stderr
    # Said before any work: no validation report ahead of the refusal.
    assert "Validated" not in stderr
    assert not again.exists()


@pytest.mark.parametrize(
    ("out", "platform", "message"),
    [
        (".", None, "give --platform-out DIR"),
        ("o", "o/platform", "--platform-out o/platform and -o o must not contain"),
        # The default, platform/ beside -o, is -o itself: say it is the default.
        ("platform", None, "the default platform folder platform (beside -o) and"),
    ],
)
def test_platform_out_must_stay_apart_from_the_repository(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    out: str,
    platform: str | None,
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    extra = ["--platform-out", platform] if platform else []
    code, _, stderr = run(["render", *TEAM, "-o", out, *extra], capsys)
    assert code == 2
    assert message in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []
