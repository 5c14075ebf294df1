"""Backstage's default filters: parseRepoUrl, projectSlug, parseEntityRef, pick."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl, unquote

from mlscaffold.errors import RenderError
from mlscaffold.render.jsprint import (
    JS_UNDEFINED,
    is_undefined,
    js_dump,
    js_string,
    js_truthy,
    template_literal,
)

__all__ = [
    "DEFAULT_INTEGRATION_HOSTS",
    "parse_entity_ref",
    "parse_repo_url",
    "pick",
    "project_slug",
]

# ---------------------------------------------------------------- parseRepoUrl

# Hosts that ScmIntegrations knows without any integrations config. github.com,
# gitlab.com, bitbucket.org and dev.azure.com are documented and tested in
# backstage-fidelity.md; the storage hosts are an assumption from the same notes
# ("plus S3, Azure Blob and GCS hosts") and all fall in the default (owner, repo) case.
DEFAULT_INTEGRATION_HOSTS: Final[Mapping[str, str]] = {
    "github.com": "github",
    "gitlab.com": "gitlab",
    "bitbucket.org": "bitbucketCloud",
    "dev.azure.com": "azure",
    "amazonaws.com": "awsS3",
    "blob.core.windows.net": "azureBlobStorage",
    "storage.cloud.google.com": "googleGcs",
}

_REQUIRED_PARAMS: Final[Mapping[str, tuple[str, ...]]] = {
    "bitbucketCloud": ("workspace", "project", "repo"),
    "bitbucketServer": ("project", "repo"),
    "azure": ("project", "repo"),
    "gitea": ("repo",),
    "gerrit": ("repo",),
}
_REPO_PARAMS: Final = ("owner", "organization", "workspace", "project", "repo")
_FORBIDDEN_HOST = re.compile(r"[\x00-\x20#%/:<>?@\[\\\]^|\x7f]")


@dataclass(frozen=True)
class _Url:
    userinfo: str
    hostname: str
    port: str
    path: str
    query: str | None
    fragment: str | None

    @property
    def host(self) -> str:
        return f"{self.hostname}:{self.port}" if self.port else self.hostname

    def __str__(self) -> str:
        text = "https://" + (self.userinfo + "@" if self.userinfo else "") + self.host
        text += self.path
        if self.query is not None:
            text += "?" + self.query
        if self.fragment is not None:
            text += "#" + self.fragment
        return text


def _encode(text: str, keep: Callable[[str], bool]) -> str:
    return "".join(
        ch if keep(ch) else "".join(f"%{b:02X}" for b in ch.encode("utf-8", "replace"))
        for ch in text
    )


def _parse_https(rest: str) -> _Url:
    """Parse ``'https://' + rest`` like the WHATWG URL parser, as far as it matters.

    Covers: ignored leading slashes, userinfo, default port 443, lowercase host,
    path dot-segments, query/fragment percent-encoding. Not covered (rare in repo
    URLs): IPv4 number normalisation and full UTS-46 mapping of non-ASCII hosts.
    """
    # WHATWG: trim C0 controls and spaces, drop tabs and newlines anywhere.
    rest = re.sub(r"[\t\n\r]", "", re.sub(r"^[\x00-\x20]+|[\x00-\x20]+$", "", rest))
    rest = rest.lstrip("/\\")
    end = len(rest)
    for mark in "/\\?#":
        pos = rest.find(mark)
        if pos != -1:
            end = min(end, pos)
    authority, remainder = rest[:end], rest[end:]
    userinfo, _, hostport = authority.rpartition("@")
    host, port = hostport, ""
    if not hostport.startswith("[") or "]:" in hostport:
        head, colon, tail = hostport.rpartition(":")
        if colon:
            host, port = head, tail
    if not host or (port and not port.isdigit()) or (port and int(port) > 65535):
        raise ValueError("Invalid URL")
    if port and int(port) == 443:
        port = ""
    elif port:
        port = str(int(port))
    host = _decode_host(host)
    fragment: str | None = None
    query: str | None = None
    if "#" in remainder:
        remainder, _, fragment = remainder.partition("#")
        fragment = _encode(fragment, lambda c: " " < c < "\x7f" and c not in '"<>`')
    if "?" in remainder:
        remainder, _, query = remainder.partition("?")
        query = _encode(query, lambda c: " " < c < "\x7f" and c not in "\"#<>'")
    return _Url(userinfo, host, port, _normalize_path(remainder), query, fragment)


def _decode_host(host: str) -> str:
    if host.startswith("["):
        return host.lower()
    decoded = unquote(host, errors="replace")
    if _FORBIDDEN_HOST.search(decoded):
        raise ValueError("Invalid URL")
    if decoded.isascii():
        return decoded.lower()
    try:
        return decoded.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise ValueError("Invalid URL") from exc


def _normalize_path(path: str) -> str:
    segments: list[str] = []
    parts = path.replace("\\", "/").split("/")[1:] if path else [""]
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part.lower() in ("..", ".%2e", "%2e.", "%2e%2e"):
            if segments:
                segments.pop()
            if last:
                segments.append("")
        elif part.lower() in (".", "%2e"):
            if last:
                segments.append("")
        else:
            segments.append(
                _encode(part, lambda c: " " < c < "\x7f" and c not in '"#<>?`{}')
            )
    return "/" + "/".join(segments)


def parse_repo_url(
    repo_url: object, integrations: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Backstage's ``parseRepoUrl`` filter (scaffolder-node ``parseRepoUrl``).

    Args:
        repo_url: A RepoUrlPicker value such as ``github.com?owner=o&repo=r``.
        integrations: Host (with port if any) to integration type; defaults to the
            hosts Backstage knows without configuration.

    Returns:
        ``host`` and the query parameters that are present, in Backstage's key order
        (host, owner, repo, organization, workspace, project), slashes trimmed.

    Raises:
        RenderError: With Backstage's message for a bad URL, unknown host or a
            missing required parameter.
    """
    text = template_literal(repo_url)
    try:
        url = _parse_https(text)
    except ValueError as exc:
        raise RenderError(
            f"Invalid repo URL passed to publisher, got {text}, TypeError: Invalid URL"
        ) from exc
    hosts = DEFAULT_INTEGRATION_HOSTS if integrations is None else integrations
    kind = hosts.get(url.host)
    if kind is None:
        raise RenderError(
            f"No matching integration configuration for host {url.host}, "
            "please check your integrations config"
        )
    params: dict[str, str] = {}
    for key, value in parse_qsl(
        url.query or "", keep_blank_values=True, errors="replace"
    ):
        params.setdefault(key, value)  # URLSearchParams.get returns the first one
    trimmed = {
        k: re.sub(r"^/+|/+$", "", params[k]) for k in _REPO_PARAMS if k in params
    }
    if kind == "gitlab":
        required: tuple[str, ...] = () if trimmed.get("project") else ("owner", "repo")
    else:
        required = _REQUIRED_PARAMS.get(kind, ("repo", "owner"))
    for name in required:
        if not params.get(name):
            raise RenderError(
                f"Invalid repo URL passed to publisher: {url}, missing {name}"
            )
    result = {"host": url.host}
    for key in ("owner", "repo", "organization", "workspace", "project"):
        if key in trimmed:
            result[key] = trimmed[key]
    return result


