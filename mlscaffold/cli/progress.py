"""Progress of long work on stderr: a bar on a terminal, plain lines elsewhere."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

Step = Callable[[int, str, bool], None]
"""``step(done, item, ok)``: ``done`` items finished, the last one ``item``."""


@contextmanager
def progress(
    enabled: bool | None, total: int, label: str, *, lines_by_default: bool = True
) -> Iterator[Step]:
    """Report progress through the ``step`` callback this yields.

    On a terminal it is click's progress bar. Elsewhere (a CI log) it is about
    twenty ``[done/total] item ok`` lines whatever the size, plus a line for every
    failed item, so a log shows movement without one line per item.

    Args:
        enabled: ``--progress`` (True), ``--no-progress`` (False) or unset (None).
        total: How many items there are.
        label: What they are, shown before the bar (``teams``, ``files``).
        lines_by_default: Unset means plain lines off a terminal too; commands
            whose output is read in hooks (``validate``) pass False.
    """
    tty = sys.stderr.isatty()
    if (
        enabled is False
        or total == 0
        or (enabled is None and not (tty or lines_by_default))
    ):
        yield lambda _done, _item, _ok: None
    elif tty:
        with click.progressbar(length=total, label=label, file=sys.stderr) as bar:

            def advance(done: int, _item: str, _ok: bool) -> None:
                bar.update(done - bar.pos)

            yield advance
    else:
        every = max(1, total // 20)

        def line(done: int, item: str, ok: bool) -> None:
            if done % every == 0 or done == total or not ok:
                state = "ok" if ok else "FAILED"
                click.echo(f"[{done}/{total}] {item} {state}", err=True)

        yield line


F = TypeVar("F", bound=Callable[..., Any])


def progress_option(func: F) -> F:
    """Add --progress/--no-progress (default: decided by :func:`progress`)."""
    return click.option(
        "--progress/--no-progress",
        default=None,
        help="Show progress on stderr (default: a bar on a terminal, "
        "plain lines otherwise).",
    )(func)
