"""The Jinja2 side of the cookiecutter export: converter, extension, post-gen hook."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final
from urllib.parse import quote

import jinja2
from jinja2.ext import Extension

from mlscaffold.errors import SkeletonError
from mlscaffold.render.engine import (
    BackstageEnvironment,
    BackstageUndefined,
    js_finalize,
)

__all__ = [
    "EXTENSION",
    "PATH_FILTER",
    "POST_GEN_HOOK",
    "RENAMED_KEYS",
    "TEMPLATE_OPEN",
    "BackstageExtension",
    "convert_template",
    "escape_text",
    "jinja_literal",
    "staged_name",
]

EXTENSION: Final = "mlscaffold.template.cookiecutter_ext.BackstageExtension"
PATH_FILTER: Final = "mlscaffold_path"
_SKIPPED: Final = ".mlscaffold-skipped-"
_STAGED: Final = ".mlscaffold-staged-"

# Keys cookiecutter reserves at the top level (``template`` selects a nested
# template); the values keep them under a private, still rendered, name.
RENAMED_KEYS: Final[Mapping[str, str]] = {
    "template": "__template",
    "templates": "__templates",
}

TEMPLATE_OPEN = re.compile(r"\$\{\{|\{%|\{#")
_RAW_OPEN = re.compile(r"\{%-?\s*(raw|verbatim)\s*-?%\}")
_TOKEN = re.compile(
    r"""(?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<number>\d+)|(?P<space>\s+)|(?P<other>.)",
    re.S,
)
_JINJA_SPECIAL = re.compile(r"[{\r]")


# ----------------------------------------------------------------- scanning


def _close(src: str, start: int, closer: str) -> int:
    """Index just past ``closer`` ending the tag opened before ``start``."""
    depth, i = 0, start
    while i < len(src):
        if depth == 0 and src.startswith(closer, i):
            return i + len(closer)
        token = _TOKEN.match(src, i)
        assert token is not None  # noqa: S101 - `other` matches any character
        text = token.group()
        if text in "([{":
            depth += 1
        elif text in ")]}" and depth:
            depth -= 1
        i = token.end()
    raise SkeletonError(f"unterminated tag: no {closer!r} after offset {start}")


def _segments(src: str) -> Iterator[tuple[str, str]]:
    """Split Backstage template text into (kind, text) segments.

    Kinds: ``text``, ``expr`` (``${{ }}``), ``tag`` (``{% %}``), ``comment`` and
    ``raw`` (a whole ``{% raw %}...{% endraw %}`` block).
    """
    pos = 0
    while pos < len(src):
        found = TEMPLATE_OPEN.search(src, pos)
        if found is None:
            yield "text", src[pos:]
            return
        if found.start() > pos:
            yield "text", src[pos : found.start()]
        opener = found.group()
        if opener == "{#":
            end = src.find("#}", found.end())
            if end == -1:
                raise SkeletonError(f"unterminated comment at offset {found.start()}")
            yield "comment", src[found.start() : end + 2]
            pos = end + 2
            continue
        end = _close(src, found.end(), "}}" if opener == "${{" else "%}")
        raw = _RAW_OPEN.fullmatch(src, found.start(), end)
        if raw is None:
            yield ("expr" if opener == "${{" else "tag"), src[found.start() : end]
            pos = end
            continue
        closing = re.compile(r"\{%-?\s*end" + raw.group(1) + r"\s*-?%\}").search(
            src, end
        )
        if closing is None:
            raise SkeletonError(
                f"unterminated {raw.group(1)} block at offset {found.start()}"
            )
        yield "raw", src[found.start() : closing.end()]
        pos = closing.end()


# --------------------------------------------------------------- conversion


def jinja_literal(text: str) -> str:
    """Jinja2 source that prints ``text`` exactly: ``text`` itself when that is safe.

    Args:
        text: Any string, including delimiters, quotes, backslashes and newlines.
    """
    if not _JINJA_SPECIAL.search(text):
        return text
    escaped = text.encode("unicode_escape").decode("ascii").replace("'", "\\'")
    return "{{ '" + escaped + "' }}"


