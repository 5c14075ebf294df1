"""The Jinja2 environment that renders like Backstage's fetch:template (nunjitsu)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

import jinja2
from jinja2 import nodes
from jinja2.environment import TemplateExpression
from jinja2.parser import Parser
from jinja2.runtime import ChainableUndefined, Undefined
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import pass_environment

from mlscaffold.errors import Location, RenderError, SkeletonError
from mlscaffold.render import filters_backstage as bs
from mlscaffold.render import filters_nunjucks as nj
from mlscaffold.render import jsprint as js
from mlscaffold.render.limits import bounded_binop
from mlscaffold.render.source import (
    Newline,
    line_text,
    newline_sequence_for,
    render_error,
    run_template,
)

__all__ = [
    "BackstageEnvironment",
    "BackstageUndefined",
    "Newline",
    "evaluate_lone_expression",
    "js_finalize",
    "lone_expression",
    "newline_sequence_for",
    "render_error",
    "render_string",
    "run_template",
]

_CACHE_LIMIT: Final = 4096


class BackstageUndefined(ChainableUndefined):
    """Undefined as nunjucks treats it: prints empty; ``a.b.c`` on it stays undefined.

    Calling it still fails, as in Backstage ("resolved to undefined and cannot be
    called").
    """

    __slots__ = ()


def js_finalize(value: Any) -> str:
    """Print a ``${{ }}`` result with JavaScript's rules (Backstage's output).

    ``True`` -> ``true``, ``None`` -> ``''``, ``1.0`` -> ``1``, lists join with ``,``,
    mappings print ``[object Object]``.
    """
    return js.js_string(value)


class _NunjucksParser(Parser):
    """Jinja2's parser with nunjucks' object literals.

    In nunjucks ``{ defaultKind: 'group' }`` has the *key* ``defaultKind``; Jinja2
    would read it as a variable (undefined). Only names that are keys of a dict
    literal change; values, and keys that are strings or other expressions, do not.
    """

    def parse_dict(self) -> nodes.Dict:
        """A dict literal whose bare-name keys are string constants."""
        node = super().parse_dict()
        for pair in node.items:
            if isinstance(pair.key, nodes.Name) and pair.key.ctx == "load":
                pair.key = nodes.Const(pair.key.name, lineno=pair.key.lineno)
        return node


class BackstageEnvironment(SandboxedEnvironment):
    """Sandboxed Jinja2 configured like Backstage's ``fetch:template`` renderer.

    ``${{ }}`` variables, ``{% %}`` blocks and ``{# #}`` comments, no autoescape,
    trailing newlines kept, undefined and ``null`` print empty, values print with
    JavaScript's rules, and the four Backstage filters (``parseRepoUrl``,
    ``parseEntityRef``, ``pick``, ``projectSlug``) plus nunjucks' ``dump``.

    Attribute access follows JavaScript on plain data: ``obj.key`` only looks up keys
    (never Python methods such as ``dict.items``), Python ``str``/``list`` methods are
    undefined (Backstage fails on ``.upper()``) and a few JS members (``length``,
    ``toUpperCase()``, ``startsWith()``...) work as in nunjitsu.

    Args:
        trim_blocks: fetch:template's ``trimBlocks`` input.
        lstrip_blocks: fetch:template's ``lstripBlocks`` input.
        integrations: Host -> integration type for ``parseRepoUrl``; None means the
            hosts Backstage knows without configuration.
        newline_sequence: Line ending of the template source (see
            ``newline_sequence_for``); use ``for_newline`` rather than passing it.
    """

    def __init__(
        self,
        *,
        trim_blocks: bool = False,
        lstrip_blocks: bool = False,
        integrations: Mapping[str, str] | None = None,
        newline_sequence: Newline = "\n",
    ) -> None:
        """Configure the environment (see the class docstring)."""
        super().__init__(
            variable_start_string="${{",
            variable_end_string="}}",
            block_start_string="{%",
            block_end_string="%}",
            comment_start_string="{#",
            comment_end_string="#}",
            autoescape=False,
            keep_trailing_newline=True,
            trim_blocks=trim_blocks,
            lstrip_blocks=lstrip_blocks,
            newline_sequence=newline_sequence,
            undefined=BackstageUndefined,
            finalize=js_finalize,
            cache_size=0,
        )
        self.integrations = integrations
        self._variants: dict[str, BackstageEnvironment] = {}
        self._compiled: dict[tuple[str, str], jinja2.Template] = {}
        self._expressions: dict[str, TemplateExpression] = {}
        self._register_filters()

    def _register_filters(self) -> None:
        hosts = self.integrations
        backstage: dict[str, Callable[..., Any]] = {
            "parseRepoUrl": lambda url: bs.parse_repo_url(url, hosts),
            "projectSlug": lambda url: bs.project_slug(url, hosts),
            "parseEntityRef": bs.parse_entity_ref,
            "pick": bs.pick,
        }
        for name, func in backstage.items():
            self.filters[name] = _filter(name, func)
        for name, func in nj.NUNJUCKS_FILTERS.items():
            self.filters[name] = _filter(name, func, wrap_errors=False)
        self.filters["join"] = nj.js_join
        self.tests.update(nj.NUNJUCKS_TESTS)
        # nunjucks' range() is an array: it prints and joins like one.
        self.globals["range"] = nj.js_range

    # --------------------------------------------------------------- parsing

    def _parse(
        self, source: str, name: str | None, filename: str | None
    ) -> nodes.Template:
        """Parse with nunjucks' object-literal keys (see ``_NunjucksParser``)."""
        return _NunjucksParser(self, source, name, filename).parse()

    def compile_expression(
        self, source: str, undefined_to_none: bool = True
    ) -> TemplateExpression:
        """Jinja2's ``compile_expression`` with the nunjucks parser."""
        parser = _NunjucksParser(self, source, state="variable")
        try:
            expr = parser.parse_expression()
            if not parser.stream.eos:
                parser.fail("chunk after expression")
            expr.set_environment(self)
        except jinja2.TemplateSyntaxError:
            self.handle_exception(source=source)
        body = [nodes.Assign(nodes.Name("result", "store"), expr, lineno=1)]
        template = self.from_string(nodes.Template(body, lineno=1))
        return TemplateExpression(template, undefined_to_none)

    # ------------------------------------------------------ JS member access

    # ``*`` and ``**`` can build a gigabyte in one C call, past any deadline.
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        """Apply a binary operator once its result is known to be of bounded size."""
        bounded_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``obj.attribute`` with JavaScript semantics on plain JSON data."""
        kind = type(obj)
        if kind is dict:
            return (
                obj[attribute]
                if attribute in obj
                else self.undefined(obj=obj, name=attribute)
            )
        if kind is str or kind is list or kind is tuple:
            member = nj.js_member(obj, attribute)
            if member is js.JS_UNDEFINED:
                return self.undefined(obj=obj, name=attribute)
            return member
        if kind in (int, float, bool):
            return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        """``obj[argument]`` with JavaScript semantics on plain JSON data."""
        kind = type(obj)
        if kind is dict:
            key = argument if isinstance(argument, str) else js.js_string(argument)
            return obj[key] if key in obj else self.undefined(obj=obj, name=key)
        if kind is str or kind is list or kind is tuple:
            if isinstance(argument, slice):  # nunjitsu slices strings into char arrays
                return list(obj[argument])
            if isinstance(argument, float) and argument.is_integer():
                argument = int(argument)
            if isinstance(argument, int) and not isinstance(argument, bool):
                if 0 <= argument < len(obj):
                    return obj[argument]
                return self.undefined(obj=obj, name=str(argument))
            if isinstance(argument, str):
                if argument.isdigit() and str(int(argument)) == argument:
                    return self.getitem(obj, int(argument))
                return self.getattr(obj, argument)
            return self.undefined(obj=obj)
        return super().getitem(obj, argument)

    # ---------------------------------------------------------- compilation

    def for_newline(self, newline: Newline) -> BackstageEnvironment:
        """This environment with another ``newline_sequence`` (cached overlay)."""
        if newline == self.newline_sequence:
            return self
        variant = self._variants.get(newline)
        if variant is None:
            variant = BackstageEnvironment(
                trim_blocks=self.trim_blocks,
                lstrip_blocks=self.lstrip_blocks,
                integrations=self.integrations,
                newline_sequence=newline,
            )
            variant.filters.update({k: v for k, v in self.filters.items()})
            variant.tests.update(self.tests)
            variant.globals.update(self.globals)
            self._variants[newline] = variant
        return variant

    def compile_source(self, source: str, name: str) -> jinja2.Template:
        """Compile ``source`` once; syntax errors become ``SkeletonError`` at ``name``.

        The line-ending style of ``source`` picks the newline sequence, so CRLF and
        CR files render with their own endings (mixed endings are refused).
        """
        env = self.for_newline(newline_sequence_for(source, name))
        key = (source, name)
        template = env._compiled.get(key)
        if template is None:
            from mlscaffold.render.codecache import cached_code

            try:
                # name=None: jinja embeds the name unescaped in generated code
                code = cached_code(
                    env,
                    source,
                    name,
                    lambda: env.compile(source, name=None, filename=name),
                )
            except jinja2.TemplateSyntaxError as exc:
                raise SkeletonError(
                    f"template syntax error: {exc.message}",
                    source=Location(name, exc.lineno),
                    line_text=line_text(source, exc.lineno),
                ) from exc
            template = env.template_class.from_code(env, code, env.make_globals(None))
            if len(env._compiled) >= _CACHE_LIMIT:
                env._compiled.clear()
            env._compiled[key] = template
        return template


def _filter(
    name: str, func: Callable[..., Any], *, wrap_errors: bool = True
) -> Callable[..., Any]:
    """Adapt a JS-style filter: undefined in and out, Backstage's failure message."""

    @pass_environment
    def run(
        environment: jinja2.Environment, value: Any, *args: Any, **kwargs: Any
    ) -> Any:
        plain = [
            js.JS_UNDEFINED if isinstance(v, Undefined) else v for v in (value, *args)
        ]
        try:
            result = func(*plain, **kwargs)
        except RenderError as exc:
            if not wrap_errors:
                raise
            raise RenderError(
                f'Template filter "{name}" failed: {exc.message}'
            ) from exc
        return environment.undefined(name=name) if result is js.JS_UNDEFINED else result

    run.__name__ = name
    return run


