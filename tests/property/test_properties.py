"""Properties of rendering over parameter sets drawn from the parameter schema."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from mlscaffold.api import render_project
from mlscaffold.cli import cli
from mlscaffold.errors import ParamsError
from mlscaffold.render.tree import RenderedTree
from mlscaffold.validate import ValidateOptions, validate_tree
from tests.property.examples import EXAMPLES
from tests.property.strategies import (
    PROPERTIES,
    invalid_params,
    valid_params,
)

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
pytestmark = pytest.mark.slow  # hundreds of generated parameter sets


@pytest.fixture(scope="module")
def options(shared_crds: Path) -> ValidateOptions:
    return ValidateOptions(crd_dirs=(shared_crds,), kubeconform="off")


def yaml_files(tree: RenderedTree) -> Iterator[tuple[str, list[Any]]]:
    for path, entry in tree.files():
        if path.endswith((".yaml", ".yml")):
            yield path, list(yaml.load_all(entry.text, Loader=LOADER))


def key_paths(node: Any, prefix: str = "") -> Iterator[str]:
    """Every mapping key and list index, as a path: the shape of a document."""
    if isinstance(node, dict):
        for key, value in node.items():
            path = f"{prefix}/{key}"
            yield path
            yield from key_paths(value, path)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield f"{prefix}[{index}]"
            yield from key_paths(value, f"{prefix}[{index}]")


def shape(tree: RenderedTree) -> dict[str, tuple[int, frozenset[str]]]:
    return {
        path: (len(docs), frozenset(p for d in docs for p in key_paths(d)))
        for path, docs in yaml_files(tree)
    }


@given(params=valid_params())
def test_valid_parameters_render_parse_validate_and_repeat(
    params: dict[str, Any], options: ValidateOptions
) -> None:
    EXAMPLES["valid: render, parse, validate, render twice"] += 1
    tree = render_project(params).tree

    parsed = dict(yaml_files(tree))
    assert parsed, "no YAML rendered"
    report = validate_tree(tree, options=options)
    assert report.ok, "\n".join(map(str, report.findings))
    again = render_project(params).tree
    assert [(p, e.data, e.mode) for p, e in again.files()] == [
        (p, e.data, e.mode) for p, e in tree.files()
    ]


PLAIN = {
    "team": "plain",
    "modelName": "plain",
    "description": "plain",
    "costCenter": "plain",
    "retrainSchedule": "0 3 * * 1",
}


def plain(params: dict[str, Any]) -> dict[str, Any]:
    """The same set with harmless text in every text field (empty stays empty)."""
    result = {**params, **{k: v for k, v in PLAIN.items() if params.get(k)}}
    owner = params["owner"]
    result["owner"] = "group:plain/plain" if "/" in owner else "group:plain"
    result["repoUrl"] = params["repoUrl"].partition("?")[0] + "?owner=plain&repo=plain"
    return result


@given(params=valid_params())
def test_text_parameters_cannot_add_keys_or_objects(params: dict[str, Any]) -> None:
    EXAMPLES["text: same shape as plain text"] += 1
    tree = render_project(params).tree

    assert shape(tree) == shape(render_project(plain(params)).tree)
    description = params.get("description", "")
    catalog = yaml.safe_load(tree["catalog-info.yaml"].text)
    assert catalog["metadata"].get("description", "") == description


FIELDS = [*PROPERTIES, "(unknown)"]


@pytest.mark.parametrize("field", FIELDS)
@settings(max_examples=15)
@given(data=st.data())
def test_invalid_parameters_are_refused_and_nothing_is_written(
    field: str, data: st.DataObject
) -> None:
    params, named = data.draw(invalid_params(field))
    EXAMPLES[f"invalid {field}: refused"] += 1

    with pytest.raises(ParamsError) as refused:
        render_project(params)

    problems = refused.value.problems
    assert problems
    assert all(": " in line and line.split(":", 1)[0].strip() for line in problems)
    shown = {line.split(": ", 1)[0] for line in problems}
    assert shown & ({*named} | {repr(name) for name in named}), problems
    with tempfile.TemporaryDirectory() as tmp:
        values = Path(tmp) / "values.yaml"
        values.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
        out = Path(tmp) / "out"
        result = CliRunner().invoke(
            cli, ["render", "--values", str(values), "-o", str(out)]
        )
        assert result.exit_code == 2, result.output
        assert not out.exists()
