"""Jinja AST checks for skeleton constructs outside the portable subset."""

from __future__ import annotations

import jinja2
from jinja2 import nodes

from mlscaffold.lint._expressions import ExpressionVisitor
from mlscaffold.lint.portable import (
    Contract,
    Hit,
    Tokens,
    bound_names,
    chain,
    is_nullish,
    syntax_hit,
)

__all__ = ["check_source"]


def check_source(
    env: jinja2.Environment, source: str, contract: Contract | None = None
) -> list[Hit]:
    """Parse ``source`` (never render it) and report non-portable constructs.

    Args:
        env: Environment with Backstage's delimiters (``${{ }}``, ``{% %}``, ``{# #}``).
        source: A skeleton file's text or one path component.
        contract: What the template passes as ``values``; None skips the checks
            that need it (``values.X`` never passed, concatenation with null).

    Returns:
        Hits sorted by line and column, without duplicates.
    """
    try:
        tree = env.parse(source)
    except jinja2.TemplateSyntaxError as err:
        return [syntax_hit(err, source)]
    tokens = Tokens(env, source)
    visitor = _Visitor(tokens, contract, bound_names(tree))
    visitor.visit(tree, in_loop=False)
    for line, value, col in tokens.names():
        if value in ("True", "False", "None"):
            visitor.hits.add(
                Hit(
                    "MLS517",
                    line,
                    col,
                    f"'{value}' is an undefined variable in Backstage (renders empty); "
                    f"write '{value.lower()}'",
                )
            )
    return sorted(visitor.hits, key=lambda h: (h.line or 0, h.column or 0, h.rule))


class _Visitor(ExpressionVisitor):
    """Adds the statement checks: loops, assignments, tags and printed values."""

    def visit_For(self, node: nodes.For, in_loop: bool) -> None:
        pairs = isinstance(node.iter, nodes.Filter) and node.iter.name == "dictsort"
        if isinstance(node.target, nodes.Tuple) and not pairs:
            self.add(
                "MLS507",
                node,
                "'for k, v in obj' iterates a dict only in nunjucks (Jinja2 needs "
                ".items(), which Backstage lacks); write 'for k, v in obj | dictsort'",
                "for",
            )
        if node.test is not None:
            self.add(
                "MLS513",
                node,
                "'{% for x in xs if cond %}' renders nothing in Backstage; put an "
                "'{% if cond %}' inside the loop, or use '| select'/'| selectattr'",
                "for",
            )
        if node.recursive:
            self.add(
                "MLS512", node, "recursive loops exist only in Jinja2", "recursive"
            )
        self.visit(node.iter, in_loop)
        if node.test is not None:
            self.visit(node.test, True)
        for child in node.body:
            self.visit(child, True)
        for child in node.else_:
            self.visit(child, in_loop)

    def visit_Assign(self, node: nodes.Assign, in_loop: bool) -> None:
        self._assign(node, node.target, in_loop)
        self.visit(node.node, in_loop)

    def visit_AssignBlock(self, node: nodes.AssignBlock, in_loop: bool) -> None:
        self._assign(node, node.target, in_loop)
        for child in node.body:
            self.visit(child, in_loop)

    def _assign(self, node: nodes.Node, target: nodes.Node, in_loop: bool) -> None:
        if isinstance(target, nodes.NSRef):
            self.add(
                "MLS511",
                node,
                f"'{{% set {target.name}.{target.attr} %}}' (namespace) is a syntax "
                "error in nunjucks; compute the value in the template's values",
                "set",
            )
        if in_loop:
            self.add(
                "MLS506",
                node,
                "'{% set %}' inside a for loop leaks out of the loop in Backstage but "
                "not in Jinja2; compute the value before the loop or in values",
                "set",
            )

    def _tag(self, node: nodes.Node, in_loop: bool, tag: str) -> None:
        self.add(
            "MLS512",
            node,
            f"'{{% {tag} %}}' is not in the portable subset (Backstage renders one "
            "file at a time, without it); inline the content or use '{% set %}'",
            tag,
        )
        self.children(node, in_loop)

    def visit_With(self, node: nodes.With, in_loop: bool) -> None:
        self._tag(node, in_loop, "with")

    def visit_Include(self, node: nodes.Include, in_loop: bool) -> None:
        self._tag(node, in_loop, "include")

    def visit_Import(self, node: nodes.Import, in_loop: bool) -> None:
        self._tag(node, in_loop, "import")

    def visit_FromImport(self, node: nodes.FromImport, in_loop: bool) -> None:
        self._tag(node, in_loop, "from")

    def visit_Extends(self, node: nodes.Extends, in_loop: bool) -> None:
        self._tag(node, in_loop, "extends")

    def visit_ScopedEvalContextModifier(
        self, node: nodes.ScopedEvalContextModifier, in_loop: bool
    ) -> None:
        self._tag(node, in_loop, "autoescape")

    def visit_Output(self, node: nodes.Output, in_loop: bool) -> None:
        for child in node.nodes:
            if not isinstance(child, nodes.TemplateData):
                self._printed(child)
            self.visit(child, in_loop)

    def _printed(self, expr: nodes.Node, in_concat: bool = False) -> None:
        """Warn when an output prints a boolean, None or a float."""
        if isinstance(expr, nodes.CondExpr):
            for branch in (expr.expr1, expr.expr2):
                if branch is not None:
                    self._printed(branch, in_concat)
            return
        if isinstance(expr, nodes.Concat):
            for part in expr.nodes:
                self._printed(part, in_concat=True)
            return
        what = _print_kind(expr)
        if what and not (in_concat and is_nullish(expr)):
            self.add(
                "MLS516",
                expr,
                f"this output prints {what}; print strings, e.g. "
                "${{ 'true' if cond else 'false' }}",
            )


def _print_kind(expr: nodes.Node) -> str | None:
    """What non-string an expression prints, when the engines print it differently."""
    if isinstance(expr, (nodes.Compare, nodes.Test, nodes.Not)):
        return "a comparison or test, which prints true/false vs True/False"
    if isinstance(expr, nodes.Const) and isinstance(expr.value, bool):
        return "a boolean, which prints true/false vs True/False"
    if is_nullish(expr):
        return "none, which prints '' vs 'None'"
    if isinstance(expr, nodes.Const) and isinstance(expr.value, float):
        return "a float, which prints in JS form (1 vs 1.0)"
    if isinstance(expr, nodes.Div):
        return "a division, which prints 3 vs 3.0"
    if chain(expr) in (("loop", ["first"]), ("loop", ["last"])):
        return "a loop flag, which prints true/false vs True/False"
    return None
