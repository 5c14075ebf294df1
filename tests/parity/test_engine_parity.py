"""Engine parity: mlscaffold's renderer and writer vs Backstage's fetch:template."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .cases import ALL_CASES, Case, build_skeleton
from .compare import diff_trees
from .oracle import RenderJob, RenderResult, backstage_render_many, require_oracle

pytestmark = [pytest.mark.parity]


@dataclass(frozen=True)
class BackstageRun:
    """Where a case's skeleton is and what Backstage made of it."""

    skeleton: Path
    out: Path
    result: RenderResult


def case_jobs(root: Path) -> list[RenderJob]:
    """One render job per engine case, its skeleton built under ``root``."""
    jobs = []
    for index, case in enumerate(ALL_CASES):
        # Short numbered folders: case ids hold characters a path should not.
        skeleton = root / f"c{index:03d}" / "skeleton"
        build_skeleton(skeleton, case.files)
        jobs.append(
            RenderJob(
                out=root / f"c{index:03d}" / "backstage",
                skeleton=skeleton,
                values=case.values,
                input=case.backstage_input(),
            )
        )
    return jobs


@pytest.fixture(scope="session")
def backstage_runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> Mapping[str, BackstageRun]:
    """Every case rendered by Backstage in one Node process (loading costs ~1 s)."""
    require_oracle()
    jobs = case_jobs(tmp_path_factory.mktemp("engine-parity"))
    results = backstage_render_many(jobs)
    return {
        case.id: BackstageRun(job.skeleton or Path(), job.out, result)
        for case, job, result in zip(ALL_CASES, jobs, results, strict=True)
    }


def render_with_mlscaffold(case: Case, skeleton: Path, out: Path) -> None:
    """Render and write the case with mlscaffold's engine, as the CLI would."""
    # Imported here so the oracle's own checks still run while the engine is absent.
    from mlscaffold.render.skeleton import render_skeleton
    from mlscaffold.render.write import write_tree

    tree = render_skeleton(
        skeleton,
        case.values,
        copy_without_templating=case.copy_without_templating or (),
        template_file_extension=case.template_file_extension,
        trim_blocks=case.trim_blocks,
        lstrip_blocks=case.lstrip_blocks,
    )
    write_tree(tree, out)


def _ids(cases: tuple[Case, ...]) -> list[Any]:
    return [pytest.param(case, id=case.id) for case in cases]


@pytest.mark.parametrize("case", _ids(ALL_CASES))
def test_backstage_behaves_as_documented(
    case: Case, backstage_runs: Mapping[str, BackstageRun]
) -> None:
    """The oracle reproduces backstage-fidelity.md: guards against a broken harness."""
    run = backstage_runs[case.id]
    if case.error is not None:
        assert not run.result.ok, "Backstage rendered a case documented to fail"
        assert case.error in (run.result.error_message or "")
        return
    assert run.result.ok, f"Backstage failed: {run.result.error_message}"
    if case.expected is not None:
        assert (run.out / "out.txt").read_bytes() == case.expected.encode("utf-8")
    if case.paths is not None:
        assert _listing(run.out) == sorted(case.paths)
    for rel, fact in case.facts.items():
        path = run.out / rel
        if isinstance(fact, bytes):
            assert path.read_bytes() == fact, rel
        elif _umask() == 0o022:  # the documented modes assume the usual umask
            assert stat.S_IMODE(path.lstat().st_mode) == fact, rel


def _listing(root: Path) -> list[str]:
    """Every path under root, directories with a trailing slash (as globby marks)."""
    paths = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in (*dirnames, *filenames):
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            paths.append(rel + "/" if path.is_dir() and not path.is_symlink() else rel)
    return sorted(paths)


def _umask() -> int:
    """The process umask (reading it means setting it, so put it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@pytest.mark.parametrize("case", _ids(ALL_CASES))
def test_engine_matches_backstage(
    case: Case, backstage_runs: Mapping[str, BackstageRun], tmp_path: Path
) -> None:
    """Same bytes, modes, names and links as Backstage; or both refuse the skeleton."""
    from mlscaffold.errors import MlscaffoldError

    run = backstage_runs[case.id]
    ours = tmp_path / "mlscaffold"
    if not run.result.ok:
        # ValueError too: a bad option combination is a caller error.
        with pytest.raises((MlscaffoldError, ValueError)) as caught:
            render_with_mlscaffold(case, run.skeleton, ours)
        if case.error:
            assert case.error in str(caught.value), (
                f"Backstage said: {run.result.error_message}"
            )
        return
    render_with_mlscaffold(case, run.skeleton, ours)
    assert diff_trees(run.out, ours) == []