def project_slug(
    repo_url: object, integrations: Mapping[str, str] | None = None
) -> str:
    """Backstage's ``projectSlug`` filter: ``${owner}/${repo}`` of parseRepoUrl."""
    parsed = parse_repo_url(repo_url, integrations)
    return f"{parsed.get('owner', 'undefined')}/{parsed.get('repo', 'undefined')}"


# -------------------------------------------------------------- parseEntityRef


def _json_text(value: object) -> str:
    text = js_dump(value)
    return "undefined" if text is JS_UNDEFINED else str(text)


def _split_ref(ref: str) -> tuple[str | None, str | None, str]:
    colon = ref.find(":")
    slash = ref.find("/")
    if slash != -1 and slash < colon:
        colon = -1  # a '/' before the ':' means the rest is all name
    kind = None if colon == -1 else ref[:colon]
    namespace = None if slash == -1 else ref[colon + 1 : slash]
    name = ref[max(colon + 1, slash + 1) :]
    if kind == "" or namespace == "" or name == "":
        raise RenderError(
            f'Entity reference "{ref}" was not on the form '
            "[<kind>:][<namespace>/]<name>"
        )
    return kind, namespace, name


def parse_entity_ref(ref: object, context: object = None) -> dict[str, Any]:
    """Backstage's ``parseEntityRef`` filter (catalog-model ``parseEntityRef``).

    Case is preserved; only the first ``:`` separates the kind.

    Args:
        ref: ``[kind:][namespace/]name`` or a ``{kind, namespace, name}`` mapping.
        context: Optional ``{defaultKind, defaultNamespace}``.

    Returns:
        ``{kind, namespace, name}``.

    Raises:
        RenderError: With catalog-model's message text.
    """
    if not js_truthy(ref):
        raise RenderError("Entity reference must not be empty")
    ctx = context if isinstance(context, Mapping) else {}
    default_kind = ctx.get("defaultKind")
    default_namespace = ctx.get("defaultNamespace")
    if not js_truthy(default_namespace):
        default_namespace = "default"
    fields: Mapping[str, Any]
    if isinstance(ref, str):
        kind, namespace, name = _split_ref(ref)
        fields = {"kind": kind, "namespace": namespace, "name": name}
    else:
        fields = ref if isinstance(ref, Mapping) else {}

    def pick_field(key: str, fallback: object) -> object:
        value = fields.get(key)
        return fallback if value is None or is_undefined(value) else value

    result = {
        "kind": pick_field("kind", default_kind),
        "namespace": pick_field("namespace", default_namespace),
        "name": fields.get("name", JS_UNDEFINED),
    }
    for key, hint in (
        ("kind", ' (e.g. did not start with "component:" or similar)'),
        ("namespace", ""),
        ("name", ""),
    ):
        if not js_truthy(result[key]):
            raise RenderError(
                f"Entity reference {_json_text(ref)} had missing or empty {key}{hint}"
            )
    return result


