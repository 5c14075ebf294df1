"""Commands that produce things: render, params, template build, export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mlscaffold.cli.app import EXIT_FINDINGS, EXIT_OK, cli
from mlscaffold.cli.options import platform_options, validation_flags

if TYPE_CHECKING:
    from mlscaffold.api import RenderedProject
    from mlscaffold.config import PlatformConfig
    from mlscaffold.report.model import Report

_SET_HELP = (
    "Set one team parameter, e.g. --set team=recs (repeatable; applied after "
    "every --values file)."
)


@cli.command()
@click.option(
    "--set", "assignments", multiple=True, metavar="KEY=VALUE", help=_SET_HELP
)
@click.option(
    "-f",
    "--values",
    "values_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML file of team parameters, or a team's .mlscaffold/answers.yaml "
    "(repeatable: deep-merged in order, later files win, as helm's -f).",
)
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the team repository into (created atomically).",
)
@click.option(
    "--platform-out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Checkout of the platform's GitOps repository (or any folder) to write "
    "the platform change into, at teams/<team>/ [default: platform/ beside -o].",
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace an output folder that an earlier render wrote (and nothing else).",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print the manifests as one YAML stream, each under a `# Source: path` "
    "comment (other files listed in comments), instead of writing.",
)
@platform_options()
@click.option(
    "--no-validate", is_flag=True, help="Write even when validation finds errors."
)
@validation_flags
def render(
    assignments: tuple[str, ...],
    values_files: tuple[Path, ...],
    out: Path | None,
    platform_out: Path | None,
    force: bool,
    dry_run: bool,
    config: PlatformConfig,
    no_validate: bool,
    **validation: Any,
) -> int:
    """Render a team's ml-project exactly as Backstage's fetch:template steps would.

    Two outputs, as the template's two fetch:template steps write them: the team
    repository (-o) and the platform change (--platform-out, at teams/<team>/:
    namespace, quota, limits, RBAC, network policies, queue, service accounts and
    the team's Argo CD Application and AppProject), which Backstage opens as a pull
    request against the platform's GitOps repository.

    Parameters are validated first (nothing is written when they are invalid). Both
    trees are then validated as one team against Kubernetes and CRD schemas, Pod
    Security restricted and cross-resource rules; an invalid project is not written
    unless --no-validate is given. A passing render lists warnings and the summary
    (--min-severity note lists notes too, -q none). --dry-run prints a YAML stream for
    `kubectl apply --dry-run=client -f -` (other files listed in comments);
    --output json prints the summary of what was written as JSON.

    \b
    Example:
      mlscaffold render --set team=recs --set owner=group:default/recs \\
        --set 'repoUrl=github.com?owner=acme&repo=recs-ml' --set modelName=ranker \\
        -o out/recs
    """
    from mlscaffold.api import project_targets, render_project
    from mlscaffold.params import load_values_file, merge_values, parse_assignments
    from mlscaffold.render.targets import Target, check_targets
    from mlscaffold.render.write import write_trees
    from mlscaffold.settings import load_platform
    from mlscaffold.teams import rendered_before

    if out is None and not dry_run:
        raise click.UsageError("give an output folder with -o DIR, or --dry-run")
    platform_root = (
        _platform_root(out, platform_out) if out is not None and not dry_run else None
    )
    parameters = merge_values(
        [*map(load_values_file, values_files), parse_assignments(assignments)]
    )
    platform = load_platform(config.platform_file)
    project = render_project(parameters, platform=platform, skeleton=config.skeleton)
    targets: list[Target] = []
    if not dry_run:
        assert out is not None and platform_root is not None  # noqa: PT018, S101
        earlier = (
            rendered_before(
                out,
                lambda p: (
                    render_project(p, platform=platform, skeleton=config.skeleton).tree
                ),
            )
            if force
            else ()
        )
        targets = project_targets(project, out, platform_root, owned=earlier)
        # A folder in the way is said before validation's report, not after it.
        check_targets(targets, force=force)

    report = None
    if not no_validate:
        # Imported here: a render that skips validation loads no report code.
        from mlscaffold.cli.reporting import (
            build_validate_options,
            emit_passing_report,
            emit_report,
            fails,
        )
        from mlscaffold.validate import validate_tree

        report = validate_tree(
            project.combined_tree(),
            options=build_validate_options(config=config, **validation),
            skeleton=project.skeleton_sources,
        )
        if fails(report, validation["fail_on"]):
            # A machine format goes where a CI step reads it: stdout, as the
            # summary of a render that passes does; the text report is for people.
            emit_report(
                report,
                validation["output_format"],
                err=validation["output_format"] == "text",
                min_severity=validation["min_severity"],
            )
            click.echo(
                "The rendered project is invalid; nothing was written "
                "(use --no-validate to write it anyway).",
                err=True,
            )
            return EXIT_FINDINGS
        # A passing render lists warnings, not the notes every project has
        # (injected containers), unless --min-severity asks for them.
        source = click.get_current_context().get_parameter_source("min_severity")
        shown = validation["min_severity"]
        if shown == "note" and source is click.core.ParameterSource.DEFAULT:
            shown = "warning"
        emit_passing_report(report, shown)
    if dry_run:
        from mlscaffold.render.stream import tree_as_yaml_stream

        click.echo(tree_as_yaml_stream(project.combined_tree()), nl=False)
        return EXIT_OK
    write_trees(targets, force=force)
    team, *change = (Path(target.out) for target in targets)
    summary = _summary(project, team, change[0] if change else None, report)
    if validation["output_format"] == "json":
        click.echo(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        _print_summary(summary)
    return EXIT_OK


def _platform_root(out: Path, platform_out: Path | None) -> Path:
    """Where the platform change goes, kept apart from the team repository."""
    from mlscaffold.api import PLATFORM_DIR

    named = f"--platform-out {platform_out}"
    if platform_out is None:
        if Path.cwd().resolve().is_relative_to(out.resolve()):
            # Path(".").parent is "." itself: "beside -o" would be inside it.
            raise click.UsageError(
                f"-o {out} is the current folder or above it, so the default "
                f"platform folder ({PLATFORM_DIR}/ beside it) would be inside it; "
                "give --platform-out DIR"
            )
        platform_out = out.parent / PLATFORM_DIR
        named = f"the default platform folder {platform_out} (beside -o)"
    team, platform = out.resolve(), platform_out.resolve()
    if team.is_relative_to(platform) or platform.is_relative_to(team):
        raise click.UsageError(
            f"{named} and -o {out} must not contain each other: the team "
            "repository and the platform change go to different repositories; "
            "give --platform-out DIR elsewhere"
        )
    return platform_out


def _repo_url(picker: str) -> str:
    """``host?owner=O&repo=R`` (Backstage's RepoUrlPicker form) as ``https://host/O/R``."""
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(f"//{picker}")
    query = parse_qs(parts.query)
    owner, repo = query.get("owner", [""])[0], query.get("repo", [""])[0]
    return f"https://{parts.netloc}/{owner}/{repo}" if owner and repo else picker


def _summary(
    project: RenderedProject,
    out: Path,
    platform_out: Path | None,
    report: Report | None,
) -> dict[str, Any]:
    """What was rendered, as data (``--output json``) and for the text summary."""
    from mlscaffold.summary import summarize

    s = summarize(project)
    validation = None
    if report is not None:
        from mlscaffold.report.formats import to_json_data

        validation = to_json_data(report)["summary"]
    return {
        "team": s.team,
        "out": out.as_posix(),
        "files": [path for path, _ in project.tree.files()],
        "platform": {
            "out": platform_out.as_posix() if platform_out else None,
            "files": [path for path, _ in project.platform_tree.files()],
            # Where the pull request goes, as a URL rather than the picker's form.
            "repository": _repo_url(project.platform.gitops_repo_url),
        },
        "namespace": s.namespace,
        "quota": {
            "size": s.size,
            "cpu": s.quota.cpu,
            "memory": s.quota.memory,
            "gpus": s.quota.gpus if s.accelerator != "none" else 0,
            "accelerator": s.accelerator,
        },
        "queue": {"local": s.queue, "cluster": s.cluster_queue},
        "pipeline": {
            "name": s.pipeline,
            "steps": list(s.pipeline_steps),
            "maturity": project.params.maturity,
            "retrainSchedule": s.retrain_schedule,
        },
        "serving": {"model": s.model, "format": s.model_format, "mode": s.serving_mode},
        "validation": validation,
    }


def _print_summary(summary: dict[str, Any]) -> None:
    quota, queue = summary["quota"], summary["queue"]
    pipeline, serving = summary["pipeline"], summary["serving"]
    gpus = f", {quota['gpus']} x {quota['accelerator']}" if quota["gpus"] else ""
    mode = (
        "scale-to-zero (minReplicas 0)"
        if serving["mode"] == "scale-to-zero"
        else "always-on"
    )
    steps = " -> ".join(pipeline["steps"])
    if pipeline["retrainSchedule"]:
        steps += f", retrained on '{pipeline['retrainSchedule']}'"
    click.echo(
        f"Rendered {len(summary['files'])} files for team {summary['team']} "
        f"into {summary['out']}"
    )
    change = summary["platform"]
    if change["files"]:
        click.echo(
            f"  platform   {len(change['files'])} files into {change['out']}: "
            f"the pull request for {change['repository']}"
        )
    click.echo(f"  namespace  {summary['namespace']} (Pod Security restricted)")
    click.echo(
        f"  quota      size {quota['size']}: {quota['cpu']} CPU, "
        f"{quota['memory']} memory{gpus}"
    )
    click.echo(f"  queue      {queue['local']} -> ClusterQueue {queue['cluster']}")
    click.echo(f"  pipeline   {pipeline['name']}: {steps}")
    click.echo(f"  serving    {serving['model']} ({serving['format']}), {mode}")


@cli.group()
def params() -> None:
    """Inspect the team parameter schema."""


@params.command("schema")
@click.option("--pages", is_flag=True, help="Print the Backstage form pages instead.")
@click.option(
    "-o",
    "--output",
    "output_format",
    type=click.Choice(["json", "yaml"]),
    default="json",
    show_default=True,
    help="Output format.",
)
def params_schema(pages: bool, output_format: str) -> int:
    """Print the team parameter JSON Schema (the one Backstage's form uses)."""
    from mlscaffold.params import parameter_pages, parameter_schema

    data: Any = list(parameter_pages()) if pages else parameter_schema()
    if output_format == "yaml":
        import yaml

        click.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), nl=False)
    else:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    return EXIT_OK


