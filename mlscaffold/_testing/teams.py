"""Team matrices for the pytest plugin: teams files and the teams rendered from them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlscaffold._teams import Team, read_teams

if TYPE_CHECKING:
    from mlscaffold.api import RenderedProject
    from mlscaffold.render.tree import RenderedTree


TeamCase = Team
"""One entry of a teams file: ``name`` (the test id and snapshot folder name) and
``parameters`` (with the file's ``defaults`` merged under them)."""


def load_teams(path: Path) -> list[TeamCase]:
    """Read a teams file as the fleet does (see :func:`mlscaffold._teams.read_teams`).

    Returns:
        Its teams in file order; each name is a test id and a snapshot folder.

    Raises:
        ParamsError: The file is missing or not shaped like that.
    """
    return read_teams(path)


@dataclass(frozen=True)
class RenderedTeam:
    """One team of a matrix, rendered and validated.

    Attributes:
        name: The team's id in the teams file (also the test id).
        parameters: The parameters as declared (defaults merged in).
        project: The rendered project (params, values, tree).
    """

    name: str
    parameters: Mapping[str, Any]
    project: RenderedProject

    @property
    def tree(self) -> RenderedTree:
        """The rendered files."""
        return self.project.tree
