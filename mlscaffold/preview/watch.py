"""Watch the skeleton and platform files, and tell the session when they change."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

__all__ = ["SourceWatcher"]


class SourceWatcher:
    """Calls ``on_change`` after each burst of edits below the watched paths.

    A folder is watched recursively. For a file, its folder is watched and only
    that name counts, because editors save by writing a new file and renaming it
    over the old one, which ends a watch on the file itself.

    Args:
        paths: Folders and files to watch.
        on_change: Called from the watcher's thread, once per burst.
    """

    def __init__(self, paths: list[Path], on_change: Callable[[], None]) -> None:
        """Remember what to watch (call start to begin)."""
        resolved = [path.resolve() for path in paths]
        self._folders = [p for p in resolved if p.is_dir()]
        self._files = {str(p) for p in resolved if not p.is_dir()}
        self._on_change = on_change
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="mlscaffold-preview-watch", daemon=True
        )

    def start(self) -> None:
        """Start watching in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop watching and wait for the thread."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        import watchfiles

        default = watchfiles.DefaultFilter()
        folders = [str(p) for p in self._folders]

        def wanted(change: watchfiles.Change, path: str) -> bool:
            if path in self._files:
                return True
            inside = any(path.startswith(folder + "/") for folder in folders)
            return inside and default(change, path)

        roots = {*folders, *(str(Path(f).parent) for f in self._files)}
        for _ in watchfiles.watch(
            *sorted(roots),
            watch_filter=wanted,
            # Short: the page should follow a save at once; editors that write
            # in several steps still fall within one burst.
            debounce=200,
            stop_event=self._stop,
            raise_interrupt=False,
        ):
            self._on_change()
