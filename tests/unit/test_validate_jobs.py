"""validate_paths(jobs=N) and `validate -j N`: the same report as one process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlscaffold.api import render_project
from mlscaffold.cli import main
from mlscaffold.render.write import write_tree
from mlscaffold.report.model import Report
from mlscaffold.validate import ValidateOptions, validate_paths
from mlscaffold.validate.crossref.team import split_teams
from mlscaffold.validate.documents import parse_documents
from mlscaffold.validate.inputs import find_manifests
from mlscaffold.validate.parallel import team_units, validate_parallel

TEAMS = ("alpha", "beta", "gamma", "delta", "omega")


def params(team: str) -> dict[str, Any]:
    return {
        "team": team,
        "owner": f"group:default/{team}",
        "repoUrl": f"github.com?owner=acme&repo={team}-ml",
        "modelName": "ranker",
        "maturity": "L3",
    }


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    """Five rendered teams, with a schema, a parse and a cross-team queue error."""
    root = tmp_path / "fleet"
    for team in TEAMS:
        write_tree(render_project(params(team)).combined_tree(), root / team)
    edit(
        root / "alpha/platform/teams/alpha/localqueue.yaml",
        'clusterQueue: "ml-shared"',
        'clusterQueue: "ml-shared"\n  bogusField: 1',
    )
    # beta's pipeline pods name alpha's queue: unknown within beta's tree (MLS406).
    edit(
        root / "beta/deploy/cronworkflow.yaml",
        'kueue.x-k8s.io/queue-name: "beta-queue"',
        'kueue.x-k8s.io/queue-name: "alpha-queue"',
    )
    (root / "gamma/deploy/broken.yaml").write_text("a: [b\n", encoding="utf-8")
    return root


@pytest.fixture
def options(shared_crds: Path) -> ValidateOptions:
    return ValidateOptions(crd_dirs=(shared_crds,), kubeconform="off")


def manifests(root: Path) -> dict[str, Path]:
    """The files validate_paths finds below ``root``, in its order."""
    return find_manifests([root])[0]


def everything(report: Report) -> tuple[object, ...]:
    """All of a report, also what Finding equality ignores, and the key order."""
    findings = [(f, f.severity, f.source, f.tool) for f in report.findings]
    return findings, report.checked, list(report.skipped.items())


def test_two_jobs_give_the_one_job_report(
    fleet: Path, options: ValidateOptions
) -> None:
    serial = validate_paths([fleet], options=options)
    parallel = validate_paths([fleet], options=options, jobs=2)
    assert everything(parallel) == everything(serial)
    rules = {
        (f.rule, f.rendered.path.split("/fleet/")[1].split("/")[0])
        for f in serial.findings
    }
    assert ("MLS101", "alpha") in rules
    assert ("MLS406", "beta") in rules
    assert any(f.rule == "MLS111" for f in serial.findings)
    # Noted once per run, though every process sees those kinds.
    notes = [f.message for f in serial.findings if f.rule == "MLS122"]
    assert notes
    assert len(notes) == len(set(notes))


def test_the_teams_really_are_checked_apart(
    fleet: Path, options: ValidateOptions
) -> None:
    found = manifests(fleet)
    report = validate_parallel(found, options, jobs=2)
    assert report is not None
    assert everything(report) == everything(validate_paths([fleet], options=options))


def test_units_are_the_teams_the_cross_resource_rules_see(fleet: Path) -> None:
    paths = [path for path in manifests(fleet) if not path.endswith("broken.yaml")]
    docs = [
        doc
        for path in paths
        for doc in parse_documents(Path(path).read_text(encoding="utf-8"), path)
        if doc.is_kubernetes
    ]
    anchors = [doc.path for doc in docs if doc.kind == "Namespace"]
    # Files without objects (catalog-info.yaml) go with their folder's team.
    with_objects = {doc.path for doc in docs}
    units = [
        {paths[i] for i in unit if paths[i] in with_objects}
        for unit in team_units(paths, anchors)
    ]
    teams = [{doc.path for doc in team} for team in split_teams(docs)]
    assert len(units) == len(TEAMS)
    assert sorted(map(sorted, units)) == sorted(map(sorted, teams))


def test_teams_side_by_side_are_one_unit() -> None:
    paths = ["all/a-ns.yaml", "all/b-ns.yaml", "all/a-queue.yaml"]
    assert team_units(paths, ["all/a-ns.yaml", "all/b-ns.yaml"]) == [[0, 1, 2]]
    assert team_units(paths, ["all/a-ns.yaml"]) == [[0, 1, 2]]
    assert team_units([], []) == []


def test_a_file_above_one_team_joins_that_team() -> None:
    paths = ["t/a/extra.yaml", "t/a/deploy/ns.yaml", "t/b/ns.yaml", "t/b/x.yaml"]
    anchors = ["t/a/deploy/ns.yaml", "t/b/ns.yaml"]
    assert team_units(paths, anchors) == [[0, 1], [2, 3]]
    # A file beside both teams is matched by namespace name: no safe split.
    assert team_units([*paths, "t/shared.yaml"], anchors) == [[0, 1, 2, 3, 4]]


def test_a_wrong_guess_falls_back_to_one_process(
    fleet: Path, options: ValidateOptions
) -> None:
    # Looks like a Namespace to the quick scan, but has no apiVersion: not an
    # object. So the RoleBinding beside it belongs to beta by its namespace, and
    # only beside beta's service accounts is its unknown one found (MLS411).
    extra = fleet / "extra"
    extra.mkdir()
    (extra / "ns.yaml").write_text(
        "kind: Namespace\nmetadata:\n  name: extra\n", encoding="utf-8"
    )
    (extra / "rb.yaml").write_text(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n"
        "metadata:\n  name: x\n  namespace: beta-ml\n"
        "roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n"
        "  name: r\nsubjects:\n  - kind: ServiceAccount\n    name: ghost\n",
        encoding="utf-8",
    )
    found = manifests(fleet)
    assert validate_parallel(found, options, jobs=2) is None
    serial = validate_paths([fleet], options=options)
    assert ("MLS411", "extra") in {
        (f.rule, f.rendered.path.split("/")[-2]) for f in serial.findings
    }
    parallel = validate_paths([fleet], options=options, jobs=2)
    assert everything(parallel) == everything(serial)


def test_cli_jobs_gives_the_same_output(
    fleet: Path, shared_crds: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = []
    for jobs in ("1", "2"):
        args = ["validate", str(fleet), "--crds", str(shared_crds)]
        args += ["--kubeconform", "off", "--output", "json", "-j", jobs]
        with pytest.raises(SystemExit) as caught:
            main(args)
        assert caught.value.code == 1
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[1])
