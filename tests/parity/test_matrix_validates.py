"""Every parameter set of the parity matrix renders to a tree that validates clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlscaffold.api import render_project
from mlscaffold.report.model import Severity
from mlscaffold.validate import ValidateOptions, validate_tree

from .test_project_parity import MATRIX


@pytest.mark.parametrize("name", list(MATRIX))
def test_matrix_team_validates_clean(name: str, shared_crds: Path) -> None:
    project = render_project(MATRIX[name])
    # The team repository and the platform change, seen as one team.
    tree = project.combined_tree()
    options = ValidateOptions(crd_dirs=(shared_crds,), kubeconform="off")
    report = validate_tree(tree, options=options)
    # Schemas, Pod Security, placement and cross-resource rules: not even a warning.
    assert [str(f) for f in report.at_least(Severity.WARNING)] == []
    team = project.params.team
    assert {
        "deploy/workflowtemplate.yaml",
        f"platform/teams/{team}/application.yaml",
        f"platform/teams/{team}/resourcequota.yaml",
    } <= set(report.checked)
