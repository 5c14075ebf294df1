"""Benchmark: render + validate 10, 100 and 1,000 teams (wall time, peak memory).

Run from the repository root with the venv's interpreter (a pyenv shim adds start-up
time):

    .venv/bin/python benchmarks/bench_fleet.py --jobs 2 --sizes 10 100 1000

Each size runs in a fresh process, so its peak memory (the whole process tree:
the parent plus its worker processes, sampled from /proc every 20 ms) and its
start-up cost are its own. Validation uses the CRDs in $MLSCAFFOLD_CRDS or
``../shared/crds``, with kubeconform off (as `mlscaffold fleet render` defaults).
The results are printed as a Markdown table for benchmarks/RESULTS-fleet.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SIZES = ("xs", "s", "m", "l")
ACCELERATORS = (
    "none",
    "nvidia.com/gpu",
    "nvidia.com/mig-1g.10gb",
    "nvidia.com/mig-3g.40gb",
)


def fleet(count: int) -> list[dict[str, Any]]:
    """``count`` valid, varied teams (sizes, maturity, serving mode, cost centers)."""
    teams = []
    for i in range(count):
        size = SIZES[i % 4]
        teams.append({
            "team": f"team{i:04d}",
            "owner": f"group:default/team{i:04d}",
            "repoUrl": f"github.com?owner=acme&repo=team{i:04d}-ml",
            "modelName": f"model{i:04d}",
            "size": size,
            "accelerator": "none" if size == "xs" else ACCELERATORS[1 + i % 3],
            "gpuHoursPerMonth": 0 if size == "xs" else 100,
            "maturity": "L3" if i % 2 else "L2",
            "servingMode": "always-on" if i % 3 == 0 else "scale-to-zero",
            "costCenter": f"cc-{i % 17}" if i % 5 else "",
            "description": f"Team {i}: models for \"things\"; see #{i}",
        })  # fmt: skip
    return teams


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants, in KiB."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(next(
                ln.split()[1] for ln in status.splitlines() if ln.startswith("VmRSS:")
            ))  # fmt: skip
            for task in Path(f"/proc/{current}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, StopIteration, ValueError):
            continue
    return total


def _changed_copy(tmp: Path) -> Any:
    """The installed sources with one comment changed: every team's diff has a file."""
    import shutil

    from mlscaffold.fleet.revision import PlatformSources, installed_sources

    base = installed_sources()
    shutil.copytree(base.skeleton, tmp / "skeleton", symlinks=True)
    limits = tmp / "skeleton" / "deploy" / "limitrange.yaml"
    limits.write_text(
        "# changed\n" + limits.read_text(encoding="utf-8"), encoding="utf-8"
    )
    return PlatformSources(tmp / "skeleton", base.platform_file, "changed")


def _run(count: int, jobs: int, diff: bool) -> tuple[int, int]:
    """Render (+ diff) and validate; return (files, failed teams)."""
    import tempfile

    from mlscaffold.fleet.diff import diff_fleet
    from mlscaffold.fleet.render import render_fleet
    from mlscaffold.fleet.revision import installed_sources
    from mlscaffold.report.model import Severity
    from mlscaffold.teams import Team
    from mlscaffold.validate import ValidateOptions

    crds = Path(os.environ.get("MLSCAFFOLD_CRDS") or REPO.parent / "shared" / "crds")
    options = ValidateOptions(crd_dirs=(crds,), kubeconform="off")
    teams = [Team(p["team"], p) for p in fleet(count)]
    if diff:
        with tempfile.TemporaryDirectory() as tmp:
            head = _changed_copy(Path(tmp))
            result = diff_fleet(
                teams, installed_sources(), head, validate=options, jobs=jobs
            )
        changed = sum(len(t.changes) for t in result.teams)
        return changed, sum(1 for t in result.teams if t.error or t.new_findings)
    results = render_fleet(teams, installed_sources(), validate=options, jobs=jobs)
    failed = [
        r.team
        for r in results
        if r.error or r.report.at_least(Severity.ERROR)
        for r in results
        if r.error or any(f.severity >= 30 for f in r.report.findings)
    ]
    return sum(r.files for r in results), len(failed)


def one(count: int, jobs: int, diff: bool = False) -> dict[str, Any]:
    """Time one fleet run in this process tree and sample its peak memory."""
    peak = [0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _tree_rss_kb(os.getpid()))
            stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    files, failed = _run(count, jobs, diff)
    wall = time.perf_counter() - start
    stop.set()
    sampler.join()
    return {
        "mode": "diff" if diff else "render",
        "teams": count,
        "jobs": jobs,
        "wall_s": round(wall, 2),
        "ms_per_team": round(wall / count * 1000, 1),
        "peak_rss_mb": round(peak[0] / 1024),
        "files": files,
        "failed": failed,
        "load_1min": round(os.getloadavg()[0], 1),
    }


def phases(count: int) -> dict[str, float]:
    """Warm, one core, in this process: ms per team for each phase."""
    from mlscaffold.api import render_project
    from mlscaffold.fleet.render import renderer_for
    from mlscaffold.fleet.revision import installed_sources
    from mlscaffold.validate import ValidateOptions, validate_tree

    crds = Path(os.environ.get("MLSCAFFOLD_CRDS") or REPO.parent / "shared" / "crds")
    options = ValidateOptions(crd_dirs=(crds,), kubeconform="off")
    teams = fleet(count)
    renderer = renderer_for(installed_sources())
    validate_tree(renderer.render(teams[0]).combined_tree(), options=options)  # warm up
    start = time.perf_counter()
    trees = [renderer.render(team).combined_tree() for team in teams]
    render_ms = (time.perf_counter() - start) / count * 1000
    start = time.perf_counter()
    for tree in trees:
        validate_tree(tree, options=options)
    validate_ms = (time.perf_counter() - start) / count * 1000
    start = time.perf_counter()
    for team in teams[:20]:
        render_project(team)
    api_ms = (time.perf_counter() - start) / min(20, count) * 1000
    return {
        "fleet_render_ms": round(render_ms, 2),
        "validate_ms": round(validate_ms, 2),
        "api_render_project_ms": round(api_ms, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--diff",
        action="store_true",
        help="Time fleet diff instead: every team renders and validates twice "
        "(one changed file each); 'files' counts changed files.",
    )
    parser.add_argument(
        "--phases", type=int, metavar="N", help="Time each phase over N teams, warm."
    )
    args = parser.parse_args()
    if args.phases:
        print(json.dumps(phases(args.phases)))
        return
    if args.one is not None:
        print(json.dumps(one(args.one, args.jobs, args.diff)))
        return
    rows = []
    for count in args.sizes:
        done = subprocess.run(
            [sys.executable, __file__, "--one", str(count), "--jobs", str(args.jobs),
             *(["--diff"] if args.diff else [])],
            capture_output=True, text=True, check=True, cwd=REPO,
        )  # fmt: skip
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(rows[-1], file=sys.stderr)
    print(
        "| mode | teams | jobs | wall (s) | ms per team | peak RSS, process tree (MB) "
        "| files | failed | load avg (1 min, at end) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        cells = ("mode", "teams", "jobs", "wall_s", "ms_per_team", "peak_rss_mb",
                 "files", "failed", "load_1min")  # fmt: skip
        print("| " + " | ".join(str(r[c]) for c in cells) + " |")


if __name__ == "__main__":
    main()
