"""Teams files and answers files: the one loader of the fleet and the pytest plugin."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from mlscaffold._yaml import clip, load_yaml_file
from mlscaffold.errors import MlscaffoldError, SettingsError

__all__ = [
    "ANSWERS_FILE",
    "Answers",
    "Team",
    "load_answers",
    "load_teams",
    "read_teams",
    "rendered_before",
]

ANSWERS_FILE = ".mlscaffold/answers.yaml"
"""Where a generated repository keeps its template version and parameters."""

_YAML_SUFFIXES = (".yaml", ".yml")
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


@dataclass(frozen=True)
class Team:
    """One team of the fleet.

    Attributes:
        name: Its id: the key it is listed under in a teams file (or its ``id`` in
            a list), else its ``team`` parameter. The plugin's test id and snapshot
            folder, and the fleet's output folder.
        parameters: The team parameters, as given (validated when rendered).
        source: The file it was read from, for messages.
        template_version: The template version its answers file records, if any.
    """

    name: str
    parameters: Mapping[str, Any] = field(hash=False)
    source: str = ""
    template_version: str | None = None


@dataclass(frozen=True)
class Answers:
    """A parsed ``.mlscaffold/answers.yaml``.

    Attributes:
        template_name: The template it was rendered from (``ml-project``).
        template_version: That template's version.
        parameters: The team parameters.
    """

    template_name: str
    template_version: str
    parameters: Mapping[str, Any]


def load_answers(path: Path) -> Answers:
    """Read an answers file (``template: {name, version}`` and ``parameters``).

    Raises:
        SettingsError: Unreadable file, or not the answers file shape.
    """
    data = _read_yaml(path)
    template = data.get("template")
    parameters = data.get("parameters")
    if not isinstance(template, dict) or not isinstance(parameters, dict):
        raise SettingsError(
            f"{path}: an answers file needs a 'template' and a 'parameters' mapping"
        )
    return Answers(
        template_name=str(template.get("name", "")),
        template_version=str(template.get("version", "")),
        parameters=cast(dict[str, Any], parameters),
    )


def rendered_before(
    out: Path, render: Callable[[Mapping[str, Any]], Iterable[str]]
) -> tuple[str, ...]:
    """The paths rendering ``out``'s recorded answers gives: what mlscaffold wrote.

    ``render --force`` may replace those even when the new parameters no longer
    produce them (going from L3 to L2 drops deploy/cronworkflow.yaml).

    Args:
        out: A folder an earlier render wrote.
        render: Renders parameters to the paths of a tree.

    Returns:
        The paths; none when ``out`` holds no answers that still render.
    """
    if not (out / ANSWERS_FILE).is_file():
        return ()
    try:
        return tuple(render(load_answers(out / ANSWERS_FILE).parameters))
    except MlscaffoldError:
        return ()


def load_teams(sources: Sequence[Path]) -> list[Team]:
    """Every team named by ``sources``, sorted by name.

    Each source is one of:

    - a teams file (see :func:`read_teams`);
    - an answers file (``template`` + ``parameters``, as in a team repository);
    - a folder: every ``.mlscaffold/answers.yaml`` below it (team repositories
      checked out side by side), plus every ``*.yaml``/``*.yml`` directly in it
      (answers or teams files collected into one folder).

    Raises:
        SettingsError: A file is unreadable or of neither shape, a team has no
            name or one that is not a DNS label, or two teams share a name.
    """
    teams = [
        team
        for source in sources
        for path in _files(source)
        for team in _teams_in(path)
    ]
    return sorted(_unique(teams), key=lambda team: team.name)


def read_teams(path: Path) -> list[Team]:
    """The teams of one teams file (or answers file), in file order.

    A teams file has ``teams:``, either a mapping of id to parameters (the id is
    also the ``team`` parameter unless the entry sets one) or a list of parameter
    mappings (each named by an ``id`` key, which is not a parameter, else by its
    ``team``), and an optional ``defaults:`` mapping merged under every team.

    Raises:
        SettingsError: The file is unreadable or of neither shape, a team has no
            name or one that is not a DNS label, or two teams share a name.
    """
    return _unique(_teams_in(path))


def _unique(teams: list[Team]) -> list[Team]:
    by_name: dict[str, Team] = {}
    problems: list[str] = []
    for team in teams:
        if team.name in by_name:
            problems.append(
                f"{team.source}: team {team.name!r} is also defined in "
                f"{by_name[team.name].source}"
            )
        by_name[team.name] = team
    if problems:
        raise SettingsError("; ".join(problems))
    return teams


def _files(source: Path) -> Iterable[Path]:
    if not source.is_dir():
        return [source]
    nested = {p for p in source.rglob("answers.yaml") if p.parent.name == ".mlscaffold"}
    direct = {
        p for p in source.iterdir() if p.is_file() and p.name.endswith(_YAML_SUFFIXES)
    }
    found = sorted(nested | direct)
    if not found:
        raise SettingsError(f"{source}: no answers or teams files found")
    return found


def _teams_in(path: Path) -> list[Team]:
    data = _read_yaml(path)
    if "teams" in data:
        return _from_teams_file(path, data)
    if "template" not in data and "parameters" not in data:
        raise SettingsError(
            f"{path}: expected a teams file (`teams:` and optional `defaults:`) "
            "or an answers file (`template:` and `parameters:`)"
        )
    answers = load_answers(path)
    return [
        _team(dict(answers.parameters), path, None, answers.template_version or None)
    ]


def _from_teams_file(path: Path, data: Mapping[str, Any]) -> list[Team]:
    defaults = data.get("defaults") or {}
    listed = data["teams"]
    if not isinstance(defaults, dict):
        raise SettingsError(f"{path}: defaults: must be a mapping of parameters")
    entries: list[tuple[str | None, Any]]
    if isinstance(listed, dict):
        entries = [(str(key), value) for key, value in listed.items()]
    elif isinstance(listed, list):
        entries = [(None, value) for value in listed]
    else:
        entries = []
    if not entries:
        raise SettingsError(
            f"{path}: teams: must be a list or a mapping of teams, not empty"
        )
    teams = []
    for index, (key, value) in enumerate(entries):
        if not isinstance(value, dict):
            where = key if key is not None else f"[{index}]"
            raise SettingsError(
                f"{path}: teams.{where}: must be a mapping of parameters"
            )
        value = dict(value)
        if key is None and "id" in value:
            key = str(value.pop("id"))
        # the id is the team parameter unless the entry sets one (not the defaults)
        named = {} if key is None else {"team": key}
        teams.append(_team({**defaults, **named, **value}, path, key, None))
    return teams


def _team(
    parameters: dict[str, Any], path: Path, key: str | None, version: str | None
) -> Team:
    name = key if key is not None else parameters.get("team")
    if not isinstance(name, str) or not name:
        raise SettingsError(f"{path}: a team has no 'team' parameter")
    if not _DNS_LABEL.fullmatch(name):
        # The id names the team's output folder and snapshot folder, so it must
        # not be able to name any other path ('../x', '/abs', 'a/b', '.').
        raise SettingsError(
            f"{path}: team id {clip(name)} is not a DNS label (allowed: lowercase "
            "letters, digits and '-', starting and ending alphanumeric, at most 63)"
        )
    return Team(
        name=name,
        parameters=parameters,
        source=path.as_posix(),
        template_version=version,
    )


def _read_yaml(path: Path) -> dict[str, Any]:
    data = load_yaml_file(path)
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: must be a YAML mapping (a teams or answers file)")
    return cast(dict[str, Any], data)
