"""Pod Security restricted and placement rules, plus the broken-manifest corpus."""
# ruff: noqa: E501  (inline YAML fixtures read better on one line)

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlscaffold.report.model import Finding, Severity
from mlscaffold.settings import SpotCapacity
from mlscaffold.validate import crossref, policy
from mlscaffold.validate.crossref import check_cross_resources
from mlscaffold.validate.documents import Document, parse_documents
from mlscaffold.validate.policy import check_policy
from mlscaffold.validate.schema.store import parse_kube_version

TESTS = Path(__file__).resolve().parents[1]
VALID = TESTS / "data" / "manifests" / "policy-valid"
CORPUS = TESTS / "invalid" / "manifests"
CASES = sorted(
    p.parent
    for group in ("policy", "crossref")
    for p in (CORPUS / group).glob("*/_case.yaml")
)
CASE_KEYS = {"rule": str, "path": str, "line": int, "remove": list, "kube_version": str}
SPOT = SpotCapacity(
    {"karpenter.sh/capacity-type": "spot"},
    {"key": "karpenter.sh/capacity-type", "value": "spot", "effect": "NoSchedule"},
)


def load_tree(
    overlay: Path | None = None, remove: list[str] | None = None
) -> list[Document]:
    """The valid tree, with the overlay's files replacing or adding to it."""
    files = {p.relative_to(VALID).as_posix(): p for p in VALID.rglob("*.yaml")}
    if overlay is not None:
        files |= {
            p.relative_to(overlay).as_posix(): p
            for p in overlay.rglob("*.yaml")
            if p.name != "_case.yaml"
        }
    for path in remove or []:
        del files[path]
    return [
        doc
        for rel, p in sorted(files.items())
        for doc in parse_documents(p.read_text(), rel)
    ]


def run_all(docs: list[Document], version: str = "1.33") -> list[Finding]:
    return check_policy(docs, spot=SPOT, version=version) + check_cross_resources(
        docs, argocd_namespace="argocd"
    )


def pod(yaml_text: str, path: str = "pod.yaml", version: str = "1.33") -> list[Finding]:
    docs = parse_documents(textwrap.dedent(yaml_text), path)
    return check_policy(docs, spot=SPOT, version=version)


def serious(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity >= Severity.WARNING]


# --- the corpus ---------------------------------------------------------------------------


def test_valid_tree_has_no_errors_or_warnings() -> None:
    findings = run_all(load_tree())
    assert serious(findings) == []
    # The notes about injected containers are there, and only those.
    assert {f.rule for f in findings} == {"MLS230", "MLS231", "MLS232"}


def test_corpus_covers_every_error_and_warning_rule() -> None:
    covered = {
        yaml.safe_load((case / "_case.yaml").read_text())["rule"] for case in CASES
    }
    wanted = {
        rule_id
        for rule_id, info in {**policy.POLICY_RULES, **crossref.CROSSREF_RULES}.items()
        if info.severity >= Severity.WARNING
    }
    assert wanted - covered == set()


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES]
)
def test_invalid_case(case: Path) -> None:
    spec: dict[str, Any] = yaml.safe_load((case / "_case.yaml").read_text())
    assert set(spec) <= set(CASE_KEYS), f"unknown keys in {case}/_case.yaml"
    for key in ("rule", "path", "line"):
        assert isinstance(spec.get(key), CASE_KEYS[key]), (
            f"{case}/_case.yaml: bad {key}"
        )
    docs = load_tree(case, spec.get("remove"))
    findings = serious(run_all(docs, spec.get("kube_version", "1.33")))
    hits = [(f.rule, f.rendered.path, f.rendered.line) for f in findings]
    assert (spec["rule"], spec["path"], spec["line"]) in hits
    # Each case breaks exactly one rule, so nothing else may fire.
    assert {f.rule for f in findings} == {spec["rule"]}, [str(f) for f in findings]


# --- rule ids ------------------------------------------------------------------------------


def test_rule_ids_are_unique_and_in_range() -> None:
    policy_ids = set(policy.POLICY_RULES)
    crossref_ids = set(crossref.CROSSREF_RULES)
    assert not policy_ids & crossref_ids
    assert all(i.startswith("MLS2") and len(i) == 6 for i in policy_ids)
    assert all(i.startswith("MLS4") and len(i) == 6 for i in crossref_ids)


