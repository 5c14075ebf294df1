"""Workload identity: each provider in platform.yaml renders a valid team."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from mlscaffold._data import schema_file
from mlscaffold.api import ProjectRenderer
from mlscaffold.report.model import Severity
from mlscaffold.settings import load_platform
from mlscaffold.validate import ValidateOptions, validate_tree

TEAM = {
    "team": "recs",
    "owner": "group:default/recs",
    "repoUrl": "github.com?owner=acme&repo=recs-ml",
    "modelName": "ranker",
}
# provider -> (ServiceAccount annotation, value for the serving account)
ANNOTATIONS = {
    "aws-irsa": (
        "eks.amazonaws.com/role-arn",
        "arn:aws:iam::123456789012:role/ml-recs-serving",
    ),
    "gke-workload-identity": (
        "iam.gke.io/gcp-service-account",
        "ml-recs-serving@acme-ml.iam.gserviceaccount.com",
    ),
    "azure-workload-identity": (
        "azure.workload.identity/client-id",
        "00000000-0000-0000-0000-000000000000",
    ),
}


def _render(
    tmp_path: Path, provider: str, crds: Path
) -> dict[str, list[dict[str, Any]]]:
    raw = yaml.safe_load(schema_file("platform.yaml").read_text(encoding="utf-8"))
    raw["identity"]["provider"] = provider
    path = tmp_path / "platform.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    platform = load_platform(path)
    tree = ProjectRenderer(platform=platform).render(TEAM).combined_tree()
    report = validate_tree(
        tree,
        options=ValidateOptions(crd_dirs=(crds,), platform=platform, kubeconform="off"),
    )
    assert [str(f) for f in report.findings if f.severity >= Severity.WARNING] == []
    return {
        rel.rsplit("/", 1)[-1]: list(yaml.safe_load_all(entry.text))
        for rel, entry in tree.files()
        if rel.startswith(("deploy/", "platform/"))
    }


@pytest.mark.parametrize(
    "provider",
    [
        "aws-irsa",
        "aws-pod-identity",
        "gke-workload-identity",
        "azure-workload-identity",
        "secrets",
    ],
)
def test_each_workload_has_its_own_identity(
    tmp_path: Path, provider: str, shared_crds: Path
) -> None:
    files = _render(tmp_path, provider, shared_crds)
    accounts = {
        d["metadata"]["name"]: d
        for d in files["rbac.yaml"]
        if d["kind"] == "ServiceAccount"
    }
    assert set(accounts) == {"recs-pipeline", "recs-serving"}
    (isvc,) = files["inferenceservice.yaml"]
    predictor = isvc["spec"]["predictor"]
    assert predictor["serviceAccountName"] == "recs-serving"
    (workflow,) = files["workflowtemplate.yaml"]
    assert workflow["spec"]["serviceAccountName"] == "recs-pipeline"
    serving = accounts["recs-serving"]
    if provider in ANNOTATIONS:
        key, value = ANNOTATIONS[provider]
        assert serving["metadata"]["annotations"] == {key: value}
        pipeline = accounts["recs-pipeline"]["metadata"]["annotations"][key]
        assert pipeline == value.replace("serving", "pipeline")
    else:
        assert "annotations" not in serving["metadata"]
    azure = provider == "azure-workload-identity"
    use = "azure.workload.identity/use"
    assert (use in predictor["labels"]) == azure
    assert (use in workflow["spec"]["podMetadata"]["labels"]) == azure
    steps = {
        t["name"]: t.get("container") or t.get("script")
        for t in workflow["spec"]["templates"]
    }
    env_from = [s.get("envFrom") for name, s in steps.items() if name != "pipeline"]
    if provider == "secrets":
        assert serving["secrets"] == [{"name": "ml-recs-storage"}]
        assert (
            env_from[:3]
            == [
                [
                    {"secretRef": {"name": "ml-recs-storage"}},
                    {"secretRef": {"name": "ml-recs-mlflow"}},
                ]
            ]
            * 3
        )
    else:
        assert "secrets" not in serving
        assert env_from == [None] * 4
    promote = steps["promote"]
    token = next(e for e in promote["env"] if e["name"] == "GIT_TOKEN")
    assert token["valueFrom"]["secretKeyRef"] == {"name": "ml-recs-git", "key": "token"}


def test_an_unknown_provider_is_refused(tmp_path: Path) -> None:
    raw = yaml.safe_load(schema_file("platform.yaml").read_text(encoding="utf-8"))
    raw["identity"]["provider"] = "vault"
    path = tmp_path / "platform.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ValueError, match="identity: provider: 'vault' is not known"):
        load_platform(path)
