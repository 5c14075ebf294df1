"""Run kubeconform on mlscaffold's schemas and map its JSON results back to lines."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from mlscaffold.errors import Location, ToolError
from mlscaffold.report.model import Finding, Severity
from mlscaffold.report.rules import rule_table
from mlscaffold.validate.documents import Document
from mlscaffold.validate.schema.crd import K8S_DEFINITIONS_URI
from mlscaffold.validate.schema.store import SchemaStore

TOOL = "kubeconform"
#: Template kubeconform fills per resource (variables from its README, "Overriding
#: schemas location"); Group is the part of apiVersion before "/", or "v1" for core.
SCHEMA_LOCATION_TEMPLATE = (
    "{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
)
# kubeconform compiles the 700 KB InferenceService schema in 20 s on an idle 2-core
# machine and took 90 s on a busy one; a whole corpus took 6 minutes there.
_TIMEOUT_SECONDS = 900
_DEFS_PREFIXES = (
    "/api/_definitions.json#/$defs/",
    K8S_DEFINITIONS_URI + "#/$defs/",
    "#/$defs/",
)

_UNKNOWN_FIELDS = re.compile(r"additionalProperties ((?:'[^']*'(?:, )?)+) not allowed")
_QUOTED = re.compile(r"'([^']*)'")

#: The kubeconform adapter's rules, by id.
KUBECONFORM_RULES = rule_table(
    "kubeconform",
    (
        ("MLS301", Severity.ERROR, "kubeconform: resource invalid"),
        ("MLS302", Severity.ERROR, "kubeconform: resource could not be validated"),
    ),
)


def find_kubeconform() -> str | None:
    """Path of the kubeconform binary on PATH, or None."""
    return shutil.which("kubeconform")


def schema_path(root: Path, api_version: str, kind: str) -> Path:
    """Where kubeconform looks for ``kind`` under :data:`SCHEMA_LOCATION_TEMPLATE`."""
    group, _, version = api_version.rpartition("/")
    return root / (group or version) / f"{kind.lower()}_{version}.json"


def bundle_schema(
    schema: Mapping[str, Any], definitions: Mapping[str, Any]
) -> dict[str, Any]:
    """A standalone copy of ``schema``: referenced Kubernetes definitions inlined.

    kubeconform must not fetch ``https://kubernetes.io/api/_definitions.json``, and
    it reports only the direct causes of an error: behind a ``$ref`` that is
    ``doesn't validate with '/$defs/...'`` at the referring object, not the field at
    fault. So every ``$ref`` into the definitions, or into the schema's own
    ``$defs`` (subschemas a CRD repeats), is replaced by the definition itself; only
    a definition that refers to itself (recursion) stays a ``$ref`` into ``$defs``.
    """
    own: Mapping[str, Any] = schema.get("$defs", {})
    all_defs: Mapping[str, Any] = {**definitions.get("$defs", {}), **own}
    needed: dict[str, Any] = {}
    pending: list[str] = []

    def rewrite(node: Any, stack: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [rewrite(item, stack) for item in node]
        if not isinstance(node, dict):
            return node
        name = _definition_name(node.get("$ref"))
        if name is None or name not in all_defs:
            return {key: rewrite(value, stack) for key, value in node.items()}
        if name in stack:
            if name not in needed:
                needed[name] = None
                pending.append(name)
            return {"$ref": "#/$defs/" + name}
        # Siblings of a Kubernetes $ref only document it (description, x-*).
        return rewrite(all_defs[name], (*stack, name))

    bundled: dict[str, Any] = rewrite(
        {k: v for k, v in schema.items() if k not in ("$defs", "$id")}, ()
    )
    while pending:
        name = pending.pop()
        needed[name] = rewrite(all_defs[name], (name,))
    if needed:
        bundled["$defs"] = needed
    return bundled


def _definition_name(ref: Any) -> str | None:
    if isinstance(ref, str):
        for prefix in _DEFS_PREFIXES:
            if ref.startswith(prefix):
                return ref[len(prefix) :]
    return None


def write_schema_layout(
    store: SchemaStore, docs: Iterable[Document], root: Path
) -> int:
    """Write a standalone schema for each (apiVersion, kind) in ``docs`` under ``root``.

    Returns:
        How many schema files were written.
    """
    written = 0
    seen: set[tuple[str, str]] = set()
    for doc in docs:
        key = (doc.api_version, doc.kind)
        if key in seen:
            continue
        seen.add(key)
        info = store.lookup(*key)
        if info is None:
            continue  # mlscaffold reports MLS110 itself; kubeconform skips it.
        path = schema_path(root, *key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(bundle_schema(info.load(), store.definitions())))
        written += 1
    return written


def kubeconform_command(
    binary: str, schema_root: Path, files: Sequence[str], kube_version: str
) -> list[str]:
    """The argument list (never a shell string) that validates ``files``."""
    return [
        binary,
        "-strict",
        "-output",
        "json",
        "-summary",
        "-ignore-missing-schemas",
        "-kubernetes-version",
        f"{kube_version}.0",
        "-schema-location",
        f"{schema_root.as_posix()}/{SCHEMA_LOCATION_TEMPLATE}",
        *files,
    ]


def run_kubeconform(
    binary: str, docs: Sequence[Document], files: Mapping[str, Path], store: SchemaStore
) -> list[Finding]:
    """Validate ``files`` with kubeconform and return its findings.

    Args:
        binary: Path of the kubeconform executable.
        docs: The parsed documents of ``files`` (to map results to lines).
        files: Report path (as in ``Document.path``) -> file on disk.
        store: Schema store whose schemas kubeconform should use.

    Raises:
        ToolError: kubeconform crashed, timed out or printed something that is not
            its JSON report.
    """
    by_disk_path = {str(disk): rel for rel, disk in files.items()}
    with tempfile.TemporaryDirectory(prefix="mlscaffold-kubeconform-") as tmp:
        schema_root = Path(tmp)
        write_schema_layout(store, docs, schema_root)
        command = kubeconform_command(
            binary, schema_root, list(by_disk_path), store.kube_version
        )
        try:
            completed = subprocess.run(  # noqa: S603 - argument list, no shell
                command,
                capture_output=True,
                text=True,
                timeout=_TIMEOUT_SECONDS,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ToolError(f"kubeconform could not run: {exc}") from exc
    if completed.returncode not in (0, 1):
        raise ToolError(
            f"kubeconform exited with {completed.returncode}: "
            f"{completed.stderr.strip()[:500]}"
        )
    return parse_kubeconform_output(completed.stdout, docs, by_disk_path)


def parse_kubeconform_output(
    text: str, docs: Sequence[Document], filenames: Mapping[str, str] | None = None
) -> list[Finding]:
    """Turn kubeconform's ``-output json`` report into Findings with exact lines.

    kubeconform reports a file name, kind and name but no line nor document index,
    so each result is matched to a document by (file, kind, name), then each
    validation error's JSON pointer is located in that document.

    Args:
        text: kubeconform's standard output.
        docs: Documents of the validated files.
        filenames: kubeconform's file name -> ``Document.path`` (identity if absent).

    Raises:
        ToolError: The text is not a kubeconform JSON report.
    """
    try:
        resources = json.loads(text)["resources"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ToolError(f"kubeconform printed an unexpected report: {exc}") from exc
    if not isinstance(resources, list):
        raise ToolError("kubeconform printed an unexpected report: no resource list")
    index: dict[tuple[str, str, str], Document] = {}
    for doc in docs:
        index.setdefault((doc.path, doc.kind, doc.name), doc)
    findings: list[Finding] = []
    for result in resources:
        findings.extend(_result_findings(result, index, filenames or {}))
    return findings


def _result_findings(
    result: Mapping[str, Any],
    index: Mapping[tuple[str, str, str], Document],
    filenames: Mapping[str, str],
) -> list[Finding]:
    status = str(result.get("status", ""))
    if status not in ("statusInvalid", "statusError", "INVALID", "ERROR"):
        return []
    filename = str(result.get("filename", ""))
    path = filenames.get(filename, filename)
    kind, name = str(result.get("kind", "")), str(result.get("name", ""))
    doc = index.get((path, kind, name))
    label = f"{kind} {name}".strip() or "resource"
    if status in ("statusError", "ERROR"):
        return [_finding(doc, path, "", "MLS302", f"{label}: {result.get('msg', '')}")]
    errors = result.get("validationErrors") or []
    if not errors:  # Versions before 0.6.0 give only the joined message.
        return [_finding(doc, path, "", "MLS301", f"{label}: {result.get('msg', '')}")]
    findings: list[Finding] = []
    for err in errors:
        if not isinstance(err, Mapping):
            continue
        pointer, message = str(err.get("path", "")), str(err.get("msg", ""))
        # kubeconform points an unknown field at its parent object; point at the key.
        unknown = _UNKNOWN_FIELDS.fullmatch(message)
        names = _QUOTED.findall(unknown[1]) if unknown else [""]
        findings.extend(
            _finding(
                doc, path, pointer + (f"/{name}" if name else ""), "MLS301", message
            )
            for name in names
        )
    return findings


def _finding(
    doc: Document | None, path: str, pointer: str, rule: str, message: str
) -> Finding:
    if doc is None:
        rendered = Location(path, pointer=pointer or None, approximate=True)
        source = None
    else:
        rendered = doc.locate(pointer)
        source = Location(doc.source) if doc.source else None
    return Finding(
        rendered=rendered,
        rule=rule,
        severity=KUBECONFORM_RULES[rule].severity,
        message=message,
        source=source,
        tool=TOOL,
    )
