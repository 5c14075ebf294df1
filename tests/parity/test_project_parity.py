"""Product parity: the built ml-project template via Backstage and via mlscaffold."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from .compare import diff_trees
from .oracle import (
    EntityResult,
    RenderJob,
    RenderResult,
    ValuesJob,
    backstage_render_many,
    backstage_step_inputs,
    backstage_validate,
    require_oracle,
)

pytestmark = [pytest.mark.parity]

REPO = Path(__file__).resolve().parents[2]
# The committed build output; MLSCAFFOLD_PARITY_TEMPLATE points at another build
# (its skeleton next to it, as `./skeleton`), e.g. to check a change before a commit.
TEMPLATE_YAML = Path(
    os.environ.get("MLSCAFFOLD_PARITY_TEMPLATE")
    or REPO / "backstage" / "ml-project" / "template.yaml"
)
HOURS_PER_MONTH = 730
GPUS = {
    "xs": 0,
    "s": 1,
    "m": 4,
    "l": 8,
}  # schemas/platform.yaml sizes, for the budget rule

BASE: Mapping[str, Any] = {
    "team": "recs",
    "owner": "group:default/ml-team",
    "description": "",
    "costCenter": "",
    "repoUrl": "github.com?owner=acme&repo=recs-ml",
    "size": "s",
    "accelerator": "nvidia.com/gpu",
    "gpuHoursPerMonth": 100,
    "modelName": "ranker",
    "modelFormat": "sklearn",
    "maturity": "L2",
    "retrainSchedule": "0 3 * * 1",
    "servingMode": "scale-to-zero",
}

# Free text that must survive both engines and YAML untouched (design.md section 8).
ADVERSARIAL_DESCRIPTIONS: Mapping[str, str] = {
    "quotes": "He said \"hi\" and 'bye' and `tick`",
    "colons": "key: value: more: { a: b }",
    "newlines": "line one\nline two\n\n  indented: x\n",
    "backstage-expr": "${{ parameters.team }} and ${{ values.team }}",
    "curly-expr": "{{ y }} and {{ .Values.x }}",
    "block-tag": "{% if true %}x{% endif %} {# c #} {%",
    "hash": "# not a comment #and this",
    "dotdot": "../../etc/passwd and ./x",
    "unicode": "\u00dcn\u00efc\u00f6d\u00e9 \u2713 \U0001f600 \u4e2d\u6587",
    # Escaped in README.md (no comment, tag or link survives), intact in the catalog.
    "markdown": "<!-- hide --> <img src=x onerror=alert(1)> "
    "[x](javascript:alert(1)) &amp;",
    "backslashes": "C:\\path\\to\\x \\n \\\\ \\u0041 \\",
    "yaml-specials": "- item\n? key\n&anchor *alias !!str | > @ % ---",
    "yaml-scalars": "null",
    "yaml-bool": "true",
    "number-like": "0x1F",
    "spaces": "  leading and trailing  ",
    "everything": "a\"b'c: d\n# e ${{ f }} {{ g }} {% h %} ../i \u00e9 \\j",
}


def _params(**changes: Any) -> dict[str, Any]:
    return {**BASE, **changes}


def _matrix() -> dict[str, dict[str, Any]]:
    """Named parameter sets: complete ones (the form submits defaults), and API-style
    ones that leave optional fields out."""
    sets: dict[str, dict[str, Any]] = {}
    gpu_accels = ["nvidia.com/gpu", "nvidia.com/mig-1g.10gb", "nvidia.com/mig-3g.40gb"]
    formats = [
        *("sklearn", "xgboost", "lightgbm", "tensorflow", "pytorch"),
        *("onnx", "triton", "huggingface", "mlflow"),
    ]
    sets["size-xs"] = _params(size="xs", accelerator="none", gpuHoursPerMonth=0)
    for index, size in enumerate(("s", "m", "l")):
        accel = gpu_accels[index]
        sets[f"size-{size}"] = _params(
            size=size, accelerator=accel, modelFormat=formats[index]
        )
        sets[f"size-{size}-max-hours"] = _params(
            size=size, accelerator=accel, gpuHoursPerMonth=HOURS_PER_MONTH * GPUS[size]
        )
    for accel in gpu_accels:
        sets[f"accelerator-{accel}"] = _params(size="m", accelerator=accel)
    for maturity in ("L2", "L3"):
        for mode in ("scale-to-zero", "always-on"):
            sets[f"{maturity}-{mode}"] = _params(maturity=maturity, servingMode=mode)
    sets["L3-xs-always-on"] = _params(
        size="xs",
        accelerator="none",
        gpuHoursPerMonth=0,
        maturity="L3",
        servingMode="always-on",
        retrainSchedule="*/15 2-4 * * MON-FRI",
    )
    for index, fmt in enumerate(formats):
        sets[f"format-{fmt}"] = _params(
            modelFormat=fmt, maturity=("L2", "L3")[index % 2]
        )
    for name, text in ADVERSARIAL_DESCRIPTIONS.items():
        sets[f"description-{name}"] = _params(description=text, maturity="L3")
    sets["costcenter-set"] = _params(costCenter="CC-1234.x_y")
    sets["costcenter-set-L3-l"] = _params(
        costCenter="a", size="l", accelerator="nvidia.com/gpu", maturity="L3"
    )
    sets["long-names"] = _params(team="t" * 40, modelName="m" + "0" * 39)
    # Formats that serve on a GPU where the size leaves one beside a training run.
    sets["gpu-serving-m-triton-always-on"] = _params(
        size="m", modelFormat="triton", servingMode="always-on"
    )
    sets["gpu-serving-l-huggingface-mig"] = _params(
        size="l", accelerator="nvidia.com/mig-3g.40gb", modelFormat="huggingface"
    )
    # A task created through the scaffolder API gets no form defaults: the template's
    # step values must fill them in exactly as mlscaffold does.
    required = {k: BASE[k] for k in ("team", "owner", "repoUrl", "modelName")}
    sets["omitted-all-optional"] = dict(required)
    sets["omitted-some-optional"] = {
        **required,
        "maturity": "L3",
        "servingMode": "always-on",
        "gpuHoursPerMonth": 0,  # falsy but given: must not fall back to 100
        "description": "",
    }
    return sets


MATRIX = _matrix()
# Form-level rejections: Backstage's server check and mlscaffold must both refuse them.
REJECTED: Mapping[str, dict[str, Any]] = {
    "bad-team": _params(team="Bad_Team"),
    "negative-hours": _params(gpuHoursPerMonth=-1),
    "unknown-size": _params(size="xl"),
    "missing-model": {k: v for k, v in BASE.items() if k != "modelName"},
    "hours-not-integer": _params(gpuHoursPerMonth=1.5),
    "description-bidi": _params(description="invoice \u202egnp.exe"),
    "description-zero-width": _params(description="a\u200bb"),
}


def _fetch_step_ids(template: Path) -> list[str]:
    """The fetch:template steps: the team repository's, then the platform's."""
    doc = yaml.safe_load(template.read_text(encoding="utf-8"))
    ids = [
        str(step.get("id", f"step-{index + 1}"))
        for index, step in enumerate(doc["spec"]["steps"])
        if step.get("action") == "fetch:template"
    ]
    assert ids, f"{template} has no fetch:template step"
    return ids


def _fetch_step_id(template: Path) -> str:
    return _fetch_step_ids(template)[0]


def write_workspace(project: Any, steps: Mapping[str, Any], root: Path) -> None:
    """Write a project as Backstage's workspace holds it after both fetch steps.

    Each tree goes where its step's ``targetPath`` says (read from the template).
    """
    from mlscaffold.render.write import write_tree

    first, *rest = steps.values()
    write_tree(project.tree, root / first["input"].get("targetPath", "."))
    for step in rest:
        write_tree(project.platform_tree, root / step["input"]["targetPath"])


def _canonical(data: Any) -> str:
    """Type-strict comparison key: in Python True == 1, in JSON they differ."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


