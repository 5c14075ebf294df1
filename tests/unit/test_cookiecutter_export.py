"""The cookiecutter export renders, with the real cookiecutter, what Backstage renders.

Every comparison runs cookiecutter (no_input, extra_context from the values the
Backstage path computes) on the exported template and compares each output entry,
bytes and mode, with mlscaffold's Backstage-mode render.

Where cookiecutter's semantics could differ, and why the outputs still agree:
- Cookiecutter renders each context string as a template before use, so a
  description like ``{{ y }}`` or ``{% if %}`` would be evaluated (or fail):
  ``cookiecutter_context`` turns such strings into expressions that print them.
- Cookiecutter turns numbers into strings (``gpuHoursPerMonth`` 100 -> '100',
  ``platform.sizes.*.gpus``): printing is the same, and the conversion appends
  ``| int`` to every access the values contract types as a number, so the
  skeleton's ``gpus > 0`` still compares numbers.
- Booleans and None would print ``True``/``None``: the extension prints the
  JavaScript way, and the values contract has neither anyway.
- Undefined is strict in cookiecutter: the extension makes it print empty, which
  Backstage's conditional-path idiom ``'x' if cond`` (no else) needs.
- ``template`` is a reserved cookiecutter key, so ``values.template`` is exported
  as ``cookiecutter.__template``.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
import pytest
from cookiecutter.main import cookiecutter

from mlscaffold.api import render_project
from mlscaffold.errors import SkeletonError
from mlscaffold.render.tree import RenderedTree
from mlscaffold.render.write import write_tree
from mlscaffold.template.cookiecutter import (
    PROJECT_DIR,
    convert_component,
    convert_skeleton,
    convert_template,
    cookiecutter_context,
    export_cookiecutter,
    jinja_literal,
)
from mlscaffold.template.cookiecutter_ext import POST_GEN_HOOK, staged_name

BASE = {
    "team": "recs",
    "owner": "group:default/recs",
    "repoUrl": "github.com?owner=acme&repo=recs-ml",
    "modelName": "ranker",
}
ADVERSARIAL = (
    'He said "hi": it\'s ${{ x }} and {{ y }} {% if %} {# c #} {{{z}}} {\n'
    "C:\\path\\to\\ \\n \u00e9\u2603\U0001f600\tend"
)
CASES: Mapping[str, Mapping[str, Any]] = {
    "default-s-L2-scale-to-zero": BASE,
    "m-L3-always-on": {
        **BASE,
        "size": "m",
        "maturity": "L3",
        "servingMode": "always-on",
        "costCenter": "cc-42",
        "accelerator": "nvidia.com/mig-3g.40gb",
    },
    "adversarial-description": {
        **BASE,
        "description": ADVERSARIAL,
        "size": "xs",
        "accelerator": "none",
        "gpuHoursPerMonth": 0,
        "maturity": "L3",
        "retrainSchedule": "*/5 * * * 1-5",
    },
}


# ------------------------------------------------------------------ helpers


def run_cookiecutter(template: Path, values: Mapping[str, Any], tmp_path: Path) -> Path:
    """The real cookiecutter, kept away from the user's home folder."""
    config = tmp_path / "cookiecutter-config.yaml"
    config.write_text(
        f"cookiecutters_dir: {tmp_path / 'cc'}\nreplay_dir: {tmp_path / 'replay'}\n"
    )
    out = cookiecutter(
        str(template),
        no_input=True,
        extra_context=cookiecutter_context(values),
        output_dir=str(tmp_path / "out"),
        config_file=str(config),
    )
    return Path(out)


def on_disk(root: Path) -> dict[str, tuple[str, bytes, int | None]]:
    result: dict[str, tuple[str, bytes, int | None]] = {}
    for path in root.rglob("*"):
        rel = path.relative_to(root).as_posix()
        if path.is_dir():
            result[rel] = ("dir", b"", None)
        else:
            result[rel] = ("file", path.read_bytes(), stat.S_IMODE(path.stat().st_mode))
    return result


