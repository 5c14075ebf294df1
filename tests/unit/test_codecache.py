"""Compiled skeleton templates cached on disk: reused, keyed by what they depend on."""

from __future__ import annotations

import marshal
from pathlib import Path

import pytest

from mlscaffold.errors import SkeletonError
from mlscaffold.render.engine import BackstageEnvironment
from mlscaffold.render.values import render_step_input

SOURCE = "{% for x in values.items %}${{ x }},{% endfor %}\n"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MLSCAFFOLD_CACHE_DIR", str(tmp_path))
    return tmp_path / "templates"


def render(env: BackstageEnvironment, source: str) -> str:
    template = env.compile_source(source, "skeleton/list.txt")
    return template.render(values={"items": [1, True, None]})


def test_a_new_environment_loads_the_compiled_code(cache: Path) -> None:
    assert render(BackstageEnvironment(), SOURCE) == "1,true,,\n"
    (entry,) = cache.iterdir()
    # Another process (a fresh environment) renders the same from the entry.
    before = entry.stat().st_mtime_ns
    assert render(BackstageEnvironment(), SOURCE) == "1,true,,\n"
    assert entry.stat().st_mtime_ns == before  # read, not rewritten
    assert len(list(cache.iterdir())) == 1


def test_settings_and_source_are_part_of_the_key(cache: Path) -> None:
    render(BackstageEnvironment(), SOURCE)
    render(BackstageEnvironment(trim_blocks=True), SOURCE)
    render(BackstageEnvironment(), SOURCE.replace(",", ";"))
    assert len(list(cache.iterdir())) == 3


def test_a_damaged_entry_is_compiled_again(cache: Path) -> None:
    render(BackstageEnvironment(), SOURCE)
    (entry,) = cache.iterdir()
    entry.write_bytes(b"not marshal data")
    assert render(BackstageEnvironment(), SOURCE) == "1,true,,\n"


def test_syntax_errors_are_not_cached(cache: Path) -> None:
    with pytest.raises(SkeletonError, match="syntax error"):
        BackstageEnvironment().compile_source("${{ x ", "bad.txt")
    assert not cache.exists()


def test_step_input_json_mode_is_cached_both_ways(cache: Path) -> None:
    # One lone expression (JSON mode: a number stays a number) and one string of
    # several nodes (no JSON mode: text); a fresh environment, as in a new
    # process, reads both answers from the cache instead of compiling again.
    values = {"n": "${{ parameters.n }}", "t": "n=${{ parameters.n }}"}
    context = {"parameters": {"n": 3}}
    assert render_step_input(values, context, BackstageEnvironment()) == {
        "n": 3,
        "t": "n=3",
    }
    entries = {path: path.stat().st_mtime_ns for path in cache.iterdir()}
    assert len(entries) == 4  # plain and JSON mode of each string
    assert render_step_input(values, context, BackstageEnvironment()) == {
        "n": 3,
        "t": "n=3",
    }
    assert {path: path.stat().st_mtime_ns for path in cache.iterdir()} == entries


def test_an_entry_of_the_wrong_kind_is_compiled_again(cache: Path) -> None:
    # A JSON-mode entry may hold None; a template entry must hold code.
    render(BackstageEnvironment(), SOURCE)
    (entry,) = cache.iterdir()
    entry.write_bytes(marshal.dumps((None,)))
    assert render(BackstageEnvironment(), SOURCE) == "1,true,,\n"
