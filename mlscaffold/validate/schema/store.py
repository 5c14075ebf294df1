"""The schema store: core kinds from kubernetes-validate, custom resources from CRDs."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from mlscaffold._yaml import load_yaml_file
from mlscaffold.errors import SchemaStoreError, SettingsError
from mlscaffold.validate.schema.crd import (
    CrdVersion,
    atomic_write,
    load_crd_file,
)

#: Kubernetes minor validated against when none is given (matches platform.yaml).
DEFAULT_KUBE_VERSION = "1.33"
#: Environment variable that overrides the cache root (tests point it at tmp).
CACHE_ENV = "MLSCAFFOLD_CACHE_DIR"
_CRD_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class SchemaInfo:
    """The schema for one (apiVersion, kind) and where it came from.

    Attributes:
        api_version: ``group/version`` or ``v1``.
        kind: Resource kind.
        origin: ``kubernetes-validate <minor>`` or the CRD file path.
        cel_rules: CEL rules in the CRD that no JSON-schema validator evaluates.
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

    def load(self) -> dict[str, Any]:
        """The JSON Schema itself (read on first use, then memoised by the store)."""
        return self._loader()


def default_cache_dir() -> Path:
    """Cache root: ``$MLSCAFFOLD_CACHE_DIR`` or the platform's user cache dir."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    import platformdirs  # Imported here: only a cache miss needs it.

    return Path(platformdirs.user_cache_dir("mlscaffold"))


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

    Args:
        kube_version: Kubernetes minor such as ``1.33`` (a patch suffix is ignored).
        crd_dirs: Folders of CRD files. When empty, the CRDs pulled by
            ``mlscaffold schemas pull`` are used if present.
        cache_dir: Conversion cache root; defaults to :func:`default_cache_dir`.

    Raises:
        SchemaStoreError: Unsupported Kubernetes version, missing CRD folder, or
            two CRDs defining the same kind and version.
    """

    def __init__(
        self,
        kube_version: str = DEFAULT_KUBE_VERSION,
        crd_dirs: Sequence[Path] = (),
        cache_dir: Path | None = None,
    ) -> None:
        """Index the CRD folders, converting each CRD file on first use."""
        self.kube_version = _minor(kube_version)
        self.cache_dir = cache_dir if cache_dir is not None else default_cache_dir()
        self._core_dir = _core_dir(self.kube_version)
        if not crd_dirs and pulled_crd_dir(self.cache_dir).is_dir():
            crd_dirs = (pulled_crd_dir(self.cache_dir),)
        self.crd_dirs = tuple(Path(d) for d in crd_dirs)
        self._crds: dict[tuple[str, str], CrdVersion] = {}
        self._crd_kinds: dict[str, list[str]] = {}
        for directory in self.crd_dirs:
            self._add_crd_dir(directory)
        self._infos: dict[tuple[str, str], SchemaInfo | None] = {}

    def _add_crd_dir(self, directory: Path) -> None:
        if not directory.is_dir():
            raise SchemaStoreError(f"CRD folder {directory} does not exist")
        for path in sorted(directory.rglob("*")):
            if path.suffix not in _CRD_SUFFIXES or not path.is_file():
                continue
            for crd in load_crd_file(path, self.cache_dir):
                key = (crd.api_version, crd.kind)
                other = self._crds.get(key)
                if other is not None and other.source != crd.source:
                    raise SchemaStoreError(
                        f"{crd.kind} {crd.api_version} is defined twice: "
                        f"{other.source} and {crd.source}"
                    )
                self._crds[key] = crd
                self._crd_kinds.setdefault(crd.kind, []).append(crd.api_version)

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
        crd = self._crds.get((api_version, kind))
        if crd is not None:
            return SchemaInfo(
                api_version=api_version,
                kind=kind,
                origin=crd.source.as_posix(),
                cel_rules=crd.cel_rules,
                deprecated=crd.deprecated,
                served=crd.served,
                key=f"crd:{crd.schema_file.parent.name}/{crd.schema_file.name}",
                _loader=_memo_json(crd.schema_file),
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
        return sorted(self._crd_kinds.get(kind, []))

    def definitions(self) -> dict[str, Any]:
        """The Kubernetes ``_definitions.json`` of the selected minor."""
        return _definitions(self._core_dir)


def _minor(version: str) -> str:
    match = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?", version.strip())
    if match is None:
        raise SchemaStoreError(f"Kubernetes version {version!r} is not MAJOR.MINOR")
    return f"{match[1]}.{match[2]}"


@cache
def _k8s_schema_root() -> Path:
    # Only its data files: its validate() stops at the first error.
    import kubernetes_validate

    return Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"


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


def _memo_json(path: Path) -> Callable[[], dict[str, Any]]:
    memo: list[dict[str, Any]] = []

    def load() -> dict[str, Any]:
        if not memo:
            memo.append(_read_json(path))
        return memo[0]

    return load


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


def pull_crds(
    catalog: Path, cache_dir: Path, fetch: Callable[[str], bytes]
) -> list[Path]:
    """Download the pinned CRDs, verify their sha256, cache them and their conversion.

    Every file is verified before anything is written, so a tampered or changed
    upstream file leaves the cache as it was.

    Args:
        catalog: ``schemas/crd-sources.yaml``.
        cache_dir: Cache root (see :func:`default_cache_dir`).
        fetch: Returns the bytes at a URL (the CLI passes an HTTP client).

    Returns:
        The cached CRD files, in catalog order.

    Raises:
        SchemaStoreError: A download failed or a digest does not match.
    """
    sources = read_catalog(catalog)
    payloads: list[tuple[CrdSource, bytes]] = []
    for source in sources:
        try:
            data = fetch(source.url)
        except OSError as exc:
            raise SchemaStoreError(f"cannot download {source.url}: {exc}") from exc
        digest = hashlib.sha256(data).hexdigest()
        if digest != source.sha256:
            raise SchemaStoreError(
                f"sha256 mismatch for {source.url}: expected {source.sha256}, "
                f"got {digest}; nothing was cached"
            )
        payloads.append((source, data))
    target = pulled_crd_dir(cache_dir)
    written: list[Path] = []
    for source, data in payloads:
        path = target / source.name
        atomic_write(path, data)
        load_crd_file(path, cache_dir)  # Convert now so the first validate is fast.
        written.append(path)
    return written


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
