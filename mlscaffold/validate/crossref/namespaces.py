"""Namespace and Argo CD Application rules (MLS401-MLS405, MLS427)."""

from __future__ import annotations

from collections.abc import Iterator

from mlscaffold.validate.crossref.team import (
    CLUSTER_SCOPED,
    RuleHit,
    Tree,
    is_application,
    is_argocd_object,
)
from mlscaffold.validate.pods import as_list, as_map

#: What the rules check pods against: the team's namespace and what it holds.
TEAM_CONTEXT = (
    "Namespace",
    "ResourceQuota",
    "LimitRange",
    "LocalQueue",
    "ServiceAccount",
    "NetworkPolicy",
)


def context_hits(tree: Tree) -> Iterator[RuleHit]:
    """MLS427: workloads with none of their team's context among the files.

    The rules that relate pods to the team's namespace, quota, LimitRange, queue,
    service accounts and network policies skip what is not in the tree. Since 2.0
    the team repository alone is such a tree (those objects are the platform
    change's), so a team's CI hears once that they did not run.
    """
    if not tree.pods or any(tree.of_kind(kind) for kind in TEAM_CONTEXT):
        return
    first = tree.pods[0].document
    yield (
        "MLS427",
        first,
        "/metadata",
        (
            "Team context: none of the team's Namespace, ResourceQuota, LimitRange, "
            "LocalQueue, ServiceAccounts or NetworkPolicies is among the files, so "
            "the rules that check pods against them did not run; validate the team "
            "repository with its platform change (mlscaffold validate REPO "
            "PLATFORM/teams/<team>)."
        ),
    )


def namespace_hits(tree: Tree) -> Iterator[RuleHit]:
    """MLS401/402: namespaced objects belong in the team namespace."""
    if not tree.namespace:
        return
    has_app = any(is_application(d) for d in tree.docs)
    for doc in tree.docs:
        if doc.kind in CLUSTER_SCOPED or is_argocd_object(doc):
            continue
        if doc.namespace and doc.namespace != tree.namespace:
            yield (
                "MLS401",
                doc,
                "/metadata/namespace",
                (
                    f"Namespace: {doc.kind} {doc.name} is in namespace "
                    f'"{doc.namespace}"; write namespace: {tree.namespace}.'
                ),
            )
        elif not doc.namespace and not has_app:
            yield (
                "MLS402",
                doc,
                "/metadata",
                (
                    f"Namespace: {doc.kind} {doc.name} has no namespace, "
                    "so it lands wherever kubectl points; add namespace: "
                    f"{tree.namespace}."
                ),
            )


def application_hits(tree: Tree) -> Iterator[RuleHit]:
    """MLS403-405: the Argo CD Application's namespace, destination and paths."""
    folders = {_folder(d.path) for d in tree.docs}
    for doc in (d for d in tree.docs if is_argocd_object(d)):
        if doc.namespace and doc.namespace != tree.argocd_namespace:
            yield (
                "MLS403",
                doc,
                "/metadata/namespace",
                (
                    f"Argo CD: {doc.kind} {doc.name} is in namespace "
                    f'"{doc.namespace}", where Argo CD does not look; '
                    f"write namespace: {tree.argocd_namespace}."
                ),
            )
        if not is_application(doc):
            continue
        spec = as_map(as_map(doc.data).get("spec"))
        dest = as_map(spec.get("destination")).get("namespace")
        if tree.namespace and dest != tree.namespace:
            yield (
                "MLS404",
                doc,
                "/spec/destination/namespace",
                (
                    f"Argo CD: Application {doc.name} deploys to namespace "
                    f'"{dest}"; write destination.namespace: {tree.namespace}.'
                ),
            )
        if folders == {_folder(doc.path)}:
            # Nothing but the Application's own folder: a platform change checked
            # without the team repository its source names (the platform's CI), so
            # there is no tree to find the path in.
            continue
        sources = [("/spec/source", spec.get("source"))] if "source" in spec else []
        sources += [
            (f"/spec/sources/{i}", s)
            for i, s in enumerate(as_list(spec.get("sources")))
        ]
        for pointer, source in sources:
            path = str(as_map(source).get("path", "")).strip("/") or "."
            if "chart" not in as_map(source) and not any(
                holds(folder, path) for folder in folders
            ):
                yield (
                    "MLS405",
                    doc,
                    pointer + "/path",
                    (
                        f'Argo CD: Application {doc.name} syncs path "{path}", '
                        "which holds no manifests in this tree; write path: "
                        f"{_manifest_folder(tree)}."
                    ),
                )


def holds(folder: str, path: str) -> bool:
    """True when ``folder`` (of a tree) is, or lies below, repository path ``path``."""
    # Argo CD paths are relative to the repository root, while the tree may be a
    # folder given on the command line (``out/recs/deploy``): match on whole segments.
    padded = f"/{folder}/"
    return path == "." or f"/{path}/" in padded


def _folder(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else "."


def _manifest_folder(tree: Tree) -> str:
    # The workloads' folder is what the Application syncs; the Namespace's no
    # longer is (since 2.0.0 it is in the platform change, beside the Application).
    return _folder(tree.pods[0].document.path) if tree.pods else "deploy"
