from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlscaffold.lint import LINT_RULES, lint_skeleton, lint_template
from mlscaffold.render.binary import READ_BYTES, is_binary
from mlscaffold.render.skeleton import CompiledSkeleton
from mlscaffold.report.model import Severity
from mlscaffold.report.rules import all_rules

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "invalid" / "skeletons"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "_case.yaml").is_file())

_BASE_TEMPLATE = """\
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: {name: clean}
spec:
  parameters:
    - required: [team, repoUrl]
      properties:
        team: {type: string}
        repoUrl: {type: string}
        costCenter: {type: string}
  steps:
    - id: fetch
      action: fetch:template
      input:
        url: ./skeleton
        copyWithoutTemplating: [".github/workflows/*.yaml"]
        values:
          team: ${{ parameters.team }}
          repoUrl: ${{ parameters.repoUrl }}
          costCenter: ${{ parameters.costCenter }}
          platform:
            sizes:
              s: {cpu: "4", gpu: "1"}
              m: {cpu: "8", gpu: "4"}
            kueue: {clusterQueue: shared}
    - id: publish
      action: publish:github
      input:
        repoUrl: ${{ parameters.repoUrl }}
    - id: register
      action: catalog:register
      input:
        repoContentsUrl: ${{ steps.publish.output.repoContentsUrl }}
  output:
    links:
      - url: ${{ steps.publish.output.remoteUrl }}
"""

# Portable constructs from backstage-fidelity.md 4.2; none may be flagged.
_CLEAN_FILES = {
    "deploy/app.yaml": """\
{% set repo = values.repoUrl | parseRepoUrl %}
metadata:
  name: "${{ values.team }}-ml"
  labels:
    owner: "${{ repo.owner }}"
    cost: "${{ values.costCenter | default('none', true) }}"
    gpu: "${{ 'true' if values.platform.sizes['s'].gpu != '0' else 'false' }}"
    queue: "${{ values.platform.kueue.clusterQueue }}"
    upper: "${{ values.team | upper | replace('-', '_') }}"
spec:
{% for name, size in values.platform.sizes | dictsort %}
  - name: "${{ name }}"
    index: "${{ loop.index }}"
    cpu: "${{ size.cpu }}"
{% endfor %}
{% for item in ['a', 'b'] %}
{% if loop.first %}first: "${{ item }}"{% endif %}
{% endfor %}
{% macro label(key, value) %}${{ key }}: "${{ value }}"{% endmacro %}
  ${{ label('team', values.team) }}
  first: "${{ values.team | first }}"
  parts: "${{ values.team.split('-') | join('/') }}"
  {# a real comment #}
  helm: "{{ .Values.image }}"
""",
    ".github/workflows/ci.yaml": "run: echo ${{ github.sha }}\n",
    "scripts/run.sh": "{% raw %}echo ${#arr[@]} ${{ github.sha }}{% endraw %}\n",
    "${{ values.team }}/{% if values.costCenter %}cost{% endif %}.txt": "x\n",
    "logo.png": "\0PNG${{ values.team.upper() }}",
}


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_every_rule_is_registered_and_has_a_case() -> None:
    for rule in LINT_RULES.values():
        assert all_rules()[rule.id] == rule
        assert rule.tool == "lint"
    covered = {_load(CORPUS / case / "_case.yaml")["rule"] for case in CASES}
    assert covered == set(LINT_RULES)


@pytest.mark.parametrize("case", CASES)
def test_broken_skeleton_is_flagged(case: str) -> None:
    folder = CORPUS / case
    expected = _load(folder / "_case.yaml")
    template_file = folder / "template.yaml"
    template = _load(template_file) if template_file.is_file() else None
    findings = lint_skeleton(folder / "skeleton", template)
    assert {f.rule for f in findings} == {expected["rule"]}, [str(f) for f in findings]
    hits = [
        f
        for f in findings
        if f.rendered.path == expected["path"] and f.rendered.line == expected["line"]
    ]
    assert hits, [str(f) for f in findings]
    finding = hits[0]
    assert expected["says"] in finding.message
    if "column" in expected:
        assert finding.rendered.column == expected["column"]
    assert finding.tool == "lint"
    assert finding.severity == LINT_RULES[expected["rule"]].severity
    if finding.rendered.path != "template.yaml":
        assert finding.source == finding.rendered