def expected(tree: RenderedTree) -> dict[str, tuple[str, bytes, int | None]]:
    return {
        path: (entry.kind, entry.data, entry.mode if entry.kind == "file" else None)
        for path, entry in tree.entries.items()
    }


def assert_same(got: Mapping[str, Any], want: Mapping[str, Any]) -> None:
    assert sorted(got) == sorted(want)
    for path in sorted(want):
        assert got[path] == want[path], path


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("export") / "ml-project-cookiecutter"
    export_cookiecutter(dest)
    return dest


# ---------------------------------------------------------- the real skeleton


@pytest.mark.parametrize("name", sorted(CASES))
def test_real_skeleton_matches_backstage_render(
    name: str, exported: Path, tmp_path: Path
) -> None:
    project = render_project(CASES[name])
    out = run_cookiecutter(exported, project.values, tmp_path)
    assert out.name == f"{project.values['team']}-ml"
    assert_same(on_disk(out), expected(project.tree))


def test_adversarial_description_reaches_the_output(
    exported: Path, tmp_path: Path
) -> None:
    # Guards the comparison above against a skeleton that stops printing it.
    project = render_project(CASES["adversarial-description"])
    out = run_cookiecutter(exported, project.values, tmp_path)
    assert "{{ y }} {% if %}" in (out / "README.md").read_text(encoding="utf-8")
    assert (out / "deploy" / "cronworkflow.yaml").is_file()


def test_export_layout(exported: Path) -> None:
    config = json.loads((exported / "cookiecutter.json").read_text(encoding="utf-8"))
    assert config["_extensions"] == [
        "mlscaffold.template.cookiecutter_ext.BackstageExtension"
    ]
    assert config["size"][0] == "s"
    assert config["maturity"] == ["L2", "L3"]
    assert config["gpuHoursPerMonth"] == 100
    assert config["platform"]["kueue"]["clusterQueue"] == "ml-shared"
    assert config["__template"]["name"] == "ml-project"
    assert "template" not in config
    assert (exported / "hooks" / "post_gen_project.py").read_text() == POST_GEN_HOOK
    assert (exported / PROJECT_DIR / "README.md").is_file()


def test_export_refuses_non_empty_dest(exported: Path) -> None:
    with pytest.raises(FileExistsError):
        export_cookiecutter(exported)
    export_cookiecutter(exported, force=True)


# ------------------------------------------------------- a skeleton of our own

OWN_SKELETON: Mapping[str, str] = {
    # conditional file, skipped unless L3
    "jobs/${{ 'cron.yaml' if values.maturity == 'L3' }}": (
        "schedule: ${{ values.retrainSchedule }}\n"
    ),
    # conditional folder merging into an existing one, and one vanishing entirely
    "jobs/keep.txt": "kept\n",
    "${{ 'jobs' if values.costCenter }}/billing.txt": (
        "cost center ${{ values.costCenter }}\n"
    ),
    "{% if values.costCenter %}billing{% endif %}/nested/deep.txt": "deep\n",
    "${{ values.team }}-notes/${{ values.modelName }}.md": (
        "# ${{ values.modelName }}\n"
    ),
    "argo.yaml": (
        'name: "{{workflow.name}}-${{ values.team }}"\n'
        "{% if values.size == 'm' %}big: true{% else %}big: false{% endif %}\n"
        "gpus: ${{ values.platform.sizes[values.size].gpus * 2 }}"
        "{% if values.platform.sizes[values.size].gpus > 0 %} gpu{% endif %}\n"
        "brace {{% if true %}x{% endif %}} and {${{ values.team }}}\n"
        "raw: {% raw %}${{ kept }} {{ kept }}{% endraw %}\n"
        "{# a comment #}hours: ${{ values.gpuHoursPerMonth + 1 }}\n"
        "trim:   {%- if true %} yes {% endif -%}   \n"
    ),
    "filters.txt": (
        "${{ values.repoUrl | projectSlug }}"
        " ${{ (values.repoUrl | parseRepoUrl).repo }}\n"
        "${{ (values.owner | parseEntityRef).namespace }}"
        " ${{ values.platform | pick('kueue.clusterQueue') }}"
        " [${{ values.missing }}] [${{ values | pick('no.such') }}]\n"
        "${{ values.template.version }} ${{ values['template'].name }}\n"
        "${{ values.description }}\n"
    ),
    "crlf.txt": "line one\r\n${{ values.team }}\r\n",
    "run.sh": "#!/bin/sh\necho ${{ values.team }}\n",
}


