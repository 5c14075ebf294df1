"""What a rendered project amounts to, in a few facts: the render summary's data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from mlscaffold.params import HOURS_PER_MONTH
from mlscaffold.settings import SizePreset

if TYPE_CHECKING:
    from mlscaffold.api import RenderedProject
    from mlscaffold.render.tree import RenderedTree

__all__ = ["ProjectSummary", "summarize"]

# The C loader: the pure-Python one takes about 0.25 s for the WorkflowTemplate.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class ProjectSummary:
    """The facts `render` prints and `preview` shows beside the files.

    Attributes:
        team: The team name.
        namespace: The team namespace.
        files: How many regular files were rendered.
        size: The size preset's name.
        quota: The size preset's quota.
        accelerator: The GPU resource, or ``none``.
        queue: The team's LocalQueue.
        cluster_queue: The shared ClusterQueue it points at.
        pipeline: The WorkflowTemplate's name.
        pipeline_steps: The tasks of its entrypoint DAG, as rendered, in order.
        retrain_schedule: The CronWorkflow's schedule at L3, else None.
        model: The served model's name.
        model_format: Its KServe model format.
        serving_mode: ``scale-to-zero`` or ``always-on``.
        gpu_hours_capacity: GPU hours the size's quota can use in a month.
        gpu_hours_budget: The GPU hours per month the team budgeted.
    """

    team: str
    namespace: str
    files: int
    size: str
    quota: SizePreset
    accelerator: str
    queue: str
    cluster_queue: str
    pipeline: str
    pipeline_steps: tuple[str, ...]
    retrain_schedule: str | None
    model: str
    model_format: str
    serving_mode: str
    gpu_hours_capacity: int
    gpu_hours_budget: int


def summarize(project: RenderedProject) -> ProjectSummary:
    """Summarize a rendered project from its parameters, values and files.

    The pipeline steps are read from the rendered WorkflowTemplate, so a skeleton
    edit that adds or renames a step shows in the summary.

    Args:
        project: The rendered project.
    """
    p = project.params
    size = project.platform.sizes[p.size]
    return ProjectSummary(
        team=p.team,
        namespace=p.namespace,
        files=sum(1 for _ in project.tree.files()),
        size=p.size,
        quota=size,
        accelerator=p.accelerator,
        queue=f"{p.team}-queue",
        cluster_queue=project.platform.cluster_queue,
        pipeline=f"{p.team}-pipeline",
        pipeline_steps=_pipeline_steps(project.tree),
        retrain_schedule=p.retrainSchedule if p.maturity == "L3" else None,
        model=p.modelName,
        model_format=p.modelFormat,
        serving_mode=p.servingMode,
        gpu_hours_capacity=size.gpus * HOURS_PER_MONTH,
        gpu_hours_budget=p.gpuHoursPerMonth,
    )


def _pipeline_steps(tree: RenderedTree) -> tuple[str, ...]:
    for path, entry in tree.files():
        if path.endswith((".yaml", ".yml")) and b"WorkflowTemplate" in entry.data:
            try:
                docs = list(yaml.load_all(entry.data, Loader=_LOADER))
            except yaml.YAMLError:
                continue  # validation reports the broken file; the summary omits it
            for doc in docs:
                steps = _dag_tasks(doc)
                if steps:
                    return steps
    return ()


def _dag_tasks(doc: Any) -> tuple[str, ...]:
    if not isinstance(doc, dict) or doc.get("kind") != "WorkflowTemplate":
        return ()
    spec = doc.get("spec") or {}
    for template in spec.get("templates") or []:
        if isinstance(template, dict) and template.get("name") == spec.get(
            "entrypoint"
        ):
            tasks = (template.get("dag") or {}).get("tasks") or []
            return tuple(str(t.get("name")) for t in tasks if isinstance(t, dict))
    return ()
