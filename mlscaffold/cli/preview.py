"""The ``preview`` command: wiring for mlscaffold.preview; the server does the work."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mlscaffold.cli.app import EXIT_OK, cli
from mlscaffold.cli.options import platform_options, schema_options

if TYPE_CHECKING:
    from mlscaffold.config import PlatformConfig


@cli.command()
@platform_options()
@click.option(
    "--values",
    "values_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Team parameters (YAML, or an answers file) to fill the form with; "
    "also a baseline to diff against.",
)
@click.option(
    "--teams",
    "teams_file",
    type=click.Path(exists=True, path_type=Path),
    help="Teams file (or folder of answers files): each team is a baseline.",
)
@click.option(
    "--snapshots",
    "snapshots_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of the teams' committed snapshot folders (one per team name, as "
    "the pytest plugin writes them): a team's baseline is its snapshot.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port on 127.0.0.1; 0 picks a free one.",
)
@click.option(
    "--open", "open_browser", is_flag=True, help="Open the page in a browser."
)
@click.option(
    "--write-to",
    "write_target",
    type=click.Path(file_okay=False, path_type=Path),
    help="Turn on the page's 'Write to' button, which writes the team repository "
    "here and the platform change to platform/teams/<team>/ beside it, as "
    "`render -o` does (atomically; refuses invalid trees and, unless its box is "
    "ticked, a non-empty folder).",
)
@schema_options()
def preview(
    config: PlatformConfig,
    values_file: Path | None,
    teams_file: Path | None,
    snapshots_dir: Path | None,
    port: int,
    open_browser: bool,
    write_target: Path | None,
    **validation: Any,
) -> int:
    """Preview the form and the project it renders, live, in a local browser page.

    Serves one page on 127.0.0.1 (nothing leaves this machine): the Backstage form
    built from the same parameter schema, checked as `render` checks it, field by
    field; the rendered files with their validation findings (rendered and
    skeleton lines); the files each edit changed, and a diff against a baseline
    (the defaults; --values; a team of --teams: its committed snapshot under
    --snapshots, else rendered with the skeleton as it was at start); and a
    summary (namespace, quota, queue, pipeline, serving, GPU hours). Every form
    change re-renders; so does saving the skeleton or platform settings of a
    platform repository (--skeleton, --platform, or its mlscaffold config).

    \b
    Safety: the server listens on 127.0.0.1 only; the printed URL holds a random
    token that every request must carry, and requests naming another Host are
    refused (DNS rebinding). Files are served from the in-memory render, never
    from disk paths. Nothing is written unless --write-to is given and the
    button is pressed. Stop with Ctrl-C.

    \b
    Example:
      mlscaffold preview --skeleton skeletons/ml-project \\
        --teams tests/golden/teams.yaml \\
        --snapshots tests/golden/__snapshots__/test_golden/test_team --open
    """
    from mlscaffold._data import schema_file, skeleton_dir
    from mlscaffold.cli.reporting import build_validate_options
    from mlscaffold.params import load_values_file
    from mlscaffold.preview import (
        PreviewConfig,
        PreviewServer,
        PreviewSession,
        SourceWatcher,
    )
    from mlscaffold.template.build import platform_skeleton_for

    # The sources of a platform repository are watched; the packaged ones never change.
    skeleton = (
        None if _is_packaged(config.skeleton, skeleton_dir()) else config.skeleton
    )
    platform_file = (
        None
        if _is_packaged(config.platform_file, schema_file("platform.yaml"))
        else config.platform_file
    )
    teams: dict[str, Any] = {}
    if teams_file is not None:
        from mlscaffold.teams import load_teams

        teams = {team.name: dict(team.parameters) for team in load_teams([teams_file])}
    preview_config = PreviewConfig(
        skeleton=skeleton,
        platform_file=platform_file,
        values=load_values_file(values_file) if values_file else None,
        teams=teams,
        snapshots=snapshots_dir,
        options=build_validate_options(**validation),
        write_target=write_target,
    )
    session = PreviewSession(preview_config)
    try:
        server = PreviewServer(session, port=port)
    except OSError as exc:
        raise click.UsageError(f"--port {port}: cannot listen on it: {exc}") from exc
    beside = platform_skeleton_for(skeleton) if skeleton is not None else None
    watched = [p for p in (skeleton, beside, platform_file) if p is not None]
    watcher = SourceWatcher(watched, session.bump) if watched else None
    if watcher is not None:
        watcher.start()
    click.echo(f"mlscaffold preview: {server.url}")
    if watched:
        click.echo(f"Watching {', '.join(str(p) for p in watched)} for edits.")
    click.echo("Press Ctrl-C to stop.")
    if open_browser:
        import webbrowser

        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("Stopped.")
    finally:
        server.server_close()
        if watcher is not None:
            watcher.stop()
    return EXIT_OK


def _is_packaged(path: Path, packaged: Path) -> bool:
    return path.resolve() == packaged.resolve()
