"""One way to point at a platform repository: its config, found from the cwd."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mlscaffold._data import data_dir, skeleton_dir
from mlscaffold.config import find_config
from mlscaffold.errors import ParamsError
from tests.helpers import TEAM_ARGS as TEAM
from tests.helpers import run_cli as run


@pytest.fixture
def clone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A second platform repository (own skeleton and settings); the cwd is inside."""
    repo = tmp_path / "platform"
    shutil.copytree(skeleton_dir(), repo / "skeletons" / "ml-project")
    shutil.copytree(data_dir("schemas"), repo / "schemas")
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "platform"\n\n[tool.mlscaffold]\n', encoding="utf-8"
    )
    (repo / "docs").mkdir()
    monkeypatch.chdir(repo / "docs")
    return repo


def test_config_is_found_walking_up_and_mlscaffold_yaml_wins(
    clone: Path, tmp_path: Path
) -> None:
    config = find_config()
    assert config.root == clone.resolve()
    assert config.skeleton == (clone / "skeletons" / "ml-project").resolve()
    assert config.platform_file == (clone / "schemas" / "platform.yaml").resolve()
    assert config.template_dir == clone.resolve() / "backstage" / "ml-project"
    (clone / "docs" / "mlscaffold.yaml").write_text(
        "platform: ../schemas/platform.yaml\n", encoding="utf-8"
    )
    assert find_config().root == (clone / "docs").resolve()
    # A Python project without [tool.mlscaffold] does not hide the platform repo.
    (clone / "docs" / "mlscaffold.yaml").unlink()
    (clone / "docs" / "pyproject.toml").write_text("[project]\n", encoding="utf-8")
    assert find_config().root == clone.resolve()
    assert find_config(tmp_path.parent).packaged


def test_a_bad_config_is_a_usage_error_naming_the_key(
    clone: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (clone / "mlscaffold.yaml").write_text(
        "skeleton: nowhere\ncolour: blue\n", encoding="utf-8"
    )
    with pytest.raises(ParamsError) as caught:
        find_config()
    assert caught.value.problems == [
        "mlscaffold.yaml: colour: unknown setting "
        "(allowed: crds, platform, skeleton, template-dir)",
        f"mlscaffold.yaml: skeleton: 'nowhere' is not a folder under {clone.resolve()}",
    ]
    code, _, err = run(["lint"], capsys)
    assert code == 2
    assert "colour: unknown setting" in err


def test_template_build_check_notices_the_clones_changed_settings(
    clone: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, _ = run(["template", "build"], capsys)
    assert code == 0
    built = clone / "backstage" / "ml-project"
    # The clone has no ml-project-platform skeleton: no platform/ is written.
    assert stdout == f"Wrote {built}/template.yaml and {built}/skeleton/\n"
    assert (built / "template.yaml").is_file()
    assert run(["template", "build", "--check"], capsys)[0] == 0
    settings = clone / "schemas" / "platform.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace("ml-shared", "ml-other"),
        encoding="utf-8",
    )
    code, _, err = run(["template", "build", "--check"], capsys)
    assert code == 1
    assert "template.yaml: differs from a fresh build" in err
    assert "clusterQueue: ml-other" in err


def test_render_lint_and_export_read_the_clones_skeleton(
    clone: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    skeleton = clone / "skeletons" / "ml-project"
    (skeleton / "OWNERS").write_text("${{ values.owner }}\n", encoding="utf-8")
    code, out, err = run(["render", *TEAM, "--dry-run", "--no-validate"], capsys)
    assert code == 0, err
    assert "OWNERS" in out
    assert "group:default/recs" in out
    code, _, _ = run(["export", "cookiecutter", str(tmp_path / "cc")], capsys)
    assert code == 0
    assert any(p.name == "OWNERS" for p in (tmp_path / "cc").rglob("*"))
    (skeleton / "bad.yaml").write_text("x: ${{ values.team.upper() }}\n")
    code, out, _ = run(["lint"], capsys)
    assert code == 1
    assert "bad.yaml:1:" in out
    # The option wins over the config: the shipped skeleton is clean.
    assert run(["lint", "--skeleton", str(skeleton_dir())], capsys)[0] == 0


def test_fleet_renders_with_the_clones_skeleton_and_lint_counts_its_files(
    clone: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    skeleton = clone / "skeletons" / "ml-project"
    (skeleton / "OWNERS").write_text("${{ values.owner }}\n", encoding="utf-8")
    teams = clone / "teams.yaml"
    teams.write_text(
        "defaults: {owner: 'group:default/x', repoUrl: 'github.com?owner=a&repo=b'}\n"
        "teams: {recs: {modelName: ranker}}\n",
        encoding="utf-8",
    )
    out = tmp_path / "fleet"
    code, _, err = run(["fleet", "render", str(teams), "--no-validate",
                        "--no-progress", "-o", str(out)], capsys)  # fmt: skip
    assert code == 0, err
    assert (out / "recs" / "OWNERS").read_text() == "group:default/x\n"
    files = sum(1 for p in skeleton.rglob("*") if p.is_file())
    code, out_text, _ = run(["lint"], capsys)
    assert code == 0
    assert f"{files} files checked" in out_text
