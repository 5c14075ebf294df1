"""Regressions for bugs the property tests found."""

from __future__ import annotations

from pathlib import Path

from mlscaffold.api import render_project
from mlscaffold.errors import ParamsError
from mlscaffold.validate import ValidateOptions, validate_tree

BASE = {
    "team": "recs",
    "owner": "group:default/recs",
    "repoUrl": "github.com?owner=acme&repo=recs",
    "modelName": "ranker",
    "maturity": "L3",
}


def test_accepted_cron_schedule_validates(shared_crds: Path) -> None:
    # The schema once allowed '#', which Argo's CronWorkflow schedule pattern refuses.
    params = {**BASE, "retrainSchedule": "0 0 * * 1#2"}
    try:
        tree = render_project(params).tree
    except ParamsError:
        return  # refused up front: as good as valid output
    options = ValidateOptions(crd_dirs=(shared_crds,), kubeconform="off")
    report = validate_tree(tree, options=options)

    assert report.ok, "\n".join(map(str, report.findings))