# -------------------------------------------------------------- rendering


def render_string(
    env: BackstageEnvironment, source: str, context: Mapping[str, Any], *, name: str
) -> str:
    """Render ``source`` as Backstage renders one file or path.

    Args:
        env: The environment (see ``BackstageEnvironment``).
        source: Template text, read with ``newline=''`` so line endings are intact.
        context: Usually ``{"values": ...}``.
        name: Skeleton-relative path, used in error locations.

    Raises:
        SkeletonError: Syntax error or mixed line endings.
        RenderError: Failure while rendering (filter, sandbox, calling undefined).
    """
    template = env.compile_source(source, name)
    return run_template(template, context, source=source, name=name)


def lone_expression(env: BackstageEnvironment, source: str) -> str | None:
    """The expression of a string that is exactly one ``${{ expr }}``, else None.

    Mirrors Backstage's single-template-string test: the whole string parses to one
    output node without any literal text around it.
    """
    if not source.startswith("${{") or not source.endswith("}}"):
        return None
    try:
        body = env.parse(source).body
    except jinja2.TemplateSyntaxError:
        return None
    if len(body) != 1 or not isinstance(body[0], nodes.Output):
        return None
    parts = body[0].nodes
    if len(parts) != 1 or isinstance(parts[0], nodes.TemplateData):
        return None
    inner = source[3:-2]
    inner = inner[1:] if inner[:1] in "-+" else inner
    return inner[:-1] if inner[-1:] == "-" else inner


def evaluate_lone_expression(
    env: BackstageEnvironment, expression: str, context: Mapping[str, Any], *, name: str
) -> Any:
    """Evaluate one expression to its native value (``Undefined`` when missing).

    Args:
        env: The environment.
        expression: The text between ``${{`` and ``}}`` (see ``lone_expression``).
        context: Names visible to the expression.
        name: Where the expression comes from, for error locations.

    Raises:
        SkeletonError: The expression does not parse.
        RenderError: Evaluation failed.
    """
    source = "${{" + expression + "}}"
    compiled = env._expressions.get(expression)
    if compiled is None:
        try:
            compiled = env.compile_expression(expression, undefined_to_none=False)
        except jinja2.TemplateSyntaxError as exc:
            raise SkeletonError(
                f"template syntax error: {exc.message}",
                source=Location(name, exc.lineno),
                line_text=source,
            ) from exc
        if len(env._expressions) >= _CACHE_LIMIT:
            env._expressions.clear()
        env._expressions[expression] = compiled
    try:
        return compiled(**context)
    except Exception as exc:
        raise render_error(exc, source, name) from exc
