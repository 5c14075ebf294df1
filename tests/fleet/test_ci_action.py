"""The CI action: its structure, and the Markdown and SARIF that it posts."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

import jsonschema
import pytest
import yaml

from mlscaffold.fleet.output import COMMENT_MARKER
from tests.fleet.fleet_helpers import edit
from tests.helpers import run_cli as run
from tests.unit.test_formats import _sarif_schema

ACTION = Path(__file__).resolve().parents[2] / "action.yml"
LIMITS = "skeletons/ml-project-platform/teams/${{ values.team }}/limitrange.yaml"


@pytest.fixture(scope="module")
def action() -> dict[str, object]:
    data: dict[str, object] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return data


def test_action_is_composite_and_every_reference_resolves(
    action: dict[str, object],
) -> None:
    runs = action["runs"]
    assert isinstance(runs, dict)
    assert runs["using"] == "composite"
    inputs = action["inputs"]
    assert isinstance(inputs, dict)
    assert all(spec.get("description") for spec in inputs.values())
    text = ACTION.read_text(encoding="utf-8")
    assert set(re.findall(r"inputs\.([a-z-]+)", text)) <= set(inputs)
    step_ids = {step.get("id") for step in runs["steps"]}
    assert set(re.findall(r"steps\.([a-z-]+)\.outputs", text)) <= step_ids
    for step in runs["steps"]:
        # A composite action's run steps must name their shell.
        assert ("run" in step) == ("shell" in step), step["name"]
        uses = step.get("uses", "")
        assert not uses or re.fullmatch(r"[\w-]+/[\w/-]+@v\d+", uses), uses
    uses = [step.get("uses", "") for step in runs["steps"]]
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    assert any(u.startswith("actions/github-script@") for u in uses)


def test_action_runs_fleet_diff_and_finds_its_comment_by_the_marker(
    action: dict[str, object],
) -> None:
    runs = action["runs"]
    assert isinstance(runs, dict)
    steps = {step["name"]: step for step in runs["steps"]}
    diff = steps["mlscaffold fleet diff"]["run"]
    assert "fleet diff" in diff
    assert all(flag in diff for flag in ("--base", "--markdown-file", "--sarif-file"))
    script = steps["Post or update the pull-request comment"]["with"]["script"]
    assert f"const marker = '{COMMENT_MARKER}';" in script
    assert "updateComment" in script
    assert "createComment" in script
    final = runs["steps"][-1]["run"]
    assert 'exit "${CODE:-4}"' in final


def test_the_markdown_and_sarif_it_posts(
    platform_repo: Path, teams_file: Path, shared_crds: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    edit(platform_repo / LIMITS, "spec:\n  limits:", "spec:\n  limitz: []\n  limits:")
    monkeypatch.chdir(platform_repo)
    md, sarif = platform_repo.parent / "c.md", platform_repo.parent / "r.sarif"
    code, _, _ = run(
        ["fleet", "diff", str(teams_file), "--base", "HEAD", "--crds",
         str(shared_crds), "--stat", "--no-progress", "--markdown-file", str(md),
         "--sarif-file", str(sarif)],
        capsys,
    )  # fmt: skip
    assert code == 1
    comment = md.read_text(encoding="utf-8")
    assert comment.splitlines()[0] == COMMENT_MARKER
    assert "limitz" in comment
    log = json.loads(sarif.read_text(encoding="utf-8"))
    jsonschema.validate(log, _sarif_schema())
    results = log["runs"][0]["results"]
    errors = [r for r in results if r["level"] == "error"]
    assert {r["ruleId"] for r in errors} == {"MLS101"}
    assert {m.split(",")[0] for m in (r["message"]["text"] for r in errors)} == {
        "team fraud", "team recs", "team vision"
    }  # fmt: skip
    for result in results:
        place = result["locations"][0]["physicalLocation"]
        # Code scanning annotates files of the repository: the skeleton file.
        # A URI: the template markup in the folder name is percent-encoded.
        assert unquote(place["artifactLocation"]["uri"]) == LIMITS
        assert (platform_repo / LIMITS).is_file()
