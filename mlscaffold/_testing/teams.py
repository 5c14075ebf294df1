"""Team matrices for the pytest plugin: teams files and the teams rendered from them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlscaffold.errors import ParamsError

if TYPE_CHECKING:
    from mlscaffold.api import RenderedProject
    from mlscaffold.render.tree import RenderedTree


@dataclass(frozen=True)
class TeamCase:
    """One entry of a teams file.

    Attributes:
        name: Its id: the test id and the snapshot folder name.
        parameters: Its parameters, with the file's ``defaults`` merged under them.
    """

    name: str
    parameters: Mapping[str, Any]


def load_teams(path: Path) -> list[TeamCase]:
    """Read a teams file: ``defaults`` (optional) and ``teams`` (id to parameters).

    ``teams`` is a mapping of ids to parameter mappings, or a list of parameter
    mappings each with an ``id`` or a ``team``. ``team`` defaults to the id.

    Raises:
        ParamsError: The file is missing or not shaped like that.
    """
    import yaml

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ParamsError([f"{path.name}: cannot read the teams file: {exc}"]) from exc
    teams = doc.get("teams") if isinstance(doc, dict) else None
    defaults = doc.get("defaults", {}) if isinstance(doc, dict) else None
    if (
        not isinstance(defaults, dict)
        or not isinstance(teams, (dict, list))
        or not teams
    ):
        raise ParamsError(
            [
                f"{path.name}: expected a mapping with `teams` (id: parameters) "
                "and optional `defaults`"
            ]
        )
    entries = teams.items() if isinstance(teams, dict) else ((None, t) for t in teams)
    cases: list[TeamCase] = []
    problems: list[str] = []
    for key, params in entries:
        if not isinstance(params, dict):
            problems.append(f"{path.name}: team {key!r}: parameters must be a mapping")
            continue
        params = dict(params)
        name = str(key if key is not None else params.pop("id", params.get("team", "")))
        if not name or name in {c.name for c in cases}:
            problems.append(f"{path.name}: team id {name!r} is empty or repeated")
            continue
        cases.append(
            TeamCase(name=name, parameters={**defaults, "team": name, **params})
        )
    if problems:
        raise ParamsError(problems)
    return cases


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
