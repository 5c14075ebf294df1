"""What the Kubernetes API server refuses at create time, beyond the JSON Schemas.

Offline and stricter than kubectl-validate: duplicate YAML keys, ``metadata``
rules, ``x-kubernetes-list-type`` uniqueness, integer formats, quantities and the
hand-written core validations users hit most. Every finding points at the
rendered line of the offending node.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from mlscaffold.errors import Location
from mlscaffold.report.model import Finding, Severity
from mlscaffold.report.rules import rule_table
from mlscaffold.validate.documents import Document
from mlscaffold.validate.pods import PodLookup, effective_pods
from mlscaffold.validate.schema.core import pod_hits, service_hits
from mlscaffold.validate.schema.metadata import FieldHit, metadata_hits
from mlscaffold.validate.schema.store import (
    DEFAULT_KUBE_VERSION,
    SchemaStore,
    parse_kube_version,
)
from mlscaffold.validate.schema.structural import SchemaWalker

__all__ = ["APISERVER_RULES", "TOOL", "check_apiserver"]

TOOL = "apiserver"

#: The API-server rules, by id.
APISERVER_RULES = rule_table(
    TOOL,
    (
        ("MLS130", Severity.ERROR, "duplicate key in a YAML mapping"),
        ("MLS131", Severity.ERROR, "invalid object name or namespace for the kind"),
        ("MLS132", Severity.ERROR, "invalid generateName"),
        ("MLS133", Severity.ERROR, "invalid label key"),
        ("MLS134", Severity.ERROR, "invalid label value"),
        ("MLS135", Severity.ERROR, "invalid annotation key"),
        ("MLS136", Severity.ERROR, "annotations larger than 256 KiB"),
        ("MLS140", Severity.ERROR, "duplicate entry in a list-type map or set"),
        ("MLS141", Severity.ERROR, "malformed or negative resource quantity"),
        ("MLS142", Severity.ERROR, "integer out of range for its format"),
        ("MLS150", Severity.ERROR, "env value with valueFrom, or not one source"),
        ("MLS151", Severity.ERROR, "port number out of range"),
        ("MLS152", Severity.ERROR, "probe or lifecycle handler not exactly one"),
        ("MLS153", Severity.ERROR, "volume with more than one source"),
        ("MLS154", Severity.ERROR, "container name used twice in a pod"),
        ("MLS155", Severity.ERROR, "request above limit, or extended resource"),
        ("MLS156", Severity.ERROR, "resource name containers cannot request"),
        ("MLS157", Severity.ERROR, "invalid container, volume or port name"),
        ("MLS158", Severity.ERROR, "volumeMount names no volume of the pod"),
        ("MLS159", Severity.ERROR, "container without an image"),
        ("MLS160", Severity.ERROR, "env name the Kubernetes version refuses"),
    ),
)


def check_apiserver(
    docs: Sequence[Document],
    store: SchemaStore | None = None,
    *,
    pods: PodLookup = effective_pods,
) -> list[Finding]:
    """Findings MLS130-MLS160 for every document.

    Args:
        docs: Parsed Kubernetes documents.
        store: Schemas, for the rules they imply but do not enforce (list
            types, integer formats, core quantities); None skips those rules.
            Its Kubernetes version picks the env name rule (default 1.33).
        pods: Effective pods of a document (the orchestrator shares a memoized
            lookup with the policy and cross-resource checks).

    Returns:
        One finding per problem.
    """
    walker = SchemaWalker(store.definitions().get("$defs", {})) if store else None
    version = parse_kube_version(store.kube_version if store else DEFAULT_KUBE_VERSION)
    findings: list[Finding] = []
    for doc in docs:
        findings += _findings(doc, _duplicate_hits(doc))
        findings += _findings(doc, metadata_hits(doc))
        info = store.lookup(doc.api_version, doc.kind) if store else None
        if walker is not None and info is not None:
            findings += _findings(doc, walker.hits(doc.data, info.load()))
        if doc.kind == "Service" and doc.api_version == "v1":
            findings += _findings(doc, service_hits(doc))
        hits = (h for pod in pods(doc) for h in pod_hits(pod, version))
        findings += _findings(doc, _once(hits))
    return findings


def _once(hits: Iterable[FieldHit]) -> list[FieldHit]:
    """One hit per place and rule: a workflow-level field shows in every template."""
    unique: dict[tuple[str, str], FieldHit] = {}
    for hit in hits:
        unique.setdefault((hit[0], hit[1]), hit)
    return list(unique.values())


def _duplicate_hits(doc: Document) -> Iterable[FieldHit]:
    for pointer in doc.duplicates:
        parent, _, key = pointer.rpartition("/")
        key = key.replace("~1", "/").replace("~0", "~")
        where = parent.strip("/").replace("/", ".") or "the top level"
        yield (
            "MLS130",
            pointer,
            f'key "{key}" already set in map ({where}); YAML keeps only the last '
            "value and the API server refuses the object: write each key once",
        )


def _findings(doc: Document, hits: Iterable[FieldHit]) -> list[Finding]:
    source = Location(doc.source) if doc.source else None
    return [
        Finding(
            doc.locate(pointer),
            rule,
            APISERVER_RULES[rule].severity,
            message,
            source=source,
            tool=TOOL,
        )
        for rule, pointer, message in hits
    ]
