"""Registry of rule ids: what each one checks and how severe it is by default."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

from mlscaffold.report.model import Severity

__all__ = ["RuleInfo", "all_rules", "rule_info", "rule_table"]


@dataclass(frozen=True)
class RuleInfo:
    """Metadata about one rule id, shown by the reporters (SARIF ``rules``).

    Attributes:
        id: Stable rule id, e.g. ``MLS101``. Ranges: MLS1xx schema, MLS2xx policy,
            MLS3xx kubeconform, MLS4xx cross-resource, MLS5xx template lint.
        short: One-line description of what the rule checks (no trailing period).
        severity: Severity a finding of this rule has unless the checker says otherwise.
        help: Longer advice: why it matters and what to write instead.
        tool: Checker that owns the rule (``schema``, ``policy``, ``lint``...).
    """

    id: str
    short: str
    severity: Severity = Severity.ERROR
    help: str = ""
    tool: str = "mlscaffold"


def all_rules() -> Mapping[str, RuleInfo]:
    """Every rule mlscaffold reports, by id, in id order.

    The checkers own their rule tables; this is the one place that gathers them,
    so no registry depends on which module happened to be imported first.

    Raises:
        ValueError: Two checkers claim the same id (a programming error).
    """
    return _registry()


@cache
def _registry() -> dict[str, RuleInfo]:
    from mlscaffold.lint import LINT_RULES
    from mlscaffold.validate.crossref import CROSSREF_RULES
    from mlscaffold.validate.policy import POLICY_RULES
    from mlscaffold.validate.schema.apiserver import APISERVER_RULES
    from mlscaffold.validate.schema.cel import CEL_RULES
    from mlscaffold.validate.schema.check import SCHEMA_RULES
    from mlscaffold.validate.schema.kubeconform import KUBECONFORM_RULES

    rules: dict[str, RuleInfo] = {}
    for table in (
        SCHEMA_RULES,
        APISERVER_RULES,
        CEL_RULES,
        POLICY_RULES,
        KUBECONFORM_RULES,
        CROSSREF_RULES,
        LINT_RULES,
    ):
        for rule in table.values():
            if rule.id in rules:
                raise ValueError(f"rule id {rule.id} is claimed twice")
            rules[rule.id] = rule
    return dict(sorted(rules.items()))


def rule_table(
    tool: str, rows: Iterable[tuple[str, Severity, str]]
) -> dict[str, RuleInfo]:
    """A checker's rule table from ``(id, severity, short)`` rows.

    Args:
        tool: The checker that owns the rules.
        rows: One row per rule.
    """
    return {
        rule_id: RuleInfo(rule_id, short, severity, tool=tool)
        for rule_id, severity, short in rows
    }


def rule_info(rule_id: str, severity: Severity | None = None) -> RuleInfo:
    """Metadata for ``rule_id``, or a neutral stand-in when no checker owns it.

    Args:
        rule_id: The id a finding carries.
        severity: Default severity for the stand-in (the finding's own severity is a
            sensible guess); ignored for known rules.

    Returns:
        The known :class:`RuleInfo`, or one whose short description is the id.
    """
    known = _registry().get(rule_id)
    if known is not None:
        return known
    return RuleInfo(id=rule_id, short=rule_id, severity=severity or Severity.WARNING)
