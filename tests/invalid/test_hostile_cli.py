"""Hostile inputs that cannot live in a corpus file: FIFOs, huge values, bad text."""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from click.testing import CliRunner, Result

from mlscaffold.api import render_project
from mlscaffold.cli import cli
from tests.helpers import TEAM_ARGS as TEAM


def invoke(args: list[str]) -> Result:
    result = CliRunner().invoke(cli, args)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


def test_a_fifo_as_values_is_refused_not_waited_for(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "values.yaml")
    result = invoke(["render", "--values", str(tmp_path / "values.yaml"), "--dry-run"])
    assert result.exit_code == 2
    assert "not a regular file" in result.stderr


def test_a_lone_surrogate_is_refused_naming_the_field(tmp_path: Path) -> None:
    # Invalid UTF-8 in argv reaches Python as a lone surrogate.
    out = tmp_path / "o"
    result = invoke(["render", *TEAM, "--set", "description=caf\udce9", "-o", str(out)])
    assert result.exit_code == 2
    assert "description: holds a character that is not valid Unicode" in result.stderr
    assert not out.exists()


def test_an_error_quotes_at_most_80_characters_of_a_value() -> None:
    huge = "x" * 1_000_000
    result = invoke(["render", *TEAM, "--set", f"size={huge}", "--dry-run"])
    assert result.exit_code == 2
    assert max(map(len, result.stderr.splitlines())) < 300


def test_an_output_below_a_file_is_one_line_exit_4(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    out = tmp_path / "file" / "sub"
    result = invoke(["render", *TEAM, "--no-validate", "-o", str(out)])
    assert result.exit_code == 4
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: cannot write {out}:")


def test_description_is_inert_in_the_readme_and_intact_in_the_catalog() -> None:
    text = "<!-- hide --> <img src=x onerror=alert(1)> [x](javascript:alert(1)) &amp;"
    params = {k.split("=")[0]: k.split("=", 1)[1] for k in TEAM[1::2]}
    tree = render_project({**params, "description": text}).tree
    readme = tree["README.md"].text
    for raw in ("<!--", "<img"):
        assert raw not in readme
    assert " &amp;amp;" in readme  # an entity in the text is shown, not decoded
    assert "&lt;!-- hide --&gt;" in readme
    assert "\\[x\\](javascript:" in readme  # escaped brackets: plain text, no link
    catalog = yaml.safe_load(tree["catalog-info.yaml"].text)
    assert catalog["metadata"]["description"] == text


def test_invisible_and_bidi_characters_are_refused() -> None:
    result = invoke(["render", *TEAM, "--set", "description=a\u202eb", "--dry-run"])
    assert result.exit_code == 2
    assert "description: " in result.stderr


def test_a_non_utf8_crd_catalog_is_one_line_exit_4(tmp_path: Path) -> None:
    catalog = tmp_path / "crd-sources.yaml"
    catalog.write_bytes(b"crds: [caf\xe9]\n")
    result = invoke(["schemas", "pull", "--catalog", str(catalog)])
    assert result.exit_code == 4
    [line] = result.stderr.splitlines()
    assert "is not UTF-8" in line
