"""Label rules: the Kueue queue label and the cost labels (MLS406-407, MLS417-418)."""

from __future__ import annotations

from collections.abc import Iterator

from mlscaffold.validate.crossref.team import (
    RuleHit,
    Tree,
    argo_label_sets,
    nested_label_sets,
)
from mlscaffold.validate.pods import as_map

QUEUE_LABEL = "kueue.x-k8s.io/queue-name"
COST_LABELS = ("cost.mlscaffold.io/team", "cost.mlscaffold.io/project")


def queue_hits(tree: Tree) -> Iterator[RuleHit]:
    """MLS406/407: workflow pods must name one of the tree's LocalQueues."""
    queues = {d.name for d in tree.of_kind("LocalQueue")}
    if not queues:
        return
    for pods in argo_label_sets(tree):
        doc, pointer, what = pods.document, pods.anchor, pods.what
        queue, where = pods.labels.get(QUEUE_LABEL, (None, pointer))
        if queue is None:
            yield (
                "MLS407",
                doc,
                pointer,
                (
                    f"Kueue: the pods of {what} carry no {QUEUE_LABEL} label, so "
                    f"Kueue does not account for them; add {QUEUE_LABEL}: "
                    f"{sorted(queues)[0]}."
                ),
            )
        elif queue not in queues:
            yield (
                "MLS406",
                doc,
                where,
                (
                    f'Kueue: the pods of {what} name queue "{queue}", which this '
                    f"tree does not define; write {QUEUE_LABEL}: {sorted(queues)[0]}."
                ),
            )


def cost_label_hits(tree: Tree) -> Iterator[RuleHit]:
    """MLS417/418: objects and pod templates must carry the cost labels."""
    for doc in tree.docs:
        labels = as_map(as_map(as_map(doc.data).get("metadata")).get("labels"))
        missing = [label for label in COST_LABELS if label not in labels]
        if missing:
            pointer = "/metadata/labels" if labels else "/metadata"
            yield (
                "MLS417",
                doc,
                pointer,
                (
                    f"Cost labels: {doc.kind} {doc.name} lacks {', '.join(missing)}; "
                    "add the missing labels to metadata.labels so OpenCost can "
                    "attribute its cost."
                ),
            )
    for pods in nested_label_sets(tree):
        missing = [label for label in COST_LABELS if label not in pods.labels]
        if missing:
            yield (
                "MLS418",
                pods.document,
                pods.anchor,
                (
                    f"Cost labels: the pods of {pods.what} lack "
                    f"{', '.join(missing)}; add them to the pod labels "
                    "(podMetadata, template metadata or component labels)."
                ),
            )
