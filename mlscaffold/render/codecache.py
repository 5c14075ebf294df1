"""Compiled skeleton templates kept on disk, as Jinja2's bytecode cache does.

Compiling the skeleton's templates is most of a render's own work (about 40
templates through Jinja2's parser and code generator); a new process loads the
code objects instead. An entry's name is the sha256 of everything the generated
code depends on: the source and its name, the environment's syntax settings, the
Jinja2 version, Python's bytecode magic number and this package's engine module
(its parser), so a change to any of them simply misses the cache. The JSON-mode
code of a step-input string (render/values.py) is kept the same way, keyed by
that module too.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import marshal
from functools import cache
from pathlib import Path
from types import CodeType
from typing import TYPE_CHECKING, cast

import jinja2

from mlscaffold._cache import default_cache_dir
from mlscaffold._files import atomic_write
from mlscaffold.errors import FileSystemError, OutputExistsError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["cached_code", "cached_json_mode_code"]


def cached_code(
    env: jinja2.Environment,
    source: str,
    name: str,
    compile_code: Callable[[], CodeType],
) -> CodeType:
    """The code object of ``source``: from the cache, else compiled and stored.

    Args:
        env: The environment the template is compiled for.
        source: Template source.
        name: The template's file name (embedded in tracebacks).
        compile_code: Compiles the template (raises the syntax error, if any).

    Returns:
        The code object ``env.template_class.from_code`` takes.
    """
    # "template": entries hold a 1-tuple now, so they are not the bare code objects
    # an earlier version stored under the unmarked key (versions sharing a cache
    # would rewrite each other's entries on every render).
    key = ("template", _fingerprint(env), name, source)
    return cast("CodeType", _cached(key, compile_code, allow_none=False))


def cached_json_mode_code(
    env: jinja2.Environment,
    source: str,
    name: str,
    compile_code: Callable[[], CodeType | None],
) -> CodeType | None:
    """Like :func:`cached_code`, for the JSON mode of a step-input string.

    Args:
        env: The environment the string is compiled for.
        source: The string.
        name: Where it is in the step input (embedded in tracebacks).
        compile_code: The JSON-mode code, or None when the string has none (it is
            not a single node); either answer is cached.

    Returns:
        What ``compile_code`` returned, from the cache when it holds it.
    """
    key = ("json", _source_digest("mlscaffold.render.values"), _fingerprint(env))
    return _cached((*key, name, source), compile_code, allow_none=True)


def _cached(
    key: tuple[object, ...],
    compile_code: Callable[[], CodeType | None],
    *,
    allow_none: bool,
) -> CodeType | None:
    digest = hashlib.sha256(repr(key).encode()).hexdigest()
    path = default_cache_dir() / "templates" / f"{digest}.code"
    try:
        # A 1-tuple, so that a cached None differs from a missing entry.
        entry = marshal.loads(path.read_bytes())  # noqa: S302 - our own cache
    except (OSError, ValueError, EOFError, TypeError):
        entry = None
    if isinstance(entry, tuple) and len(entry) == 1:
        (code,) = entry
        if isinstance(code, CodeType) or (allow_none and code is None):
            return code
    code = compile_code()
    # A read-only (or tampered-with) cache only costs the next process the compile.
    with contextlib.suppress(FileSystemError, OutputExistsError):
        atomic_write(path, marshal.dumps((code,)))
    return code


def _fingerprint(env: jinja2.Environment) -> tuple[object, ...]:
    return (
        _source_digest("mlscaffold.render.engine"),
        jinja2.__version__,
        importlib.util.MAGIC_NUMBER,
        type(env).__qualname__,
        env.block_start_string,
        env.block_end_string,
        env.variable_start_string,
        env.variable_end_string,
        env.comment_start_string,
        env.comment_end_string,
        env.line_statement_prefix,
        env.line_comment_prefix,
        env.trim_blocks,
        env.lstrip_blocks,
        env.newline_sequence,
        env.keep_trailing_newline,
        env.optimized,
        env.is_async,
        env.finalize is not None,
        bool(env.autoescape),
        tuple(sorted(env.extensions)),
    )


@cache
def _source_digest(module: str) -> str:
    """The sha256 of a module's source: the generated code depends on it."""
    source = importlib.import_module(module).__file__
    assert source is not None  # a module of this package  # noqa: S101
    return hashlib.sha256(Path(source).read_bytes()).hexdigest()
