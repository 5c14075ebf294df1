"""Template source helpers: one line ending per file, and located run-time errors."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final, Literal

import jinja2

from mlscaffold.errors import Location, MlscaffoldError, RenderError, SkeletonError
from mlscaffold.render.limits import render_bounded

__all__ = [
    "Newline",
    "line_text",
    "newline_sequence_for",
    "render_error",
    "run_template",
]

Newline = Literal["\n", "\r\n", "\r"]
_NEWLINE = re.compile(r"\r\n|\r|\n")
_NEWLINE_NAMES: Final = {"\r\n": "CRLF", "\n": "LF", "\r": "CR"}


def newline_sequence_for(source: str, name: str) -> Newline:
    r"""The single line ending ``source`` uses (``\\n`` when it has none).

    Backstage writes every line ending as it is; Jinja2 rewrites all of them to one
    ``newline_sequence``. A file that mixes endings therefore cannot be reproduced.

    Raises:
        SkeletonError: The file mixes line endings; says which lines and what to do.
    """
    if "\r" not in source:
        return "\n"
    lines: dict[str, list[int]] = {}
    for number, match in enumerate(_NEWLINE.finditer(source), start=1):
        lines.setdefault(match.group(0), []).append(number)
    if len(lines) == 1:
        only = next(iter(lines))
        return "\r\n" if only == "\r\n" else "\r" if only == "\r" else "\n"
    detail = "; ".join(
        f"{_NEWLINE_NAMES[ending]} on line{'s' if len(found) > 1 else ''} "
        + ", ".join(str(n) for n in found[:5])
        + (f" and {len(found) - 5} more" if len(found) > 5 else "")
        for ending, found in sorted(lines.items(), key=lambda item: item[1][0])
    )
    raise SkeletonError(
        f"mixed line endings ({detail}): Backstage keeps each ending as it is but "
        "Jinja2 cannot; convert the file to one line ending, or list it in "
        "copyWithoutTemplating",
        source=Location(name, lines[min(lines, key=lambda e: len(lines[e]))][0]),
    )


# -------------------------------------------------------------- rendering


def line_text(source: str, lineno: int | None) -> str | None:
    """Line ``lineno`` (1-based) of ``source``, stripped; None when out of range."""
    if not lineno:
        return None
    lines = _NEWLINE.split(source)
    return lines[lineno - 1].strip() if 0 < lineno <= len(lines) else None


def _template_line(exc: BaseException, filename: str) -> int | None:
    """Line of the deepest traceback frame inside the template (jinja maps them)."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def render_error(
    exc: Exception, source: str, name: str, rendered: Location | None = None
) -> RenderError:
    """Turn a run-time failure inside a template into a located ``RenderError``."""
    if isinstance(exc, MlscaffoldError):
        message = exc.message
    elif isinstance(exc, jinja2.exceptions.SecurityError):
        message = f"unsafe operation blocked by the sandbox: {exc}"
    elif isinstance(exc, jinja2.UndefinedError):
        message = f"undefined value cannot be used here: {exc}"
    else:
        message = f"{type(exc).__name__}: {exc}"
    line = _template_line(exc, name)
    return RenderError(
        message,
        rendered=rendered,
        source=Location(name, line, approximate=line is None),
        line_text=line_text(source, line),
    )


def run_template(
    template: jinja2.Template,
    context: Mapping[str, Any],
    *,
    source: str,
    name: str,
    rendered: Location | None = None,
) -> str:
    """Render a compiled template; run-time failures become ``RenderError``."""
    try:
        return render_bounded(template, context)
    except Exception as exc:
        raise render_error(exc, source, name, rendered) from exc
