"""Template lint: skeleton constructs outside the portable subset; template wiring."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import jinja2
from jinja2 import nodes

from mlscaffold.errors import Location
from mlscaffold.lint.jinja import check_source
from mlscaffold.lint.portable import Contract, Hit, chain, syntax_hit
from mlscaffold.render.binary import READ_BYTES, is_binary
from mlscaffold.render.walk import template_extension, templated_locations
from mlscaffold.report.model import Finding, Severity
from mlscaffold.report.rules import rule_info, rule_table

__all__ = ["LINT_RULES", "lint_skeleton", "lint_template"]


LINT_RULES = rule_table(
    "lint",
    (
        ("MLS500", Severity.ERROR, "template syntax error"),
        ("MLS501", Severity.ERROR, "'{#' or '{%' in text opens a template tag"),
        ("MLS502", Severity.ERROR, "'elseif' exists only in nunjucks"),
        ("MLS503", Severity.ERROR, "method call or JS property"),
        ("MLS504", Severity.ERROR, "filter or test missing in one engine"),
        (
            "MLS505",
            Severity.WARNING,
            "filter that renders differently in the two engines",
        ),
        ("MLS506", Severity.WARNING, "'{% set %}' inside a for loop"),
        ("MLS507", Severity.ERROR, "dict iteration"),
        ("MLS508", Severity.ERROR, "loop attribute missing in nunjucks"),
        ("MLS509", Severity.ERROR, "slice syntax x[a:b]"),
        ("MLS510", Severity.ERROR, "negative index"),
        ("MLS511", Severity.ERROR, "Jinja2-only global or namespace assignment"),
        ("MLS512", Severity.ERROR, "tag outside the portable subset"),
        ("MLS513", Severity.ERROR, "'{% for ... if ... %}'"),
        ("MLS514", Severity.ERROR, "'%' string formatting"),
        ("MLS515", Severity.WARNING, "'~' with a value that may be null"),
        ("MLS516", Severity.WARNING, "output prints a boolean, none or a float"),
        ("MLS517", Severity.ERROR, "capitalised True/False/None literal"),
        ("MLS518", Severity.WARNING, "'=='/'!=' between mixed types"),
        ("MLS519", Severity.ERROR, "variable other than values (renders empty)"),
        ("MLS520", Severity.ERROR, "values.X used but not passed by fetch:template"),
        ("MLS521", Severity.WARNING, "team parameter never used"),
        ("MLS522", Severity.ERROR, "steps.X refers to a missing or later step"),
        ("MLS523", Severity.WARNING, "step id with '-' (steps.a-b is a subtraction)"),
        ("MLS524", Severity.ERROR, "'+' or '*' on a string"),
        ("MLS525", Severity.ERROR, "parameters.X is not a parameter"),
        ("MLS526", Severity.WARNING, "loop or power that can pass the render limits"),
    ),
)

_TOOL = "lint"


def _environment() -> jinja2.Environment:
    """The Backstage environment the skeleton renders in (parsed here, not rendered)."""
    from mlscaffold.render.engine import BackstageEnvironment

    return BackstageEnvironment()


def _finding(path: str, hit: Hit, *, in_name: bool = False) -> Finding:
    if in_name:
        # the name is no line of the file: point at the file, say "name" instead
        loc = Location(path)
        message = f"in the file name: {hit.message}"
    else:
        loc = Location(path, hit.line, hit.column)
        message = hit.message
    return Finding(
        rendered=loc,
        rule=hit.rule,
        severity=rule_info(hit.rule).severity,
        message=message,
        source=loc,
        tool=_TOOL,
    )


class _Wiring:
    """What the template's fetch:template step(s) say about one skeleton."""

    def __init__(self, template: Mapping[str, Any] | None, skeleton: Path) -> None:
        self.contract: Contract | None = None
        self.copy_without_templating: list[str] = []
        self.extension: str | None = None
        if template is None:
            return
        steps = [
            s
            for s in _steps(template)
            if s.get("action") == "fetch:template"
            and isinstance(s.get("input"), Mapping)
        ]
        named = [
            s
            for s in steps
            if PurePosixPath(str(s["input"].get("url", ""))).name == skeleton.name
        ]
        passed: dict[str, Any] = {}
        for step in named or steps:
            inputs = step["input"]
            passed.update(inputs.get("values") or {})
            patterns = inputs.get("copyWithoutTemplating")
            if isinstance(patterns, list):
                self.copy_without_templating.extend(map(str, patterns))
            ext = template_extension(inputs.get("templateFileExtension"))
            if ext:
                self.extension = ext
        if steps:
            required = _required_parameters(template)
            always = {
                key
                for key, raw in passed.items()
                if _lone_parameter(raw) in required
                or (raw is not None and not (isinstance(raw, str) and "${{" in raw))
            }
            self.contract = Contract(passed, frozenset(always))

    def templated(self, skeleton: Path, locations: list[str]) -> set[str]:
        """Which of ``locations`` fetch:template renders, asked of the renderer."""
        return templated_locations(
            skeleton,
            locations,
            copy_without_templating=self.copy_without_templating,
            extension=self.extension,
        )


