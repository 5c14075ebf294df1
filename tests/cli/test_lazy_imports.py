"""Commands load on first use, and a render loads no validation code.

Imports are most of a render's time (benchmarks/RESULTS-render.md); these tests
keep the lazily loaded parts lazy without timing anything.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import click

import mlscaffold.cli
from mlscaffold.cli import cli
from mlscaffold.cli.app import COMMAND_MODULES
from tests.helpers import TEAM_ARGS as TEAM

# Loaded by validation, the other commands or the reports, never by a render that
# skips validation.
NOT_FOR_RENDER = (
    "jsonschema",
    "jsonschema_rs",
    "referencing",
    "kubernetes_validate",
    "cel_expr_python",
    "rich",
    "mlscaffold.validate",
    "mlscaffold.lint",
    "mlscaffold.fleet",
    "mlscaffold.preview",
    "mlscaffold.cli.check",
    "mlscaffold.cli.fleet",
    "mlscaffold.cli.preview",
    "mlscaffold.cli.update",
    "mlscaffold.report.formats",
)


def test_each_command_comes_from_the_module_the_map_names() -> None:
    ctx = click.Context(cli)
    for name, module in COMMAND_MODULES.items():
        command = cli.get_command(ctx, name)
        assert command is not None, name
        assert command.callback is not None
        assert command.callback.__module__ == f"mlscaffold.cli.{module}", name


def test_no_module_registers_a_command_the_map_lacks() -> None:
    for info in pkgutil.iter_modules(mlscaffold.cli.__path__):
        importlib.import_module(f"mlscaffold.cli.{info.name}")
    assert set(cli.commands) == set(COMMAND_MODULES)
    assert cli.list_commands(click.Context(cli)) == sorted(COMMAND_MODULES)


def test_render_without_validation_imports_no_validation_code(tmp_path: Path) -> None:
    # A new interpreter: this one has imported everything already.
    script = (
        "import json, sys\n"
        "from mlscaffold.cli import main\n"
        "try:\n"
        "    main(sys.argv[2:])\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "with open(sys.argv[1], 'w') as f:\n"
        "    json.dump(sorted(sys.modules), f)\n"
    )
    listing = tmp_path / "modules.json"
    args = ["render", *TEAM, "--no-validate", "-o", str(tmp_path / "out")]
    subprocess.run(
        [sys.executable, "-c", script, str(listing), *args],
        check=True,
        capture_output=True,
    )
    modules = json.loads(listing.read_text(encoding="utf-8"))
    assert "mlscaffold.render" in modules  # the listing is of a real render
    loaded = [
        name
        for name in modules
        if any(name == bad or name.startswith(f"{bad}.") for bad in NOT_FOR_RENDER)
    ]
    assert loaded == []
