"""The ``mlscaffold_snapshot`` fixture's object; syrupy is imported only on compare."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mlscaffold._testing.config import MlscaffoldSettings

if TYPE_CHECKING:
    from mlscaffold._testing.teams import RenderedTeam
    from mlscaffold.api import RenderedProject
    from mlscaffold.render.tree import RenderedTree


class TreeSnapshot:
    """Compares a rendered tree with its per-file snapshots (see ``assert_match``).

    Args:
        request: The requesting test.
        settings: For strict (CI) mode and the skeleton path to normalize.
    """

    def __init__(
        self, request: pytest.FixtureRequest, settings: MlscaffoldSettings
    ) -> None:
        """Bind to the requesting test."""
        self._request = request
        self._settings = settings
        self.last_failure = ""

    def assert_match(self, tree: RenderedTree | RenderedProject | RenderedTeam) -> None:
        """Fail the test with a per-file report unless every snapshot matches.

        Missing snapshots are written, except in CI mode where they fail; changed
        ones fail unless ``--snapshot-update``; snapshots of files the tree no
        longer holds are orphans: they fail, or are deleted under ``--snapshot-update``.

        Args:
            tree: The tree, or a project or team holding it (named in messages).
        """
        if self != tree:
            pytest.fail(self.last_failure, pytrace=False)

    def __eq__(self, other: object) -> bool:
        """Compare (see ``assert_match``); the report is kept in ``last_failure``."""
        try:
            from mlscaffold._testing.snapshot import compare_tree
        except ImportError as exc:  # syrupy is an extra
            raise pytest.UsageError(
                "mlscaffold snapshots need syrupy: "
                f"pip install 'mlscaffold[pytest]' ({exc})"
            ) from exc
        config = self._request.config
        self.last_failure = compare_tree(
            self._request.node,
            other,
            ci=self._settings.ci,
            replacements=_replacements(config, self._settings),
        )
        return not self.last_failure

    __hash__ = None  # type: ignore[assignment]


def _replacements(
    config: pytest.Config, settings: MlscaffoldSettings
) -> tuple[tuple[str, str], ...]:
    """Machine paths that must never reach a snapshot, most specific first."""
    pairs = [
        (settings.skeleton, "<skeleton>"),
        (config.rootpath, "<rootdir>"),
        (Path.home(), "<home>"),
    ]
    return tuple(
        (str(path), label)
        for path, label in pairs
        if path is not None and len(path.parts) > 1
    )
