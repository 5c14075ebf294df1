"""Hypothesis profiles for the property tests, and how many examples ran."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, settings

from tests.property.examples import EXAMPLES

# `ci` keeps the whole property suite well under two minutes on a 2-core runner;
# `thorough` is for a local hunt. derandomize: CI failures reproduce exactly.
settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    # The explain phase traces coverage of failing cases: minutes on this suite.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "thorough",
    max_examples=1000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = os.environ.get("MLSCAFFOLD_HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not EXAMPLES:
        return
    terminalreporter.write_sep("-", "hypothesis examples")
    for name, count in sorted(EXAMPLES.items()):
        terminalreporter.write_line(f"{name}: {count}")
    terminalreporter.write_line(
        f"total: {sum(EXAMPLES.values())} examples "
        f"(profile {PROFILE}, max_examples={settings().max_examples} per test)"
    )
