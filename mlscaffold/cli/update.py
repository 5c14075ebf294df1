"""The `update` command: bring team repositories up to a newer template."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from mlscaffold.cli.app import EXIT_FINDINGS, EXIT_OK, cli
from mlscaffold.cli.options import platform_options
from mlscaffold.cli.progress import progress as progress_reporter
from mlscaffold.cli.progress import progress_option
from mlscaffold.errors import MlscaffoldError

if TYPE_CHECKING:
    from mlscaffold.config import PlatformConfig
    from mlscaffold.fleet.revision import SourceLayout


@cli.command("update")
@click.argument(
    "repo_dirs",
    metavar="REPO_DIR...",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.option(
    "--to",
    "to_rev",
    help="Update to the template at this revision of "
    "the platform repository (default: its work tree).",
)
@click.option(
    "--from",
    "from_rev",
    help="The revision the repository was rendered "
    "from (default: tag ml-project-v<version in .mlscaffold/answers.yaml>).",
)
@click.option(
    "--platform-repo",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Git work tree of the platform repository (version tags); default: the "
    "one holding its config, else the current directory's.",
)
@platform_options()
@click.option("--check", is_flag=True, help="Only report whether an update is pending.")
@click.option(
    "--allow-dirty",
    is_flag=True,
    help="Update a team repository that has uncommitted changes.",
)
@click.option(
    "--allow-downgrade",
    is_flag=True,
    help="Update to a template older than the recorded version.",
)
@progress_option
def update(
    repo_dirs: tuple[Path, ...], to_rev: str | None, from_rev: str | None,
    platform_repo: Path | None, config: PlatformConfig, check: bool,
    allow_dirty: bool, allow_downgrade: bool, progress: bool | None,
) -> int:  # fmt: skip
    """Update team repositories to a newer template with a three-way merge.

    The old render (re-created from the recorded template version) is the base,
    the repository is the team's side, the new render is upstream. Clean merges
    are applied; where both changed the same lines the file gets diff3 conflict
    markers, and where one side deleted a file the other changed, the upstream
    change is left in FILE.rej. A team's edit is never dropped. A file the new
    template renders into the platform change instead (namespace, quota, RBAC
    since 2.0.0) is kept and reported until the platform's pull request owns it;
    the platform change's files that differ are listed, for that pull request.

    \b
    Exit codes:
      --check:  0 up to date, 1 update available, 2/3/4 error
      update:   0 applied cleanly, 1 applied with conflicts to resolve, 2/3/4 error
    With several repositories each is tried, a failing one does not stop the
    rest, the exit code is the highest, and progress is shown on stderr.
    """
    from mlscaffold.fleet.revision import layout_of, repo_root

    root = repo_root(platform_repo or config.root or Path.cwd())
    layout = layout_of(config, root)
    allow = {"allow_dirty": allow_dirty, "allow_downgrade": allow_downgrade}
    if len(repo_dirs) == 1:
        return _update_one(repo_dirs[0], root, layout, from_rev, to_rev, check, allow)
    codes = []
    with progress_reporter(progress, len(repo_dirs), "repositories") as step:
        for done, repo_dir in enumerate(repo_dirs, start=1):
            try:
                code = _update_one(
                    repo_dir, root, layout, from_rev, to_rev, check, allow
                )
            except MlscaffoldError as exc:
                # One broken repository does not stop the others.
                click.echo(f"error: {repo_dir}: {exc}", err=True)
                code = exc.exit_code
            codes.append(code)
            step(done, str(repo_dir), code in (EXIT_OK, EXIT_FINDINGS))
    return max(codes)


def _update_one(
    repo_dir: Path, root: Path, layout: SourceLayout, from_rev: str | None,
    to_rev: str | None, check: bool, allow: dict[str, bool],
) -> int:  # fmt: skip
    from mlscaffold.fleet.update import update_repo

    result = update_repo(
        repo_dir,
        root,
        from_rev=from_rev,
        to_rev=to_rev,
        check=check,
        layout=layout,
        **allow,
    )
    versions = (
        f"{result.from_version} ({result.base}) -> {result.to_version} ({result.head})"
    )
    _echo_platform_changes(result.platform_changes, repo_dir)
    if not result.pending:
        click.echo(f"{repo_dir} is up to date with the template: {versions}")
        return EXIT_OK
    verb = "Update available" if check else "Updated"
    click.echo(f"{verb} for {repo_dir}: {versions}")
    for outcome in result.outcomes:
        detail = f": {outcome.detail}" if outcome.detail else ""
        click.echo(f"  {outcome.action:<10} {outcome.path}{detail}")
    if check:
        return EXIT_FINDINGS
    if result.conflicts:
        click.echo(f"{len(result.conflicts)} file(s) need the team's resolution "
                   "(conflict markers, .rej files, or files moved to the platform "
                   "change).", err=True)  # fmt: skip
        return EXIT_FINDINGS
    return EXIT_OK


def _echo_platform_changes(paths: tuple[str, ...], repo_dir: Path) -> None:
    """The platform change's files the new template renders differently."""
    if not paths:
        return
    click.echo(
        f"The platform change differs too ({len(paths)} file(s) of the platform's "
        "GitOps repository); update does not touch that repository: open a pull "
        "request there with `mlscaffold render --values "
        f"{repo_dir}/.mlscaffold/answers.yaml --platform-out <its checkout> "
        "--force -o <tmp>`:",
        err=True,
    )
    for path in paths:
        click.echo(f"  platform   {path}", err=True)
