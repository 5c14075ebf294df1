"""Limits on what rendering a skeleton may cost: time, output and loop iterations.

A custom skeleton (``--skeleton``, the pytest plugin's ``mlscaffold_skeleton``)
is code. Jinja's sandbox stops it from reaching the system but not from looping
or allocating without end, so a render runs within a budget: a deadline for the
whole tree, a cap on each file's output, on ``range`` items, and on the size of
what ``*`` and ``**`` build. Going over is a ``RenderError`` naming the file.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import jinja2

from mlscaffold.errors import Location, RenderError

__all__ = [
    "MAX_ITERATIONS",
    "MAX_OUTPUT_CHARS",
    "MAX_SECONDS",
    "RenderBudget",
    "bounded_binop",
    "deadline",
    "render_bounded",
    "spend_iterations",
]

MAX_SECONDS = 60.0
"""Longest a whole tree may take to render (the shipped skeleton takes ~10 ms)."""
MAX_OUTPUT_CHARS = 16 * 1024 * 1024
"""Most characters one rendered file (or one value built by ``*``) may hold."""
MAX_ITERATIONS = 1_000_000
"""Most ``range`` items one tree render may produce, nested loops included."""
_MAX_POWER_BITS = 1_000_000


class _Timeout(BaseException):
    """Raised into the rendering thread when the deadline passes.

    A BaseException, so the template's own error handling cannot swallow it.
    """


@dataclass
class RenderBudget:
    """What a render may still spend, and where it is (for the timeout message).

    Attributes:
        current: The skeleton file being rendered.
    """

    current: str = ""
    iterations: int = MAX_ITERATIONS
    expired: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: bool = False


_BUDGET: ContextVar[RenderBudget | None] = ContextVar(
    "mlscaffold_render_budget", default=None
)


def _raise_in(thread_id: int, exc: type[BaseException] | None) -> None:
    # Imported here (from the watchdog thread too): only a render that runs out of
    # time needs it, and it costs every other render 2 ms.
    import ctypes

    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exc) if exc else None
    )


@contextmanager
def deadline(seconds: float | None = None) -> Iterator[RenderBudget]:
    """Run the block with a render budget; stop it when ``seconds`` have passed.

    A watchdog thread raises into this thread at the deadline; pure-Python work
    (Jinja's compiled templates are) stops at its next instruction. The caller
    keeps ``current`` up to date so the error names the file.

    Raises:
        RenderError: The deadline passed.
    """
    seconds = MAX_SECONDS if seconds is None else seconds
    budget = RenderBudget()
    token = _BUDGET.set(budget)
    thread_id = threading.get_ident()

    def expire() -> None:
        with budget.lock:
            if not budget.done:
                budget.expired = True
                _raise_in(thread_id, _Timeout)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield budget
    except _Timeout:
        raise RenderError(
            f"rendering took longer than {seconds:g} s; look for loops that never end",
            source=Location(budget.current) if budget.current else None,
        ) from None
    finally:
        _stand_down(budget, thread_id)
        timer.cancel()
        _BUDGET.reset(token)


def _stand_down(budget: RenderBudget, thread_id: int) -> None:
    """Stop the watchdog; swallow a timeout that lands after the work is done."""
    try:
        _withdraw(budget, thread_id)
    except _Timeout:  # pragma: no cover - delivered in the last microseconds
        _withdraw(budget, thread_id)  # done is set now: no other can be sent


def _withdraw(budget: RenderBudget, thread_id: int) -> None:
    with budget.lock:
        budget.done = True
        if budget.expired:
            _raise_in(thread_id, None)  # withdraw a timeout not yet raised


def spend_iterations(count: int) -> None:
    """Count ``count`` loop items against the render's budget.

    Raises:
        RenderError: The budget is spent.
    """
    budget = _BUDGET.get()
    if budget is None:
        return
    budget.iterations -= count
    if budget.iterations < 0:
        raise RenderError(
            f"loops produce more than {MAX_ITERATIONS} range items; "
            "a skeleton renders a few files, not a computation"
        )


def bounded_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse a ``*`` or ``**`` whose result would be too large to build.

    Raises:
        RenderError: The result would exceed the limits.
    """
    if operator == "*":
        for seq, times in ((left, right), (right, left)):
            sized = isinstance(seq, (str, list)) and isinstance(times, int)
            if sized and len(seq) * times > MAX_OUTPUT_CHARS:
                raise RenderError(
                    f"'*' would build {len(seq) * times} items "
                    f"(at most {MAX_OUTPUT_CHARS})"
                )
    elif (
        operator == "**"
        and isinstance(left, int)
        and isinstance(right, int)
        and right > 0
        and abs(left) > 1
        and left.bit_length() * right > _MAX_POWER_BITS
    ):
        raise RenderError(f"'**' would build a number of over {_MAX_POWER_BITS} bits")


def render_bounded(template: jinja2.Template, context: Any) -> str:
    """Render ``template`` chunk by chunk, refusing output beyond the cap.

    Raises:
        RenderError: The output grows past ``MAX_OUTPUT_CHARS``.
    """
    parts: list[str] = []
    size = 0
    for chunk in template.generate(context):
        size += len(chunk)
        if size > MAX_OUTPUT_CHARS:
            raise RenderError(
                f"the rendered file grows past {MAX_OUTPUT_CHARS} characters"
            )
        parts.append(chunk)
    return "".join(parts)
