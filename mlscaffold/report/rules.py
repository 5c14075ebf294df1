"""Registry of rule ids: what each one checks and how severe it is by default."""

from __future__ import annotations

from dataclasses import dataclass

from mlscaffold.report.model import Severity

__all__ = ["RULES", "RuleInfo", "register_rules", "rule_info"]


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


RULES: dict[str, RuleInfo] = {}
"""Every registered rule, by id. Filled at import time by the checker modules."""


def register_rules(*rules: RuleInfo) -> None:
    """Add rules to :data:`RULES`.

    Registering the same rule twice with identical metadata is a no-op, so a module
    may be imported (or reloaded) more than once.

    Args:
        *rules: The rules to add.

    Raises:
        ValueError: An id is already registered with different metadata; rule ids
            are never reused for another meaning.
    """
    for rule in rules:
        known = RULES.get(rule.id)
        if known is not None and known != rule:
            raise ValueError(f"rule id {rule.id} is already registered as {known!r}")
        RULES[rule.id] = rule


def rule_info(rule_id: str, severity: Severity | None = None) -> RuleInfo:
    """Metadata for ``rule_id``, or a neutral stand-in when nobody registered it.

    Args:
        rule_id: The id a finding carries.
        severity: Default severity for the stand-in (the finding's own severity is a
            sensible guess); ignored for registered rules.

    Returns:
        The registered :class:`RuleInfo`, or one whose short description is the id.
    """
    known = RULES.get(rule_id)
    if known is not None:
        return known
    return RuleInfo(id=rule_id, short=rule_id, severity=severity or Severity.WARNING)
