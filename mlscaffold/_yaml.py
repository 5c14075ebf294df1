"""YAML loading with libyaml's C parser when PyYAML has it (about 15x faster)."""

from __future__ import annotations

from typing import Any

import yaml

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

__all__ = ["safe_load"]


def safe_load(text: str | bytes) -> Any:
    """``yaml.safe_load`` on the C parser: the same data, a fraction of the time.

    The shipped parameter schema and platform settings are parsed on every render;
    with the pure-Python parser that alone took longer than rendering the skeleton.
    """
    return yaml.load(text, Loader=_Loader)
