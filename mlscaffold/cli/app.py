"""The ``mlscaffold`` command group and the one funnel from errors to exit codes."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from mlscaffold import __version__
from mlscaffold.errors import (
    MlscaffoldError,
    OutputExistsError,
    ParamsError,
    RenderError,
    SchemaStoreError,
    SkeletonError,
    ToolError,
    ValidationFailed,
)

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_RENDER = 3
EXIT_TOOL = 4

# Most specific first: the first matching class decides the exit code.
_EXIT_CODES: tuple[tuple[type[MlscaffoldError], int], ...] = (
    (ValidationFailed, EXIT_FINDINGS),
    (ParamsError, EXIT_USAGE),
    (OutputExistsError, EXIT_USAGE),
    (SkeletonError, EXIT_RENDER),
    (RenderError, EXIT_RENDER),
    (SchemaStoreError, EXIT_TOOL),
    (ToolError, EXIT_TOOL),
)


def exit_code_for(error: MlscaffoldError) -> int:
    """The documented exit code for an mlscaffold error."""
    for kind, code in _EXIT_CODES:
        if isinstance(error, kind):
            return code
    return EXIT_RENDER


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.version_option(__version__, prog_name="mlscaffold")
def cli() -> None:
    """Render, validate and snapshot-test the Backstage ml-project paved road.

    \b
    Exit codes:
      0  clean
      1  findings at or above --fail-on
      2  usage error or invalid parameters
      3  skeleton or render error
      4  schema store or external tool error
    """


def main(argv: Sequence[str] | None = None) -> None:
    """Run the CLI and turn mlscaffold errors into one message and an exit code."""
    # Registering here keeps `import mlscaffold.cli.app` cheap for tests that only
    # need the group, and avoids an import cycle between the command modules and app.
    from mlscaffold.cli import check, fleet, project  # noqa: F401

    try:
        code = cli.main(args=list(argv) if argv is not None else None, standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_USAGE)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except ParamsError as exc:
        click.echo("Invalid parameters:", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        click.echo("Nothing was written.", err=True)
        sys.exit(EXIT_USAGE)
    except MlscaffoldError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exit_code_for(exc))
    sys.exit(code if isinstance(code, int) else EXIT_OK)
