"""The command line: the only place that parses arguments, prints and exits."""

from __future__ import annotations

from mlscaffold.cli.app import cli, main

__all__ = ["cli", "main"]
