"""Validation orchestrator: parse, then schema, policy, cross-resource, kubeconform."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from mlscaffold._files import files_state
from mlscaffold.errors import ToolError
from mlscaffold.report.model import Finding, Report
from mlscaffold.validate.inputs import parse_sources, read_manifest
from mlscaffold.validate.schema.store import DEFAULT_KUBE_VERSION

if TYPE_CHECKING:
    from mlscaffold.render.tree import RenderedTree, TreeEntry
    from mlscaffold.settings import PlatformSettings
    from mlscaffold.validate.documents import Document
    from mlscaffold.validate.schema.store import SchemaStore

KubeconformMode = Literal["auto", "off", "require"]
KUBECONFORM_MODES: tuple[KubeconformMode, ...] = get_args(KubeconformMode)
_YAML_SUFFIXES = (".yaml", ".yml")
# Backstage descriptors sit beside the manifests but are not Kubernetes objects.
_NOT_KUBERNETES_FILES = frozenset({"catalog-info.yaml", "catalog-info.yml"})
# A store holds parsed schemas; a CRD edit makes a new key, so keep only a few.
_MAX_STORES = 8
_STORES: dict[tuple[object, ...], SchemaStore] = {}

__all__ = [
    "KUBECONFORM_MODES",
    "KubeconformMode",
    "ValidateOptions",
    "kubeconform_mode",
    "validate_paths",
    "validate_tree",
]


def kubeconform_mode(text: str) -> KubeconformMode:
    """Check a kubeconform mode given as text (an ini value, an environment value).

    Raises:
        ValueError: ``text`` is not one of :data:`KUBECONFORM_MODES`.
    """
    for mode in KUBECONFORM_MODES:
        if text == mode:
            return mode
    allowed = ", ".join(KUBECONFORM_MODES)
    raise ValueError(f"kubeconform mode {text[:40]!r} is not one of: {allowed}")


@dataclass(frozen=True)
class ValidateOptions:
    """What to check and with which schemas.

    Attributes:
        crd_dirs: Folders of CRD files (``--crds``); empty means the pulled CRDs.
        kube_version: Kubernetes minor for the core schemas.
        kubeconform: ``off`` (the default) never runs it, ``auto`` runs it when
            on PATH, ``require`` fails with ToolError when it is missing.
        cache_dir: Schema cache root; None means the user cache dir.
        platform: Platform settings the rules read (Argo CD namespace, spot
            capacity); None means the shipped ones, loaded once per process.
        skip_kinds: Kinds (``Deployment``) or ``apiVersion/kind`` pairs
            (``apps/v1/Deployment``) whose objects get no schema check, as
            kubeconform's ``-skip``; policy and cross-resource rules still see them.
        ignore_missing_schemas: An object whose kind has no schema is listed under
            skipped instead of being an MLS110 error, as kubeconform's
            ``-ignore-missing-schemas``.
    """

    crd_dirs: Sequence[Path] = ()
    kube_version: str = DEFAULT_KUBE_VERSION
    kubeconform: KubeconformMode = "off"
    cache_dir: Path | None = None
    platform: PlatformSettings | None = None
    skip_kinds: frozenset[str] = frozenset()
    ignore_missing_schemas: bool = False

    def __post_init__(self) -> None:
        """Refuse a kubeconform mode outside the three, before anything runs."""
        kubeconform_mode(self.kubeconform)


def validate_tree(
    tree: RenderedTree,
    *,
    options: ValidateOptions,
    skeleton: Mapping[str, str] | None = None,
) -> Report:
    """Validate a rendered tree in memory (kubeconform gets a temporary copy).

    Args:
        tree: The rendered files.
        options: What to check and with which schemas.
        skeleton: The text of each templated skeleton file the tree came from, by
            skeleton path (``RenderedProject.skeleton_sources``); when given, every
            finding also points at the skeleton file and line behind it.

    Raises:
        SchemaStoreError: The schemas cannot be loaded.
        ToolError: kubeconform is required but missing, or it failed.
    """
    files = {path: entry for path, entry in tree.files() if _is_rendered_manifest(path)}
    report, docs = parse_sources(
        (path, partial(_entry_text, entry), entry.source or None)
        for path, entry in files.items()
    )
    _check(report, docs, options, _tree_runner(files))
    if skeleton is not None:
        from mlscaffold.validate.sourcemap import attach_skeleton_lines

        report.findings = attach_skeleton_lines(report.findings, tree, skeleton)
    return report


def validate_paths(
    paths: Sequence[Path],
    *,
    options: ValidateOptions,
    jobs: int = 1,
    progress: Callable[[int, int, str], None] | None = None,
    stdin: bytes | None = None,
) -> Report:
    """Validate YAML and JSON files and folders of manifests on disk.

    Folders are searched at any depth for ``*.yaml``, ``*.yml`` and ``*.json``
    (hidden entries skipped, symlinks leading outside not followed, with a note);
    Backstage entities are told apart by their ``apiVersion``. Findings carry
    the paths as found.

    Args:
        paths: Files and folders; ``-`` stands for ``stdin``.
        options: What to check and with which schemas.
        jobs: Processes to use; 0 means every core. Files of several teams (each
            team below its own folder with one Namespace object) are then checked
            team by team in parallel; the report is the same as with 1. Files that
            are not so separable are checked in this process.
        progress: With ``jobs`` other than 1, called as files are done (files
            done, files in all, the last file); see ``validate_parallel``.
        stdin: The bytes of standard input, when ``-`` is among ``paths``.

    Raises:
        SchemaStoreError: The schemas cannot be loaded.
        ToolError: kubeconform is required but missing, or it failed.
    """
    from mlscaffold.validate.inputs import STDIN, find_manifests

    found, notes = find_manifests(paths)
    with tempfile.TemporaryDirectory(prefix="mlscaffold-stdin-") as tmp:
        if STDIN in found:
            # On disk, so kubeconform and worker processes read it like any file.
            found[STDIN] = Path(tmp, "stdin.yaml")
            found[STDIN].write_bytes(stdin or b"")
        report = None
        if jobs != 1:
            from mlscaffold.validate.parallel import validate_parallel

            report = validate_parallel(found, options, jobs=jobs, progress=progress)
        if report is None:
            report = _validate_files(found, options)[0]
    report.extend(notes)
    return report


def _validate_files(
    found: Mapping[str, Path], options: ValidateOptions
) -> tuple[Report, list[str]]:
    """Validate files on disk; also say where the Namespace objects are.

    Returns:
        The report, and the file of each Namespace object (what the cross-resource
        rules group teams by; see :mod:`mlscaffold.validate.parallel`).
    """
    report, docs = parse_sources(
        (rel, partial(read_manifest, disk), None) for rel, disk in found.items()
    )
    _check(
        report, docs, options, lambda binary, ds, store: _run(binary, ds, found, store)
    )
    return report, [doc.path for doc in docs if doc.kind == "Namespace"]


_Runner = Callable[[str, Sequence["Document"], "SchemaStore"], list[Finding]]


def _check(
    report: Report, docs: list[Document], options: ValidateOptions, runner: _Runner
) -> None:
    from mlscaffold.validate.schema.check import schema_origins, validate_documents

    store = _store(options)
    report.extend(validate_documents(docs, store))
    report.schemas.update(schema_origins(docs, store))
    report.ran["schema"] = "JSON Schema"
    report.ran["cel"] = "x-kubernetes-validations"
    _rule_checks(report, docs, options, store)
    _kubeconform(report, docs, options, store, runner)
    _drop_unchecked(report, docs, options)


# Rules that say "this object's schema check did not happen or failed".
_SCHEMA_TOOLS = frozenset({"schema", "kubeconform"})
_MISSING_SCHEMA_RULES = frozenset({"MLS110", "MLS302"})


def _drop_unchecked(
    report: Report, docs: list[Document], options: ValidateOptions
) -> None:
    """Apply --skip and --ignore-missing-schemas to the schema findings."""
    skipped = {
        (doc.path, doc.index)
        for doc in docs
        if doc.kind in options.skip_kinds
        or f"{doc.api_version}/{doc.kind}" in options.skip_kinds
    }
    missing: set[tuple[str, int | None]] = set()
    if options.ignore_missing_schemas:
        missing = {
            (f.rendered.path, f.rendered.document)
            for f in report.findings
            if f.rule == "MLS110"
        }
    if not skipped and not missing:
        return
    kinds = sorted(
        {f"{doc.kind} {doc.api_version}" for doc in docs
         if (doc.path, doc.index) in missing}
    )  # fmt: skip
    report.findings = [
        f
        for f in report.findings
        if f.tool not in _SCHEMA_TOOLS
        or (
            (f.rendered.path, f.rendered.document) not in skipped
            and not (
                (f.rendered.path, f.rendered.document) in missing
                and f.rule in _MISSING_SCHEMA_RULES
            )
        )
    ]
    if skipped:
        report.skipped["schema of skipped kinds"] = (
            f"{len(skipped)} object(s) not schema-checked (--skip)"
        )
    if kinds:
        report.skipped["missing schemas"] = (
            f"no schema for {', '.join(kinds)} (--ignore-missing-schemas)"
        )


def _rule_checks(
    report: Report, docs: list[Document], options: ValidateOptions, store: SchemaStore
) -> None:
    """API-server, policy and cross-resource rules, given the facts they need.

    The settings come from the options (else the shipped ones, read once per
    process), and one memoized pod lookup lets both modules resolve each
    document's effective pods once.
    """
    from mlscaffold.settings import shipped_platform
    from mlscaffold.validate.crossref import check_cross_resources
    from mlscaffold.validate.crossref.team import TrafficSources
    from mlscaffold.validate.pods import memoized_pods
    from mlscaffold.validate.policy import check_policy
    from mlscaffold.validate.schema.apiserver import check_apiserver

    platform = options.platform or shipped_platform()
    pods = memoized_pods()
    report.extend(check_apiserver(docs, store, pods=pods))
    report.extend(
        check_policy(docs, spot=platform.spot, pods=pods, version=options.kube_version)
    )
    report.extend(
        check_cross_resources(
            docs,
            argocd_namespace=platform.argocd_namespace,
            pods=pods,
            traffic=TrafficSources(
                serving=platform.serving_ingress_namespaces,
                monitoring=platform.monitoring_namespaces,
            ),
        )
    )
    report.ran["apiserver"] = "create-time API server rules"
    report.ran["policy"] = "Pod Security and placement"
    report.ran["crossref"] = "cross-resource rules"


def _kubeconform(
    report: Report,
    docs: list[Document],
    options: ValidateOptions,
    store: SchemaStore,
    runner: _Runner,
) -> None:
    from mlscaffold.validate.schema.kubeconform import find_kubeconform

    if options.kubeconform == "off":
        report.skipped["kubeconform"] = "off; --kubeconform auto or require runs it"
        return
    binary = find_kubeconform()
    if binary is None:
        if options.kubeconform == "require":
            raise ToolError(
                "kubeconform is required (--kubeconform require) but not on PATH"
            )
        report.skipped["kubeconform"] = "kubeconform not found on PATH"
        return
    report.ran["kubeconform"] = binary
    if docs:
        report.extend(_not_repeated(runner(binary, docs, store), report.findings))


def _not_repeated(
    findings: Sequence[Finding], known: Sequence[Finding]
) -> list[Finding]:
    """The kubeconform findings at places where the schema check found nothing.

    Both tools check the same schemas; where they agree, the schema check's
    finding says it with a suggestion, so kubeconform's would only repeat it.
    """
    places = {
        (f.rendered.path, f.rendered.document, f.rendered.pointer)
        for f in known
        if f.tool == "schema"
    }
    return [
        f
        for f in findings
        if (f.rendered.path, f.rendered.document, f.rendered.pointer) not in places
    ]


def _run(
    binary: str, docs: Sequence[Document], files: Mapping[str, Path], store: SchemaStore
) -> list[Finding]:
    from mlscaffold.validate.schema.kubeconform import run_kubeconform

    with_docs = {doc.path for doc in docs}
    return run_kubeconform(
        binary,
        docs,
        {rel: disk for rel, disk in files.items() if rel in with_docs},
        store,
    )


def _tree_runner(files: Mapping[str, Any]) -> _Runner:
    def run(binary: str, docs: Sequence[Document], store: SchemaStore) -> list[Finding]:
        with tempfile.TemporaryDirectory(prefix="mlscaffold-validate-") as tmp:
            on_disk: dict[str, Path] = {}
            for rel in sorted({doc.path for doc in docs}):
                target = Path(tmp, rel)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(files[rel].data)
                on_disk[rel] = target
            return _run(binary, docs, on_disk, store)

    return run


def _entry_text(entry: TreeEntry) -> str:
    return entry.text


def _is_rendered_manifest(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.endswith(_YAML_SUFFIXES) and name not in _NOT_KUBERNETES_FILES


def _store(options: ValidateOptions) -> SchemaStore:
    """One store per option set and CRD folder state, reused across calls."""
    from mlscaffold._cache import default_cache_dir
    from mlscaffold.validate.schema.store import SchemaStore

    cache_dir = options.cache_dir or default_cache_dir()
    key = (
        options.kube_version,
        tuple(map(str, options.crd_dirs)),
        str(cache_dir),
        tuple(files_state(Path(d)) for d in options.crd_dirs),
    )
    store = _STORES.pop(key, None)
    if store is None:
        store = SchemaStore(options.kube_version, options.crd_dirs, cache_dir)
    _STORES[key] = store  # most recently used last
    while len(_STORES) > _MAX_STORES:
        del _STORES[next(iter(_STORES))]
    return store