def test_clean_skeleton_has_no_findings(tmp_path: Path) -> None:
    _write(tmp_path / "skeleton", _CLEAN_FILES)
    template = yaml.safe_load(_BASE_TEMPLATE)
    assert [str(f) for f in lint_skeleton(tmp_path / "skeleton", template)] == []
    # Without the template nothing says the workflow file is copied verbatim.
    findings = lint_skeleton(tmp_path / "skeleton")
    assert [(f.rule, f.rendered.path) for f in findings] == [
        ("MLS519", ".github/workflows/ci.yaml")
    ]


def test_copy_without_templating_is_what_spares_github_files(tmp_path: Path) -> None:
    _write(tmp_path / "skeleton", _CLEAN_FILES)
    template = yaml.safe_load(_BASE_TEMPLATE)
    del template["spec"]["steps"][0]["input"]["copyWithoutTemplating"]
    findings = lint_skeleton(tmp_path / "skeleton", template)
    assert [(f.rule, f.rendered.path) for f in findings] == [
        ("MLS519", ".github/workflows/ci.yaml")
    ]


def test_negated_copy_pattern_templates_the_file_again(tmp_path: Path) -> None:
    _write(tmp_path / "skeleton", {"a/x.yaml": "${{ github.sha }}\n"})
    template = yaml.safe_load(_BASE_TEMPLATE)
    step_input = template["spec"]["steps"][0]["input"]
    step_input["copyWithoutTemplating"] = ["a"]
    assert lint_skeleton(tmp_path / "skeleton", template) == []
    step_input["copyWithoutTemplating"] = ["a/**", "!a/x.yaml"]
    assert [f.rule for f in lint_skeleton(tmp_path / "skeleton", template)] == [
        "MLS519"
    ]


def test_template_file_extension_limits_templated_files(tmp_path: Path) -> None:
    _write(
        tmp_path / "skeleton",
        {"plain.sh": "echo ${#x}\n", "main.py.njk": "${{ values.team.upper() }}\n"},
    )
    template = yaml.safe_load(_BASE_TEMPLATE)
    step_input = template["spec"]["steps"][0]["input"]
    del step_input["copyWithoutTemplating"]
    step_input["templateFileExtension"] = True
    findings = lint_skeleton(tmp_path / "skeleton", template)
    assert [(f.rule, f.rendered.path) for f in findings] == [("MLS503", "main.py.njk")]


def test_syntax_error_is_a_finding_not_an_exception(tmp_path: Path) -> None:
    _write(tmp_path, {"a.yaml": "x: 1\n\ny: ${{ values.a\nz: 2\n"})
    [finding] = lint_skeleton(tmp_path)
    assert finding.rule == "MLS500"
    assert finding.severity is Severity.ERROR
    assert finding.rendered.path == "a.yaml"
    assert finding.rendered.line is not None


def test_binary_files_and_symlinks_have_only_their_names_checked(
    tmp_path: Path,
) -> None:
    _write(tmp_path, {"blob.bin": "\0${{ values.x.upper() }}", "ok.txt": "x\n"})
    (tmp_path / "${{ values.x.lower() }}").symlink_to("ok.txt")
    findings = lint_skeleton(tmp_path)
    assert [(f.rule, f.rendered.path) for f in findings] == [
        ("MLS503", "${{ values.x.lower() }}")
    ]
    assert "file name" in findings[0].message


def test_crlf_file_keeps_line_numbers(tmp_path: Path) -> None:
    _write(tmp_path, {"a.yaml": "a: 1\r\nb: 2\r\nc: ${{ values.x.strip() }}\r\n"})
    [finding] = lint_skeleton(tmp_path)
    assert (finding.rendered.line, finding.rendered.column) == (3, 17)
    assert "| trim" in finding.message


def test_required_parameters_are_not_nullable_in_concatenation(tmp_path: Path) -> None:
    _write(tmp_path / "skeleton", {"a.yaml": "n: ${{ values.team ~ '-ml' }}\n"})
    template = yaml.safe_load(_BASE_TEMPLATE)
    assert lint_skeleton(tmp_path / "skeleton", template) == []


