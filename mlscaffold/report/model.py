"""The Finding and Report data model shared by every validator."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from mlscaffold.errors import Location


class Severity(enum.IntEnum):
    """How bad a finding is; ordered so ``>=`` compares against ``--fail-on``."""

    INFO = 10
    WARNING = 20
    ERROR = 30

    def __str__(self) -> str:
        """Lower-case name, as shown in reports."""
        return self.name.lower()


@dataclass(frozen=True, order=True)
class Finding:
    """One problem (or note) about one place in the rendered output.

    Attributes:
        rendered: Where in the rendered output (path relative to the tree root).
        rule: Stable rule id, e.g. ``MLS101``; a retired id is never reused.
        severity: ERROR, WARNING or INFO.
        message: One sentence: what is wrong and what to do.
        source: Where in the skeleton it came from, when known.
        tool: Which checker produced it (``schema``, ``policy``, ``kubeconform``...).
    """

    rendered: Location
    rule: str
    severity: Severity = field(compare=False)
    message: str
    source: Location | None = field(default=None, compare=False)
    tool: str = field(default="mlscaffold", compare=False)

    def __str__(self) -> str:
        """``path:line:col: severity RULE message``, skeleton place in brackets."""
        level = "note" if self.severity is Severity.INFO else str(self.severity)
        text = f"{self.rendered}: {level} {self.rule} {self.message}"
        if self.source is not None:
            text += f" [skeleton {self.source}]"
        return text


@dataclass
class Report:
    """Findings from every checker, merged and sorted, plus what was checked or skipped.

    Attributes:
        findings: All findings, kept sorted by location then rule.
        checked: Paths of files that were checked.
        skipped: Checkers that did not run, with the reason (e.g. kubeconform absent).
        ran: Checkers that ran, with what they covered (e.g. ``cel``: rule counts).
        schemas: Where each kind's schema came from, ``"<kind> <apiVersion>"`` ->
            origin and version (e.g. ``shipped Kueue v0.19.2``).
    """

    findings: list[Finding] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    ran: dict[str, str] = field(default_factory=dict)
    schemas: dict[str, str] = field(default_factory=dict)

    def extend(self, findings: Iterable[Finding]) -> None:
        """Add findings and keep the list sorted and free of exact duplicates."""
        merged = set(self.findings)
        merged.update(findings)
        self.findings = sorted(merged, key=_sort_key)

    def at_least(self, severity: Severity) -> list[Finding]:
        """Findings whose severity is ``severity`` or worse."""
        return [f for f in self.findings if f.severity >= severity]

    @property
    def ok(self) -> bool:
        """True when no finding is an error."""
        return not self.at_least(Severity.ERROR)


def _sort_key(finding: Finding) -> tuple[str, int, int, str, str]:
    loc = finding.rendered
    return (loc.path, loc.line or 0, loc.column or 0, finding.rule, finding.message)
