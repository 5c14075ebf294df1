"""The exported cookiecutter template works with plain cookiecutter, no mlscaffold.

A session-wide virtual environment holds only cookiecutter (and its dependencies,
at the versions in requirements.lock); mlscaffold is not importable there.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mlscaffold.api import render_project
from mlscaffold.errors import ParamsError
from mlscaffold.template.cookiecutter import export_cookiecutter

_LOCK = Path(__file__).resolve().parents[2] / "requirements.lock"
PARAMS = {
    "team": "recs",
    "owner": "group:default/recs",
    "repoUrl": "github.com?owner=acme&repo=recs-ml",
    "modelName": "ranker",
    "size": "m",
    "maturity": "L3",
    "gpuHoursPerMonth": "500",
}


@pytest.fixture(scope="session")
def cookiecutter_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with cookiecutter only, built once: no pip inside it, the outer one
    installs into it (``pip --python``), from its cache when it can."""
    venv = tmp_path_factory.mktemp("cookiecutter-venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)],
                   check=True)  # fmt: skip
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
         "--disable-pip-version-check", "-c", str(_LOCK), "cookiecutter"],
        check=True, capture_output=True,
    )  # fmt: skip
    # From the venv's folder: run from the work tree, `-c` would find mlscaffold/.
    probe = subprocess.run([python, "-c", "import mlscaffold"], capture_output=True,
                           check=False, cwd=venv)  # fmt: skip
    assert probe.returncode != 0, "mlscaffold must not be importable in this venv"
    return venv


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("export") / "ml-project"
    export_cookiecutter(dest)
    return dest


def _cookiecutter(
    venv: Path, template: Path, out: Path, params: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [venv / "bin" / "cookiecutter", "--no-input", "-o", str(out), str(template),
         *(f"{k}={v}" for k, v in params.items())],
        capture_output=True, text=True, check=False, cwd=venv,
    )  # fmt: skip


@pytest.mark.slow
def test_renders_what_mlscaffold_renders_without_mlscaffold(
    cookiecutter_venv: Path, template: Path, tmp_path: Path
) -> None:
    done = _cookiecutter(cookiecutter_venv, template, tmp_path, PARAMS)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "recs-ml"
    expected = render_project({**PARAMS, "gpuHoursPerMonth": 500}).tree
    written = {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in out.rglob("*")
        if p.is_file()
    }
    assert written == {path: entry.data for path, entry in expected.files()}


@pytest.mark.slow
def test_invalid_parameters_are_refused_with_renders_lines(
    cookiecutter_venv: Path, template: Path, tmp_path: Path
) -> None:
    bad = {**PARAMS, "team": "Bad_Name", "gpuHoursPerMonth": "lots"}
    done = _cookiecutter(cookiecutter_venv, template, tmp_path, bad)
    assert done.returncode != 0
    with pytest.raises(ParamsError) as caught:
        render_project({**bad})
    expected = ["Invalid parameters:", *(f"  {p}" for p in caught.value.problems),
                "Nothing was written."]  # fmt: skip
    assert done.stderr.splitlines()[: len(expected)] == expected
    assert list(tmp_path.iterdir()) == []
    # A cross-field rule, which the schema alone cannot say, is refused too.
    cpu = {**PARAMS, "size": "xs", "accelerator": "nvidia.com/gpu"}
    done = _cookiecutter(cookiecutter_venv, template, tmp_path, cpu)
    assert "accelerator: size 'xs' has no GPU quota" in done.stderr
    assert list(tmp_path.iterdir()) == []
