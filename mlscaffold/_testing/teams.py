"""A team of the pytest plugin's matrix, rendered and validated."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlscaffold.api import RenderedProject
    from mlscaffold.render.tree import RenderedTree


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
        """The rendered files: the team repository, the platform change under platform/.

        (``project.tree`` and ``project.platform_tree`` hold them apart.)
        """
        return self.project.combined_tree()
