"""Expression checks of the skeleton linter: calls, lookups, filters, tests, names."""

from __future__ import annotations

from jinja2 import nodes

from mlscaffold.lint.portable import (
    BACKSTAGE_CONTEXTS,
    DIFFERING_FILTERS,
    GITHUB_CONTEXTS,
    JINJA_ONLY_GLOBALS,
    KNOWN_ROOTS,
    LOOP_ATTRS,
    METHOD_ADVICE,
    PORTABLE_FILTERS,
    PORTABLE_METHODS,
    PORTABLE_TESTS,
    Contract,
    Hit,
    Tokens,
    chain,
    is_nullish,
    missing_key,
    mixed,
)


class VisitorBase:
    """Walks a template AST, one ``visit_<Node>`` per node type; records Hits."""

    def __init__(
        self, tokens: Tokens, contract: Contract | None, bound: set[str]
    ) -> None:
        self.tokens = tokens
        self.contract = contract
        self.bound = bound
        self.hits: set[Hit] = set()

    def add(self, rule: str, node: nodes.Node, message: str, *needle: str) -> None:
        """Record a hit on the line of ``node``, at the token run ``needle``."""
        line: int | None = getattr(node, "lineno", None)
        col = self.tokens.column(line, *needle) if needle else None
        self.hits.add(Hit(rule, line, col, message))

    def visit(self, node: nodes.Node, in_loop: bool) -> None:
        handler = getattr(self, f"visit_{type(node).__name__}", None)
        if handler is not None:
            handler(node, in_loop)
        else:
            self.children(node, in_loop)

    def children(self, node: nodes.Node, in_loop: bool) -> None:
        for child in node.iter_child_nodes():
            self.visit(child, in_loop)


# Beyond these, a construct may hit the render limits (mlscaffold/render/limits.py).
_SMALL_RANGE = 1000
_SMALL_EXPONENT = 64


def _small(node: nodes.Node, bound: int) -> bool:
    return (
        isinstance(node, nodes.Const)
        and isinstance(node.value, int)
        and abs(node.value) <= bound
    )


