"""Findings as data, the Report that merges them, and the reporters that print them."""

from __future__ import annotations

from mlscaffold.report.model import Finding, Report, Severity

__all__ = ["Finding", "Report", "Severity"]