def escape_text(text: str, followed: bool) -> str:
    """Template text that Jinja2 prints verbatim (text never holds ``{%`` or ``{#``)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("{{", i):
            out.append("{{ '{{' }}")
            i += 2
        elif text[i] == "{" and i == len(text) - 1 and followed:
            out.append("{{ '{' }}")  # would merge with the next segment's opening brace
            i += 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _chain(src: str, i: int) -> tuple[int, list[str | None]]:
    """End of the ``.name`` / ``[...]`` accessors at ``i``, and their static keys."""
    keys: list[str | None] = []
    while i < len(src):
        name = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)").match(src, i)
        if name is not None:
            keys.append(name.group(1))
            i = name.end()
        elif src[i] == "[":
            end = _close(src, i + 1, "]")
            inner = src[i + 1 : end - 1].strip()
            literal = re.fullmatch(r"""'([^'\\]*)'|"([^"\\]*)"|(\d+)""", inner)
            keys.append(
                None if literal is None else next(g for g in literal.groups() if g)
            )
            i = end
        else:
            break
    return i, keys


def _leaves(value: Any, keys: Sequence[str | None]) -> Iterator[Any]:
    """Every value ``keys`` can reach in ``value``; ``None`` keys match any child."""
    if not keys:
        yield value
        return
    key, rest = keys[0], keys[1:]
    if isinstance(value, Mapping):
        children = (
            list(value.values())
            if key is None
            else [value[key]]
            if key in value
            else []
        )
    elif isinstance(value, (list, tuple)):
        index = None if key is None or not key.isdigit() else int(key)
        children = list(value) if index is None else list(value[index : index + 1])
    else:
        children = []
    for child in children:
        yield from _leaves(child, rest)


def _number_filter(values: Mapping[str, Any], keys: Sequence[str | None]) -> str | None:
    kinds = {type(leaf) for leaf in _leaves(values, keys)}
    if kinds == {int}:
        return "int"
    if kinds and kinds <= {int, float}:
        return "float"
    return None


def _convert_expr(src: str, values: Mapping[str, Any]) -> str:
    """Rename the root variable ``values``; restore numbers cookiecutter stringified."""
    out: list[str] = []
    previous = ""
    i = 0
    while i < len(src):
        token = _TOKEN.match(src, i)
        assert token is not None  # noqa: S101 - `other` matches any character
        text = token.group()
        is_root = token.lastgroup == "name" and text == "values" and previous != "."
        keyword = re.match(r"\s*=(?!=)", src[token.end() :]) is not None
        if not is_root or keyword:
            out.append(text)
            previous = text if token.lastgroup != "space" else previous
            i = token.end()
            continue
        end, keys = _chain(src, token.end())
        accessors = _convert_expr(src[token.end() : end], values)
        renamed = RENAMED_KEYS.get(keys[0] or "") if keys else None
        if renamed:
            first = re.compile(r"\.\w+|\[\s*(['\"])\w+\1\s*\]")
            accessors = first.sub("." + renamed, accessors, count=1)
        converted = "cookiecutter" + accessors
        number = _number_filter(values, keys)
        if number and not src[end:].lstrip().startswith("("):
            converted = f"({converted} | {number})"
        out.append(converted)
        previous = ")"
        i = end
    return "".join(out)


def convert_template(src: str, values: Mapping[str, Any]) -> str:
    """Turn Backstage template text into cookiecutter (Jinja2) template text.

    Args:
        src: Skeleton text (``${{ }}`` variables, ``values.*``).
        values: Example values with the contract's types (finds numeric values).

    Raises:
        SkeletonError: An unterminated tag, comment or raw block.
    """
    parts = list(_segments(src))
    out: list[str] = []
    for index, (kind, text) in enumerate(parts):
        if kind == "text":
            out.append(escape_text(text, followed=index + 1 < len(parts)))
        elif kind == "expr":
            out.append("{{" + _convert_expr(text[3:-2], values) + "}}")
        elif kind == "tag":
            out.append("{%" + _convert_expr(text[2:-2], values) + "%}")
        elif kind == "raw":
            out.append(re.sub(r"(?<=\{%)(-?\s*)(end)?verbatim", r"\1\2raw", text))
        else:
            out.append(text)
    return "".join(out)


