"""The API server's ``metadata`` rules: names per kind, labels, annotations.

Facts from kubernetes/apimachinery (``pkg/api/validation/objectmeta.go``,
``generic.go``, ``pkg/api/validate/content``) and the per-kind name functions of
kubernetes/kubernetes (``pkg/apis/*/validation``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from mlscaffold.validate.documents import Document, escape_pointer_token
from mlscaffold.validate.pods import as_list, as_map

#: A problem: rule id, JSON pointer to report at, message.
FieldHit = tuple[str, str, str]

_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS_LABEL = re.compile(_LABEL)
_DNS_SUBDOMAIN = re.compile(rf"{_LABEL}(\.{_LABEL})*")
_DNS1035_LABEL = re.compile("[a-z]([-a-z0-9]*[a-z0-9])?")
_QUALIFIED_NAME = re.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_LABEL_VALUE = re.compile("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
_LABEL_MAX = 63
_SUBDOMAIN_MAX = 253
#: ``TotalAnnotationSizeLimitB``: keys and values together, in bytes.
ANNOTATIONS_MAX_BYTES = 256 * 1024
# The CronJob controller names each Job ``<cronjob>-<11 characters>``, and Job
# names become the ``job-name`` pod label, so both kinds are held shorter.
_CRONJOB_NAME_MAX = 52

_NameCheck = Callable[[str], "list[str]"]


def _shaped(value: str, pattern: re.Pattern[str], limit: int, rule: str) -> list[str]:
    """The length problem and the form problem of ``value`` (empty when valid)."""
    return _longer(value, limit) + ([] if pattern.fullmatch(value) else [rule])


def dns_label(value: str) -> list[str]:
    """Problems of ``value`` as a lowercase RFC 1123 label (empty when valid)."""
    return _shaped(
        value,
        _DNS_LABEL,
        _LABEL_MAX,
        "must be a lowercase RFC 1123 label: lower case letters, digits or '-', "
        "starting and ending with a letter or digit (e.g. 'my-name')",
    )


def _dns1035_label(value: str) -> list[str]:
    return _shaped(
        value,
        _DNS1035_LABEL,
        _LABEL_MAX,
        "must be an RFC 1035 label: lower case letters, digits or '-', starting "
        "with a letter and ending with a letter or digit (e.g. 'my-name')",
    )


def dns_subdomain(value: str) -> list[str]:
    """Problems of ``value`` as a lowercase RFC 1123 subdomain (empty when valid)."""
    return _shaped(
        value,
        _DNS_SUBDOMAIN,
        _SUBDOMAIN_MAX,
        "must be a lowercase RFC 1123 subdomain: lower case letters, digits, '-' "
        "or '.', starting and ending with a letter or digit (e.g. 'example.com')",
    )


def _path_segment(value: str) -> list[str]:
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{c}'" for c in "/%" if c in value]


def _longer(value: str, limit: int) -> list[str]:
    if len(value) > limit:
        return [f"must be no more than {limit} characters (has {len(value)})"]
    return []


# Kinds whose name function is not NameIsDNSSubdomain, by API group.
_NAME_CHECKS: dict[tuple[str, str], _NameCheck] = {
    ("", "Namespace"): dns_label,
    ("", "Service"): _dns1035_label,
    ("apps", "StatefulSet"): dns_label,
    **{
        ("rbac.authorization.k8s.io", kind): _path_segment
        for kind in ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")
    },
}
_NAME_LIMITS = {("batch", "CronJob"): _CRONJOB_NAME_MAX, ("batch", "Job"): _LABEL_MAX}


def name_problems(
    group: str, kind: str, name: str, *, prefix: bool = False
) -> list[str]:
    """Why the API server refuses ``name`` for ``kind`` (empty when it accepts it).

    Args:
        group: API group (empty for the core group).
        kind: Object kind.
        name: ``metadata.name``, or ``metadata.generateName`` when ``prefix``.
        prefix: ``name`` is a generateName prefix: a trailing '-' is allowed.
    """
    check = _NAME_CHECKS.get((group, kind), dns_subdomain)
    if prefix and check is not _path_segment and len(name) > 1 and name.endswith("-"):
        # apimachinery's maskTrailingDash, which also shortens the prefix by one.
        name = name[:-2] + "a"
    problems = check(name)
    limit = _NAME_LIMITS.get((group, kind))
    if limit is not None and not prefix:
        problems += _longer(name, limit)
    return problems


def label_key_problems(key: str) -> list[str]:
    """Problems of ``key`` as a label key or annotation key (a qualified name)."""
    parts = key.split("/")
    if len(parts) > 2:
        return ["must be a name with an optional DNS subdomain prefix and one '/'"]
    errors: list[str] = []
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            errors.append("prefix part must not be empty")
        else:
            errors += [f"prefix part {m}" for m in dns_subdomain(prefix)]
    if not name:
        return [*errors, "name part must not be empty"]
    errors += [f"name part {m}" for m in _longer(name, _LABEL_MAX)]
    if not _QUALIFIED_NAME.fullmatch(name):
        errors.append(
            "name part must consist of letters, digits, '-', '_' or '.', starting "
            "and ending with a letter or digit"
        )
    return errors


def label_value_problems(value: str) -> list[str]:
    """Problems of ``value`` as a label value (empty is allowed)."""
    errors = _longer(value, _LABEL_MAX)
    if not _LABEL_VALUE.fullmatch(value):
        errors.append(
            "must be empty or consist of letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit"
        )
    return errors


#: Core kinds whose pod template metadata the API server also validates.
_POD_TEMPLATE_META = {
    "Deployment": ("spec", "template", "metadata"),
    "StatefulSet": ("spec", "template", "metadata"),
    "DaemonSet": ("spec", "template", "metadata"),
    "ReplicaSet": ("spec", "template", "metadata"),
    "ReplicationController": ("spec", "template", "metadata"),
    "Job": ("spec", "template", "metadata"),
    "PodTemplate": ("template", "metadata"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "metadata"),
}
_CORE_GROUPS = frozenset(("", "apps", "batch"))


def metadata_hits(doc: Document) -> Iterator[FieldHit]:
    """MLS131-MLS136: name, generateName, namespace, labels and annotations."""
    yield from selector_hits(doc)
    group = doc.api_version.rpartition("/")[0]
    meta = as_map(as_map(doc.data).get("metadata"))
    yield from _name_hits(doc, group, meta)
    yield from _labels_and_annotations(meta, "/metadata")
    path = _POD_TEMPLATE_META.get(doc.kind)
    if path is not None and group in _CORE_GROUPS:
        node: Any = doc.data
        for part in path:
            node = as_map(node).get(part)
        if isinstance(node, dict):
            yield from _labels_and_annotations(node, "/" + "/".join(path))


#: Core label selectors the API server validates as labels: LabelSelector paths,
#: and the Service's plain map.
_SELECTORS = {
    ("apps", "Deployment"): ("spec", "selector"),
    ("apps", "ReplicaSet"): ("spec", "selector"),
    ("apps", "StatefulSet"): ("spec", "selector"),
    ("apps", "DaemonSet"): ("spec", "selector"),
    ("batch", "Job"): ("spec", "selector"),
    ("networking.k8s.io", "NetworkPolicy"): ("spec", "podSelector"),
    ("policy", "PodDisruptionBudget"): ("spec", "selector"),
}


def selector_hits(doc: Document) -> Iterator[FieldHit]:
    """MLS133/MLS134 for the label selectors of core kinds."""
    group = doc.api_version.rpartition("/")[0]
    spec = as_map(as_map(doc.data).get("spec"))
    if (group, doc.kind) == ("", "Service"):
        yield from _label_map(spec.get("selector"), "/spec/selector", "selector")
        return
    path = _SELECTORS.get((group, doc.kind))
    if path is None:
        return
    selector = as_map(spec.get(path[1]))
    base = "/" + "/".join(path)
    yield from _label_map(
        selector.get("matchLabels"), f"{base}/matchLabels", "selector"
    )
    for i, expression in enumerate(as_list(selector.get("matchExpressions"))):
        expression = as_map(expression)
        pointer = f"{base}/matchExpressions/{i}"
        key = expression.get("key")
        if isinstance(key, str):
            for problem in label_key_problems(key):
                yield "MLS133", f"{pointer}/key", f"selector key {key!r}: {problem}"
        for value in as_list(expression.get("values")):
            for problem in label_value_problems(str(value)):
                yield (
                    "MLS134",
                    f"{pointer}/values",
                    f"selector value {value!r} {problem}",
                )


def _name_hits(
    doc: Document, group: str, meta: Mapping[str, Any]
) -> Iterator[FieldHit]:
    name, generate = meta.get("name"), meta.get("generateName")
    if isinstance(generate, str) and generate:
        for problem in name_problems(group, doc.kind, generate, prefix=True):
            yield (
                "MLS132",
                "/metadata/generateName",
                f"generateName {generate!r} {problem}",
            )
    if isinstance(name, str) and name:
        for problem in name_problems(group, doc.kind, name):
            yield "MLS131", "/metadata/name", f"{doc.kind} name {name!r} {problem}"
    elif not (isinstance(generate, str) and generate) and not doc.kind.endswith("List"):
        # List kinds (List, PodList...) wrap objects and carry no name.
        yield (
            "MLS131",
            "/metadata",
            f"{doc.kind} has no name: set metadata.name or metadata.generateName",
        )
    namespace = meta.get("namespace")
    if isinstance(namespace, str) and namespace:
        for problem in dns_label(namespace):
            yield "MLS131", "/metadata/namespace", f"namespace {namespace!r} {problem}"


def _label_map(labels: object, base: str, what: str) -> Iterator[FieldHit]:
    for key, value in as_map(labels).items():
        pointer = f"{base}/{escape_pointer_token(str(key))}"
        for problem in label_key_problems(str(key)):
            yield "MLS133", pointer, f"{what} key {key!r}: {problem}"
        if isinstance(value, str):
            for problem in label_value_problems(value):
                yield "MLS134", pointer, f"{what} {key!r} value {value!r} {problem}"


def _labels_and_annotations(meta: Mapping[str, Any], base: str) -> Iterator[FieldHit]:
    yield from _label_map(meta.get("labels"), f"{base}/labels", "label")
    annotations = as_map(meta.get("annotations"))
    size = 0
    for key, value in annotations.items():
        pointer = f"{base}/annotations/{escape_pointer_token(str(key))}"
        # The API server lower-cases annotation keys before checking them.
        for problem in label_key_problems(str(key).lower()):
            yield "MLS135", pointer, f"annotation key {key!r}: {problem}"
        size += len(str(key).encode()) + len(str(value).encode())
    if size > ANNOTATIONS_MAX_BYTES:
        yield (
            "MLS136",
            f"{base}/annotations",
            f"annotations total {size} bytes, more than the {ANNOTATIONS_MAX_BYTES} "
            "bytes (256 KiB) the API server accepts; move large data to a ConfigMap",
        )
