"""Benchmark one cold `mlscaffold render` beside Backstage's own fetch:template.

Run from the repository root with the venv's interpreter (a pyenv shim adds ~95 ms):

    .venv/bin/python benchmarks/bench_render.py [--repeat 7]

Each round runs, in a new process each, interleaved so that machine load hits all
three alike:
  validate    `mlscaffold render` of one team with full validation (schemas, CEL,
              Pod Security, cross-resource rules; the shipped CRD schemas, an empty
              cache, kubeconform off): the README's first command
  no-validate the same with --no-validate
  backstage   Backstage's real fetch:template (tests/parity/node/render.js, Node) on
              the same team's step input, from template.yaml
Wall time and the CPU time of the child process are both reported: on a shared
machine the wall time grows with other people's load, the CPU time much less.
Round 0 starts with an empty cache and is reported on its own; later rounds find
the compiled skeleton templates in the cache the first one wrote (as a second render
on a user's machine does). Python writes bytecode as a wheel install would have it
(PYTHONDONTWRITEBYTECODE is dropped for the children).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = REPO / "backstage" / "ml-project" / "template.yaml"
RENDER_JS = REPO / "tests" / "parity" / "node" / "render.js"
PARAMS = {
    "team": "recs",
    "owner": "group:default/recs",
    "repoUrl": "github.com?owner=acme&repo=recs-ml",
    "modelName": "ranker",
}


def timed(command: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, child CPU) seconds of one run; fails loudly if the command fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def backstage_inputs() -> list[dict[str, object]] | None:
    """The team's input to each fetch:template step (the team repository and the
    platform change) as Backstage computes it (not timed), or None when Node or the
    parity packages are absent."""
    if shutil.which("node") is None or not (RENDER_JS.parent / "node_modules").exists():
        return None
    sys.path.insert(0, str(REPO))
    from tests.parity.oracle import ValuesJob, backstage_step_inputs

    step_ids = fetch_step_ids(TEMPLATE)
    (step,) = backstage_step_inputs([ValuesJob(TEMPLATE, step_ids[0], PARAMS)])
    return [dict(step["steps"][step_id]["input"]) for step_id in step_ids]


def fetch_step_ids(template: Path) -> list[str]:
    """The ids of the template's fetch:template steps, in order."""
    import yaml

    data = yaml.safe_load(template.read_text(encoding="utf-8"))
    return [
        str(step["id"])
        for step in data["spec"]["steps"]
        if step["action"] == "fetch:template"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    mlscaffold = str(Path(sys.executable).parent / "mlscaffold")
    sets = [arg for key, value in PARAMS.items() for arg in ("--set", f"{key}={value}")]
    results: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        env = {**os.environ, "MLSCAFFOLD_CACHE_DIR": str(root / "cache")}
        env.pop("MLSCAFFOLD_CRDS", None)  # the shipped schemas, as on a fresh machine
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(REPO / "mlscaffold")],
            env=env,
            check=True,
            capture_output=True,
        )
        step_inputs = backstage_inputs()
        for n in range(args.repeat + 1):
            runs = {
                "validate": [mlscaffold, "render", *sets, "-o", f"{tmp}/v{n}/repo",
                             "--platform-out", f"{tmp}/v{n}/platform"],
                "no-validate": [mlscaffold, "render", *sets, "--no-validate",
                                "-o", f"{tmp}/n{n}/repo",
                                "--platform-out", f"{tmp}/n{n}/platform"],
            }  # fmt: skip
            if step_inputs is not None:
                # Both fetch steps into one workspace, as the task runs them.
                job = root / f"job{n}.json"
                job.write_text(
                    json.dumps(
                        [{"out": f"{tmp}/b{n}", "template": str(TEMPLATE),
                          "input": step_input} for step_input in step_inputs]
                    )
                )  # fmt: skip
                node = shutil.which("node") or "node"
                runs["backstage"] = [
                    node,
                    "--no-node-snapshot",
                    str(RENDER_JS),
                    str(job),
                ]
            for name, command in runs.items():
                label = f"{name} (empty cache)" if n == 0 else name
                results.setdefault(label, []).append(timed(command, env))
        cached = sorted(p.name for p in (root / "cache").iterdir())

    print(
        f"python {platform.python_version()}, {platform.machine()}, "
        f"{os.cpu_count()} cpus, load {os.getloadavg()[0]:.1f}"
    )
    for name in ("Jinja2", "jsonschema-rs", "cel-expr-python", "PyYAML", "click"):
        print(f"  {name} {version(name)}")
    if shutil.which("node"):
        node_version = subprocess.run(
            ["node", "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
        print(f"  node {node_version}")
    print(f"cache folders after the runs: {', '.join(cached)}")
    for name, measured in results.items():
        walls = [wall for wall, _ in measured]
        cpus = [cpu for _, cpu in measured]
        print(
            f"{name:26} wall median {statistics.median(walls) * 1000:.0f} ms "
            f"(min {min(walls) * 1000:.0f}); cpu median "
            f"{statistics.median(cpus) * 1000:.0f} ms (min {min(cpus) * 1000:.0f})"
        )
    if "backstage" not in results:
        print("backstage: not measured: node or tests/parity/node/node_modules absent")


if __name__ == "__main__":
    main()
