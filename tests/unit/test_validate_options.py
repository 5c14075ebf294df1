"""Validation options are checked when they are built, not when a checker runs."""

from __future__ import annotations

import pytest

from mlscaffold.validate import ValidateOptions, kubeconform_mode


def test_every_mode_is_accepted() -> None:
    for mode in ("auto", "off", "require"):
        assert ValidateOptions(kubeconform=kubeconform_mode(mode)).kubeconform == mode


def test_an_unknown_mode_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="'sometimes' is not one of: auto, off"):
        ValidateOptions(kubeconform="sometimes")  # type: ignore[arg-type]
