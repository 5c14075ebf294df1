"""Benchmark `mlscaffold validate`: one project cold and warm, and a large corpus.

Run from the repository root with the venv's interpreter (a pyenv shim adds ~95 ms):

    .venv/bin/python benchmarks/bench_validate.py [--projects 1000] [--repeat 5]

The pinned CRDs come from $MLSCAFFOLD_CRDS or ../shared/crds. The script uses a
fresh cache directory, converts the CRDs once (reported separately), then measures:
cold = a new interpreter importing mlscaffold and validating one project (what the
CLI pays), warm = the same in-process call repeated, corpus = one call over N copies
of the project. kubeconform is off everywhere; its anchors are in design.md section 9.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROJECT = REPO / "tests" / "data" / "manifests" / "valid-project"


def crd_dir() -> Path:
    override = os.environ.get("MLSCAFFOLD_CRDS")
    return Path(override) if override else REPO.parent / "shared" / "crds"


def make_corpus(root: Path, count: int) -> int:
    """Copy the project ``count`` times under new team names; return the file count."""
    files = [p for p in sorted(PROJECT.rglob("*.yaml")) if p.is_file()]
    texts = {p.relative_to(PROJECT): p.read_text() for p in files}
    for i in range(count):
        team = f"team{i:04d}"
        for rel, text in texts.items():
            target = root / team / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text.replace("fraud", team))
    return count * len(texts)


COLD = """
import sys
from pathlib import Path
from mlscaffold.validate import ValidateOptions, validate_paths
report = validate_paths([Path(sys.argv[1])], options=ValidateOptions(
    crd_dirs=[Path(sys.argv[2])], kubeconform="off"))
"""


def cold(repeat: int, env: dict[str, str]) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", COLD, str(PROJECT), str(crd_dir())],
            check=True,
            env=env,
        )
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="mls-bench-") as tmp:
        cache = Path(tmp, "cache")
        os.environ["MLSCAFFOLD_CACHE_DIR"] = str(cache)
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        sys.path.insert(0, str(REPO))

        from mlscaffold.validate import ValidateOptions, validate_paths
        from mlscaffold.validate.documents import parse_documents
        from mlscaffold.validate.schema_check import validate_documents
        from mlscaffold.validate.schemas import SchemaStore

        start = time.perf_counter()
        SchemaStore(crd_dirs=[crd_dir()], cache_dir=cache)
        print(f"first run, converting the CRDs: {time.perf_counter() - start:.2f} s")

        cold_times = cold(args.repeat, env)
        print(
            "cold (new process, one project): "
            f"median {statistics.median(cold_times):.3f} s "
            f"(min {min(cold_times):.3f})"
        )

        options = ValidateOptions(crd_dirs=[crd_dir()], kubeconform="off")
        validate_paths([PROJECT], options=options)
        warm_times = []
        for _ in range(max(args.repeat * 10, 20)):
            start = time.perf_counter()
            validate_paths([PROJECT], options=options)
            warm_times.append(time.perf_counter() - start)
        warm_ms = statistics.median(warm_times) * 1000
        print(f"warm (in process, one project): median {warm_ms:.1f} ms")

        corpus = Path(tmp, "corpus")
        files = make_corpus(corpus, args.projects)
        start = time.perf_counter()
        report = validate_paths([corpus], options=options)
        total = time.perf_counter() - start
        print(
            f"corpus ({args.projects} projects, {files} files, all checks): "
            f"{total:.2f} s, "
            f"{len(report.findings)} findings"
        )

        store = SchemaStore(crd_dirs=[crd_dir()], cache_dir=cache)
        start = time.perf_counter()
        docs = []
        for path in sorted(corpus.rglob("*.yaml")):
            if path.name != "catalog-info.yaml":
                docs.extend(parse_documents(path.read_text(), path.as_posix()))
        parsed = time.perf_counter()
        validate_documents(docs, store)
        done = time.perf_counter()
        print(
            f"corpus schema only: {len(docs)} documents, parse {parsed - start:.2f} s, "
            f"validate {done - parsed:.2f} s"
        )


if __name__ == "__main__":
    main()
