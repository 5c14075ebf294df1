"""`mlscaffold preview` on the command line: its help and its refusals."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.helpers import run_cli as run


def test_help_explains_what_is_shown_and_the_safety_model(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(["preview", "--help"], capsys)
    assert code == 0
    text = " ".join(out.split())
    assert "Serves one page on 127.0.0.1" in text
    assert "random token that every request must carry" in text
    assert "Nothing is written unless --write-to is given" in text
    for option in ("--skeleton", "--platform", "--values", "--teams", "--snapshots"):
        assert option in out
    for option in ("--port", "--open", "--write-to", "--crds", "--kubeconform"):
        assert option in out


def test_a_port_in_use_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = run(["preview", "--port", str(port)], capsys)
    assert code == 2
    assert f"--port {port}: cannot listen on it" in err


def test_a_values_file_that_is_not_a_mapping_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    values = tmp_path / "team.yaml"
    values.write_text("- team\n")
    code, out, err = run(["preview", "--values", str(values)], capsys)
    assert code == 2
    assert "team.yaml: must be a mapping of parameter names to values" in err
    assert "http://" not in out
