"""The schema store: core kinds from kubernetes-validate, custom resources from CRDs."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from mlscaffold._cache import default_cache_dir
from mlscaffold._files import atomic_write
from mlscaffold._yaml import load_yaml_file
from mlscaffold.errors import SchemaStoreError, SettingsError
from mlscaffold.validate.schema.crd import CrdVersion, load_crd_file

#: Kubernetes minor validated against when none is given (matches platform.yaml).
DEFAULT_KUBE_VERSION = "1.33"
_CRD_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class SchemaInfo:
    """The schema for one (apiVersion, kind) and where it came from.

    Attributes:
        api_version: ``group/version`` or ``v1``.
        kind: Resource kind.
        origin: Where the schema came from and its version, as reports show it:
            ``kubernetes-validate <minor>``, ``shipped Kueue v0.19.2``,
            ``pulled Kueue v0.19.2`` or ``--crds <file>`` (plus the release when
            the file is a pinned one).
        cel_rules: Number of CEL rules (``x-kubernetes-validations``) in the CRD.
        deprecated: Deprecation warning of the CRD version, if any.
        served: False when the CRD defines the version but does not serve it.
        key: Stable cache key of the schema content.
    """

    api_version: str
    kind: str
    origin: str
    cel_rules: int = 0
    deprecated: str | None = None
    served: bool = True
    key: str = ""
    _loader: Callable[[], dict[str, Any]] = field(
        repr=False, compare=False, default=dict
    )
    _cel_loader: Callable[[], dict[str, Any]] = field(
        repr=False, compare=False, default=dict
    )

    def load(self) -> dict[str, Any]:
        """The JSON Schema itself (read on first use, then memoised by the store)."""
        return self._loader()

    def load_cel(self) -> dict[str, Any]:
        """The CEL rules and the defaults they see (see :func:`crd.cel_tree`)."""
        return self._cel_loader()


def pulled_crd_dir(cache_dir: Path) -> Path:
    """Where ``mlscaffold schemas pull`` stores the verified upstream CRDs."""
    return cache_dir / "crds"


def supported_kube_versions() -> list[str]:
    """Kubernetes minors with strict schemas in the installed kubernetes-validate."""
    found = []
    for entry in _k8s_schema_root().iterdir():
        match = re.fullmatch(r"v(\d+)\.(\d+)\.\d+-local-strict", entry.name)
        if match:
            found.append((int(match[1]), int(match[2])))
    return [f"{major}.{minor}" for major, minor in sorted(found)]


class SchemaStore:
    """Finds the schema for a manifest's (apiVersion, kind).

    Custom resources are looked up in three layers, first match wins per kind and
    version: the CRD folders given (the CRDs your cluster runs), then the CRDs
    pulled by ``mlscaffold schemas pull``, then the schemas shipped in the package.

    Args:
        kube_version: Kubernetes minor such as ``1.33`` (a patch suffix is ignored).
        crd_dirs: Folders of CRD files (``--crds`` / ``MLSCAFFOLD_CRDS``).
        cache_dir: Conversion cache root; defaults to :func:`default_cache_dir`.

    Raises:
        SchemaStoreError: Unsupported Kubernetes version, missing CRD folder, or
            two CRDs in one layer defining the same kind and version.
    """

    def __init__(
        self,
        kube_version: str = DEFAULT_KUBE_VERSION,
        crd_dirs: Sequence[Path] = (),
        cache_dir: Path | None = None,
    ) -> None:
        """Index the CRD folders, converting each CRD file on first use."""
        from mlscaffold.validate.schema.bundled import SHIPPED, shipped_versions

        self.kube_version = _minor(kube_version)
        self.cache_dir = cache_dir if cache_dir is not None else default_cache_dir()
        self._core_dir = _core_dir(self.kube_version)
        self.crd_dirs = tuple(Path(d) for d in crd_dirs)
        self._crds: dict[tuple[str, str], tuple[str, CrdVersion]] = {}
        self._crd_kinds: dict[str, set[str]] = {}
        for directory in self.crd_dirs:
            self._add_crd_dir(directory, "--crds")
        pulled = pulled_crd_dir(self.cache_dir)
        if pulled.is_dir():
            self._add_crd_dir(pulled, "pulled")
        self._add_layer(shipped_versions(), SHIPPED)
        self._infos: dict[tuple[str, str], SchemaInfo | None] = {}

    def _add_crd_dir(self, directory: Path, layer: str) -> None:
        if not directory.is_dir():
            raise SchemaStoreError(f"CRD folder {directory} does not exist")
        for path in sorted(directory.rglob("*")):
            if path.suffix in _CRD_SUFFIXES and path.is_file():
                self._add_layer(load_crd_file(path, self.cache_dir), layer)

    def _add_layer(self, versions: Iterable[CrdVersion], layer: str) -> None:
        for crd in versions:
            key = (crd.api_version, crd.kind)
            known = self._crds.get(key)
            if known is None:
                self._crds[key] = (layer, crd)
                self._crd_kinds.setdefault(crd.kind, set()).add(crd.api_version)
            elif known[0] == layer and known[1].source != crd.source:
                raise SchemaStoreError(
                    f"{crd.kind} {crd.api_version} is defined twice: "
                    f"{known[1].source} and {crd.source}"
                )

    def lookup(self, api_version: str, kind: str) -> SchemaInfo | None:
        """Schema info for ``(api_version, kind)``, or None when no schema is known.

        Custom resources come from the CRD folders; everything else from the
        kubernetes-validate strict schemas of the selected minor.
        """
        key = (api_version, kind)
        if key not in self._infos:
            self._infos[key] = self._find(api_version, kind)
        return self._infos[key]

    def _find(self, api_version: str, kind: str) -> SchemaInfo | None:
        found = self._crds.get((api_version, kind))
        if found is not None:
            layer, crd = found
            bundle = _memo_bundle(crd)
            return SchemaInfo(
                api_version=api_version,
                kind=kind,
                origin=_origin(layer, crd),
                cel_rules=crd.cel_rules,
                deprecated=crd.deprecated,
                served=crd.served,
                key=f"crd:{crd.schema_file.parent.name}/{crd.schema_file.name}",
                _loader=lambda: bundle()["schema"],
                _cel_loader=lambda: bundle()["cel"],
            )
        path = self._core_dir / _core_file_name(api_version, kind)
        if not path.is_file():
            return None
        schema = _read_json(path)
        if not _declares(schema, api_version, kind):
            return None
        return SchemaInfo(
            api_version=api_version,
            kind=kind,
            origin=f"kubernetes-validate {self.kube_version}",
            key=f"core:{self.kube_version}:{path.name}",
            _loader=lambda: schema,
        )

    def known_versions(self, kind: str) -> list[str]:
        """ApiVersions the CRD folders define for ``kind`` (to suggest a fix)."""
        return sorted(self._crd_kinds.get(kind, ()))

    def definitions(self) -> dict[str, Any]:
        """The Kubernetes ``_definitions.json`` of the selected minor."""
        return _definitions(self._core_dir)


def parse_kube_version(version: str) -> tuple[int, int]:
    """``1.33``, ``1.33.2`` or ``v1.33`` as ``(1, 33)``: a patch is ignored.

    Raises:
        ValueError: ``version`` is not MAJOR.MINOR[.PATCH].
    """
    match = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?", version.strip())
    if match is None:
        raise ValueError(f"Kubernetes version {version!r} is not MAJOR.MINOR[.PATCH]")
    return int(match[1]), int(match[2])


def _minor(version: str) -> str:
    try:
        major, minor = parse_kube_version(version)
    except ValueError as exc:
        raise SchemaStoreError(str(exc)) from exc
    return f"{major}.{minor}"


@cache
def _k8s_schema_root() -> Path:
    # Only its data files (its validate() stops at the first error), so find the
    # package without importing it: the import alone costs about 50 ms.
    from importlib.util import find_spec

    spec = find_spec("kubernetes_validate")
    if spec is None or spec.origin is None:
        raise SchemaStoreError("kubernetes-validate is not installed")
    return Path(spec.origin).parent / "kubernetes-json-schema"


def _core_dir(minor: str) -> Path:
    directory = _k8s_schema_root() / f"v{minor}.0-local-strict"
    if not directory.is_dir():
        supported = ", ".join(supported_kube_versions())
        raise SchemaStoreError(
            f"Kubernetes {minor} is not supported (supported: {supported})"
        )
    return directory


def _core_file_name(api_version: str, kind: str) -> str:
    # kubernetes-validate names files kind-<first group label>-version:
    # rbac.authorization.k8s.io/v1 -> role-rbac-v1.json, v1 -> namespace-v1.json.
    suffix = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    return f"{kind.lower()}-{suffix}.json"


def _declares(schema: dict[str, Any], api_version: str, kind: str) -> bool:
    """The file name drops the group's domain; check the full group matches."""
    group, _, version = api_version.rpartition("/")
    for gvk in schema.get("x-kubernetes-group-version-kind") or []:
        if (
            gvk.get("group") == group
            and gvk.get("version") == version
            and gvk.get("kind") == kind
        ):
            return True
    return False