@cli.group()
def template() -> None:
    """Build the Backstage Template that registers the paved road."""


@template.command("build")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder Backstage registers: template.yaml, skeleton/ and platform/ "
    "(default: the "
    "platform repository's template-dir, else backstage/ml-project).",
)
@click.option(
    "--check", is_flag=True, help="Exit 1 when the committed files differ from a build."
)
@platform_options()
def template_build(out: Path | None, check: bool, config: PlatformConfig) -> int:
    """Write template.yaml and the two skeleton copies it fetches by relative URLs.

    skeleton/ is the team repository's, platform/ the platform change's (the
    skeleton beside --skeleton, <skeleton>-platform).

    Built from the platform repository's skeleton and settings (see --skeleton).
    """
    from mlscaffold._files import display_path
    from mlscaffold.render.write import write_tree
    from mlscaffold.settings import load_platform
    from mlscaffold.template.build import build_files, check_files

    # The configured folder is absolute; messages name it from the working directory.
    out = out or Path(display_path(config.template_dir, Path.cwd().resolve()))
    platform = load_platform(config.platform_file)
    if check:
        problems = check_files(out, platform, skeleton=config.skeleton)
        for problem in problems:
            click.echo(problem, err=True)
        if problems:
            click.echo(
                f"{out} is out of date: run `mlscaffold template build`.", err=True
            )
            return EXIT_FINDINGS
        click.echo(f"{out} is up to date.")
        return EXIT_OK
    # Regenerates its own output: replaces a folder holding only what it writes.
    files = build_files(platform, skeleton=config.skeleton)
    write_tree(files, out, force=True, marker="template.yaml")
    # platform/ only where the skeleton has a platform change beside it.
    folders = sorted(
        p for p, e in files.entries.items() if e.kind == "dir" and "/" not in p
    )
    written = [f"{out}/template.yaml", *(f"{out}/{folder}/" for folder in folders)]
    click.echo(f"Wrote {', '.join(written[:-1])} and {written[-1]}")
    return EXIT_OK


@cli.group()
def export() -> None:
    """Export the skeleton to other template tools."""


@export.command("cookiecutter")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--force", is_flag=True, help="Replace an earlier export (and nothing else)."
)
@platform_options()
def export_cookiecutter(dest: Path, force: bool, config: PlatformConfig) -> int:
    """Write the skeleton as a cookiecutter template (the cookiecutterCompat shape).

    Only the team repository's skeleton: the platform change is not exported.
    """
    from mlscaffold.settings import load_platform
    from mlscaffold.template.cookiecutter import export_cookiecutter as export_tree

    export_tree(
        dest,
        force=force,
        skeleton=config.skeleton,
        platform=load_platform(config.platform_file),
    )
    click.echo(f"Wrote a cookiecutter template to {dest}")
    return EXIT_OK
