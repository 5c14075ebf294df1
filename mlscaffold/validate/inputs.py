"""What ``validate`` reads: the files of a folder walk, and the objects in them.

Argo CD's directory source applies ``.yaml``, ``.yml`` and ``.json`` files at any
depth, so the walk reads all three, whatever their names; what a document is
comes from its ``apiVersion``, not its file name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import yaml

from mlscaffold._yaml import read_input_bytes
from mlscaffold.errors import Location, SettingsError
from mlscaffold.report.model import Finding, Report, Severity
from mlscaffold.validate.documents import Document, parse_documents

__all__ = [
    "MANIFEST_SUFFIXES",
    "MAX_MANIFEST_BYTES",
    "STDIN",
    "find_manifests",
    "kubernetes_objects",
    "parse_sources",
    "read_manifest",
]

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
"""Largest manifest file read (64 MiB; a fleet's whole render is a few MB)."""
STDIN = "-"
"""The path that stands for standard input (``helm template ... | validate -``)."""

# Backstage descriptors sit beside the manifests but are not Kubernetes objects.
_BACKSTAGE_GROUP = "backstage.io/"
_TOOL = "schema"
# Control, invisible and direction-changing characters (as the description
# field refuses them), the backslash, and bytes not UTF-8 (as lone surrogates).
_UNSHOWABLE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\\\u200b-\u200f\u2028-\u202e\u2060-\u2064"
    r"\u2066-\u2069\ufeff\udc80-\udcff]"
)


def find_manifests(paths: Sequence[Path]) -> tuple[dict[str, Path], list[Finding]]:
    """The manifest files named by ``paths``, and notes on what was not followed.

    A file is taken as given. A folder is walked at any depth for ``.yaml``,
    ``.yml`` and ``.json`` files, skipping hidden entries (``.git``); a symlink
    that leads outside the folder is not followed and gets a note, one inside it
    is read (a linked folder's files are met through their real path).

    Returns:
        Files as reported (see ``_shown_path``) -> their path on disk, in
        walk order; and the notes.
    """
    found: dict[str, Path] = {}
    notes: list[Finding] = []
    for given in paths:
        if given.as_posix() == STDIN:
            found[STDIN] = given
        elif not given.is_dir():
            found[_shown_path(given)] = given
        else:
            walked, outside = _walk(given)
            found.update((_shown_path(path), path) for path in sorted(walked))
            notes.extend(_outside_note(path) for path in sorted(outside))
    return found, notes


def _shown_path(path: Path) -> str:
    r"""``path`` as reports name it: always valid text, one name per file.

    A file name may hold bytes that are not UTF-8 (which JSON, SARIF and JUnit
    cannot carry), control characters (which a terminal would obey) and bidi
    controls (which reorder what is shown). A byte is shown as ``\xff``; such a
    character, and the backslash that starts these escapes, as ``\u202e``. So
    two files never get the same name in a report, and none can hide behind
    another.
    """
    return _UNSHOWABLE.sub(_escape, path.as_posix())


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    # Python decodes a byte that is not UTF-8 as the lone surrogate U+DC00 + byte.
    return f"\\x{code - 0xDC00:02x}" if code >= 0xDC00 else f"\\u{code:04x}"


def _walk(given: Path) -> tuple[list[Path], list[Path]]:
    """Manifest files below ``given``, and the symlinks that lead out of it."""
    root = given.resolve()
    files_found: list[Path] = []
    outside: list[Path] = []
    for folder, dirs, files in os.walk(given):
        # os.walk lists links to folders under dirs but never enters them.
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        base = Path(folder)
        for name in [*dirs, *(f for f in files if not f.startswith("."))]:
            path = base / name
            manifest = name in files and name.endswith(MANIFEST_SUFFIXES)
            if not path.is_symlink():
                if manifest:
                    files_found.append(path)
            elif not path.resolve().is_relative_to(root):
                outside.append(path)
            elif manifest and path.is_file():
                files_found.append(path)
    return files_found, outside


def _outside_note(path: Path) -> Finding:
    return Finding(
        rendered=Location(_shown_path(path)),
        rule="MLS115",
        severity=Severity.INFO,
        message="symlink leads outside the folder; not followed",
        tool=_TOOL,
    )


def kubernetes_objects(
    documents: Iterable[Document],
) -> tuple[list[Document], list[Finding]]:
    """The Kubernetes objects among ``documents``, and findings for half-objects.

    Backstage entities (``apiVersion: backstage.io/...``) and documents with
    neither ``apiVersion`` nor ``kind`` (values files, plain data) are left out.
    A document with one of the two is an error: the API server refuses it, so it
    would pass here and fail on apply. The items of a ``kind: List`` are objects
    of their own and are checked as such.
    """
    objects: list[Document] = []
    findings: list[Finding] = []
    for doc in documents:
        if not isinstance(doc.data, dict):
            continue
        has_version, has_kind = "apiVersion" in doc.data, "kind" in doc.data
        if not has_version and not has_kind:
            continue
        if not (doc.api_version and doc.kind):
            missing = "kind" if not doc.kind else "apiVersion"
            findings.append(
                Finding(
                    rendered=doc.locate(""),
                    rule="MLS114",
                    severity=Severity.ERROR,
                    message=f"the object has no {missing} (a string) and cannot be "
                    "applied; give both apiVersion and kind",
                    source=Location(doc.source) if doc.source else None,
                    tool=_TOOL,
                )
            )
        elif doc.api_version.startswith(_BACKSTAGE_GROUP):
            continue
        elif doc.kind == "List" and isinstance(doc.data.get("items"), list):
            items, problems = kubernetes_objects(_items(doc))
            objects.extend(items)
            findings.extend(problems)
        else:
            objects.append(doc)
    return objects, findings


def _items(doc: Document) -> Iterable[Document]:
    for i, item in enumerate(doc.data["items"]):
        prefix = f"/items/{i}"
        # Each item keeps its own positions, so findings point at its lines.
        positions = {
            pointer[len(prefix) :]: place
            for pointer, place in doc.positions.items()
            if pointer == prefix or pointer.startswith(prefix + "/")
        }
        yield replace(doc, data=item, positions=positions)


def parse_sources(
    sources: Iterator[tuple[str, Callable[[], str], str | None]],
) -> tuple[Report, list[Document]]:
    """Parse each ``(path, read, skeleton source)``: the files checked, and objects.

    A file that is not YAML, not UTF-8 or over a bound is a finding (MLS111), not
    an error; the Kubernetes objects of the others are returned with the problems
    of their ``apiVersion`` and ``kind`` (see :func:`kubernetes_objects`).
    """
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
        except SettingsError as exc:
            findings.append(_finding(Location(path), source, "MLS111", exc.message))
            continue
        except UnicodeDecodeError as exc:
            findings.append(
                _finding(
                    Location(path),
                    source,
                    "MLS111",
                    f"byte {exc.start} is not UTF-8 (manifests must be UTF-8)",
                )
            )
            continue
        objects, problems = kubernetes_objects(parsed)
        docs.extend(objects)
        findings.extend(problems)
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


def read_manifest(path: Path) -> str:
    """A manifest file's text: a regular file of at most MAX_MANIFEST_BYTES, UTF-8."""
    # Regular files only: a FIFO named *.yaml would block the run forever.
    return read_input_bytes(path, limit=MAX_MANIFEST_BYTES).decode("utf-8")
