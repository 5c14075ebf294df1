"""Benchmark validation: one project cold (the CLI) and warm, and 1,000 projects.

Run from the repository root with the venv's interpreter (a pyenv shim adds ~95 ms):

    .venv/bin/python benchmarks/bench_validate.py [--projects 1000] [--repeat 7]
        [--jobs 2]

Projects are real renders of the shipped skeleton (varied sizes, maturities and
serving modes). Custom resources are checked against the CRD schemas shipped in
the package (no --crds, empty cache), CEL rules included. Measured:
  cold   `mlscaffold validate DIR` in a new process: what a user or CI step pays
  warm   validate_tree() of one rendered project, in process, repeated
  corpus one validate_paths() call over N rendered projects on disk, with jobs=1
         and with --jobs processes (0: every core), 3 runs each
  kubeconform on the same corpus and the same schemas (mlscaffold's store written
         in kubeconform's layout), when on PATH or in ../shared/bin
kubeconform is off in the mlscaffold measurements so they measure mlscaffold alone.
CPU time (user + system, children included) is printed beside wall time: the
machine is shared and wall time follows other people's load.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SIZES = [
    ("xs", "none", 0),
    ("s", "nvidia.com/gpu", 100),
    ("m", "nvidia.com/mig-1g.10gb", 400),
    ("l", "nvidia.com/gpu", 2000),
]


def team(i: int) -> dict[str, Any]:
    size, accelerator, hours = SIZES[i % len(SIZES)]
    return {
        "team": f"team{i:04d}",
        "owner": f"group:default/team{i:04d}",
        "repoUrl": f"github.com?owner=acme&repo=team{i:04d}-ml",
        "modelName": "ranker",
        "description": f'Team {i}: "quoted" text',
        "size": size,
        "accelerator": accelerator,
        "gpuHoursPerMonth": hours,
        "maturity": "L3" if i % 2 else "L2",
        "servingMode": "always-on" if i % 3 == 0 else "scale-to-zero",
    }


def cpu_seconds() -> float:
    own = os.times()
    return own.user + own.system + own.children_user + own.children_system


def timed(func: Any, repeat: int) -> list[float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        runs.append(time.perf_counter() - start)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--jobs",
        type=int,
        default=2,
        help="processes for the second corpus measurement (0: every core)",
    )
    args = parser.parse_args()

    from mlscaffold.api import render_project
    from mlscaffold.render.write import write_tree
    from mlscaffold.report.model import Severity
    from mlscaffold.validate import ValidateOptions, validate_paths, validate_tree

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        env = {**os.environ, "MLSCAFFOLD_CACHE_DIR": str(root / "cache")}
        os.environ["MLSCAFFOLD_CACHE_DIR"] = env["MLSCAFFOLD_CACHE_DIR"]
        env.pop("MLSCAFFOLD_CRDS", None)
        os.environ.pop("MLSCAFFOLD_CRDS", None)
        options = ValidateOptions(kubeconform="off")

        one = render_project(team(1)).combined_tree()
        first = timed(lambda: validate_tree(one, options=options), 1)[0]
        write_tree(one, root / "one")
        cli = [
            str(Path(sys.executable).parent / "mlscaffold"),
            "validate",
            str(root / "one"),
        ]
        cold = timed(
            lambda: subprocess.run(cli, env=env, check=True, capture_output=True),
            args.repeat,
        )
        warm = timed(lambda: validate_tree(one, options=options), args.repeat * 10)

        corpus = root / "corpus"
        for i in range(args.projects):
            write_tree(render_project(team(i)).combined_tree(), corpus / f"team{i:04d}")
        docs = len(manifest_files(corpus))
        reports: dict[int, Any] = {}

        def run_corpus(jobs: int) -> None:
            reports[jobs] = validate_paths([corpus], options=options, jobs=jobs)

        cpu_before = cpu_seconds()
        bulk = {jobs: timed(lambda j=jobs: run_corpus(j), 3) for jobs in (1, args.jobs)}
        bulk_cpu = (cpu_seconds() - cpu_before) / (2 * 3)
        cel_findings = sum(1 for f in reports[1].findings if f.tool == "cel")
        errors = len(reports[1].at_least(Severity.ERROR))
        same = reports[args.jobs] == reports[1]
        kube = kubeconform_time(corpus, root)

    print(
        f"python {platform.python_version()}, {platform.machine()}, "
        f"{os.cpu_count()} cpus, load {os.getloadavg()[0]:.1f}"
    )
    for name in (
        "jsonschema-rs",
        "jsonschema",
        "PyYAML",
        "kubernetes-validate",
        "Jinja2",
        "cel-expr-python",
    ):
        print(f"  {name} {version(name)}")
    print(f"first validate in this process (schemas loaded): {first * 1000:.0f} ms")
    print(
        "cold CLI validate, one project:  median "
        f"{statistics.median(cold) * 1000:.0f} ms (min {min(cold) * 1000:.0f})"
    )
    print(
        "warm validate_tree, one project: median "
        f"{statistics.median(warm) * 1000:.1f} ms "
        f"(min {min(warm) * 1000:.1f})"
    )
    for jobs, runs in bulk.items():
        print(
            f"corpus, jobs={jobs}: {args.projects} projects, {docs} YAML files: "
            f"median {statistics.median(runs):.2f} s (min {min(runs):.2f}); "
            f"{errors} errors"
        )
    print(f"corpus CPU per run (mean of all 6, children included): {bulk_cpu:.2f} s")
    print(f"CEL findings in the corpus (notes included): {cel_findings}")
    print(f"jobs={args.jobs} report identical to jobs=1: {same}")
    print(f"kubeconform on the same corpus: {kube}")


def manifest_files(corpus: Path) -> list[str]:
    """The files `mlscaffold validate` checks: no catalog-info, no hidden folders
    (.mlscaffold/answers.yaml is not a Kubernetes object)."""
    return sorted(
        str(p)
        for p in corpus.rglob("*.yaml")
        if "catalog-info" not in p.name
        and not any(part.startswith(".") for part in p.relative_to(corpus).parts)
    )


def kubeconform_time(corpus: Path, root: Path) -> str:
    binary = shutil.which("kubeconform")
    shared = REPO.parent / "shared" / "bin" / "kubeconform"
    if binary is None and shared.is_file():
        binary = str(shared)
    if binary is None:
        return "not measured: kubeconform is not on PATH nor in ../shared/bin"
    from mlscaffold.validate.documents import parse_documents
    from mlscaffold.validate.schema.kubeconform import (
        kubeconform_command,
        write_schema_layout,
    )
    from mlscaffold.validate.schema.store import DEFAULT_KUBE_VERSION, SchemaStore

    files = manifest_files(corpus)
    store = SchemaStore()  # the same shipped schemas mlscaffold validated with
    docs = [d for f in files[:20] for d in parse_documents(Path(f).read_text(), f)]
    write_schema_layout(store, docs, root / "kc")
    command = kubeconform_command(binary, root / "kc", files, DEFAULT_KUBE_VERSION)
    cpu_before = cpu_seconds()
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=False, text=True)
    wall = time.perf_counter() - start
    cpu = cpu_seconds() - cpu_before
    summary = " ".join(done.stdout.rsplit('"summary"', 1)[-1].split())[:100]
    return f"{wall:.2f} s wall, {cpu:.2f} s CPU, exit {done.returncode}; {summary}"


if __name__ == "__main__":
    main()
