"""Export the skeleton as a cookiecutter template that renders what Backstage renders.

The export has the shape Backstage's ``cookiecutterCompat`` reads: ``{{ }}``
variables and the values under ``cookiecutter.*``. ``cookiecutter.json`` holds every
team parameter (schema default, or a valid example for required ones; enums as
choice lists), ``platform`` and ``template`` as dict variables, and ``_extensions``
naming :class:`~mlscaffold.template.cookiecutter_ext.BackstageExtension`.

Conversion works on scanned segments, never on raw text: each templated file and
each path component is split into text, ``${{ expr }}``, ``{% tag %}``,
``{# comment #}`` and ``{% raw %}`` segments. Expressions and tags get ``{{`` and
the root variable ``values`` renamed ``cookiecutter`` (tokens, so strings, attributes
and ``values_x`` stay); text gets every ``{`` that Jinja2 could read as a delimiter
(Argo's ``{{workflow.name}}``) escaped as an expression printing it. Templated path
components are wrapped in the extension's path filter, and the post-generation hook
applies Backstage's skip rule and folder merging (see
:func:`~mlscaffold.template.cookiecutter_ext.staged_name`).

Where cookiecutter differs, and why the output is still byte-identical:

- Cookiecutter renders every context value as a template before use, and turns
  numbers into strings (``100`` becomes ``'100'``). :func:`cookiecutter_context`
  escapes strings so they come through literally; the conversion appends ``| int``
  (or ``| float``) to every ``values`` access whose value is a number in the values
  contract, so comparisons such as ``gpus > 0`` keep working. Numbers reached any
  other way (``{% set %}`` of a parent mapping, ``pick``, ``dump``) stay strings:
  they print the same, but compare differently; the skeleton does not do that.
- Booleans and ``None`` would print ``True``/``None``; the extension prints them the
  JavaScript way, and the values contract has neither.
- Cookiecutter's undefined is strict; the extension makes it print empty.
- ``template`` is a reserved cookiecutter key (nested templates), so
  ``values.template`` is exported as ``cookiecutter.__template``.
- Top-level list values would become choice variables; the contract has none.
- Cookiecutter writes every file with the newline of its first line, values
  included; Backstage keeps a value's own newlines. The skeleton is LF only.
- Cookiecutter copies symlinks as files and decides binary files its own way
  (binaryornot, not isbinaryfile); the skeleton has neither symlinks nor binaries.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from mlscaffold.errors import Location, SkeletonError
from mlscaffold.render.skeleton import is_binary
from mlscaffold.render.tree import RenderedTree, TreeEntry
from mlscaffold.template.cookiecutter_ext import (
    EXTENSION,
    PATH_FILTER,
    POST_GEN_HOOK,
    RENAMED_KEYS,
    TEMPLATE_OPEN,
    convert_template,
    escape_text,
    jinja_literal,
)

if TYPE_CHECKING:
    from mlscaffold.settings import PlatformSettings

__all__ = [
    "PROJECT_DIR",
    "convert_component",
    "convert_skeleton",
    "convert_template",
    "cookiecutter_context",
    "export_cookiecutter",
    "jinja_literal",
]

PROJECT_DIR: Final = "{{ cookiecutter.team }}-ml"
EXAMPLE_PARAMETERS: Final[Mapping[str, str]] = {
    "team": "my-team",
    "owner": "group:default/my-team",
    "modelName": "my-model",
}


def convert_component(name: str, index: int, values: Mapping[str, Any]) -> str:
    """Convert one skeleton path component (a file or folder name).

    A templated component is wrapped in the path filter (see ``staged_name``); a
    plain one only has its braces escaped.

    Raises:
        SkeletonError: Unterminated syntax, or a converted name too long for a
            file system.
    """
    if TEMPLATE_OPEN.search(name) is None:
        converted = escape_text(name, followed=False)
    else:
        body = convert_template(name, values)
        converted = f"{{% filter {PATH_FILTER}({index}) %}}{body}{{% endfilter %}}"
    if len(converted.encode("utf-8")) > 255:
        raise SkeletonError(
            "path component too long once converted for cookiecutter",
            source=Location(name),
        )
    return converted


# ------------------------------------------------------------ the template


def _escape_data(value: Any) -> Any:
    if isinstance(value, str):
        return jinja_literal(value)
    if isinstance(value, Mapping):
        return {jinja_literal(str(k)): _escape_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_escape_data(v) for v in value]
    return value


def cookiecutter_context(values: Mapping[str, Any]) -> dict[str, Any]:
    """``extra_context`` for cookiecutter from the values Backstage would see.

    Cookiecutter renders every context string as a template before using it, so a
    description such as ``{{ y }}`` would be evaluated; strings that Jinja2 could
    alter are turned into expressions that print them unchanged.

    Args:
        values: The fetch step's values (``RenderedProject.values``).
    """
    return {
        RENAMED_KEYS.get(key, key): _escape_data(value) for key, value in values.items()
    }


def _cookiecutter_json(
    values: Mapping[str, Any], schema: Mapping[str, Any], untemplated: Sequence[str]
) -> dict[str, Any]:
    properties: Mapping[str, Any] = schema.get("properties", {})
    data: dict[str, Any] = {}
    prompts: dict[str, Any] = {}
    for key, value in values.items():
        spec = properties.get(key, {})
        if "enum" in spec:
            choices = [value, *(option for option in spec["enum"] if option != value)]
            data[key] = choices
            labels = spec.get("ui:enumNames", spec["enum"])
            prompts[key] = {
                "__prompt__": spec.get("title", key),
                **dict(zip(spec["enum"], labels, strict=False)),
            }
        else:
            data[RENAMED_KEYS.get(key, key)] = _escape_data(value)
            if "title" in spec:
                prompts[key] = spec["title"]
    data["__prompts__"] = prompts
    data["_extensions"] = [EXTENSION]
    if untemplated:
        data["_copy_without_render"] = list(untemplated)
    return data


def _glob_escape(path: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", path)


def convert_skeleton(
    skeleton: Path,
    values_example: Mapping[str, Any],
    schema: Mapping[str, Any] | None = None,
) -> RenderedTree:
    """Build the cookiecutter template for ``skeleton`` in memory.

    Args:
        skeleton: A Backstage skeleton folder.
        values_example: Values as the fetch step passes them (team parameters,
            ``platform``, ``template``); they become cookiecutter.json's defaults and
            tell which values are numbers.
        schema: The merged parameter schema (enums become choices; the
            pre-generation hook checks answers against it); the shipped form pages
            by default.

    Raises:
        SkeletonError: A file or name cannot be converted.
    """
    pages: Sequence[Mapping[str, Any]] = [schema] if schema is not None else []
    if schema is None:
        from mlscaffold.params import parameter_pages, parameter_schema

        schema = parameter_schema()
        pages = parameter_pages()
    entries: dict[str, TreeEntry] = {}
    untemplated: list[str] = []
    converted_dirs: dict[str, str] = {"": PROJECT_DIR}
    paths = sorted(skeleton.rglob("*"), key=lambda p: p.relative_to(skeleton).parts)
    for index, path in enumerate(paths):
        rel = path.relative_to(skeleton)
        parent = converted_dirs[rel.parent.as_posix() if rel.parent.parts else ""]
        name = convert_component(rel.name, index, values_example)
        out = f"{parent}/{name}"
        mode = path.lstat().st_mode & 0o777
        try:
            if path.is_symlink():
                entries[out] = TreeEntry(
                    "symlink", mode=mode, link_target=str(path.readlink())
                )
            elif path.is_dir():
                converted_dirs[rel.as_posix()] = out
                entries[out] = TreeEntry("dir", mode=mode, source=rel.as_posix())
            else:
                entries[out] = _file_entry(path, rel.as_posix(), mode, values_example)
                if not entries[out].templated:
                    untemplated.append(_glob_escape(out.split("/", 1)[1]))
        except SkeletonError as exc:
            raise SkeletonError(exc.message, source=Location(rel.as_posix())) from exc
    entries[PROJECT_DIR] = TreeEntry("dir", mode=0o755)
    config = _cookiecutter_json(values_example, schema, untemplated)
    text = json.dumps(config, indent=2, ensure_ascii=False) + "\n"
    entries["cookiecutter.json"] = TreeEntry(
        "file", text.encode("utf-8"), templated=False
    )
    entries["hooks"] = TreeEntry("dir", mode=0o755)
    entries["hooks/post_gen_project.py"] = TreeEntry(
        "file", POST_GEN_HOOK.encode("utf-8"), templated=False
    )
    _add_standalone_parts(entries, pages)
    return RenderedTree(entries)


def _add_standalone_parts(
    entries: dict[str, TreeEntry], pages: Sequence[Mapping[str, Any]]
) -> None:
    from mlscaffold.template.cookiecutter_standalone import (
        pre_gen_hook,
        vendored_sources,
    )

    entries["hooks/pre_gen_project.py"] = TreeEntry(
        "file", pre_gen_hook(pages).encode("utf-8"), templated=False
    )
    for path, source in vendored_sources().items():
        parts = path.split("/")
        for depth in range(1, len(parts)):
            entries.setdefault("/".join(parts[:depth]), TreeEntry("dir", mode=0o755))
        entries[path] = TreeEntry("file", source, templated=False)


def _file_entry(
    path: Path, rel: str, mode: int, values: Mapping[str, Any]
) -> TreeEntry:
    data = path.read_bytes()
    if is_binary(data[:515]):
        return TreeEntry("file", data, mode=mode, source=rel, templated=False)
    # Backstage reads text as UTF-8 with replacement; newlines stay as they are.
    text = data.decode("utf-8", errors="replace")
    converted = convert_template(text, values).encode("utf-8")
    return TreeEntry("file", converted, mode=mode, source=rel)


def example_values(platform: PlatformSettings | None = None) -> dict[str, Any]:
    """What Backstage computes from the defaults and example required parameters.

    Args:
        platform: Platform settings; the shipped ones by default.
    """
    from mlscaffold.params import validate_params
    from mlscaffold.settings import shipped_platform
    from mlscaffold.template.build import build_template
    from mlscaffold.template.steps import step_values

    platform = platform or shipped_platform()
    host = platform.allowed_hosts[0] if platform.allowed_hosts else "github.com"
    raw = {**EXAMPLE_PARAMETERS, "repoUrl": f"{host}?owner=my-org&repo=my-team-ml"}
    params = validate_params(raw, platform)
    # The export is the team repository alone: its step's values, no platform change.
    return step_values(
        build_template(platform, platform_change=False), params.as_dict()
    )


def export_cookiecutter(
    dest: Path,
    *,
    force: bool = False,
    skeleton: Path | None = None,
    platform: PlatformSettings | None = None,
) -> None:
    """Write the ml-project skeleton to ``dest`` as a cookiecutter template.

    Args:
        dest: The template folder to create.
        force: Replace a non-empty ``dest`` that holds an earlier export only.
        skeleton: Skeleton folder; the shipped one by default.
        platform: Platform settings; the shipped ones by default.

    Raises:
        OutputExistsError: ``dest`` is not empty and ``force`` is off, or it holds
            anything an export would not write.
        SkeletonError: The skeleton cannot be converted.
    """
    from mlscaffold._data import skeleton_dir
    from mlscaffold.render.write import write_tree
    from mlscaffold.template.build import TEMPLATE_NAME

    tree = convert_skeleton(
        skeleton or skeleton_dir(TEMPLATE_NAME), example_values(platform)
    )
    write_tree(tree, dest, force=force, marker="cookiecutter.json")
