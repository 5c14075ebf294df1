"""The ``mlscaffold`` command group and the one funnel from errors to exit codes."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

import click

from mlscaffold.errors import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_TOOL,
    FileSystemError,
    MlscaffoldError,
    ParamsError,
)

__all__ = [
    "EXIT_FINDINGS",
    "EXIT_OK",
    "EXIT_TOOL",
    "cli",
    "main",
]


#: The module under mlscaffold.cli that defines each command; importing it registers
#: the command on ``cli``. A render then imports only what rendering needs, not the
#: validate, fleet and preview commands and their dependencies.
COMMAND_MODULES = {
    "export": "project",
    "fleet": "fleet",
    "lint": "check",
    "params": "project",
    "preview": "preview",
    "render": "project",
    "schemas": "check",
    "template": "project",
    "update": "update",
    "validate": "check",
}


class _Funnel(click.Group):
    """The command group; its ``invoke`` is the one funnel from errors to exit codes.

    Commands return their exit code. Putting the funnel here, rather than around
    ``main``, gives ``CliRunner().invoke(cli, ...)`` the same behaviour as the
    console script. Commands are imported when first looked up (see
    ``COMMAND_MODULES``).
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command's name, sorted, without importing their modules."""
        del ctx  # part of click's signature
        return sorted({*self.commands, *COMMAND_MODULES})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command ``cmd_name``, importing the module that defines it."""
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            importlib.import_module(f"mlscaffold.cli.{COMMAND_MODULES[cmd_name]}")
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand; report mlscaffold errors and exit with their code."""
        try:
            code = super().invoke(ctx)
        except ParamsError as exc:
            click.echo("Invalid parameters:", err=True)
            for problem in exc.problems:
                click.echo(f"  {problem}", err=True)
            click.echo("Nothing was written.", err=True)
            ctx.exit(exc.exit_code)
        except MlscaffoldError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except OSError as exc:
            # The last net: a file-system failure the command did not expect
            # (read-only target, disk full, name too long) is one line, not a
            # traceback.
            click.echo(f"error: {FileSystemError.of(exc)}", err=True)
            ctx.exit(EXIT_TOOL)
        ctx.exit(code if isinstance(code, int) else EXIT_OK)


@click.group(
    cls=_Funnel,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
# The version is looked up only when --version is asked (importlib.metadata costs).
@click.version_option(package_name="mlscaffold", prog_name="mlscaffold")
def cli() -> None:
    """Render, validate and snapshot-test the Backstage ml-project paved road.

    \b
    Exit codes:
      0  clean
      1  findings at or above --fail-on
      2  usage error, invalid parameters or settings, or an output in the way
      3  skeleton or render error
      4  schema store, external tool or file-system error
    """


def main(argv: Sequence[str] | None = None) -> None:
    """Run the CLI (the console script's entry point); exits with the command's code."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="mlscaffold")