class ExpressionVisitor(VisitorBase):
    """Checks expressions: method calls, attribute and item lookups, filters, tests."""

    def visit_Call(self, node: nodes.Call, in_loop: bool) -> None:
        target = node.node
        if isinstance(target, nodes.Getattr) and chain(target)[0] != "loop":
            self._method(node, target.attr)
        if (
            in_loop
            and isinstance(target, nodes.Name)
            and target.name == "range"
            and not all(_small(arg, _SMALL_RANGE) for arg in node.args)
        ):
            self.add(
                "MLS526",
                node,
                "range() inside a loop multiplies the iterations and can pass the "
                f"render limits; keep nested ranges to constants of at most "
                f"{_SMALL_RANGE}",
                "range",
            )
        self.children(node, in_loop)

    def visit_Pow(self, node: nodes.Pow, in_loop: bool) -> None:
        if not _small(node.right, _SMALL_EXPONENT):
            self.add(
                "MLS526",
                node,
                "'**' with a large or computed exponent can build a huge number "
                f"and pass the render limits; use a constant of at most "
                f"{_SMALL_EXPONENT}",
                "**",
            )
        self.children(node, in_loop)

    def _method(self, node: nodes.Call, name: str) -> None:
        if name in PORTABLE_METHODS:
            return
        if name == "items":
            self.add(
                "MLS507",
                node,
                ".items() fails in Backstage; iterate pairs with '| dictsort'",
                "items",
            )
            return
        advice = METHOD_ADVICE.get(name, "a filter from the portable subset")
        self.add(
            "MLS503",
            node,
            f"method call .{name}() is not portable (Python methods fail in Backstage, "
            f"JS methods fail in Jinja2); use {advice}",
            name,
        )

    def visit_Getattr(self, node: nodes.Getattr, in_loop: bool) -> None:
        root, keys = chain(node)
        if isinstance(node.node, nodes.Name) and node.node.name == "loop":
            if node.attr not in LOOP_ATTRS:
                self.add(
                    "MLS508",
                    node,
                    f"loop.{node.attr} does not exist in nunjucks; use loop.index, "
                    "index0, revindex, first, last or length (cycler() for cycling)",
                    node.attr,
                )
        elif node.attr == "length":
            self.add(
                "MLS503",
                node,
                ".length is a JS property that Jinja2 lacks; use '| length'",
                "length",
            )
        if root == "values":
            self._values(node, keys)
        self.children(node, in_loop)

    def visit_Getitem(self, node: nodes.Getitem, in_loop: bool) -> None:
        arg = node.arg
        if isinstance(arg, nodes.Slice):
            self.add(
                "MLS509",
                node,
                "slice syntax x[a:b] is a parse error in nunjucks (Backstage "
                "<= 4.0.2); "
                "pass the sliced value in values or use '| first'/'| last'",
                "[",
            )
        negative = isinstance(arg, nodes.Neg) and isinstance(arg.node, nodes.Const)
        if negative or (
            isinstance(arg, nodes.Const)
            and isinstance(arg.value, int)
            and arg.value < 0
        ):
            self.add(
                "MLS510",
                node,
                "a negative index gives '' in Backstage; use '| last' or '| first'",
                "-",
            )
        root, keys = chain(node)
        if root == "values":
            self._values(node, keys)
        self.children(node, in_loop)

    def _values(self, node: nodes.Node, keys: list[str | None]) -> None:
        """``values.X`` must be passed; literal data must contain the whole path."""
        if self.contract is None or not keys or keys[0] is None:
            return
        passed = self.contract.passed
        if keys[0] not in passed:
            self.add(
                "MLS520",
                node,
                f"values.{keys[0]} is not passed by the fetch:template step's "
                "input.values, so Backstage renders it empty; add it there",
                "values",
                ".",
                keys[0],
            )
            return
        missing = missing_key(passed[keys[0]], keys[1:])
        if missing is not None:
            shown = keys[: missing + 2]
            path = "".join(f".{k}" if k else "[...]" for k in shown)
            needle = ["values"]
            for key in shown:
                needle += [".", key or "?"]
            if None in shown:
                needle = needle[-1:]
            self.add(
                "MLS520",
                node,
                f"values{path} is not in the literal data the template passes, so "
                "Backstage renders it empty",
                *needle,
            )

    def visit_Filter(self, node: nodes.Filter, in_loop: bool) -> None:
        name = node.name
        if name in ("items", "dump", "tojson"):
            self._filter_advice(node, name)
        elif name in DIFFERING_FILTERS:
            self.add(
                "MLS505",
                node,
                f"filter '{name}' renders differently: {DIFFERING_FILTERS[name]}",
                name,
            )
        elif name == "selectattr" and len(node.args) > 1:
            self.add(
                "MLS505",
                node,
                "nunjucks ignores the test arguments of selectattr; use the "
                "one-argument form",
                name,
            )
        elif name not in PORTABLE_FILTERS:
            self.add(
                "MLS504",
                node,
                f"filter '{name}' does not exist in Backstage (or not in Jinja2); use "
                "a filter from the portable subset or compute the value in values",
                name,
            )
        self.children(node, in_loop)

    def _filter_advice(self, node: nodes.Filter, name: str) -> None:
        if name == "items":
            self.add(
                "MLS507",
                node,
                "'| items' does not exist in Backstage; use '| dictsort'",
                name,
            )
        else:
            self.add(
                "MLS504",
                node,
                f"'{name}' exists in only one engine (dump: nunjucks, tojson: Jinja2) "
                "and they format differently; pass the JSON text in values",
                name,
            )

    def visit_Test(self, node: nodes.Test, in_loop: bool) -> None:
        if node.name not in PORTABLE_TESTS:
            self.add(
                "MLS504",
                node,
                f"test 'is {node.name}' does not exist in both engines",
                node.name,
            )
        self.children(node, in_loop)

    def visit_Mod(self, node: nodes.Mod, in_loop: bool) -> None:
        if isinstance(node.left, nodes.Const) and isinstance(node.left.value, str):
            self.add(
                "MLS514",
                node,
                "'%' string formatting gives NaN in Backstage; use ~ or adjacent "
                "outputs",
                "%",
            )
        self.children(node, in_loop)

    def _string_arith(self, node: nodes.BinExpr, op: str) -> None:
        for side in (node.left, node.right):
            if isinstance(side, nodes.Const) and isinstance(side.value, str):
                self.add(
                    "MLS524",
                    node,
                    f"'{op}' on a string differs ('a' + 1 is a1 in Backstage, an error "
                    "in Jinja2; 'ab' * 2 is NaN); use ~ to join strings",
                    op,
                )
                return

    def visit_Add(self, node: nodes.Add, in_loop: bool) -> None:
        self._string_arith(node, "+")
        self.children(node, in_loop)

    def visit_Mul(self, node: nodes.Mul, in_loop: bool) -> None:
        self._string_arith(node, "*")
        self.children(node, in_loop)

    def visit_Concat(self, node: nodes.Concat, in_loop: bool) -> None:
        for part in node.nodes:
            root, keys = chain(part)
            nullable = is_nullish(part) or (
                self.contract is not None
                and root == "values"
                and bool(keys)
                and keys[0] not in self.contract.always_set
            )
            if nullable:
                self.add(
                    "MLS515",
                    part,
                    "'~' with a value that may be null prints 'null' in Backstage and "
                    "'None' in Jinja2; add '| default(\"\", true)'",
                    "~",
                )
        self.children(node, in_loop)

    def visit_Compare(self, node: nodes.Compare, in_loop: bool) -> None:
        left = node.expr
        for operand in node.ops:
            if operand.op in ("eq", "ne") and mixed(left, operand.expr):
                self.add(
                    "MLS518",
                    node,
                    "'=='/'!=' with a non-string literal compares loosely in Backstage "
                    "(1 == '1' and missing == none are true); compare strings, or use "
                    "'is none'/'is defined'",
                    "==" if operand.op == "eq" else "!=",
                )
            left = operand.expr
        self.children(node, in_loop)

    def visit_Name(self, node: nodes.Name, in_loop: bool) -> None:  # noqa: ARG002
        name = node.name
        if node.ctx != "load" or name in KNOWN_ROOTS or name in self.bound:
            return
        if name in JINJA_ONLY_GLOBALS:
            self.add(
                "MLS511",
                node,
                f"{name}() exists only in Jinja2; compute the value in values",
                name,
            )
        elif name in GITHUB_CONTEXTS:
            self.add(
                "MLS519",
                node,
                f"'{name}' is not a skeleton value: Backstage renders it empty. For "
                f"GitHub Actions write ${{{{ '${{{{' }}}} {name}... }}}} or wrap the "
                "lines in {% raw %}...{% endraw %}",
                name,
            )
        elif name in BACKSTAGE_CONTEXTS:
            self.add(
                "MLS519",
                node,
                f"'{name}' is not visible in the skeleton (only values is); pass it "
                "through the fetch:template step's input.values",
                name,
            )
        else:
            self.add(
                "MLS519",
                node,
                f"'{name}' is not defined: Backstage renders it empty (the skeleton "
                "sees only values and loop/set names)",
                name,
            )
