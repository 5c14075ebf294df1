"""Validation orchestrator: parse, then schema, policy, cross-resource, kubeconform."""

from __future__ import annotations

import importlib
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from mlscaffold._files import files_state
from mlscaffold.errors import Location, ToolError
from mlscaffold.report.model import Finding, Report, Severity
from mlscaffold.validate.schemas import DEFAULT_KUBE_VERSION

if TYPE_CHECKING:
    import yaml

    from mlscaffold.render.tree import RenderedTree, TreeEntry
    from mlscaffold.settings import PlatformSettings
    from mlscaffold.validate.documents import Document
    from mlscaffold.validate.schemas import SchemaStore

KubeconformMode = Literal["auto", "off", "require"]
_YAML_SUFFIXES = (".yaml", ".yml")
# Backstage descriptors sit beside the manifests but are not Kubernetes objects.
_NOT_KUBERNETES_FILES = frozenset({"catalog-info.yaml", "catalog-info.yml"})
# A store holds parsed schemas; a CRD edit makes a new key, so keep only a few.
_MAX_STORES = 8
_STORES: dict[tuple[object, ...], SchemaStore] = {}

__all__ = ["KubeconformMode", "ValidateOptions", "validate_paths", "validate_tree"]


@dataclass(frozen=True)
class ValidateOptions:
    """What to check and with which schemas.

    Attributes:
        crd_dirs: Folders of CRD files (``--crds``); empty means the pulled CRDs.
        kube_version: Kubernetes minor for the core schemas.
        kubeconform: ``auto`` runs it when on PATH, ``off`` never, ``require``
            fails with ToolError when it is missing.
        cache_dir: Schema cache root; None means the user cache dir.
        platform: Platform settings the rules read (Argo CD namespace, spot
            capacity); None means the shipped ones, loaded once per process.
    """

    crd_dirs: Sequence[Path] = ()
    kube_version: str = DEFAULT_KUBE_VERSION
    kubeconform: KubeconformMode = "auto"
    cache_dir: Path | None = None
    platform: PlatformSettings | None = None


def validate_tree(
    tree: RenderedTree, *, options: ValidateOptions, skeleton: Path | None = None
) -> Report:
    """Validate a rendered tree in memory (kubeconform gets a temporary copy).

    Args:
        tree: The rendered files.
        options: What to check and with which schemas.
        skeleton: The skeleton folder the tree came from; when given, every finding
            also points at the skeleton file and line behind it.

    Raises:
        SchemaStoreError: The schemas cannot be loaded.
        ToolError: kubeconform is required but missing, or it failed.
    """
    files = {path: entry for path, entry in tree.files() if _is_manifest_file(path)}
    report, docs = _parse(
        (path, partial(_entry_text, entry), entry.source or None)
        for path, entry in files.items()
    )
    _check(report, docs, options, _tree_runner(files))
    if skeleton is not None:
        from mlscaffold.validate.sourcemap import attach_skeleton_lines

        report.findings = attach_skeleton_lines(report.findings, tree, skeleton)
    return report


def validate_paths(
    paths: Sequence[Path], *, options: ValidateOptions, jobs: int = 1
) -> Report:
    """Validate YAML files and folders of manifests on disk.

    Folders are searched recursively for ``*.yaml``/``*.yml`` (hidden folders and
    ``catalog-info.yaml`` skipped); findings carry the paths as found.

    Args:
        paths: Files and folders.
        options: What to check and with which schemas.
        jobs: Processes to use; 0 means every core. Files of several teams (each
            team below its own folder with one Namespace object) are then checked
            team by team in parallel; the report is the same as with 1. Files that
            are not so separable are checked in this process.

    Raises:
        SchemaStoreError: The schemas cannot be loaded.
        ToolError: kubeconform is required but missing, or it failed.
    """
    found = {path.as_posix(): path for path in _walk(paths)}
    if jobs != 1:
        from mlscaffold.validate.parallel import validate_parallel

        report = validate_parallel(found, options, jobs=jobs)
        if report is not None:
            return report
    return _validate_files(found, options)[0]


def _validate_files(
    found: Mapping[str, Path], options: ValidateOptions
) -> tuple[Report, list[str]]:
    """Validate files on disk; also say where the Namespace objects are.

    Returns:
        The report, and the file of each Namespace object (what the cross-resource
        rules group teams by; see :mod:`mlscaffold.validate.parallel`).
    """
    report, docs = _parse(
        (rel, partial(_file_text, disk), None) for rel, disk in found.items()
    )
    _check(
        report, docs, options, lambda binary, ds, store: _run(binary, ds, found, store)
    )
    return report, [doc.path for doc in docs if doc.kind == "Namespace"]


_Runner = Callable[[str, Sequence["Document"], "SchemaStore"], list[Finding]]


