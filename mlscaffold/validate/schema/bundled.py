"""The CRD schemas shipped in the package: build them, find them, check for drift."""

from __future__ import annotations

import filecmp
import json
import tempfile
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from mlscaffold._cache import atomic_write
from mlscaffold.errors import SchemaStoreError
from mlscaffold.validate.schema.crd import (
    INDEX_NAME,
    CrdVersion,
    convert_crd_file,
    versions_from_index,
)

__all__ = ["build_shipped", "diff_shipped", "shipped_dir", "shipped_versions"]

_CRD_SUFFIXES = (".yaml", ".yml", ".json")
#: Label of the shipped set in reports (``shipped Kueue v0.19.2``).
SHIPPED = "shipped"


def shipped_dir() -> Path:
    """Folder of the shipped bundles (``mlscaffold/validate/schema/shipped``)."""
    # A wheel is installed unpacked, so the resource is a real folder.
    return Path(str(resources.files(__package__ or __name__).joinpath("shipped")))


def build_shipped(crd_dir: Path, out_dir: Path) -> list[dict[str, Any]]:
    """Convert every CRD under ``crd_dir`` into ``out_dir`` (replacing what was there).

    Each CRD version becomes one deterministic gzipped JSON bundle (schema without
    descriptions, plus its CEL rules and the defaults they see); ``index.json``
    lists them with the CRD file, its sha256 and its pinned release.

    Args:
        crd_dir: Folder of CRD YAML files, e.g. ``../shared/crds``.
        out_dir: Folder to write.

    Returns:
        The index entries.

    Raises:
        SchemaStoreError: ``crd_dir`` is missing, holds no CRD, or a file is not YAML.
    """
    if not crd_dir.is_dir():
        raise SchemaStoreError(f"CRD folder {crd_dir} does not exist")
    index: list[dict[str, Any]] = []
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob("*.json.gz"):
        stale.unlink()
    for path in sorted(crd_dir.rglob("*")):
        if path.suffix not in _CRD_SUFFIXES or not path.is_file():
            continue
        relative = path.relative_to(crd_dir).as_posix()
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise SchemaStoreError(f"cannot read CRD file {path}: {exc}") from exc
        index.extend(
            {**entry, "crd": relative}
            for entry in convert_crd_file(content, path, out_dir)
        )
    if not index:
        raise SchemaStoreError(f"no CustomResourceDefinition found under {crd_dir}")
    text = json.dumps(index, sort_keys=True, indent=1) + "\n"
    atomic_write(out_dir / INDEX_NAME, text.encode())
    return index


def diff_shipped(crd_dir: Path, shipped: Path | None = None) -> list[str]:
    """Files in which the shipped set differs from a fresh build from ``crd_dir``.

    Args:
        crd_dir: The pinned CRDs.
        shipped: The folder to compare; default :func:`shipped_dir`.

    Returns:
        Sorted names of files missing, extra or different; empty when equal.
    """
    shipped = shipped or shipped_dir()
    with tempfile.TemporaryDirectory(prefix="mlscaffold-schemas-") as tmp:
        fresh = Path(tmp)
        build_shipped(crd_dir, fresh)
        names = {p.name for p in fresh.iterdir()}
        if shipped.is_dir():
            names |= {p.name for p in shipped.iterdir() if p.suffix in (".gz", ".json")}
        return sorted(
            name
            for name in names
            if not (fresh / name).is_file()
            or not (shipped / name).is_file()
            or not filecmp.cmp(fresh / name, shipped / name, shallow=False)
        )


@cache
def shipped_versions() -> tuple[CrdVersion, ...]:
    """Every CRD version in the shipped set (empty when the package has none).

    Raises:
        SchemaStoreError: The shipped index is damaged.
    """
    folder = shipped_dir()
    index_file = folder / INDEX_NAME
    if not index_file.is_file():
        return ()
    try:
        index = json.loads(index_file.read_bytes())
        return tuple(versions_from_index(index, folder, lambda item: Path(item["crd"])))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SchemaStoreError(f"shipped schema index is damaged: {exc}") from exc
