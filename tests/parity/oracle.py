"""Python side of the parity oracle: runs Backstage's real code through Node."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest

NODE_DIR = Path(__file__).resolve().parent / "node"
NODE_MODULES = NODE_DIR / "node_modules"
# scaffolder-backend 4.0.2: nunjucks 3.2.4 in isolated-vm, the engine of older Backstage
# installs (backstage-fidelity.md section 1.3). Only render.js runs against it.
LEGACY_DIR = Path(__file__).resolve().parent / "node-legacy"
Engine = Literal["nunjitsu", "legacy"]
# Engine -> the folder whose node_modules render.js loads Backstage from.
MODULES_DIRS: Mapping[Engine, Path] = {"nunjitsu": NODE_DIR, "legacy": LEGACY_DIR}
# The legacy engine's native addon: a failed build can leave node_modules behind.
_ISOLATED_VM_ADDON = Path("node_modules", "isolated-vm", "out", "isolated_vm.node")
# --no-node-snapshot: the legacy engine (isolated-vm) needs it and the nunjitsu one does
# not mind; keeping it always means one way of starting the oracle.
NODE_FLAGS = ("--no-node-snapshot",)
# A safety net against a hung Node process, not a performance assertion.
_TIMEOUT_SECONDS = 900
_INSTALL_HINTS: Mapping[Engine, str] = {
    "nunjitsu": "npm ci --no-audit --no-fund --prefix tests/parity/node",
    "legacy": "npm ci --no-audit --no-fund --prefix tests/parity/node-legacy",
}


class OracleError(RuntimeError):
    """The oracle could not produce an answer (bad job, Node crashed, bad JSON)."""


@dataclass(frozen=True)
class RenderJob:
    """One fetch:template run.

    Attributes:
        out: Workspace directory the action writes into (created if missing).
        skeleton: Skeleton directory, fetched as a plain local copy.
        template: Alternatively a template.yaml whose folder anchors ``input["url"]``.
        values: The step's ``values`` input; None keeps ``input["values"]`` as given.
        input: Any other fetch:template input (``copyWithoutTemplating``, ...).
    """

    out: Path
    skeleton: Path | None = None
    template: Path | None = None
    values: Mapping[str, Any] | None = None
    input: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The job as render.js reads it."""
        job: dict[str, Any] = {"out": str(self.out), "input": dict(self.input)}
        if self.values is not None:
            job["values"] = dict(self.values)
        if self.skeleton is not None:
            job["skeleton"] = str(self.skeleton)
        if self.template is not None:
            job["template"] = str(self.template)
        return job


@dataclass(frozen=True)
class RenderResult:
    """Outcome of one job: ``ok``, or the error Backstage raised."""

    ok: bool
    error_name: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class EntityResult:
    """Validation outcome of one YAML document."""

    file: str
    document: int
    kind: str | None
    name: str | None
    ok: bool
    errors: tuple[str, ...]


@dataclass(frozen=True)
class ValuesJob:
    """One workflow run for :func:`backstage_step_inputs`."""

    template: Path
    step_id: str
    parameters: Mapping[str, Any]