@pytest.fixture
def own_skeleton(tmp_path: Path) -> Path:
    root = tmp_path / "skeleton"
    for rel, text in OWN_SKELETON.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    (root / "run.sh").chmod(0o755)
    return root


OWN_CASES: Mapping[str, Mapping[str, Any]] = {
    "plain": BASE,
    "l3-cost-center": {**BASE, "maturity": "L3", "costCenter": "cc-1", "size": "m"},
    "adversarial": {
        **BASE,
        "description": ADVERSARIAL,
        "size": "xs",
        "accelerator": "none",
        "gpuHoursPerMonth": 0,
    },
}


@pytest.mark.parametrize("name", sorted(OWN_CASES))
def test_own_skeleton_matches_backstage_render(
    name: str, own_skeleton: Path, tmp_path: Path
) -> None:
    project = render_project(OWN_CASES[name], skeleton=own_skeleton)
    template = tmp_path / "template"
    write_tree(convert_skeleton(own_skeleton, project.values), template)
    out = run_cookiecutter(template, project.values, tmp_path)
    assert_same(on_disk(out), expected(project.tree))
    assert not any(".mlscaffold-" in p for p in on_disk(out))


def test_own_skeleton_conditional_entries(own_skeleton: Path, tmp_path: Path) -> None:
    # The cases above compare with the engine; these pin what the engine should say.
    project = render_project(OWN_CASES["l3-cost-center"], skeleton=own_skeleton)
    template = tmp_path / "template"
    write_tree(convert_skeleton(own_skeleton, project.values), template)
    files = on_disk(run_cookiecutter(template, project.values, tmp_path))
    assert files["jobs/cron.yaml"][1] == b"schedule: 0 3 * * 1\n"
    assert files["jobs/billing.txt"][1] == b"cost center cc-1\n"
    assert files["jobs/keep.txt"][1] == b"kept\n"
    assert "billing/nested/deep.txt" in files
    assert files["recs-notes/ranker.md"][1] == b"# ranker\n"
    assert b'name: "{{workflow.name}}-recs"' in files["argo.yaml"][1]
    assert b"gpus: 8 gpu" in files["argo.yaml"][1]
    assert files["crlf.txt"][1] == b"line one\r\nrecs\r\n"
    assert files["run.sh"][2] == 0o755
    plain = render_project(OWN_CASES["plain"], skeleton=own_skeleton).tree
    assert "jobs/cron.yaml" not in plain
    assert not any(path.startswith("billing") for path in plain)


# ------------------------------------------------------------ the converter


def test_text_braces_are_escaped() -> None:
    assert (
        convert_template('a "{{workflow.name}}" b', {})
        == "a \"{{ '{{' }}workflow.name}}\" b"
    )
    # a brace that would merge with the next tag's brace
    assert convert_template("{${{ x }}", {}) == "{{ '{' }}{{ x }}"
    assert convert_template("x {", {}) == "x {"


def test_values_renamed_only_as_variable_root() -> None:
    src = "${{ values.team ~ 'values' ~ obj.values ~ values_x ~ f(values=1) }}"
    want = "{{ cookiecutter.team ~ 'values' ~ obj.values ~ values_x ~ f(values=1) }}"
    assert convert_template(src, {}) == want
    assert convert_template("{%- if values.a == values['b'] -%}", {}) == (
        "{%- if cookiecutter.a == cookiecutter['b'] -%}"
    )


def test_numbers_restored_from_the_values_contract() -> None:
    values = {"n": 3, "f": 1.5, "s": "3", "m": {"a": {"k": 1}, "b": {"k": 2}}}
    assert convert_template("${{ values.n }}", values) == "{{ (cookiecutter.n | int) }}"
    assert (
        convert_template("${{ values.f }}", values) == "{{ (cookiecutter.f | float) }}"
    )
    assert convert_template("${{ values.s }}", values) == "{{ cookiecutter.s }}"
    assert convert_template("${{ values.m[values.s].k }}", values) == (
        "{{ (cookiecutter.m[cookiecutter.s].k | int) }}"
    )


