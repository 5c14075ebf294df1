"""Service-account references must name an account the tree defines (MLS411)."""

from __future__ import annotations

from collections.abc import Iterator

from mlscaffold.validate.crossref.team import RuleHit, Tree, workflow_spec
from mlscaffold.validate.documents import Document, pointer_of
from mlscaffold.validate.pods import as_list, as_map


def service_account_hits(tree: Tree) -> Iterator[RuleHit]:
    """MLS411: workloads and bindings naming a service account the tree lacks."""
    known = tree.names("ServiceAccount") | {"default"}
    if known == {"default"}:
        return
    for doc, pointer, name in _sa_refs(tree):
        if name not in known:
            yield (
                "MLS411",
                doc,
                pointer,
                (
                    f"Service account: {doc.kind} {doc.name} uses service "
                    f'account "{name}", which this tree does not define; '
                    f"write one of {', '.join(sorted(known))}."
                ),
            )


def _sa_refs(tree: Tree) -> Iterator[tuple[Document, str, str]]:
    for pod in tree.pods:
        if pod.service_account is not None:
            yield (
                pod.document,
                pod.service_account.pointer,
                str(pod.service_account.value),
            )
    for doc in tree.docs:
        spec, base = workflow_spec(doc)
        for path in (("serviceAccountName",), ("executor", "serviceAccountName")):
            value = (
                as_map(spec.get(path[0])).get(path[1])
                if len(path) == 2
                else spec.get(path[0])
            )
            if isinstance(value, str):
                yield doc, pointer_of((*base, *path)), value
        if doc.kind == "RoleBinding":
            for i, subject in enumerate(as_list(as_map(doc.data).get("subjects"))):
                subject = as_map(subject)
                if (
                    subject.get("kind") == "ServiceAccount"
                    and subject.get("namespace", doc.namespace) == doc.namespace
                ):
                    yield doc, f"/subjects/{i}/name", str(subject.get("name"))