def staged_name(rendered: str, index: int) -> str:
    """What a templated path component renders to in the exported template.

    Backstage renders an entry's whole path and skips the entry when the result is
    empty, starts with ``/`` or contains ``//``; per component that means a component
    that renders empty or with a leading, trailing or doubled ``/``. Cookiecutter has
    no such rule (an empty folder name even aborts it), and it refuses to create a
    folder that already exists, which Backstage merges. So the component renders to a
    name the post-generation hook recognises: deleted when skipped, otherwise moved
    (merged) to the percent-encoded rendered name, which may contain ``/``.

    Args:
        rendered: The component as rendered.
        index: A number unique in the template, so staged siblings never collide.
    """
    if (
        not rendered
        or rendered.startswith("/")
        or rendered.endswith("/")
        or "//" in rendered
    ):
        return f"{_SKIPPED}{index}"
    return f"{_STAGED}{index}-{quote(rendered, safe='')}"


class BackstageExtension(Extension):
    """Make cookiecutter's Jinja2 render like Backstage's ``fetch:template``.

    Adds Backstage's default filters (``parseRepoUrl``, ``projectSlug``,
    ``parseEntityRef``, ``pick``) and the nunjucks built-ins whose results differ from
    Jinja2's, all taken from mlscaffold's engine; makes undefined values print empty
    and chain (cookiecutter's strict undefined would fail on ``'x' if cond`` without
    ``else``, Backstage's idiom for conditional paths); and prints values with
    JavaScript's rules (``true``, ``''`` for null). Also adds the path filter of
    :func:`staged_name`.
    """

    def __init__(self, environment: jinja2.Environment) -> None:
        """Install filters, tests, undefined type and printing on ``environment``."""
        super().__init__(environment)
        backstage, plain = BackstageEnvironment(), jinja2.Environment()  # noqa: S701
        for name, func in backstage.filters.items():
            if plain.filters.get(name) is not func:
                environment.filters[name] = func
        for name, test in backstage.tests.items():
            if plain.tests.get(name) is not test:
                environment.tests[name] = test
        environment.filters[PATH_FILTER] = staged_name
        # Extensions load last in Environment.__init__ and templates compile later,
        # so both settings apply to every template cookiecutter renders.
        environment.undefined = BackstageUndefined
        environment.finalize = js_finalize


# The hook is itself rendered by cookiecutter's Jinja2 before it runs, so it must not
# contain Jinja2 delimiters; it needs nothing but the standard library.
POST_GEN_HOOK: Final = '''\
"""Apply Backstage's path rules that cookiecutter lacks (written by mlscaffold export).

Templated path components of this template render to staged names:
".mlscaffold-skipped-N" where Backstage would skip the entry (its path rendered
empty, or starts with "/" or contains "//"), ".mlscaffold-staged-N-<percent-encoded
name>" otherwise. Skipped entries are deleted; staged ones are moved to their name,
merging folders and never replacing an existing path, as Backstage does.
"""

import re
import shutil
from pathlib import Path
from urllib.parse import unquote

SKIPPED = re.compile(r"\\.mlscaffold-skipped-[0-9]+")
STAGED = re.compile(r"\\.mlscaffold-staged-[0-9]+-(.*)")


def merge(src, dst):
    if dst.is_symlink() or (dst.exists() and not (src.is_dir() and dst.is_dir())):
        remove(src)  # the existing entry wins
    elif src.is_dir() and not src.is_symlink() and dst.is_dir():
        for child in sorted(src.iterdir()):
            merge(child, dst / child.name)
        src.rmdir()
    else:
        dst.parent.mkdir(parents=True, exist_ok=True)
        src.rename(dst)


def remove(path):
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def next_staged(root):
    # Shallowest first, so a staged folder moves before the staged entries inside it.
    for path in sorted(root.rglob("*"), key=lambda p: (len(p.parts), str(p))):
        if SKIPPED.fullmatch(path.name) or STAGED.fullmatch(path.name):
            return path
    return None


def main():
    root = Path.cwd()
    while True:
        path = next_staged(root)
        if path is None:
            return
        staged = STAGED.fullmatch(path.name)
        if staged is None:
            remove(path)
        else:
            name = unquote(staged.group(1))
            if any(part in ("", ".", "..") for part in name.split("/")):
                remove(path)  # Backstage refuses paths that leave the output folder
            else:
                merge(path, path.parent / name)


main()
'''
