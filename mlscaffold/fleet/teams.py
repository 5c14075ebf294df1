"""Load a fleet of teams: teams.yaml files, answers files, folders of either."""

from __future__ import annotations

# One loader serves the fleet and the pytest plugin (see mlscaffold._teams), so a
# teams file valid for one is valid for the other.
from mlscaffold._teams import (
    ANSWERS_FILE,
    Answers,
    Team,
    load_answers,
    load_teams,
    read_teams,
)

__all__ = [
    "ANSWERS_FILE",
    "Answers",
    "Team",
    "load_answers",
    "load_teams",
    "read_teams",
]