def lint_skeleton(
    skeleton_dir: Path,
    template: Mapping[str, Any] | None = None,
    *,
    template_path: str = "template.yaml",
) -> list[Finding]:
    """Lint every templated file (and every file name) of a skeleton.

    Files are parsed with Backstage's delimiters, never rendered. Binary files,
    symlinks and files that ``copyWithoutTemplating`` excludes have only their names
    checked, as Backstage renders only their names.

    Args:
        skeleton_dir: The skeleton's root folder.
        template: The Template entity (template.yaml as data). When given, also
            check that every ``values.X`` is passed, and the template's own wiring
            (see :func:`lint_template`).
        template_path: Path shown in findings about the template itself.

    Returns:
        Findings (rule ids MLS5xx) located at skeleton ``file:line:col``.
    """
    env = _environment()
    wiring = _Wiring(template, skeleton_dir)
    findings: list[Finding] = []
    paths = sorted(skeleton_dir.rglob("*"))
    rels = [path.relative_to(skeleton_dir).as_posix() for path in paths]
    templated = wiring.templated(skeleton_dir, rels)
    for path, rel in zip(paths, rels, strict=True):
        names = check_source(env, path.name, wiring.contract)
        findings.extend(_finding(rel, hit, in_name=True) for hit in names)
        if path.is_symlink() or not path.is_file() or rel not in templated:
            continue
        data = path.read_bytes()
        if is_binary(data[:READ_BYTES]):
            continue
        text = data.decode("utf-8", errors="replace")
        findings.extend(
            _finding(rel, hit) for hit in check_source(env, text, wiring.contract)
        )
    if template is not None:
        findings.extend(lint_template(template, template_path=template_path, env=env))
    return findings


