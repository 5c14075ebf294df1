"""Legacy engine parity: Backstage 4.0.2's nunjucks fetch:template vs mlscaffold."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from .cases import ALL_CASES, Case
from .compare import diff_trees
from .oracle import RenderJob, RenderResult, backstage_render_many, require_oracle
from .test_engine_parity import case_jobs, render_with_mlscaffold
from .test_project_parity import (
    MATRIX,
    TEMPLATE_YAML,
    _fetch_step_ids,
    write_workspace,
)

pytestmark = [pytest.mark.parity, pytest.mark.slow]

# The skeleton must stay portable to Backstage installs that predate nunjitsu (design.md
# section 5); mlscaffold follows nunjitsu, so every case both engines agree on must also
# match the legacy engine byte for byte.
PORTABLE = tuple(c for c in ALL_CASES if not c.nunjitsu_only)
NUNJITSU_ONLY = tuple(c for c in ALL_CASES if c.nunjitsu_only)


@dataclass(frozen=True)
class LegacyRun:
    """One job the legacy engine ran: its skeleton (for cases), output and result."""

    skeleton: Path | None
    out: Path
    result: RenderResult


@dataclass(frozen=True)
class LegacyRuns:
    """Every engine case and product parameter set, rendered by the legacy engine."""

    cases: Mapping[str, LegacyRun]
    projects: Mapping[str, list[LegacyRun]]  # one run per fetch step


def _fetch_inputs(template: Path) -> dict[str, dict[str, Any]]:
    """Each fetch step's literal input besides ``values`` (url, targetPath...)."""
    doc = yaml.safe_load(template.read_text(encoding="utf-8"))
    ids = _fetch_step_ids(template)
    return {
        str(step["id"]): {
            k: v for k, v in (step.get("input") or {}).items() if k != "values"
        }
        for step in doc["spec"]["steps"]
        if step.get("id") in ids
    }


@pytest.fixture(scope="session")
def legacy_runs(tmp_path_factory: pytest.TempPathFactory) -> LegacyRuns:
    """Engine cases and the product matrix in one legacy Node process (~1.5 s to load).

    The product jobs get mlscaffold's ``values`` for each parameter set: the workflow
    runner's values are compared with Backstage's in test_project_parity, and this
    module is about how the skeleton renders, so it needs only the legacy install.
    """
    require_oracle("legacy")
    from mlscaffold.api import render_project

    root = tmp_path_factory.mktemp("legacy-parity")
    jobs = case_jobs(root)
    if not TEMPLATE_YAML.is_file():
        pytest.fail(f"{TEMPLATE_YAML} is missing: run `mlscaffold template build`")
    fetch_inputs = _fetch_inputs(TEMPLATE_YAML)
    for index, params in enumerate(MATRIX.values()):
        # Both fetch steps into one workspace, as the task runs them.
        for fetch_input in fetch_inputs.values():
            jobs.append(
                RenderJob(
                    out=root / f"p{index:03d}" / "backstage",
                    template=TEMPLATE_YAML,
                    values=render_project(params).values,
                    input=fetch_input,
                )
            )
    results = backstage_render_many(jobs, engine="legacy")
    runs = [
        LegacyRun(job.skeleton, job.out, result)
        for job, result in zip(jobs, results, strict=True)
    ]
    split = len(ALL_CASES)
    per_project = len(fetch_inputs)
    projects = [runs[i : i + per_project] for i in range(split, len(runs), per_project)]
    return LegacyRuns(
        cases={c.id: r for c, r in zip(ALL_CASES, runs[:split], strict=True)},
        projects=dict(zip(MATRIX, projects, strict=True)),
    )


def _ids(cases: tuple[Case, ...]) -> list[Any]:
    return [pytest.param(case, id=case.id) for case in cases]


@pytest.mark.parametrize("case", _ids(PORTABLE))
def test_legacy_engine_matches_mlscaffold(
    case: Case, legacy_runs: LegacyRuns, tmp_path: Path
) -> None:
    """Same bytes, modes, names and links as nunjucks 3.2.4; or both refuse."""
    from mlscaffold.errors import MlscaffoldError

    run = legacy_runs.cases[case.id]
    ours = tmp_path / "mlscaffold"
    if case.error is not None:
        assert not run.result.ok, "the legacy engine rendered a case nunjitsu refuses"
        # Fragments name Backstage's own filter and fetch errors, which both engines
        # pass on; the engines' template-syntax wording differs and is never asserted.
        assert case.error in (run.result.error_message or "")
        with pytest.raises((MlscaffoldError, ValueError)):
            render_with_mlscaffold(case, run.skeleton or Path(), ours)
        return
    assert run.result.ok, f"legacy engine failed: {run.result.error_message}"
    if case.expected is not None:
        assert (run.out / "out.txt").read_bytes() == case.expected.encode("utf-8")
    render_with_mlscaffold(case, run.skeleton or Path(), ours)
    assert diff_trees(run.out, ours) == []


@pytest.mark.parametrize("case", _ids(NUNJITSU_ONLY))
def test_nunjitsu_only_cases_differ_in_legacy(
    case: Case, legacy_runs: LegacyRuns
) -> None:
    """A nunjitsu-only mark stays true: the legacy engine fails or differs."""
    run = legacy_runs.cases[case.id]
    if not run.result.ok:
        return
    assert case.expected is not None, f"{case.id}: give expected to check the mark"
    got = (run.out / "out.txt").read_bytes()
    assert got != case.expected.encode("utf-8"), (
        f"the legacy engine agrees now; drop nunjitsu_only ({case.nunjitsu_only})"
    )


@pytest.mark.parametrize("name", list(MATRIX))
def test_project_tree_matches_legacy_engine(name: str, legacy_runs: LegacyRuns) -> None:
    """The built skeletons through scaffolder-backend 4.0.2 vs mlscaffold's trees."""
    from mlscaffold.api import render_project

    steps = legacy_runs.projects[name]
    for run in steps:
        assert run.result.ok, f"legacy engine failed: {run.result.error_message}"
    ours = steps[0].out.parent / "mlscaffold"
    inputs = {i: {"input": v} for i, v in _fetch_inputs(TEMPLATE_YAML).items()}
    write_workspace(render_project(MATRIX[name]), inputs, ours)
    assert diff_trees(steps[0].out, ours) == []