def test_raw_comment_and_template_key() -> None:
    assert convert_template("{% raw %}${{ a }}{{ b }}{% endraw %}", {}) == (
        "{% raw %}${{ a }}{{ b }}{% endraw %}"
    )
    assert (
        convert_template("{% verbatim %}x{% endverbatim %}", {})
        == "{% raw %}x{% endraw %}"
    )
    assert convert_template("{# values #}", {}) == "{# values #}"
    assert convert_template("${{ values.template.name }}", {}) == (
        "{{ cookiecutter.__template.name }}"
    )
    assert convert_template("${{ '}}' ~ {'a': {'b': 1}}.a.b }}", {}) == (
        "{{ '}}' ~ {'a': {'b': 1}}.a.b }}"
    )


@pytest.mark.parametrize("src", ["${{ values.x ", "{% if x ", "{# open", "{% raw %}x"])
def test_unterminated_syntax_is_a_skeleton_error(src: str) -> None:
    with pytest.raises(SkeletonError):
        convert_template(src, {})


def test_path_components() -> None:
    assert convert_component("plain.txt", 3, {}) == "plain.txt"
    assert convert_component("${{ values.a }}", 3, {}) == (
        "{% filter mlscaffold_path(3) %}{{ cookiecutter.a }}{% endfilter %}"
    )
    with pytest.raises(SkeletonError):
        convert_component("${{ '" + "x" * 300 + "' }}", 1, {})


@pytest.mark.parametrize(
    ("rendered", "want"),
    [
        ("", ".mlscaffold-skipped-4"),
        ("/a", ".mlscaffold-skipped-4"),
        ("a/", ".mlscaffold-skipped-4"),
        ("a//b", ".mlscaffold-skipped-4"),
        ("deploy", ".mlscaffold-staged-4-deploy"),
        ("a/b %", ".mlscaffold-staged-4-a%2Fb%20%25"),
    ],
)
def test_staged_name(rendered: str, want: str) -> None:
    assert staged_name(rendered, 4) == want


@pytest.mark.parametrize(
    "text",
    [ADVERSARIAL, "plain", "{{", "'\\'", "\r\n", "{% endraw %}", "\x00\x7f\u2028"],
)
def test_jinja_literal_prints_text_exactly(text: str) -> None:
    env = jinja2.Environment(keep_trailing_newline=True, autoescape=False)  # noqa: S701
    assert env.from_string(jinja_literal(text)).render() == text


def test_hook_survives_cookiecutter_rendering() -> None:
    # cookiecutter renders hooks as templates before running them
    assert not any(mark in POST_GEN_HOOK for mark in ("{{", "{%", "{#"))


def test_hook_skips_merges_and_keeps_existing(tmp_path: Path) -> None:
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "a.yaml").write_text("plain")
    staged = tmp_path / staged_name("deploy", 1)
    (staged / staged_name("b.yaml", 2)).parent.mkdir()
    (staged / staged_name("b.yaml", 2)).write_text("b")
    (staged / "a.yaml").write_text("staged")
    (tmp_path / staged_name("", 3)).mkdir()
    (tmp_path / staged_name("", 3) / "x").write_text("x")
    (tmp_path / staged_name("x/y.txt", 4)).write_text("y")
    hook = tmp_path.parent / "hook.py"
    hook.write_text(POST_GEN_HOOK)
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        exec(compile(POST_GEN_HOOK, str(hook), "exec"), {"__name__": "__main__"})  # noqa: S102
    finally:
        os.chdir(cwd)
    assert sorted(on_disk(tmp_path)) == [
        "deploy",
        "deploy/a.yaml",
        "deploy/b.yaml",
        "x",
        "x/y.txt",
    ]
    assert (tmp_path / "deploy" / "a.yaml").read_text() == "plain"
