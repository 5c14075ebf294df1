"""Habits users bring from helm and kubeconform: -f merging, --dry-run | kubectl,
severity words, --quiet, --skip, --ignore-missing-schemas, -o json."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from mlscaffold._data import skeleton_dir
from mlscaffold.params import merge_values
from tests.helpers import TEAM_ARGS as TEAM
from tests.helpers import run_cli as run


def test_values_layers_deep_merge_in_order_and_null_unsets() -> None:
    merged = merge_values(
        [
            {"team": "a", "labels": {"x": "1", "y": "2"}, "list": [1, 2]},
            {"labels": {"y": "3", "z": "4"}, "list": [3], "team": None},
            {"team": "c", "owner": None},
        ]
    )
    # A null nothing set before is kept, so validation refuses it as before.
    assert merged == {"team": "c", "labels": {"x": "1", "y": "3", "z": "4"},
                      "list": [3], "owner": None}  # fmt: skip


def test_repeated_values_files_merge_and_set_wins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = tmp_path / "base.yaml"
    base.write_text(
        "team: base\nowner: group:default/recs\nmodelName: ranker\n"
        "repoUrl: github.com?owner=acme&repo=recs-ml\nsize: m\n",
        encoding="utf-8",
    )
    team = tmp_path / "team.yaml"
    team.write_text("team: fraud\n", encoding="utf-8")
    args = ["render", "-f", str(base), "--values", str(team), "--dry-run",
            "--no-validate"]  # fmt: skip
    code, out, err = run(args, capsys)
    assert code == 0, err
    namespace = next(d for d in yaml.safe_load_all(out) if d["kind"] == "Namespace")
    assert namespace["metadata"]["name"] == "fraud-ml"  # the second file won
    code, out, _ = run([*args, "--set", "team=risk"], capsys)
    assert "name: risk-ml" in out or 'name: "risk-ml"' in out
    quota = next(d for d in yaml.safe_load_all(out) if d["kind"] == "ResourceQuota")
    assert quota["metadata"]["namespace"] == "risk-ml"


def test_dry_run_is_a_yaml_stream_of_objects_with_source_comments(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(["render", *TEAM, "--dry-run", "--no-validate"], capsys)
    assert code == 0
    docs = list(yaml.safe_load_all(out))
    # What kubectl apply -f - needs: every document an object, none empty.
    assert docs
    assert all(isinstance(d, dict) and d.get("apiVersion") and d.get("kind")
               for d in docs)  # fmt: skip
    assert not any(d["apiVersion"].startswith("backstage.io") for d in docs)
    sources = [
        line.removeprefix("# Source: ")
        for line in out.splitlines()
        if line.startswith("# Source: ")
    ]
    assert "platform/teams/recs/namespace.yaml" in sources
    assert "catalog-info.yaml (not a Kubernetes manifest)" in sources
    assert "README.md (not a Kubernetes manifest)" in sources
    assert ".mlscaffold/answers.yaml (not a Kubernetes manifest)" in sources
    kinds = {d["kind"] for d in docs}
    assert {"Namespace", "ResourceQuota", "WorkflowTemplate", "Application"} <= kinds


def test_text_findings_carry_a_severity_word_and_quiet_hides_the_rest(
    capsys: pytest.CaptureFixture[str],
) -> None:
    manifests = Path(__file__).parents[1] / "data" / "manifests"
    target = next(p for p in sorted(manifests.iterdir()) if p.is_dir())
    _, out, _ = run(["validate", str(target), "--kubeconform", "off"], capsys)
    findings = [line for line in out.splitlines() if " MLS" in line
                and not line.startswith(" ")]  # fmt: skip
    assert findings, out
    for line in findings:
        place, _, rest = line.partition(": ")
        assert place.count(":") == 2, line
        assert rest.split(" ", 1)[0] in {"error", "warning", "note"}, line
    code_q, quiet, _ = run(
        ["validate", str(target), "--kubeconform", "off", "--quiet"], capsys
    )
    assert all(": error MLS" in line for line in quiet.splitlines()
               if " MLS" in line and not line.startswith(" "))  # fmt: skip
    code_w, warn, _ = run(
        ["validate", str(target), "--kubeconform", "off", "--min-severity",
         "warning"], capsys,
    )  # fmt: skip
    assert ": note MLS" not in warn
    assert code_q == code_w  # what is shown never changes the exit code


def test_skip_kind_and_ignore_missing_schemas(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "x.yaml").write_text(
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"
        "data:\n  k: 1\n",
        encoding="utf-8",
    )
    base = ["validate", str(tmp_path), "--kubeconform", "off"]
    code, out, _ = run(base, capsys)
    assert "error MLS110 no schema for Widget" in out
    assert "MLS102" in out  # data.k must be a string
    code, out, _ = run([*base, "--ignore-missing-schemas"], capsys)
    assert "MLS110" not in out
    assert "missing schemas (no schema for Widget example.com/v1" in out
    code, out, _ = run([*base, "--skip", "Widget,v1/ConfigMap"], capsys)
    assert code == 0, out
    assert "MLS110" not in out
    assert "MLS102" not in out
    assert "2 object(s) not schema-checked (--skip)" in out


def test_params_schema_and_render_summary_as_json(
    tmp_path: Path, shared_crds: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["params", "schema", "-o", "json"], capsys)
    assert json.loads(out)["properties"]["team"]["type"] == "string"
    code, out, _ = run(["params", "schema", "-o", "yaml"], capsys)
    assert yaml.safe_load(out)["properties"]["team"]["type"] == "string"
    code, out, err = run(
        ["render", *TEAM, "--crds", str(shared_crds), "--kubeconform", "off",
         "--output", "json", "-o", str(tmp_path / "recs")], capsys,
    )  # fmt: skip
    assert code == 0, err
    summary = json.loads(out)
    assert summary["namespace"] == "recs-ml"
    assert "deploy/inferenceservice.yaml" in summary["files"]
    assert "teams/recs/namespace.yaml" in summary["platform"]["files"]
    assert (
        summary["platform"]["repository"] == "https://github.com/acme/platform-gitops"
    )
    assert summary["queue"] == {"local": "recs-queue", "cluster": "ml-shared"}
    assert summary["validation"]["errors"] == 0


def test_validate_jobs_shows_progress_lines_when_asked(
    tmp_path: Path, shared_crds: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for team in ("recs", "fraud"):
        args = [
            "render",
            "--set",
            f"team={team}",
            *TEAM[2:],
            "--set",
            "owner=group:default/x",
            "--no-validate",
            # Each team's two trees side by side in one folder, so the teams
            # are separate units for -j.
            "-o",
            str(tmp_path / team / "repo"),
            "--platform-out",
            str(tmp_path / team / "platform"),
        ]
        assert run(args, capsys)[0] == 0  # fmt: skip
    base = ["validate", str(tmp_path), "--crds", str(shared_crds), "--kubeconform",
            "off", "-j", "2"]  # fmt: skip
    code, out, err = run([*base, "--progress"], capsys)
    counts = re.findall(r"^\[(\d+)/(\d+)\] \S+ ok$", err, re.M)
    assert counts, err
    done, total = counts[-1]
    assert done == total  # the last line says every file is done
    # Off a terminal, progress is shown only when asked: a hook's output stays clean.
    code_quiet, out_quiet, err_quiet = run(base, capsys)
    assert not [line for line in err_quiet.splitlines() if line.startswith("[")]
    assert (code_quiet, out_quiet) == (code, out)


def test_a_failing_render_prints_its_json_report_on_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    team = tmp_path / "ml-project"
    shutil.copytree(skeleton_dir(), team)
    beside = tmp_path / "ml-project-platform"
    shutil.copytree(skeleton_dir("ml-project-platform"), beside)
    quota = beside / "teams" / "${{ values.team }}" / "resourcequota.yaml"
    quota.write_text(quota.read_text(encoding="utf-8").replace("spec:", "spce:"))
    out = tmp_path / "recs"
    code, stdout, err = run(
        ["render", *TEAM, "--skeleton", str(team), "--output", "json", "-o", str(out)],
        capsys,
    )
    assert code == 1
    # What a CI step parses is on stdout, as a passing render's summary is.
    report = json.loads(stdout)
    assert report["summary"]["errors"] >= 1
    assert {f["rule"] for f in report["findings"]} >= {"MLS101"}
    assert "nothing was written" in err
    assert not out.exists()