def _check(
    report: Report, docs: list[Document], options: ValidateOptions, runner: _Runner
) -> None:
    from mlscaffold.validate.schema_check import validate_documents

    store = _store(options)
    report.extend(validate_documents(docs, store))
    _rule_checks(report, docs, options)
    _kubeconform(report, docs, options, store, runner)


def _rule_checks(
    report: Report, docs: list[Document], options: ValidateOptions
) -> None:
    """Policy and cross-resource rules, given the platform facts they need.

    The settings come from the options (else the shipped ones, read once per
    process), and one memoized pod lookup lets both modules resolve each
    document's effective pods once.
    """
    from mlscaffold.validate.context import (
        argocd_namespace,
        shipped_platform,
        traffic_sources,
    )
    from mlscaffold.validate.pods import memoized_pods

    platform = options.platform or shipped_platform()
    pods = memoized_pods()
    policy = _optional_check("mlscaffold.validate.policy", "check_policy", report)
    if policy is not None:
        # Imported after the policy module, which registers its rules in id order.
        from mlscaffold.validate.placement import SpotCapacity

        spot = SpotCapacity.from_platform(platform.raw)
        report.extend(policy(docs, spot=spot, pods=pods))
    crossref = _optional_check(
        "mlscaffold.validate.crossref", "check_cross_resources", report
    )
    if crossref is not None:
        namespace = argocd_namespace(platform)
        report.extend(
            crossref(
                docs,
                argocd_namespace=namespace,
                pods=pods,
                traffic=traffic_sources(platform),
            )
        )


_RuleCheck = Callable[..., list[Finding]]


def _optional_check(module: str, name: str, report: Report) -> _RuleCheck | None:
    try:
        check: _RuleCheck = getattr(importlib.import_module(module), name)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        report.skipped[module.rsplit(".", 1)[1]] = f"{module} is not installed"
        return None
    return check


def _kubeconform(
    report: Report,
    docs: list[Document],
    options: ValidateOptions,
    store: SchemaStore,
    runner: _Runner,
) -> None:
    from mlscaffold.validate.kubeconform import find_kubeconform

    if options.kubeconform == "off":
        report.skipped["kubeconform"] = "disabled (--kubeconform off)"
        return
    binary = find_kubeconform()
    if binary is None:
        if options.kubeconform == "require":
            raise ToolError(
                "kubeconform is required (--kubeconform require) but not on PATH"
            )
        report.skipped["kubeconform"] = "kubeconform not found on PATH"
        return
    if docs:
        report.extend(runner(binary, docs, store))


def _run(
    binary: str, docs: Sequence[Document], files: Mapping[str, Path], store: SchemaStore
) -> list[Finding]:
    from mlscaffold.validate.kubeconform import run_kubeconform

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


def _parse(
    sources: Iterator[tuple[str, Callable[[], str], str | None]],
) -> tuple[Report, list[Document]]:
    import yaml

    from mlscaffold.validate.documents import parse_documents

    report = Report()
    docs: list[Document] = []
    findings: list[Finding] = []
    for path, read, source in sources:
        report.checked.append(path)
        try:
            parsed = parse_documents(read(), path, source)
        except yaml.YAMLError as exc:
            findings.append(_yaml_finding(path, source, exc))
            continue
        except (OSError, UnicodeDecodeError) as exc:
            findings.append(
                _finding(Location(path), source, "MLS111", f"cannot read: {exc}")
            )
            continue
        docs.extend(doc for doc in parsed if doc.is_kubernetes)
    report.extend(findings)
    return report, docs


def _yaml_finding(path: str, source: str | None, exc: yaml.YAMLError) -> Finding:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        where = Location(path, mark.line + 1, mark.column + 1)
    else:
        where = Location(path, approximate=True)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return _finding(where, source, "MLS111", f"YAML does not parse: {problem}")


def _finding(where: Location, source: str | None, rule: str, message: str) -> Finding:
    return Finding(
        rendered=where,
        rule=rule,
        severity=Severity.ERROR,
        message=message,
        source=Location(source) if source else None,
        tool="schema",
    )


def _entry_text(entry: TreeEntry) -> str:
    return entry.text


def _file_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _is_manifest_file(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.endswith(_YAML_SUFFIXES) and name not in _NOT_KUBERNETES_FILES


def _walk(paths: Sequence[Path]) -> Iterator[Path]:
    for given in paths:
        if given.is_dir():
            for path in sorted(given.rglob("*")):
                hidden = any(
                    part.startswith(".") for part in path.relative_to(given).parts
                )
                if not hidden and path.is_file() and _is_manifest_file(path.name):
                    yield path
        else:
            yield given


def _store(options: ValidateOptions) -> SchemaStore:
    """One store per option set and CRD folder state, reused across calls."""
    from mlscaffold.validate.schemas import SchemaStore, default_cache_dir

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
