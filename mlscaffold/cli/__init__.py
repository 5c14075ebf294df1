"""The command line: the only place that parses arguments, prints and exits."""

from __future__ import annotations

# The command modules register their commands on `cli` when a command is first
# looked up (mlscaffold.cli.app.COMMAND_MODULES), not here.
from mlscaffold.cli.app import cli, main

__all__ = ["cli", "main"]
