"""What the team's Argo CD AppProject lets its Application deploy (MLS426).

An Application whose AppProject is in the tree is checked the way Argo CD checks a
sync: its destination namespace must be one of the project's destinations, and every
object it syncs (the manifests below its source path) must be a kind the project
whitelists: namespaced kinds through ``namespaceResourceWhitelist`` (when the project
sets one), cluster-scoped kinds through ``clusterResourceWhitelist`` (none when it is
empty or missing). Argo CD refuses to sync anything else, so a team that adds its own
quota or RBAC to its repository learns it here, before the sync fails.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

from mlscaffold.validate.crossref.namespaces import holds
from mlscaffold.validate.crossref.team import (
    CLUSTER_SCOPED,
    RuleHit,
    Tree,
    is_application,
)
from mlscaffold.validate.documents import Document
from mlscaffold.validate.pods import as_list, as_map

__all__ = ["appproject_hits"]


def appproject_hits(tree: Tree) -> Iterator[RuleHit]:
    """MLS426: objects and destinations the Application's AppProject does not permit."""
    projects = {
        d.name: as_map(as_map(d.data).get("spec"))
        for d in tree.docs
        if d.kind == "AppProject" and d.api_version.startswith("argoproj.io/")
    }
    for app in (d for d in tree.docs if is_application(d)):
        spec = as_map(as_map(app.data).get("spec"))
        name = str(spec.get("project", "default"))
        if name not in projects:
            continue
        project = projects[name]
        dest = str(as_map(spec.get("destination")).get("namespace", ""))
        if not any(
            fnmatchcase(dest, str(as_map(d).get("namespace", "")))
            for d in as_list(project.get("destinations"))
        ):
            yield (
                "MLS426",
                app,
                "/spec/destination/namespace",
                (
                    f"Argo CD: AppProject {name} has no destination for namespace "
                    f'"{dest}", so Application {app.name} cannot sync; add it to the '
                    "project's destinations or deploy elsewhere."
                ),
            )
        for doc in _synced(tree, spec):
            if not _permitted(project, doc):
                yield (
                    "MLS426",
                    doc,
                    "/kind",
                    (
                        f"Argo CD: AppProject {name} does not permit {doc.kind} "
                        f"({_group(doc) or 'core'}), so Application {app.name} "
                        "refuses to sync it; leave it to the platform (its pull "
                        "request) or have the platform whitelist the kind."
                    ),
                )


def _synced(tree: Tree, spec: Mapping[str, Any]) -> Iterator[Document]:
    """Objects below the Application's source paths (charts are not rendered here)."""
    sources = [spec.get("source")] if "source" in spec else []
    sources += as_list(spec.get("sources"))
    paths = [
        str(as_map(s).get("path", "")).strip("/") or "."
        for s in sources
        if "chart" not in as_map(s)
    ]
    for doc in tree.docs:
        folder = doc.path.rsplit("/", 1)[0] if "/" in doc.path else "."
        if any(holds(folder, path) for path in paths):
            yield doc


def _group(doc: Document) -> str:
    return doc.api_version.rsplit("/", 1)[0] if "/" in doc.api_version else ""


def _permitted(project: Mapping[str, Any], doc: Document) -> bool:
    if doc.kind in CLUSTER_SCOPED:
        allowed = as_list(project.get("clusterResourceWhitelist"))
    elif project.get("namespaceResourceWhitelist") is not None:
        allowed = as_list(project.get("namespaceResourceWhitelist"))
    else:
        # No whitelist (missing or null, Go's nil): every namespaced kind; an empty
        # list permits none.
        return True
    group = _group(doc)
    return any(
        fnmatchcase(group, str(as_map(e).get("group", "")))
        and fnmatchcase(doc.kind, str(as_map(e).get("kind", "")))
        for e in allowed
    )
