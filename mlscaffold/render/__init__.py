"""Render a skeleton exactly as Backstage's fetch:template does, and write it."""

from __future__ import annotations

from mlscaffold.render.engine import (
    BackstageEnvironment,
    BackstageUndefined,
    evaluate_lone_expression,
    js_finalize,
    lone_expression,
    newline_sequence_for,
    render_string,
)
from mlscaffold.render.filters_backstage import (
    parse_entity_ref,
    parse_repo_url,
    pick,
    project_slug,
)
from mlscaffold.render.jsprint import js_dump, js_number, js_string
from mlscaffold.render.skeleton import CompiledSkeleton, is_binary, render_skeleton
from mlscaffold.render.tree import RenderedTree, TreeEntry
from mlscaffold.render.values import js_json_value, render_step_input
from mlscaffold.render.write import write_tree

__all__ = [
    "BackstageEnvironment",
    "BackstageUndefined",
    "CompiledSkeleton",
    "RenderedTree",
    "TreeEntry",
    "evaluate_lone_expression",
    "is_binary",
    "js_dump",
    "js_finalize",
    "js_json_value",
    "js_number",
    "js_string",
    "lone_expression",
    "newline_sequence_for",
    "parse_entity_ref",
    "parse_repo_url",
    "pick",
    "project_slug",
    "render_skeleton",
    "render_step_input",
    "render_string",
    "write_tree",
]