def test_lint_template_alone_reports_pointers() -> None:
    template = yaml.safe_load(_BASE_TEMPLATE)
    template["spec"]["steps"][2]["input"]["repoContentsUrl"] = "${{ steps.nope.x }}"
    [finding] = lint_template(template, template_path="backstage/template.yaml")
    assert finding.rule == "MLS522"
    assert finding.rendered.path == "backstage/template.yaml"
    assert finding.rendered.pointer == "/spec/steps/2/input/repoContentsUrl"
    assert finding.source is None


def test_output_may_refer_to_every_step() -> None:
    template = yaml.safe_load(_BASE_TEMPLATE)
    template["spec"]["output"]["links"].append(
        {"url": "${{ steps.register.output.entityRef }}"}
    )
    assert lint_template(template) == []


def test_shipped_skeleton_lints_clean() -> None:
    from mlscaffold.template.build import build_template

    skeleton = REPO / "skeletons" / "ml-project"
    findings = lint_skeleton(skeleton, build_template())
    assert [str(f) for f in findings] == []


# Renders as the team name when templated, and holds one MLS503 for the lint.
_PROBE = "${{ values.team }}{% if false %}${{ values.team.upper() }}{% endif %}\n"
# A UTF-16 file with its BOM and NULs: text to isbinaryfile, so fetch:template reads
# it as UTF-8 (the BOM and NULs survive) and renders the expression in it.
_UTF16 = codecs.BOM_UTF16_LE + "hi\n".encode("utf-16-le") + _PROBE.encode() + b" "


def _renderer_templated(root: Path, step_input: dict[str, Any]) -> set[str]:
    skeleton = CompiledSkeleton(
        root,
        copy_without_templating=step_input.get("copyWithoutTemplating", ()),
        template_file_extension=step_input.get("templateFileExtension"),
    )
    tree = skeleton.render({"team": "t"})
    return {
        entry.source
        for entry in tree.entries.values()
        if entry.kind == "file" and b"if false" not in entry.data
    }


@pytest.mark.parametrize(
    ("files", "options", "expected"),
    [
        (["a.txt", "b.txt", "c.txt"], {"copyWithoutTemplating": ["{a,b}.txt"]},
         {"c.txt"}),
        (["a.txt", "b.txt", "c.txt"], {"copyWithoutTemplating": ["[ab].txt"]},
         {"c.txt"}),
        # a negation excludes only from the patterns before it
        (["a.txt", "b.txt"], {"copyWithoutTemplating": ["!a.txt", "*.txt"]}, set()),
        (["a.txt", "b.txt"], {"copyWithoutTemplating": ["*.txt", "!a.txt"]},
         {"a.txt"}),
        # '.njk' alone has no extension, so it is copied as it is
        ([".njk", "x.txt.njk", "y.txt"], {"templateFileExtension": True},
         {"x.txt.njk"}),
        (["utf16.txt"], {}, {"utf16.txt"}),
    ],
)  # fmt: skip
def test_lint_templates_exactly_what_the_renderer_templates(
    tmp_path: Path, files: list[str], options: dict[str, Any], expected: set[str]
) -> None:
    root = tmp_path / "skeleton"
    root.mkdir()
    for name in files:
        data = _UTF16 if name == "utf16.txt" else _PROBE.encode()
        (root / name).write_bytes(data)
    template = yaml.safe_load(_BASE_TEMPLATE)
    step_input = template["spec"]["steps"][0]["input"]
    del step_input["copyWithoutTemplating"]
    step_input.update(options)
    linted = {
        f.rendered.path
        for f in lint_skeleton(root, template)
        if f.rule == "MLS503" and f.rendered.line is not None
    }
    assert _renderer_templated(root, step_input) == expected
    assert linted == expected


def test_utf16_file_with_bom_is_text_to_the_renderer_and_the_lint() -> None:
    assert not is_binary(_UTF16[:READ_BYTES])
    assert b"\0" in _UTF16  # what a NUL-means-binary shortcut would get wrong
