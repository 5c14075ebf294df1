"""What makes the cookiecutter export work where mlscaffold is not installed.

Two parts go into the exported template:

- ``mlscaffold/``: the source of the modules the Jinja2 extension imports (found
  by following their module-level imports), so ``_extensions`` resolves from the
  template folder, which cookiecutter puts on ``sys.path``. They need only Jinja2,
  which cookiecutter brings. An installed mlscaffold comes first on ``sys.path``
  and is used instead.
- ``hooks/pre_gen_project.py``: refuses invalid parameters before anything is
  written, with the lines ``mlscaffold render`` prints. It embeds
  :mod:`mlscaffold._param_rules` (standard library only), the source of the
  installed cronsim (standard library only; with its licence) for the cron
  ranges, and the form pages, and reads the answers from cookiecutter's context.
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from mlscaffold.errors import SkeletonError
from mlscaffold.template.cookiecutter_ext import EXTENSION

__all__ = ["pre_gen_hook", "vendored_sources"]

_PACKAGE: Final = "mlscaffold"

# Runs after the embedded rules; cookiecutter renders the hook as a template first,
# which is how the answers get in (jsonify, then tojson for a Python string).
_HOOK_MAIN: Final = """
import json
import re
import sys
import types

PAGES = json.loads({pages})
ACCELERATORS = {accelerators}

{cronsim_license}
cronsim = types.ModuleType("cronsim")
exec(compile({cronsim_source}, "cronsim.py", "exec"), cronsim.__dict__)


def answers(context):
    # cookiecutter turns numbers into text; read integer fields back as --set does.
    data = {{}}
    for page in PAGES:
        for name, spec in page.get("properties", {{}}).items():
            if name not in context:
                continue
            value = context[name]
            if spec.get("type") == "integer" and isinstance(value, str):
                if re.fullmatch(r"-?[0-9]+", value):
                    value = int(value)
            data[name] = value
    return data


def main(context):
    data = answers(context)
    # Lone surrogates first: the schema's lines would quote the broken text.
    problems = unicode_problems(data) or schema_problems(data, PAGES)
    if not problems:
        platform = context["platform"]
        problems = cross_field_problems(
            data, platform["sizes"], platform["allowedHosts"], ACCELERATORS
        )
        if "retrainSchedule" in data:
            problems += cron_problems(
                data["retrainSchedule"], cronsim.CronSim, cronsim.CronSimError
            )
    if problems:
        print("Invalid parameters:", file=sys.stderr)
        for problem in problems:
            print("  " + problem, file=sys.stderr)
        print("Nothing was written.", file=sys.stderr)
        sys.exit(2)


{{% endraw %}}
main(json.loads({{{{ cookiecutter | jsonify | tojson }}}}))
"""


def pre_gen_hook(pages: Sequence[Mapping[str, Any]]) -> str:
    """The pre-generation hook's source for these form pages.

    Raises:
        SkeletonError: The embedded source would end the hook's raw block.
    """
    from mlscaffold import _param_rules

    rules = Path(_param_rules.__file__).read_text(encoding="utf-8")
    accelerators: list[str] = next(
        (page["properties"]["accelerator"].get("enum", []) for page in pages
         if "accelerator" in page.get("properties", {})),
        [],
    )  # fmt: skip
    main = _HOOK_MAIN.format(
        pages=repr(json.dumps(list(pages), ensure_ascii=True, sort_keys=True)),
        accelerators=repr(list(accelerators)),
        cronsim_license=_cronsim_license(),
        cronsim_source=repr(_cronsim_source()),
    )
    code, tail = main.split("{% endraw %}")
    if "{% endraw" in rules + code:
        raise SkeletonError("the parameter schema cannot be embedded in a hook")
    return "{% raw %}" + rules + code + "{% endraw %}" + tail


def _cronsim_source() -> str:
    import cronsim.cronsim

    return Path(cronsim.cronsim.__file__).read_text(encoding="utf-8")


def _cronsim_license() -> str:
    """The embedded cronsim's version and licence (BSD-3-Clause keeps the notice)."""
    dist = importlib.metadata.distribution("cronsim")
    licence = next(
        (f for f in dist.files or () if f.name.upper().startswith("LICENSE")), None
    )
    text = licence.read_text(encoding="utf-8") if licence is not None else ""
    lines = [f"cronsim {dist.version}, embedded unchanged from the installed package.",
             *text.splitlines()]  # fmt: skip
    return "\n".join(f"# {line}".rstrip() for line in lines)


def vendored_sources() -> dict[str, bytes]:
    """Source files the extension imports, by path under the template root.

    Follows module-level ``import``/``from`` statements within the package, from
    the extension's module and every parent package; imports under ``if
    TYPE_CHECKING`` and inside functions are not followed, as they do not run
    when cookiecutter loads the extension.
    """
    files: dict[str, bytes] = {}
    todo = [EXTENSION.rpartition(".")[0]]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise SkeletonError(f"cannot find module {name} to export")
        origin = Path(spec.origin)
        rel = "/".join(parts[:-1] if origin.name != "__init__.py" else parts)
        target = f"{rel}/{origin.name}" if rel else origin.name
        source = origin.read_bytes()
        files[target] = source
        todo += _package_imports(ast.parse(source))
    return dict(sorted(files.items()))


def _package_imports(tree: ast.Module) -> list[str]:
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            base = node.module
            names.append(base)
            # ``from mlscaffold.render import engine`` may name a submodule.
            if base.startswith(f"{_PACKAGE}."):
                names += [
                    f"{base}.{alias.name}"
                    for alias in node.names
                    if _is_module(f"{base}.{alias.name}")
                ]
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return [n for n in names if n == _PACKAGE or n.startswith(f"{_PACKAGE}.")]


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # the parent is a module, so this is an attribute
        return False