def test_rules_are_in_the_shared_registry() -> None:
    from mlscaffold.report.rules import all_rules

    for rule_id, info in {**policy.POLICY_RULES, **crossref.CROSSREF_RULES}.items():
        assert all_rules()[rule_id] == info


def test_every_policy_finding_names_its_control() -> None:
    findings = pod(
        """\
        apiVersion: v1
        kind: Pod
        metadata: {name: bad}
        spec:
          hostNetwork: true
          containers:
            - name: app
              image: x
              securityContext: {privileged: true, runAsUser: 0}
        """
    )
    for finding in findings:
        assert (
            finding.message.split(":")[0].split(" (")[0]
            in policy.POLICY_RULES[finding.rule].short
        )


# --- effective settings ----------------------------------------------------------------------

RESTRICTED_POD = """\
apiVersion: v1
kind: Pod
metadata: {name: ok}
spec:
  securityContext:
    runAsNonRoot: true
    seccompProfile: {type: RuntimeDefault}
  containers:
    - name: app
      image: x
      securityContext:
        allowPrivilegeEscalation: false
        capabilities: {drop: [ALL]}
"""


def test_restricted_pod_passes() -> None:
    assert pod(RESTRICTED_POD) == []


def test_container_override_of_run_as_non_root_is_caught_at_the_container() -> None:
    text = RESTRICTED_POD.replace(
        "allowPrivilegeEscalation: false",
        "allowPrivilegeEscalation: false\n        runAsNonRoot: false",
    )
    findings = pod(text)
    assert [(f.rule, f.rendered.line) for f in findings] == [("MLS214", 13)]
    assert 'container "app"' in findings[0].message


def test_container_settings_satisfy_restricted_without_pod_context() -> None:
    findings = pod(
        """\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          template:
            spec:
              containers:
                - name: app
                  image: x
                  securityContext:
                    runAsNonRoot: true
                    seccompProfile: {type: Localhost, localhostProfile: p.json}
                    allowPrivilegeEscalation: false
                    capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}
        """
    )
    assert findings == []


def test_missing_pod_fields_give_one_pod_level_finding_not_one_per_container() -> None:
    findings = pod(
        """\
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: nightly}
        spec:
          jobTemplate:
            spec:
              template:
                spec:
                  containers:
                    - {name: a, image: x, securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}}
                    - {name: b, image: x, securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}}
        """
    )
    assert sorted(f.rule for f in findings) == ["MLS214", "MLS216"]
    assert all(
        f.rendered.pointer == "/spec/jobTemplate/spec/template/spec" for f in findings
    )


def test_partly_set_field_reports_the_containers_without_it() -> None:
    findings = pod(
        """\
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          securityContext: {seccompProfile: {type: RuntimeDefault}}
          initContainers:
            - name: init
              image: x
              securityContext: {runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
          containers:
            - name: main
              image: x
              securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
        """
    )
    assert [(f.rule, f.rendered.pointer) for f in findings] == [
        ("MLS214", "/spec/containers/0")
    ]


def test_windows_pods_are_exempt_from_linux_only_controls() -> None:
    text = RESTRICTED_POD.replace(
        "  containers:", "  os: {name: windows}\n  containers:"
    )
    text = text.replace("        capabilities: {drop: [ALL]}\n", "").replace(
        "        allowPrivilegeEscalation: false\n", "        runAsUserName: x\n"
    )
    assert pod(text) == []


@pytest.mark.parametrize(
    ("context", "rule"),
    [
        ("capabilities: {drop: [ALL], add: [CHOWN]}", "MLS217"),
        ("capabilities: {drop: [ALL], add: [NET_ADMIN]}", "MLS204"),
        ("seLinuxOptions: {user: system_u}", "MLS208"),
        ("seLinuxOptions: {type: container_t}", None),
        ("appArmorProfile: {type: Localhost, localhostProfile: p}", None),
        ("seccompProfile: {type: Unconfined}", "MLS210"),
        ("procMount: Default", None),
    ],
)
def test_single_container_controls(context: str, rule: str | None) -> None:
    text = RESTRICTED_POD.replace("        capabilities: {drop: [ALL]}\n", "")
    text += f"        {context}\n"
    if "capabilities" not in context:
        text += "        capabilities: {drop: [ALL]}\n"
    assert [f.rule for f in pod(text)] == ([rule] if rule else [])


