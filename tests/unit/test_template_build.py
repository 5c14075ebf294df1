"""The Template builder: what Backstage registers, and the drift check CI runs."""

from __future__ import annotations

from pathlib import Path

import yaml

from mlscaffold._data import skeleton_dir
from mlscaffold.params import parameter_schema
from mlscaffold.render.write import write_tree
from mlscaffold.settings import load_platform
from mlscaffold.template.build import (
    SKELETON_URL,
    build_files,
    build_template,
    check_files,
    template_yaml,
)
from mlscaffold.template.steps import fetch_step


def test_fetch_step_passes_every_parameter_as_a_lone_expression() -> None:
    values = fetch_step(build_template())["input"]["values"]
    for name in parameter_schema()["properties"]:
        # A lone expression keeps its JSON type through Backstage's workflow runner.
        assert values[name] == f"${{{{ parameters.{name} }}}}"
    assert values["platform"] == dict(load_platform().data)
    assert values["template"] == {
        "name": "ml-project",
        "version": load_platform().template_version,
    }


def test_steps_and_skeleton_url() -> None:
    template = build_template()
    assert [s["action"] for s in template["spec"]["steps"]] == [
        "fetch:template",
        "publish:github",
        "catalog:register",
    ]
    # Backstage resolves the url relative to template.yaml and refuses '../'.
    assert SKELETON_URL == "./skeleton"
    assert fetch_step(template)["input"]["url"] == SKELETON_URL


def test_repo_url_picker_gets_the_platform_hosts() -> None:
    pages = build_template()["spec"]["parameters"]
    picker = next(
        p["properties"]["repoUrl"] for p in pages if "repoUrl" in p["properties"]
    )
    assert picker["ui:options"]["allowedHosts"] == list(load_platform().allowed_hosts)


def test_template_yaml_round_trips_and_is_deterministic() -> None:
    text = template_yaml(build_template())
    assert text == template_yaml(build_template())
    assert yaml.safe_load(text) == build_template()


def test_build_copies_the_skeleton_beside_the_template() -> None:
    files = build_files()
    sources = {
        "skeleton/" + p.relative_to(skeleton_dir()).as_posix()
        for p in skeleton_dir().rglob("*")
    }
    assert set(files) == {"template.yaml", "skeleton"} | sources


def test_check_reports_drift_and_passes_after_a_build(tmp_path: Path) -> None:
    out = tmp_path / "ml-project"
    assert any("missing" in p for p in check_files(out))
    write_tree(build_files(), out)
    assert check_files(out) == []

    (out / "template.yaml").write_text("# edited\n", encoding="utf-8")
    (out / "skeleton" / "stray.txt").write_text("x", encoding="utf-8")
    problems = check_files(out)
    assert any(
        p.startswith("template.yaml: differs from a fresh build") for p in problems
    )
    assert "-# edited" in next(p for p in problems if p.startswith("template.yaml"))
    assert "skeleton/stray.txt: not produced by the build (delete it)" in problems


def test_committed_template_is_up_to_date() -> None:
    committed = Path(__file__).resolve().parents[2] / "backstage" / "ml-project"
    assert check_files(committed) == [], "run `mlscaffold template build` and commit"
