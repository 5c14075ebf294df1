"""Cross-resource rules on many teams at once, and the platform facts they get."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from mlscaffold.report.model import Finding, Severity
from mlscaffold.settings import shipped_platform
from mlscaffold.validate import ValidateOptions, validate_paths
from mlscaffold.validate.crossref import check_cross_resources
from mlscaffold.validate.crossref.team import split_teams
from mlscaffold.validate.documents import Document, parse_documents

TESTS = Path(__file__).resolve().parents[1]
VALID = TESTS / "data" / "manifests" / "policy-valid"
CASES = TESTS / "invalid" / "manifests" / "crossref"


def team_files(team: str, overlay: Path | None = None) -> dict[str, str]:
    """The valid tree renamed for ``team`` (files relative to the tree root)."""
    roots = [VALID] + ([overlay] if overlay else [])
    files = {
        p.relative_to(root).as_posix(): p.read_text()
        for root in roots
        for p in root.rglob("*.yaml")
        if p.name not in ("_case.yaml", "catalog-info.yaml", "answers.yaml")
    }
    return {rel: text.replace("vision", team) for rel, text in files.items()}


def fleet(teams: dict[str, Path | None], *, flat: bool = False) -> list[Document]:
    docs: list[Document] = []
    for team, overlay in teams.items():
        for rel, text in sorted(team_files(team, overlay).items()):
            folder, name = rel.rsplit("/", 1)
            # flat: every team's files share deploy/ and argocd/ (no team folders).
            path = f"{folder}/{team}-{name}" if flat else f"fleet/{team}/{rel}"
            docs += parse_documents(text, path)
    return docs


def serious(findings: list[Finding]) -> list[tuple[str, str]]:
    return sorted(
        (f.rule, f.rendered.path) for f in findings if f.severity >= Severity.WARNING
    )


def test_one_namespace_or_none_is_one_project() -> None:
    docs = fleet({"a": None})
    assert split_teams(docs) == [docs]
    no_namespace = [d for d in docs if d.kind != "Namespace"]
    assert split_teams(no_namespace) == [no_namespace]
    assert split_teams([]) == []


@pytest.mark.parametrize("flat", [False, True], ids=["folders", "flat"])
def test_teams_are_grouped_by_folder_else_by_namespace(flat: bool) -> None:
    docs = fleet({"a": None, "b": None, "c": None}, flat=flat)
    groups = split_teams(docs)
    assert len(groups) == 3
    for group in groups:
        namespaces = {d.name for d in group if d.kind == "Namespace"}
        assert len(namespaces) == 1
        teams = {
            d.path.rsplit("/", 1)[1].split("-")[0] if flat else d.path.split("/")[1]
            for d in group
        }
        assert namespaces == {f"{team}-ml" for team in teams}


@pytest.mark.parametrize("flat", [False, True], ids=["folders", "flat"])
def test_valid_teams_side_by_side_stay_clean(flat: bool) -> None:
    # One team's serving pods or queues never count for another team's quota.
    docs = fleet({f"t{i}": None for i in range(4)}, flat=flat)
    assert serious(check_cross_resources(docs, argocd_namespace="argocd")) == []


@pytest.mark.parametrize(
    ("case", "rule"),
    [
        ("mls401-localqueue-other-namespace", "MLS401"),
        ("mls404-application-destination-elsewhere", "MLS404"),
        ("mls406-queue-label-other-queue", "MLS406"),
        ("mls409-serving-over-quota", "MLS409"),
    ],
)
def test_a_broken_team_in_a_fleet_is_found_alone(case: str, rule: str) -> None:
    docs = fleet({"a": None, "b": CASES / case, "c": None})
    hits = serious(check_cross_resources(docs, argocd_namespace="argocd"))
    assert hits, f"{rule} not found in a fleet"
    assert {r for r, _ in hits} == {rule}
    assert all(path.startswith("fleet/b/") for _, path in hits)


def test_shipped_platform_is_read_once() -> None:
    assert shipped_platform() is shipped_platform()
    assert shipped_platform().argocd_namespace == "argocd"


def test_options_platform_reaches_the_rules(shared_crds: Path) -> None:
    base = ValidateOptions(crd_dirs=[shared_crds], kubeconform="off")
    assert "MLS403" not in {
        f.rule for f in validate_paths([VALID], options=base).findings
    }
    shipped = shipped_platform()
    gitops = replace(shipped, argocd_namespace="gitops")
    report = validate_paths([VALID], options=replace(base, platform=gitops))
    assert "MLS403" in {f.rule for f in report.findings}
