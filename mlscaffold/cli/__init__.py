"""The command line: the only place that parses arguments, prints and exits."""

from __future__ import annotations

# Importing the command modules registers their commands on `cli`.
from mlscaffold.cli import check, fleet, preview, project, update  # noqa: F401
from mlscaffold.cli.app import cli, main

__all__ = ["cli", "main"]
