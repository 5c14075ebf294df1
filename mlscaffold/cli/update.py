"""The `update` command: bring a team repository up to a newer template."""

from __future__ import annotations

from pathlib import Path

import click

from mlscaffold.cli.app import EXIT_FINDINGS, EXIT_OK, cli


@cli.command("update")
@click.argument(
    "repo_dir", type=click.Path(exists=True, file_okay=False, path_type=Path)
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
    default=Path(),
    show_default="the current directory",
    help="Platform repository (skeletons/, schemas/, version tags).",
)
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
def update(
    repo_dir: Path, to_rev: str | None, from_rev: str | None, platform_repo: Path,
    check: bool, allow_dirty: bool, allow_downgrade: bool,
) -> int:  # fmt: skip
    """Update a team repository to a newer template with a three-way merge.

    The old render (re-created from the recorded template version) is the base,
    the repository is the team's side, the new render is upstream. Clean merges
    are applied; where both changed the same lines the file gets diff3 conflict
    markers, and where one side deleted a file the other changed, the upstream
    change is left in FILE.rej. A team's edit is never dropped.

    \b
    Exit codes:
      --check:  0 up to date, 1 update available, 2/3/4 error
      update:   0 applied cleanly, 1 applied with conflicts to resolve, 2/3/4 error
    """
    from mlscaffold.fleet.revision import repo_root
    from mlscaffold.fleet.update import update_repo

    result = update_repo(
        repo_dir,
        repo_root(platform_repo),
        from_rev=from_rev,
        to_rev=to_rev,
        check=check,
        allow_dirty=allow_dirty,
        allow_downgrade=allow_downgrade,
    )
    versions = (
        f"{result.from_version} ({result.base}) -> {result.to_version} ({result.head})"
    )
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
                   "(conflict markers or .rej files).", err=True)  # fmt: skip
        return EXIT_FINDINGS
    return EXIT_OK
