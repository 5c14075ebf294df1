"""The command line: the only place that parses arguments, prints and exits."""

from __future__ import annotations

from mlscaffold.cli.app import cli, main

# Importing the command modules registers their commands on `cli`.
from mlscaffold.cli import check, fleet, project  # noqa: E402, F401, I001

__all__ = ["cli", "main"]
