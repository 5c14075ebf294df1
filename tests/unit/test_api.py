"""render_project reuses the compiled skeleton while fresh; write_project's targets."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from mlscaffold._data import data_dir, skeleton_dir
from mlscaffold.api import ProjectRenderer, render_project, write_project
from mlscaffold.errors import OutputExistsError, SkeletonError
from mlscaffold.settings import load_platform

TEAM = {
    "team": "recs",
    "owner": "group:default/recs",
    "repoUrl": "github.com?owner=acme&repo=recs-ml",
    "modelName": "ranker",
}


def test_an_edited_skeleton_is_rendered_anew(tmp_path: Path) -> None:
    skeleton = tmp_path / "skeleton"
    shutil.copytree(skeleton_dir(), skeleton)
    first = render_project(TEAM, skeleton=skeleton).tree
    assert render_project(TEAM, skeleton=skeleton).tree == first  # cached, same
    served = skeleton / "deploy" / "inferenceservice.yaml"
    served.write_text(served.read_text(encoding="utf-8") + "# edited\n", "utf-8")
    os.utime(served, ns=(1, 1))  # a different mtime even on a coarse-clock filesystem
    second = render_project(TEAM, skeleton=skeleton).tree
    assert second["deploy/inferenceservice.yaml"].text.endswith("# edited\n")
    (skeleton / "NOTES.md").write_text("new file\n", encoding="utf-8")
    assert "NOTES.md" in render_project(TEAM, skeleton=skeleton).tree


def test_given_settings_are_used_and_not_confused_with_others(tmp_path: Path) -> None:
    settings = (data_dir("schemas") / "platform.yaml").read_text(encoding="utf-8")
    custom = tmp_path / "platform.yaml"
    custom.write_text(
        settings.replace("clusterQueue: ml-shared", "clusterQueue: gpu"),
        encoding="utf-8",
    )
    queue = "teams/recs/localqueue.yaml"
    shipped = render_project(TEAM).platform_tree[queue].text
    other = render_project(TEAM, platform=load_platform(custom))
    assert 'clusterQueue: "gpu"' in other.platform_tree[queue].text
    assert render_project(TEAM).platform_tree[queue].text == shipped


def test_render_project_equals_a_fresh_renderer() -> None:
    assert render_project(TEAM).tree == ProjectRenderer().render(TEAM).tree


def test_write_project_puts_the_change_at_teams_team_of_platform_out(
    tmp_path: Path,
) -> None:
    project = render_project(TEAM)
    change = write_project(project, tmp_path / "recs", tmp_path / "gitops")
    assert change == tmp_path / "gitops" / "teams" / "recs"
    assert (change / "namespace.yaml").is_file()
    assert (tmp_path / "recs" / ".mlscaffold" / "answers.yaml").is_file()
    assert not (tmp_path / "recs" / "teams").exists()


@pytest.mark.parametrize(
    ("out", "platform_out"),
    [("repo", "repo/gitops"), ("gitops/teams/recs/repo", "gitops"), (".", ".")],
)
def test_write_project_refuses_one_target_inside_the_other(
    tmp_path: Path, out: str, platform_out: str
) -> None:
    with pytest.raises(OutputExistsError, match="must not contain each other"):
        write_project(render_project(TEAM), tmp_path / out, tmp_path / platform_out)
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_write_project_reads_owned_paths_given_as_a_generator(tmp_path: Path) -> None:
    # The targets are all checked before any is written: an iterator of owned
    # paths must not be used up by the check.
    project = render_project(TEAM)
    out, platform_out = tmp_path / "recs", tmp_path / "gitops"
    write_project(project, out, platform_out)
    (out / "old.txt").write_text("from an earlier render", encoding="utf-8")
    write_project(
        project, out, platform_out, force=True, owned=(p for p in ["old.txt"])
    )
    assert not (out / "old.txt").exists()


def test_a_team_skeleton_may_not_render_the_platform_folder(tmp_path: Path) -> None:
    # Both trees seen as one put the platform change under platform/; a team file
    # there would be silently mixed with it in validation and snapshots.
    import shutil

    from mlscaffold._data import skeleton_dir

    team = tmp_path / "ml-project"
    shutil.copytree(skeleton_dir(), team)
    shutil.copytree(
        skeleton_dir("ml-project-platform"), tmp_path / "ml-project-platform"
    )
    (team / "platform").mkdir()
    (team / "platform" / "notes.md").write_text("ours\n")
    with pytest.raises(SkeletonError, match="renders platform/"):
        ProjectRenderer(skeleton=team).render(TEAM)