@cache
def _definitions(core_dir: Path) -> dict[str, Any]:
    return _read_json(core_dir / "_definitions.json")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise SchemaStoreError(f"cannot read schema {path}: {exc}") from exc
    return data


def _memo_bundle(crd: CrdVersion) -> Callable[[], dict[str, Any]]:
    memo: list[dict[str, Any]] = []

    def load() -> dict[str, Any]:
        if not memo:
            memo.append(crd.load_bundle())
        return memo[0]

    return load


def _origin(layer: str, crd: CrdVersion) -> str:
    if layer == "--crds":
        where = f"--crds {crd.source.as_posix()}"
        return f"{where} ({crd.release})" if crd.release else where
    return f"{layer} {crd.release or crd.source.as_posix()}"


# ---------------------------------------------------------------- schemas pull


@dataclass(frozen=True)
class CrdSource:
    """One pinned upstream CRD listed in ``schemas/crd-sources.yaml``.

    Attributes:
        name: File name to store it under, e.g. ``argoproj.io_workflowtemplates.yaml``.
        url: Download URL (raw file at a pinned commit).
        sha256: Expected hex digest of the downloaded bytes.
        kind: Kind it defines (informational).
        served_version: The version mlscaffold's manifests use.
    """

    name: str
    url: str
    sha256: str
    kind: str = ""
    served_version: str = ""


