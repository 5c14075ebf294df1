"""The Template builder: what Backstage registers, and the drift check CI runs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from mlscaffold._data import schema_file, skeleton_dir
from mlscaffold.api import ProjectRenderer
from mlscaffold.errors import ParamsError, SettingsError
from mlscaffold.params import parameter_schema, validate_params
from mlscaffold.render.engine import BackstageEnvironment
from mlscaffold.render.values import render_step_input
from mlscaffold.render.write import write_tree
from mlscaffold.settings import load_platform
from mlscaffold.template.build import (
    SKELETON_URL,
    build_files,
    build_template,
    check_files,
    parameter_expression,
    platform_skeleton_for,
    template_yaml,
)
from mlscaffold.template.steps import fetch_step, step_values


def test_fetch_step_passes_every_parameter_as_a_lone_expression() -> None:
    values = fetch_step(build_template())["input"]["values"]
    for name, spec in parameter_schema()["properties"].items():
        # A lone expression keeps its JSON type through Backstage's workflow runner.
        assert values[name].startswith(f"${{{{ parameters.{name}")
        assert values[name].endswith("}}")
        assert ("| default(" in values[name]) == ("default" in spec)
    assert values["platform"] == dict(load_platform().data)
    assert values["template"] == {
        "name": "ml-project",
        "version": load_platform().template_version,
    }


def test_step_values_fill_in_the_schema_defaults_like_validate_params() -> None:
    # What a scaffolder API call with only the required fields gets from Backstage.
    required = {
        "team": "recs",
        "owner": "group:default/ml",
        "repoUrl": "github.com?owner=acme&repo=recs",
        "modelName": "ranker",
    }
    template = build_template()
    assert step_values(template, required) == step_values(
        template, validate_params(required).as_dict()
    )


def test_given_falsy_values_are_not_replaced_by_defaults() -> None:
    values = step_values(
        build_template(),
        {"gpuHoursPerMonth": 0, "description": "", "costCenter": ""},
    )
    assert values["gpuHoursPerMonth"] == 0
    assert values["description"] == ""
    assert values["size"] == "s"


@pytest.mark.parametrize(
    "default", ["it's", "back\\slash", "two\nlines", "", "${ x }", 0, 7, True]
)
def test_default_literals_evaluate_to_the_default(default: object) -> None:
    expression = parameter_expression("x", {"type": "string", "default": default})
    rendered = render_step_input(
        {"x": expression}, {"parameters": {}}, BackstageEnvironment(), strict=True
    )
    assert rendered["x"] == default
    assert type(rendered["x"]) is type(default)


@pytest.mark.parametrize("default", ["a }} b", "{% if %}", 2**60, 1.5, None])
def test_defaults_without_a_safe_literal_are_refused(default: object) -> None:
    with pytest.raises(ParamsError, match="x: default"):
        parameter_expression("x", {"default": default})


def test_steps_and_skeleton_url() -> None:
    template = build_template()
    steps = {s["id"]: s for s in template["spec"]["steps"]}
    assert [(i, s["action"]) for i, s in steps.items()] == [
        ("fetch", "fetch:template"),
        ("fetchPlatform", "fetch:template"),
        ("publish", "publish:github"),
        ("platformPullRequest", "publish:github:pull-request"),
        ("register", "catalog:register"),
    ]
    # Backstage resolves the url relative to template.yaml and refuses '../'.
    assert SKELETON_URL == "./skeleton"
    assert fetch_step(template)["input"]["url"] == SKELETON_URL
    platform = fetch_step(template, "fetchPlatform")["input"]
    assert platform["url"] == "./platform"
    # The two trees sit side by side in the workspace, and each goes to its own
    # repository: the team's is created, the platform's gets a pull request.
    assert fetch_step(template)["input"]["targetPath"] == "./repo"
    assert platform["targetPath"] == "./platform"
    assert steps["publish"]["input"]["sourcePath"] == "./repo"
    pull_request = steps["platformPullRequest"]["input"]
    assert pull_request["sourcePath"] == "./platform"
    assert pull_request["repoUrl"] == load_platform().gitops_repo_url
    assert platform["values"] == fetch_step(template)["input"]["values"]


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


def test_build_copies_both_skeletons_beside_the_template() -> None:
    files = build_files()
    sources = {
        f"{folder}/" + p.relative_to(skeleton_dir(name)).as_posix()
        for name, folder in (
            ("ml-project", "skeleton"),
            ("ml-project-platform", "platform"),
        )
        for p in skeleton_dir(name).rglob("*")
    }
    assert set(files) == {"template.yaml", "skeleton", "platform"} | sources


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


def test_settings_without_gitops_build_only_the_one_tree_template(
    tmp_path: Path,
) -> None:
    # Settings of a 1.x release (update's merge base) load; the template with a
    # platform change cannot be built from them, the team repository's alone can.
    text = schema_file("platform.yaml").read_text(encoding="utf-8")
    old = tmp_path / "platform.yaml"
    old.write_text(re.sub(r"^gitops:\n(  .*\n)+", "", text, flags=re.M))
    platform = load_platform(old)
    assert platform.gitops_repo_url == ""
    with pytest.raises(SettingsError, match="gitops: repoUrl: is required"):
        build_template(platform)
    steps = build_template(platform, platform_change=False)["spec"]["steps"]
    assert [s["id"] for s in steps] == ["fetch", "publish", "register"]
    links = build_template(platform, platform_change=False)["spec"]["output"]["links"]
    assert [link["title"] for link in links] == ["Repository", "Open in catalog"]


def test_the_built_layout_finds_its_platform_skeleton(tmp_path: Path) -> None:
    # `--skeleton backstage/ml-project/skeleton` renders both trees, as Backstage
    # runs that folder's template.yaml.
    write_tree(build_files(), tmp_path / "ml-project")
    built = tmp_path / "ml-project" / "skeleton"
    assert platform_skeleton_for(built) == tmp_path / "ml-project" / "platform"
    team = {
        "team": "recs",
        "owner": "group:default/recs",
        "repoUrl": "github.com?owner=acme&repo=recs-ml",
        "modelName": "ranker",
    }
    project = ProjectRenderer(skeleton=built).render(team)
    assert "teams/recs/namespace.yaml" in project.platform_tree
    # A skeleton folder with nothing beside it renders the team repository alone.
    alone = tmp_path / "alone" / "skeleton"
    shutil.copytree(skeleton_dir(), alone)
    assert platform_skeleton_for(alone) is None