@dataclass(frozen=True)
class Run:
    """Both sides of one parameter set."""

    backstage_step: Mapping[str, Any]  # values.js result
    backstage_out: Path
    backstage_renders: tuple[RenderResult, ...]  # one per fetch step
    ours_out: Path
    ours_values: Mapping[str, Any] | None
    ours_error: BaseException | None


@pytest.fixture(scope="session")
def template_path() -> Path:
    """The built template.yaml Backstage registers (output of `template build`)."""
    require_oracle()
    if not TEMPLATE_YAML.is_file():
        pytest.fail(f"{TEMPLATE_YAML} is missing: run `mlscaffold template build`")
    return TEMPLATE_YAML


@pytest.fixture(scope="session")
def runs(
    template_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Mapping[str, Run]:
    """Every parameter set through Backstage (two Node processes) and mlscaffold."""
    from mlscaffold.api import render_project
    from mlscaffold.errors import MlscaffoldError

    root = tmp_path_factory.mktemp("project-parity")
    step_ids = _fetch_step_ids(template_path)
    names = [*MATRIX, *REJECTED]
    params = {**MATRIX, **REJECTED}
    steps = backstage_step_inputs(
        [ValuesJob(template_path, step_ids[0], params[n]) for n in names]
    )
    jobs: list[RenderJob] = []
    job_names: list[str] = []
    for index, (name, step) in enumerate(zip(names, steps, strict=True)):
        if step.get("ok") and not step["step"]["skipped"]:
            # Every fetch step's whole rendered input (url, targetPath, values...),
            # into one workspace, as the task runs them.
            for step_id in step_ids:
                jobs.append(
                    RenderJob(
                        out=root / f"p{index:03d}" / "backstage",
                        template=template_path,
                        input=step["steps"][step_id]["input"],
                    )
                )
                job_names.append(name)
    rendered: dict[str, list[RenderResult]] = {}
    for name, result_ in zip(job_names, backstage_render_many(jobs), strict=True):
        rendered.setdefault(name, []).append(result_)
    result: dict[str, Run] = {}
    for index, (name, step) in enumerate(zip(names, steps, strict=True)):
        ours_out = root / f"p{index:03d}" / "mlscaffold"
        ours_values: Mapping[str, Any] | None = None
        ours_error: BaseException | None = None
        try:
            project = render_project(params[name])
            ours_values = project.values
            if step.get("ok"):
                fetch_steps = {i: step["steps"][i] for i in step_ids}
                write_workspace(project, fetch_steps, ours_out)
        except (MlscaffoldError, ValueError) as exc:
            ours_error = exc
        result[name] = Run(
            backstage_step=step,
            backstage_out=root / f"p{index:03d}" / "backstage",
            backstage_renders=tuple(rendered.get(name, ())),
            ours_out=ours_out,
            ours_values=ours_values,
            ours_error=ours_error,
        )
    return result


@pytest.fixture(scope="session")
def validations(template_path: Path, runs: Mapping[str, Run]) -> list[EntityResult]:
    """Backstage's validators on template.yaml and each catalog-info.yaml we wrote."""
    files = [template_path]
    for run in runs.values():
        if run.ours_out.is_dir():
            files.extend(sorted(run.ours_out.rglob("catalog-info.yaml")))
    return backstage_validate(files)


@pytest.mark.parametrize("name", list(MATRIX))
def test_values_match_backstage(name: str, runs: Mapping[str, Run]) -> None:
    """(a) The fetch step's values: Backstage's workflow runner vs render_project()."""
    run = runs[name]
    assert run.backstage_step.get("ok"), f"Backstage refused: {run.backstage_step}"
    assert run.ours_error is None, f"mlscaffold refused: {run.ours_error}"
    assert not run.backstage_step["step"]["skipped"], "Backstage skipped the fetch step"
    assert _canonical(run.ours_values) == _canonical(run.backstage_step["values"])
    # The platform step gets the same values, so both trees describe one team.
    for step in run.backstage_step["steps"].values():
        if step["action"] == "fetch:template":
            assert _canonical(step["input"]["values"]) == _canonical(run.ours_values)


@pytest.mark.parametrize("name", list(MATRIX))
def test_tree_matches_backstage(name: str, runs: Mapping[str, Run]) -> None:
    """(b) Backstage's two fetch:template steps on the built skeletons vs ours."""
    run = runs[name]
    assert len(run.backstage_renders) == 2, f"no Backstage render: {run.backstage_step}"
    for render in run.backstage_renders:
        assert render.ok, f"Backstage failed: {render.error_message}"
    assert run.ours_error is None, f"mlscaffold failed: {run.ours_error}"
    # The whole workspace: the team repository and the platform change beside it.
    assert sorted(p.name for p in run.backstage_out.iterdir()) == ["platform", "repo"]
    assert diff_trees(run.backstage_out, run.ours_out) == []


@pytest.mark.parametrize("name", list(REJECTED))
def test_both_reject_parameters(name: str, runs: Mapping[str, Run]) -> None:
    """Parameters the form's schema forbids: Backstage and mlscaffold both refuse."""
    run = runs[name]
    assert not run.backstage_step.get("ok")
    assert run.backstage_step.get("stage") == "parameters", run.backstage_step
    assert run.ours_error is not None


def test_template_passes_backstage_validators(
    template_path: Path, validations: list[EntityResult]
) -> None:
    """(c) template.yaml passes the catalog's and the scaffolder's validators."""
    mine = [r for r in validations if Path(r.file) == template_path]
    assert mine, "validate-entities.js reported nothing for template.yaml"
    assert [r for r in mine if not r.ok] == []
    assert {r.kind for r in mine} == {"Template"}


@pytest.mark.parametrize("name", list(MATRIX))
def test_catalog_info_passes_backstage_validators(
    name: str, runs: Mapping[str, Run], validations: list[EntityResult]
) -> None:
    """(c) Each rendered catalog-info.yaml passes the catalog's validators."""
    run = runs[name]
    assert run.ours_error is None, f"mlscaffold failed: {run.ours_error}"
    files = sorted(run.ours_out.rglob("catalog-info.yaml"))
    assert files, "the rendered project has no catalog-info.yaml"
    mine = [r for r in validations if Path(r.file) in files]
    assert mine, "validate-entities.js reported nothing for this project"
    assert [(r.file, r.errors) for r in mine if not r.ok] == []
