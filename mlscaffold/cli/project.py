"""Commands that produce things: render, params, template build, export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from mlscaffold.cli.app import EXIT_FINDINGS, EXIT_OK, cli
from mlscaffold.cli.options import platform_option, validation_options
from mlscaffold.cli.reporting import (
    emit_passing_report,
    emit_report,
    fails,
    validate_options,
)

_SET_HELP = (
    "Set one team parameter, e.g. --set team=recs (repeatable; wins over --values)."
)


@cli.command()
@click.option(
    "--set", "assignments", multiple=True, metavar="KEY=VALUE", help=_SET_HELP
)
@click.option(
    "--values",
    "values_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML file of team parameters, or a team's .mlscaffold/answers.yaml.",
)
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the project into (created atomically).",
)
@click.option("--force", is_flag=True, help="Replace a non-empty output folder.")
@click.option(
    "--dry-run", is_flag=True, help="Print the rendered files instead of writing."
)
@click.option(
    "--skeleton",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Skeleton folder to render (default: the shipped skeletons/ml-project).",
)
@platform_option
@click.option(
    "--no-validate", is_flag=True, help="Write even when validation finds errors."
)
@validation_options
def render(
    assignments: tuple[str, ...],
    values_file: Path | None,
    out: Path | None,
    force: bool,
    dry_run: bool,
    skeleton: Path | None,
    platform_file: Path | None,
    no_validate: bool,
    **validation: Any,
) -> int:
    """Render a team's ml-project exactly as Backstage's fetch:template would.

    Parameters are validated first (nothing is written when they are invalid). The
    rendered manifests are then validated against Kubernetes and CRD schemas, Pod
    Security restricted and cross-resource rules; an invalid tree is not written
    unless --no-validate is given.

    \b
    Example:
      mlscaffold render --set team=recs --set owner=group:default/recs \\
        --set 'repoUrl=github.com?owner=acme&repo=recs-ml' --set modelName=ranker \\
        --crds ../shared/crds -o out/recs
    """
    from mlscaffold.api import render_project
    from mlscaffold.params import load_values_file, parse_assignments
    from mlscaffold.render.write import write_tree
    from mlscaffold.settings import load_platform

    if out is None and not dry_run:
        raise click.UsageError("give an output folder with -o DIR, or --dry-run")
    parameters: dict[str, Any] = load_values_file(values_file) if values_file else {}
    parameters.update(parse_assignments(assignments))
    platform = load_platform(platform_file) if platform_file else None
    project = render_project(parameters, platform=platform, skeleton=skeleton)

    if not no_validate:
        from mlscaffold._data import skeleton_dir
        from mlscaffold.validate import validate_tree

        report = validate_tree(
            project.tree,
            options=validate_options(platform=platform, **validation),
            skeleton=skeleton or skeleton_dir(),
        )
        if fails(report, validation["fail_on"]):
            emit_report(report, validation["output_format"], err=True)
            click.echo(
                "The rendered project is invalid; nothing was written "
                "(use --no-validate to write it anyway).",
                err=True,
            )
            return EXIT_FINDINGS
        emit_passing_report(report)
    if dry_run:
        _print_tree(project.tree)
        return EXIT_OK
    assert out is not None  # checked above  # noqa: S101
    write_tree(project.tree, out, force=force)
    _print_summary(project, out)
    return EXIT_OK


def _print_tree(tree: Any) -> None:
    from mlscaffold.render.binary import READ_BYTES, is_binary

    for path in tree:
        entry = tree[path]
        if entry.kind == "dir":
            continue
        if entry.kind == "symlink":
            click.echo(f"--- {path} -> {entry.link_target}")
            continue
        click.echo(f"--- {path} (mode {entry.mode:o})")
        if not entry.templated and is_binary(entry.data[:READ_BYTES]):
            click.echo(f"(binary, {len(entry.data)} bytes)")
            continue
        click.echo(entry.text, nl=not entry.text.endswith("\n"))


def _print_summary(project: Any, out: Path) -> None:
    p = project.params
    files = [path for path, _ in project.tree.files()]
    size = project.values["platform"]["sizes"][p.size]
    gpus = f", {size['gpus']} x {p.accelerator}" if p.accelerator != "none" else ""
    serving = (
        "scale-to-zero (minReplicas 0)"
        if p.servingMode == "scale-to-zero"
        else "always-on"
    )
    train = size["train"]
    train_gpus = (
        f", {train['gpus']} x {p.accelerator}"
        if p.accelerator != "none" and train["gpus"]
        else ""
    )
    pipeline = "train -> eval -> register -> promote (pull request)"
    if p.maturity == "L3":
        pipeline += f", retrained on '{p.retrainSchedule}'"
    click.echo(f"Rendered {len(files)} files for team {p.team} into {out}")
    click.echo(f"  namespace  {p.namespace} (Pod Security restricted)")
    click.echo(
        f"  quota      size {p.size}: {size['cpu']} CPU, {size['memory']} memory{gpus}"
    )
    click.echo(
        f"  queue      {p.team}-queue -> ClusterQueue "
        f"{project.values['platform']['kueue']['clusterQueue']}"
    )
    click.echo(f"  pipeline   {p.team}-pipeline: {pipeline}")
    click.echo(
        f"  training   one run: {train['cpu']} CPU, {train['memory']} memory"
        f"{train_gpus}, on spot capacity"
    )
    click.echo(
        f"  identity   {project.values['platform']['identity']['provider']}: "
        f"service accounts {p.team}-pipeline, {p.team}-serving"
    )
    click.echo(f"  serving    {p.modelName} ({p.modelFormat}), {serving}")


@cli.group()
def params() -> None:
    """Inspect the team parameter schema."""


@params.command("schema")
@click.option("--pages", is_flag=True, help="Print the Backstage form pages instead.")
def params_schema(pages: bool) -> int:
    """Print the team parameter JSON Schema (the one Backstage's form uses)."""
    from mlscaffold.params import parameter_pages, parameter_schema

    data: Any = list(parameter_pages()) if pages else parameter_schema()
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    return EXIT_OK


@cli.group()
def template() -> None:
    """Build the Backstage Template that registers the paved road."""


@template.command("build")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("backstage/ml-project"),
    show_default=True,
    help="Folder Backstage registers: template.yaml and skeleton/.",
)
@click.option(
    "--check", is_flag=True, help="Exit 1 when the committed files differ from a build."
)
def template_build(out: Path, check: bool) -> int:
    """Write template.yaml and the skeleton copy it fetches by a relative URL."""
    from mlscaffold.render.write import write_tree
    from mlscaffold.template.build import build_files, check_files

    if check:
        problems = check_files(out)
        for problem in problems:
            click.echo(problem, err=True)
        if problems:
            click.echo(
                f"{out} is out of date: run `mlscaffold template build`.", err=True
            )
            return EXIT_FINDINGS
        click.echo(f"{out} is up to date.")
        return EXIT_OK
    write_tree(build_files(), out, force=True)
    click.echo(f"Wrote {out}/template.yaml and {out}/skeleton/")
    return EXIT_OK


@cli.group()
def export() -> None:
    """Export the skeleton to other template tools."""


@export.command("cookiecutter")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a non-empty destination.")
def export_cookiecutter(dest: Path, force: bool) -> int:
    """Write the skeleton as a cookiecutter template (the cookiecutterCompat shape)."""
    from mlscaffold.template.cookiecutter import export_cookiecutter as export_tree

    export_tree(dest, force=force)
    click.echo(f"Wrote a cookiecutter template to {dest}")
    return EXIT_OK
