"""Compiled skeleton templates kept on disk, as Jinja2's bytecode cache does.

Compiling the skeleton's templates is most of a render's own work (about 40
templates through Jinja2's parser and code generator); a new process loads the
code objects instead. An entry's name is the sha256 of everything the generated
code depends on: the source and its name, the environment's syntax settings, the
Jinja2 version, Python's bytecode magic number and this package's engine module
(its parser), so a change to any of them simply misses the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import marshal
from functools import cache
from pathlib import Path
from types import CodeType
from typing import TYPE_CHECKING

import jinja2

from mlscaffold._cache import atomic_write, default_cache_dir

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["cached_code"]


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
    key = hashlib.sha256(repr((_fingerprint(env), name, source)).encode())
    path = default_cache_dir() / "templates" / f"{key.hexdigest()}.code"
    try:
        code = marshal.loads(path.read_bytes())  # noqa: S302 - our own cache
    except (OSError, ValueError, EOFError, TypeError):
        code = None
    if isinstance(code, CodeType):
        return code
    code = compile_code()
    # A read-only cache only costs the next process the compile.
    with contextlib.suppress(OSError):
        atomic_write(path, marshal.dumps(code))
    return code


def _fingerprint(env: jinja2.Environment) -> tuple[object, ...]:
    return (
        _engine_digest(),
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
def _engine_digest() -> str:
    from mlscaffold.render import engine

    return hashlib.sha256(Path(engine.__file__).read_bytes()).hexdigest()
