"""What the team's Argo CD AppProject lets its Application deploy (MLS426).

An Application whose AppProject is in the tree is checked the way Argo CD checks a
sync: its destination must match one of the project's destinations and none of its
deny (``!``) patterns, and every object it syncs (the manifests below its source
path) must be a kind the project permits, in a namespace it may deploy to. Namespaced
kinds are permitted by ``namespaceResourceWhitelist`` (every kind when it is missing
or null, none when it is empty), cluster-scoped ones by ``clusterResourceWhitelist``
(none when it is missing or empty); the blacklists take kinds away again. Argo CD
refuses to sync anything else, so a team that adds its own quota or RBAC to its
repository learns it here, before the sync fails.
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
        destination = as_map(spec.get("destination"))
        dest = str(destination.get("namespace", ""))
        if not _destination_permitted(project, destination, dest):
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
            namespace = doc.namespace or dest
            if (
                _permitted(project, doc)
                and doc.kind not in CLUSTER_SCOPED
                and namespace != dest
                and not _destination_permitted(project, destination, namespace)
            ):
                yield (
                    "MLS426",
                    doc,
                    "/metadata/namespace",
                    (
                        f"Argo CD: AppProject {name} has no destination for "
                        f'namespace "{namespace}", so Application {app.name} '
                        f"refuses to sync {doc.kind} {doc.name} there."
                    ),
                )
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
    """Argo CD's IsGroupKindPermitted: whitelisted and not blacklisted."""
    if doc.kind in CLUSTER_SCOPED:
        white = as_list(project.get("clusterResourceWhitelist"))
        allowed = bool(white) and _listed(doc, white)
        black = as_list(project.get("clusterResourceBlacklist"))
    else:
        # Missing or null (Go's nil): every namespaced kind; an empty list: none.
        white_or_none = project.get("namespaceResourceWhitelist")
        allowed = white_or_none is None or _listed(doc, as_list(white_or_none))
        black = as_list(project.get("namespaceResourceBlacklist"))
    return allowed and not _listed(doc, black)


def _listed(doc: Document, entries: list[Any]) -> bool:
    group = _group(doc)
    return any(
        fnmatchcase(doc.kind, str(as_map(e).get("kind", "")))
        and fnmatchcase(group, str(as_map(e).get("group", "")))
        for e in entries
    )


def _destination_permitted(
    project: Mapping[str, Any], destination: Mapping[str, Any], namespace: str
) -> bool:
    """Argo CD's isDestinationMatched for ``destination`` in ``namespace``.

    A destination matches when its cluster (server or name) and namespace do; a
    deny pattern (``!...``) that does not match refuses, whatever else matched. An
    Application that names no cluster (an error Argo CD reports itself) is judged
    by its namespace alone.
    """
    server = str(destination.get("server", ""))
    name = str(destination.get("name", ""))
    matched = False
    for item in (as_map(i) for i in as_list(project.get("destinations"))):
        patterns = (str(item.get(k, "")) for k in ("server", "name", "namespace"))
        p_server, p_name, p_namespace = patterns
        server_ok = bool(server) and _glob(p_server, server)
        name_ok = bool(name) and _glob(p_name, name)
        namespace_ok = _glob(p_namespace, namespace)
        if (server_ok or name_ok or not (server or name)) and namespace_ok:
            matched = True
        elif (
            (not name_ok and p_name.startswith("!"))
            or (not server_ok and p_server.startswith("!"))
            or (not namespace_ok and p_namespace.startswith("!"))
        ):
            return False
    return matched


def _glob(pattern: str, value: str) -> bool:
    if pattern.startswith("!"):
        return not fnmatchcase(value, pattern[1:])
    return pattern == "*" or fnmatchcase(value, pattern)