def test_apparmor_annotation_on_the_pod_template() -> None:
    text = RESTRICTED_POD.replace(
        "metadata: {name: ok}",
        "metadata:\n  name: ok\n  annotations:\n    container.apparmor.security.beta.kubernetes.io/app: unconfined",
    )
    findings = pod(text)
    assert [(f.rule, f.rendered.line) for f in findings] == [("MLS207", 6)]


def test_safe_sysctl_and_allowed_volumes_pass() -> None:
    text = RESTRICTED_POD.replace(
        "    seccompProfile: {type: RuntimeDefault}\n",
        "    seccompProfile: {type: RuntimeDefault}\n"
        "    sysctls: [{name: net.ipv4.ip_local_port_range, value: '1024 65535'}]\n",
    )
    text += "  volumes:\n    - {name: a, emptyDir: {}}\n    - {name: b, projected: {sources: []}}\n"
    text += "    - {name: c, persistentVolumeClaim: {claimName: d}}\n"
    assert pod(text) == []


def test_ephemeral_containers_are_checked() -> None:
    text = (
        RESTRICTED_POD + "  ephemeralContainers:\n    - {name: debug, image: busybox}\n"
    )
    findings = pod(text)
    assert {f.rule for f in findings} == {"MLS213", "MLS217"}
    assert all('ephemeral "debug"' in f.message for f in findings)


# --- nested pods -------------------------------------------------------------------------------


def test_argo_template_security_context_replaces_the_workflow_one() -> None:
    docs = load_tree(
        CORPUS / "policy" / "mls214-template-securitycontext-replaces-workflow"
    )
    findings = [f for f in check_policy(docs, spot=SPOT) if f.rule == "MLS214"]
    assert len(findings) == 1
    assert 'template "train"' in findings[0].message


def test_injected_container_notes() -> None:
    notes = [
        f for f in check_policy(load_tree(), spot=SPOT) if f.severity == Severity.INFO
    ]
    argo = [f for f in notes if f.rule == "MLS230"]
    assert (
        len(argo) == 4
    )  # train, eval, register, promote; the DAG template runs no pod
    assert all(
        '"init" and "wait"' not in f.message or "wait" in f.message for f in argo
    )
    assert {f.rule for f in notes if "inferenceservice" in f.rendered.path} == {
        "MLS231",
        "MLS232",
    }


def test_raw_deployment_mode_has_no_queue_proxy_note() -> None:
    docs = load_tree()
    text = (
        (VALID / "deploy/inferenceservice.yaml")
        .read_text()
        .replace("deploymentMode: Serverless", "deploymentMode: RawDeployment")
    )
    docs = [d for d in docs if d.path != "deploy/inferenceservice.yaml"]
    docs += parse_documents(text, "deploy/inferenceservice.yaml")
    assert "MLS232" not in {f.rule for f in check_policy(docs, spot=SPOT)}


# --- placement ----------------------------------------------------------------------------------


def test_gpu_step_not_named_train_must_be_on_spot() -> None:
    findings = pod(
        """\
        apiVersion: argoproj.io/v1alpha1
        kind: WorkflowTemplate
        metadata: {name: wt}
        spec:
          securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
          templates:
            - name: finetune
              container:
                image: x
                resources: {limits: {nvidia.com/mig-1g.10gb: 1}}
                securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
        """
    )
    assert sorted({f.rule for f in findings if f.severity >= Severity.WARNING}) == [
        "MLS241"
    ]


def test_workflow_level_spot_settings_count_for_training() -> None:
    findings = pod(
        """\
        apiVersion: argoproj.io/v1alpha1
        kind: CronWorkflow
        metadata: {name: cw}
        spec:
          workflowSpec:
            securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
            nodeSelector: {karpenter.sh/capacity-type: spot}
            tolerations: [{operator: Exists}]
            templates:
              - name: train
                script:
                  image: x
                  source: print(1)
                  securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
        """
    )
    assert serious(findings) == []


