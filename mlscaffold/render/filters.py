"""Backstage's default template filters and the JavaScript value rules they rely on."""

from __future__ import annotations

from mlscaffold.render.filters_backstage import (
    DEFAULT_INTEGRATION_HOSTS,
    parse_entity_ref,
    parse_repo_url,
    pick,
    project_slug,
)
from mlscaffold.render.jsprint import JS_UNDEFINED, js_dump, js_number, js_string

__all__ = [
    "DEFAULT_INTEGRATION_HOSTS",
    "JS_UNDEFINED",
    "js_dump",
    "js_number",
    "js_string",
    "parse_entity_ref",
    "parse_repo_url",
    "pick",
    "project_slug",
]
