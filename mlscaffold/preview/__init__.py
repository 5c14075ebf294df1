"""``mlscaffold preview``: the form and the generated project side by side, live.

A stdlib HTTP server on 127.0.0.1 serves one page (hand-written HTML, JS and CSS in
``assets/``) and a few JSON endpoints, all under a per-run secret token.
"""

from __future__ import annotations

from mlscaffold.preview.server import PreviewServer
from mlscaffold.preview.session import (
    Output,
    PreviewConfig,
    PreviewSession,
    project_outputs,
)
from mlscaffold.preview.watch import SourceWatcher

__all__ = [
    "Output",
    "PreviewConfig",
    "PreviewServer",
    "PreviewSession",
    "SourceWatcher",
    "project_outputs",
]
