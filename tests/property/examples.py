"""How many examples each property test ran (reported by conftest.py)."""

from __future__ import annotations

from collections import Counter

EXAMPLES: Counter[str] = Counter()