def read_catalog(catalog: Path) -> list[CrdSource]:
    """Parse ``crd-sources.yaml``.

    Raises:
        SchemaStoreError: The file is missing or malformed.
    """
    try:
        data = load_yaml_file(catalog)
        return [
            CrdSource(
                name=item["name"],
                url=item["url"],
                sha256=item["sha256"].lower(),
                kind=item.get("kind", ""),
                served_version=item.get("servedVersion", ""),
            )
            for item in data["crds"]
        ]
    except SettingsError as exc:
        raise SchemaStoreError(f"cannot read CRD catalog: {exc.message}") from exc
    except (KeyError, TypeError, AttributeError) as exc:
        raise SchemaStoreError(
            f"CRD catalog {catalog}: each of crds needs name, url and sha256 ({exc})"
        ) from exc


_OFFLINE_HINT = (
    "offline? Give --catalog a copy of the catalog whose urls are file:// paths "
    "of the same files (the sha256 must still match), or skip the download and "
    "validate with --crds DIR (a folder of CRD files, such as your cluster's)"
)


def pull_crds(
    catalog: Path,
    cache_dir: Path,
    fetch: Callable[[str], bytes],
    *,
    retries: int = 2,
    wait: Callable[[float], None] = time.sleep,
    progress: Callable[[int, int, CrdSource, int], None] | None = None,
) -> list[Path]:
    """Download the pinned CRDs, verify their sha256, cache them and their conversion.

    Every file is verified before anything is written, so a tampered or changed
    upstream file leaves the cache as it was.

    Args:
        catalog: ``schemas/crd-sources.yaml``.
        cache_dir: Cache root (see :func:`default_cache_dir`).
        fetch: Returns the bytes at a URL (the CLI passes an HTTP client).
        retries: Further attempts after a failed download (1 s, 2 s, 4 s... apart).
        wait: Sleeps between attempts (tests pass a no-op).
        progress: Called after each verified download with its 1-based number, the
            number of files, the source and its size in bytes.

    Returns:
        The cached CRD files, in catalog order.

    Raises:
        SchemaStoreError: A download failed after every retry (the message says
            how to work offline) or a digest does not match.
    """
    sources = read_catalog(catalog)
    payloads: list[tuple[CrdSource, bytes]] = []
    for number, source in enumerate(sources, start=1):
        data = _download(source.url, fetch, retries, wait)
        digest = hashlib.sha256(data).hexdigest()
        if digest != source.sha256:
            raise SchemaStoreError(
                f"sha256 mismatch for {source.url}: expected {source.sha256}, "
                f"got {digest}; nothing was cached"
            )
        payloads.append((source, data))
        if progress is not None:
            progress(number, len(sources), source, len(data))
    target = pulled_crd_dir(cache_dir)
    written: list[Path] = []
    for source, data in payloads:
        path = target / source.name
        atomic_write(path, data)
        load_crd_file(path, cache_dir)  # Convert now so the first validate is fast.
        written.append(path)
    return written


def _download(
    url: str,
    fetch: Callable[[str], bytes],
    retries: int,
    wait: Callable[[float], None],
) -> bytes:
    attempt = 0
    while True:
        try:
            return fetch(url)
        except OSError as exc:  # noqa: PERF203 - a retry loop; downloads dominate
            if attempt >= retries:
                tries = f" (tried {attempt + 1} times)" if attempt else ""
                raise SchemaStoreError(
                    f"cannot download {url}{tries}: {exc}; nothing was cached; "
                    + _OFFLINE_HINT
                ) from exc
            wait(float(2**attempt))
            attempt += 1


def cached_sources(sources: Iterable[CrdSource], cache_dir: Path) -> list[CrdSource]:
    """Sources whose verified file is already in the cache."""
    present = []
    for source in sources:
        path = pulled_crd_dir(cache_dir) / source.name
        if (
            path.is_file()
            and hashlib.sha256(path.read_bytes()).hexdigest() == source.sha256
        ):
            present.append(source)
    return present