def test_serving_with_spot_affinity_or_blanket_toleration_is_an_error() -> None:
    findings = pod(
        """\
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata: {name: m}
        spec:
          predictor:
            securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
            tolerations: [{operator: Exists}]
            affinity:
              nodeAffinity:
                preferredDuringSchedulingIgnoredDuringExecution:
                  - weight: 1
                    preference:
                      matchExpressions:
                        - {key: karpenter.sh/capacity-type, operator: In, values: [spot]}
            model:
              modelFormat: {name: sklearn}
              securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
        """
    )
    assert [f.rule for f in serious(findings)] == ["MLS240", "MLS240"]


def test_spot_defaults_come_from_platform_settings() -> None:
    docs = load_tree(CORPUS / "policy" / "mls240-serving-on-spot")
    assert "MLS240" in {f.rule for f in check_policy(docs)}


# --- Pod Security by Kubernetes version ----------------------------------------------------

PLAIN_POD = RESTRICTED_POD  # a pod that meets restricted on every version


def rules_at(text: str, version: str) -> set[str]:
    return {f.rule for f in serious(pod(text, version=version))}


@pytest.mark.parametrize(
    ("sysctl", "allowed_from"),
    [
        ("net.ipv4.ip_local_reserved_ports", "1.27"),
        ("net.ipv4.tcp_keepalive_time", "1.29"),
        ("net.ipv4.tcp_rmem", "1.32"),
        ("net.ipv4.tcp_notsent_lowat", "1.37"),
    ],
)
def test_safe_sysctls_follow_the_version(sysctl: str, allowed_from: str) -> None:
    text = PLAIN_POD.replace(
        "    runAsNonRoot: true\n",
        f"    runAsNonRoot: true\n    sysctls: [{{name: {sysctl}, value: '1'}}]\n",
    )
    major, minor = allowed_from.split(".")
    assert rules_at(text, f"{major}.{int(minor) - 1}") == {"MLS211"}
    assert rules_at(text, allowed_from) == set()
    assert rules_at(text, "1.25") == {"MLS211"}


def test_selinux_container_engine_type_from_1_31() -> None:
    text = PLAIN_POD.replace(
        "    runAsNonRoot: true\n",
        "    runAsNonRoot: true\n    seLinuxOptions: {type: container_engine_t}\n",
    )
    assert rules_at(text, "1.30") == {"MLS208"}
    assert rules_at(text, "1.31") == set()


def test_probe_and_hook_hosts_are_checked_from_1_34() -> None:
    text = PLAIN_POD + (
        "      livenessProbe: {tcpSocket: {host: db, port: 5432}}\n"
        "      lifecycle: {preStop: {httpGet: {host: example.com, port: 80}}}\n"
    )
    assert rules_at(text, "1.33") == set()
    findings = [f for f in pod(text, version="1.34") if f.rule == "MLS218"]
    assert [f.rendered.line for f in findings] == [14, 15]
    assert "host db" in findings[0].message


def test_host_users_false_relaxes_running_as_root_from_1_35() -> None:
    text = PLAIN_POD.replace("    runAsNonRoot: true\n", "    runAsUser: 0\n")
    assert rules_at(text, "1.35") == {"MLS214", "MLS215"}
    user_ns = text.replace("spec:\n", "spec:\n  hostUsers: false\n", 1)
    assert rules_at(user_ns, "1.34") == {"MLS214", "MLS215"}
    assert rules_at(user_ns, "1.35") == set()
    # procMount keeps its check at the restricted level, user namespace or not.
    unmasked = user_ns.replace(
        "allowPrivilegeEscalation: false",
        "allowPrivilegeEscalation: false\n        procMount: Unmasked",
    )
    assert rules_at(unmasked, "1.35") == {"MLS209"}


@pytest.mark.parametrize("text", ["1.33", "1.33.2", "v1.33"])
def test_the_version_patch_is_ignored(text: str) -> None:
    assert parse_kube_version(text) == (1, 33)


@pytest.mark.parametrize("text", ["1", "1.x", "1.33.2.1", ""])
def test_a_version_must_be_major_minor(text: str) -> None:
    with pytest.raises(ValueError, match=r"MAJOR\.MINOR"):
        parse_kube_version(text)