def _steps(template: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    spec = template.get("spec") or {}
    return [s for s in spec.get("steps") or [] if isinstance(s, Mapping)]


def _pages(template: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    params = (template.get("spec") or {}).get("parameters") or []
    pages = params if isinstance(params, list) else [params]
    return [p for p in pages if isinstance(p, Mapping)]


def _schema_parts(schema: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """A page schema and its conditional sub-schemas (where fields also live)."""
    yield schema
    subs: list[Any] = [schema.get(k) for k in ("then", "else")]
    for key in ("oneOf", "anyOf", "allOf"):
        subs.extend(schema.get(key) or [])
    subs.extend((schema.get("dependencies") or {}).values())
    for sub in subs:
        if isinstance(sub, Mapping):
            yield from _schema_parts(sub)


def _parameters(template: Mapping[str, Any]) -> dict[str, str]:
    """Every form field name, mapped to the JSON pointer of its definition."""
    found: dict[str, str] = {}
    for i, page in enumerate(_pages(template)):
        for part in _schema_parts(page):
            for name in part.get("properties") or {}:
                found.setdefault(str(name), f"/spec/parameters/{i}/properties/{name}")
    return found


def _required_parameters(template: Mapping[str, Any]) -> set[str]:
    return {str(n) for page in _pages(template) for n in page.get("required") or []}


def _lone_parameter(raw: Any) -> str | None:
    match = (
        re.fullmatch(r"\$\{\{\s*parameters\.(\w+)\s*\}\}", raw)
        if isinstance(raw, str)
        else None
    )
    return match.group(1) if match else None


def _strings(data: Any, pointer: str) -> Iterator[tuple[str, str]]:
    """Every string leaf of ``data`` with its JSON pointer."""
    if isinstance(data, str):
        yield pointer, data
    elif isinstance(data, Mapping):
        for key, value in data.items():
            escaped = str(key).replace("~", "~0").replace("/", "~1")
            yield from _strings(value, f"{pointer}/{escaped}")
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _strings(value, f"{pointer}/{i}")


def _refs(tree: nodes.Template, root: str) -> list[str]:
    """Names ``X`` in ``root.X`` / ``root['X']`` anywhere in an expression tree."""
    out = [
        node.attr
        for node in tree.find_all(nodes.Getattr)
        if isinstance(node.node, nodes.Name) and node.node.name == root
    ]
    for item in tree.find_all(nodes.Getitem):
        base, arg = item.node, item.arg
        is_root = isinstance(base, nodes.Name) and base.name == root
        if is_root and isinstance(arg, nodes.Const) and isinstance(arg.value, str):
            out.append(arg.value)
    return out


def lint_template(
    template: Mapping[str, Any],
    *,
    template_path: str = "template.yaml",
    env: jinja2.Environment | None = None,
) -> list[Finding]:
    """Check a Template's wiring: parameters, step references and step ids.

    Args:
        template: The Template entity as data.
        template_path: Path shown in findings (their ``pointer`` says where).
        env: Parsing environment; the linter's default when None.

    Returns:
        Findings MLS500 (syntax), MLS521 (unused parameter), MLS522 (bad step
        reference), MLS523 (dashed step id) and MLS525 (unknown parameter).
    """
    checker = _TemplateLint(template, template_path, env or _environment())
    spec = template.get("spec") or {}
    places = [(f"/spec/steps/{i}", step) for i, step in enumerate(checker.steps)]
    places.append(("/spec/output", spec.get("output") or {}))
    for index, (base, data) in enumerate(places):
        if index < len(checker.ids) and "-" in checker.ids[index]:
            step_id = checker.ids[index]
            checker.add(
                "MLS523",
                f"{base}/id",
                f"step id '{step_id}' contains '-': Backstage reads steps.{step_id} "
                f"as a subtraction; use camelCase or steps['{step_id}']",
            )
        for pointer, text in _strings(data, base):
            if "${{" in text:
                checker.scan(index, pointer, text)
    for name, pointer in checker.params.items():
        if name not in checker.used:
            checker.add(
                "MLS521", pointer, f"parameter '{name}' is never used by any step"
            )
    return checker.findings


class _TemplateLint:
    """State of one :func:`lint_template` run."""

    def __init__(
        self, template: Mapping[str, Any], path: str, env: jinja2.Environment
    ) -> None:
        self.path = path
        self.env = env
        self.params = _parameters(template)
        self.steps = _steps(template)
        self.ids = [str(s.get("id", "")) for s in self.steps]
        self.used: set[str] = set()
        self.findings: list[Finding] = []

    def add(self, rule: str, pointer: str, message: str) -> None:
        loc = Location(self.path, pointer=pointer)
        severity = rule_info(rule).severity
        self.findings.append(Finding(loc, rule, severity, message, None, _TOOL))

    def scan(self, index: int, pointer: str, text: str) -> None:
        """Check one templated string of step ``index`` (len(steps): the output)."""
        try:
            tree = self.env.parse(text)
        except jinja2.TemplateSyntaxError as err:
            self.add("MLS500", pointer, syntax_hit(err, text).message)
            return
        for name in _refs(tree, "parameters"):
            self.used.add(name)
            if name not in self.params:
                self.add("MLS525", pointer, f"parameters.{name} is not a form field")
        for name in _refs(tree, "steps"):
            problem = _step_problem(name, index, self.ids)
            if problem:
                self.add("MLS522", pointer, problem)
        for sub in tree.find_all(nodes.Sub):
            left, keys = chain(sub.left)
            right = chain(sub.right)[0]
            if left == "steps" and len(keys) == 1 and keys[0] and right:
                dashed = f"{keys[0]}-{right}"
                self.add(
                    "MLS522",
                    pointer,
                    f"steps.{dashed} is read as a subtraction (steps.{keys[0]} minus "
                    f"{right}); write steps['{dashed}']",
                )


def _step_problem(name: str, index: int, ids: list[str]) -> str | None:
    """Why ``steps.<name>`` from step ``index`` is wrong, or None when it is fine."""
    if name in ids[:index]:
        return None
    if name in ids:
        return f"steps.{name} refers to a step that has not run yet at this point"
    dashed = [i for i in ids if i.startswith(name + "-")]
    if dashed:
        return (
            f"steps.{name} is not a step: Backstage reads steps.{dashed[0]} as a "
            f"subtraction; write steps['{dashed[0]}']"
        )
    return f"steps.{name} is not a step of this template"