# ------------------------------------------------------------------------ pick

_PROP_NAME = re.compile(
    r"""[^.[\]]+|\[(?:(-?\d+(?:\.\d+)?)|(["'])((?:(?!\2)[^\\]|\\.)*?)\2)\]"""
    r"""|(?=(?:\.|\[\])(?:\.|\[\]|$))"""
)
_DEEP_PROP = re.compile(r"""\.|\[(?:[^[\]]*|(["'])(?:(?!\1)[^\\]|\\.)*?\1)\]""")
_ARRAY_INDEX = re.compile(r"0|[1-9]\d*")


def _path_keys(path: object, obj: object) -> list[str]:
    """Lodash ``castPath``: a plain key, or the keys of ``a.b[0]["c"]``."""
    if isinstance(path, (list, tuple)):
        return [js_string(p) if p is not None else "null" for p in path]
    if path is None or isinstance(path, (bool, int, float)) or is_undefined(path):
        return [template_literal(path)]
    text = js_string(path)
    if re.fullmatch(r"\w*", text) or not _DEEP_PROP.search(text):
        return [text]
    if _js_get(obj, text) is not JS_UNDEFINED:
        return [text]  # `key in Object(object)`: a literal key with dots wins
    keys = [""] if text.startswith(".") else []
    for match in _PROP_NAME.finditer(text):
        number, quote, quoted = match.group(1), match.group(2), match.group(3)
        if quote:
            keys.append(re.sub(r"\\(\\)?", r"\1", quoted))
        else:
            keys.append(number or match.group(0))
    return keys


def _js_get(obj: object, key: str) -> Any:
    """``obj[key]`` with JavaScript property semantics on JSON-like data."""
    if isinstance(obj, Mapping):
        return obj.get(key, JS_UNDEFINED)
    if isinstance(obj, (list, tuple, str)):
        if key == "length":
            return len(obj)
        if _ARRAY_INDEX.fullmatch(key) and int(key) < len(obj):
            return obj[int(key)]
    return JS_UNDEFINED


def pick(obj: object, path: object = JS_UNDEFINED) -> Any:
    """Backstage's ``pick`` filter: lodash ``get(obj, path)``.

    Returns:
        The value at ``path`` (``'a.b'``, ``'a[0].b'``, ``'0.n'``), or JS_UNDEFINED.
    """
    if obj is None or is_undefined(obj):
        return JS_UNDEFINED
    keys = _path_keys(path, obj)
    current: Any = obj
    index = 0
    while current is not None and current is not JS_UNDEFINED and index < len(keys):
        current = _js_get(current, keys[index])
        index += 1
    if index and index == len(keys):
        return current
    return JS_UNDEFINED
