"""Validate the golden matrix against the pinned upstream CRDs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mlscaffold.pytest_plugin import MlscaffoldSettings


@pytest.fixture(scope="session")
def mlscaffold_settings(
    mlscaffold_settings: MlscaffoldSettings, shared_crds: Path
) -> MlscaffoldSettings:
    return dataclasses.replace(mlscaffold_settings, crd_dirs=(shared_crds,))