def oracle_missing_reason(engine: Engine = "nunjitsu") -> str | None:
    """Why the oracle for ``engine`` cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not on PATH"
    modules = MODULES_DIRS[engine] / "node_modules"
    if not modules.is_dir():
        return f"{modules} is missing; run `{_INSTALL_HINTS[engine]}`"
    if engine == "legacy" and not (LEGACY_DIR / _ISOLATED_VM_ADDON).is_file():
        return (
            f"isolated-vm's native addon {LEGACY_DIR / _ISOLATED_VM_ADDON} was not"
            f" built; rerun `{_INSTALL_HINTS[engine]}` and read its node-gyp error"
        )
    return None


def require_oracle(engine: Engine = "nunjitsu") -> None:
    """Skip the calling test when the oracle is not installed; fail instead under CI.

    CI must run parity, so a missing install there is a broken pipeline, not a skip.

    Args:
        engine: Which Backstage engine's install the test needs.
    """
    reason = oracle_missing_reason(engine)
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"parity oracle ({engine}) unavailable under CI: {reason}")
    pytest.skip(f"parity oracle ({engine}) unavailable: {reason}")


def _run_node(
    script: str, args: Sequence[str], stdin: str, engine: Engine = "nunjitsu"
) -> tuple[int, Any]:
    """Run one oracle script; returns its exit status and parsed JSON stdout."""
    require_oracle(engine)
    node = shutil.which("node")
    assert node is not None  # require_oracle() checked
    command = [node, *NODE_FLAGS, str(NODE_DIR / script), *args]
    proc = subprocess.run(  # argument list, no shell: paths may hold anything
        command,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        timeout=_TIMEOUT_SECONDS,
        cwd=NODE_DIR,
    )
    try:
        return proc.returncode, json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise OracleError(
            f"{script} exited {proc.returncode} without JSON output;"
            f" stderr:\n{proc.stderr.strip()}"
        ) from exc


def backstage_render_many(
    jobs: Sequence[RenderJob], engine: Engine = "nunjitsu"
) -> list[RenderResult]:
    """Render every job with the real fetch:template action in one Node process.

    Args:
        jobs: The runs, each with its own output directory.
        engine: ``nunjitsu`` (scaffolder-backend 4.3.0) or ``legacy`` (4.0.2, nunjucks).

    Returns:
        One result per job, in order.
    """
    if not jobs:
        return []
    modules = ["--modules", str(MODULES_DIRS[engine])] if engine != "nunjitsu" else []
    _status, raw = _run_node(
        "render.js", [*modules, "-"], json.dumps([j.to_json() for j in jobs]), engine
    )
    if not isinstance(raw, list) or len(raw) != len(jobs):
        raise OracleError(f"render.js returned {raw!r} for {len(jobs)} jobs")
    results = []
    for item in raw:
        error = item.get("error") or {}
        results.append(
            RenderResult(
                ok=bool(item.get("ok")),
                error_name=error.get("name"),
                error_message=error.get("message"),
            )
        )
    return results


def backstage_step_inputs(jobs: Sequence[ValuesJob]) -> list[dict[str, Any]]:
    """Run each template with Backstage's workflow runner; one Node process for all.

    Returns:
        values.js's result per job: ``{"ok": True, "step": {...}, "values": ...,
        "steps": {...}}`` or ``{"ok": False, "stage": ..., "errors": [...]}``.
    """
    if not jobs:
        return []
    payload = [
        {
            "template": str(j.template),
            "step": j.step_id,
            "parameters": dict(j.parameters),
        }
        for j in jobs
    ]
    _status, raw = _run_node("values.js", ["--batch", "-"], json.dumps(payload))
    if not isinstance(raw, list) or len(raw) != len(jobs):
        raise OracleError(f"values.js returned {raw!r} for {len(jobs)} jobs")
    return [dict(r) for r in raw]


def backstage_values(
    template_path: Path, step_id: str, parameters: Mapping[str, Any]
) -> dict[str, Any]:
    """The ``values`` input Backstage renders for one step of a template.

    Raises:
        OracleError: Backstage rejected the parameters or the run failed; the message
            carries Backstage's errors.
    """
    (result,) = backstage_step_inputs([ValuesJob(template_path, step_id, parameters)])
    if not result.get("ok"):
        raise OracleError(
            f"Backstage {result.get('stage')} error: {result.get('errors')}"
        )
    values = result.get("values")
    return dict(values) if isinstance(values, Mapping) else {}


def backstage_validate(paths: Sequence[Path]) -> list[EntityResult]:
    """Validate catalog YAML files with Backstage's entity validators.

    Returns:
        One result per non-empty YAML document, in file order.
    """
    if not paths:
        return []
    _status, raw = _run_node("validate-entities.js", [str(p) for p in paths], "")
    return [
        EntityResult(
            file=r["file"],
            document=int(r["document"]),
            kind=r.get("kind"),
            name=r.get("name"),
            ok=bool(r["ok"]),
            errors=tuple(r.get("errors") or ()),
        )
        for r in raw
    ]
