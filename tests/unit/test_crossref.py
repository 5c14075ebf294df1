"""Cross-resource rules on small inline trees."""
# ruff: noqa: E501  (inline YAML fixtures read better on one line)

from __future__ import annotations

import textwrap

import pytest

from mlscaffold.api import RenderedProject, render_project
from mlscaffold.render.tree import RenderedTree
from mlscaffold.report.model import Finding
from mlscaffold.validate.crossref import check_cross_resources
from mlscaffold.validate.crossref.team import TrafficSources
from mlscaffold.validate.documents import Document, parse_documents

LABELS = "labels: {cost.mlscaffold.io/team: t, cost.mlscaffold.io/project: p}"
NAMESPACE = f"""\
apiVersion: v1
kind: Namespace
metadata: {{name: t-ml, {LABELS}}}
"""


def tree(*files: tuple[str, str]) -> list[Document]:
    return [
        d for path, text in files for d in parse_documents(textwrap.dedent(text), path)
    ]


def rules(docs: list[Document]) -> list[str]:
    return sorted(f.rule for f in check(docs))


def check(docs: list[Document]) -> list[Finding]:
    """Findings of the rules under test: the small trees here leave out the team
    context on purpose, so its note (MLS427) is tested on its own."""
    found = check_cross_resources(docs, argocd_namespace="argocd")
    return [f for f in found if f.rule != "MLS427"]


def obj(
    kind: str, name: str, extra: str = "", namespace: str = "t-ml", api: str = "v1"
) -> str:
    ns = f", namespace: {namespace}" if namespace else ""
    return f"apiVersion: {api}\nkind: {kind}\nmetadata: {{name: {name}{ns}, {LABELS}}}\n{extra}"


def test_without_a_namespace_object_namespace_rules_are_skipped() -> None:
    docs = tree(("a.yaml", obj("ConfigMap", "c", namespace="anywhere")))
    assert rules(docs) == []


def test_objects_elsewhere_and_cluster_scoped_kinds() -> None:
    docs = tree(
        ("deploy/ns.yaml", NAMESPACE),
        ("deploy/cm.yaml", obj("ConfigMap", "c", namespace="other")),
        (
            "deploy/cr.yaml",
            obj("ClusterRole", "r", namespace="", api="rbac.authorization.k8s.io/v1"),
        ),
        ("deploy/bare.yaml", obj("ConfigMap", "b", namespace="")),
    )
    found = {(f.rule, f.rendered.path) for f in check(docs)}
    assert found == {("MLS401", "deploy/cm.yaml"), ("MLS402", "deploy/bare.yaml")}


def test_missing_namespace_is_fine_when_argo_cd_places_objects() -> None:
    app = obj(
        "Application",
        "t-ml",
        "spec: {source: {path: deploy/}, destination: {namespace: t-ml}}\n",
        namespace="argocd",
        api="argoproj.io/v1alpha1",
    )
    docs = tree(
        ("deploy/ns.yaml", NAMESPACE),
        ("deploy/cm.yaml", obj("ConfigMap", "c", namespace="")),
        ("argocd/app.yaml", app),
    )
    assert rules(docs) == []


def test_multi_source_application_paths() -> None:
    app = obj(
        "Application",
        "t-ml",
        "spec:\n  destination: {namespace: t-ml}\n  sources:\n    - {path: deploy}\n    - {path: overlays/prod}\n    - {chart: redis}\n",
        namespace="argocd",
        api="argoproj.io/v1alpha1",
    )
    findings = check(tree(("deploy/ns.yaml", NAMESPACE), ("app.yaml", app)))
    assert [(f.rule, f.rendered.pointer) for f in findings] == [
        ("MLS405", "/spec/sources/1/path")
    ]


def test_wrong_application_path_names_the_workloads_folder_not_the_namespaces() -> None:
    # Since the split the Namespace lives in the platform change; pointing the team's
    # Application there would make it sync (and prune) the platform's objects.
    app = obj(
        "Application",
        "t-ml",
        "spec: {source: {path: deploys}, destination: {namespace: t-ml}}\n",
        namespace="argocd",
        api="argoproj.io/v1alpha1",
    )
    pod = "spec: {containers: [{name: a, image: x}]}\n"
    findings = check(
        tree(
            ("platform/teams/t/namespace.yaml", NAMESPACE),
            ("platform/teams/t/application.yaml", app),
            ("deploy/pod.yaml", obj("Pod", "p", pod)),
        )
    )
    [hit] = [f for f in findings if f.rule == "MLS405"]
    assert hit.message.endswith("write path: deploy.")


def test_cost_labels_on_deployment_pod_template() -> None:
    deployment = obj(
        "Deployment",
        "web",
        "spec:\n  template:\n    metadata:\n      labels: {app: web}\n    spec: {containers: [{name: a, image: x}]}\n",
        api="apps/v1",
    )
    findings = check(tree(("d.yaml", deployment)))
    assert [(f.rule, f.rendered.line) for f in findings] == [("MLS418", 7)]


def test_bare_pod_labels_are_checked_once() -> None:
    pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a}]}\n"
    assert rules(tree(("p.yaml", pod))) == ["MLS417"]


QUOTA = obj(
    "ResourceQuota",
    "q",
    "spec:\n  hard: {cpu: '2', requests.memory: 1Gi, limits.cpu: '100'}\n",
)
LIMITS = obj(
    "LimitRange",
    "l",
    "spec:\n  limits:\n    - {type: Container, defaultRequest: {cpu: 1500m}, default: {memory: 2Gi}}\n",
)


def workflow(resources: str, extra_steps: str = "") -> str:
    return obj(
        "WorkflowTemplate",
        "wt",
        "spec:\n  podMetadata:\n    " + LABELS + "\n  templates:\n"
        f"    - name: big\n      container: {{image: x{resources}}}\n{extra_steps}",
        api="argoproj.io/v1alpha1",
    )


def test_limit_range_defaults_count_against_the_quota() -> None:
    # cpu: default request 1.5 fits 2; memory: the default *limit* becomes the request.
    findings = check(
        tree(
            ("ns.yaml", NAMESPACE),
            ("q.yaml", QUOTA),
            ("l.yaml", LIMITS),
            ("wt.yaml", workflow("")),
        )
    )
    assert [f.rule for f in findings] == ["MLS408"]
    assert "memory 2Gi > 1Gi" in findings[0].message
    assert "cpu" not in findings[0].message


def test_quantities_are_compared_exactly() -> None:
    fits = ", resources: {requests: {cpu: 2000m, memory: 1024Mi}}"
    assert rules(tree(("q.yaml", QUOTA), ("wt.yaml", workflow(fits)))) == []
    over = ", resources: {requests: {cpu: 2001m, memory: 1Gi}}"
    assert rules(tree(("q.yaml", QUOTA), ("wt.yaml", workflow(over)))) == ["MLS408"]


def test_scoped_quotas_are_not_applied_to_every_pod() -> None:
    scoped = QUOTA.replace("spec:\n", "spec:\n  scopes: [BestEffort]\n")
    over = ", resources: {requests: {cpu: '64'}}"
    assert rules(tree(("q.yaml", scoped), ("wt.yaml", workflow(over)))) == []


def test_a_bad_quantity_does_not_silence_the_quota_rules() -> None:
    # The bad values are the API-server rules' (MLS141) and the CRD schema's to
    # report; the sums go on without them.
    over = ", resources: {requests: {cpu: lots, memory: 2Gi}}"
    bad_quota = QUOTA.replace("cpu: '2'", "cpu: two")
    docs = tree(("q.yaml", bad_quota), ("wt.yaml", workflow(over)))
    findings = check(docs)
    assert [f.rule for f in findings] == ["MLS408"]
    assert "memory 2Gi > 1Gi" in findings[0].message


def test_queue_rule_needs_a_local_queue_in_the_tree() -> None:
    assert rules(tree(("wt.yaml", workflow("")))) == []
    queue = obj(
        "LocalQueue",
        "t-queue",
        "spec: {clusterQueue: shared}\n",
        api="kueue.x-k8s.io/v1beta2",
    )
    assert rules(tree(("wt.yaml", workflow("")), ("lq.yaml", queue))) == ["MLS407"]


def test_service_accounts_in_role_bindings_and_default() -> None:
    sa = obj("ServiceAccount", "runner")
    binding = obj(
        "RoleBinding",
        "rb",
        "subjects:\n  - {kind: ServiceAccount, name: runner}\n  - {kind: ServiceAccount, name: ghost}\n"
        "  - {kind: ServiceAccount, name: other-ns, namespace: elsewhere}\n",
        api="rbac.authorization.k8s.io/v1",
    )
    pod = obj(
        "Pod", "p", "spec: {serviceAccountName: default, containers: [{name: a}]}\n"
    )
    findings = check(tree(("sa.yaml", sa), ("rb.yaml", binding), ("p.yaml", pod)))
    assert [(f.rule, f.rendered.pointer) for f in findings] == [
        ("MLS411", "/subjects/1/name")
    ]


DAG = """\
    - name: main
      dag:
        tasks:
          - {name: a, template: produce}
          - {name: b, template: consume, depends: "a.Succeeded || (a.Failed && !a.Skipped)",
             arguments: {parameters: [{name: x, value: '{{tasks.a.outputs.parameters.out}}'}]}}
          - {name: c, template: consume, depends: b,
             arguments: {parameters: [{name: x, value: '{{tasks.a.outputs.parameters.out}}'}]}}
          - {name: d, template: consume, when: '{{tasks.c.outputs.result}} == ok',
             arguments: {parameters: [{name: x, value: '{{=sprig.trim(tasks.a.outputs.result)}}'}]}}
    - name: produce
      outputs: {parameters: [{name: out, valueFrom: {path: /o}}]}
      container: {image: x}
    - name: consume
      inputs: {parameters: [{name: x}, {name: y, default: '1'}]}
      container: {image: x, args: ['{{inputs.parameters.x}}', '{{inputs.parameters.y}}']}
    - name: stepped
      steps:
        - - {name: s1, template: consume}
"""


def test_dag_references_follow_transitive_dependencies() -> None:
    findings = check(tree(("wt.yaml", workflow("", DAG))))
    got = sorted((f.rule, f.rendered.pointer) for f in findings)
    assert got == [
        (
            "MLS412",
            "/spec/templates/1/dag/tasks/3/when",
        ),  # d reads c without depending on it
        ("MLS413", "/spec/templates/4/steps/0/0"),  # s1 leaves input x unset
    ]


@pytest.mark.parametrize("ref", ["workflow.parameters.nope", "inputs.parameters.nope"])
def test_undeclared_parameters(ref: str) -> None:
    steps = (
        f"    - name: echo\n      container: {{image: x, args: ['{{{{{ref}}}}}']}}\n"
    )
    findings = check(tree(("wt.yaml", workflow("", steps))))
    assert [f.rule for f in findings] == [
        "MLS414" if ref.startswith("workflow") else "MLS415"
    ]


def _sized(
    container: str, *, hard: str = "requests.cpu: '4', limits.cpu: '4'"
) -> list[Document]:
    limit_range = obj(
        "LimitRange",
        "l",
        "spec: {limits: [{type: Container, default: {cpu: '1'}, max: {cpu: '4'}}]}\n",
    )
    deployment = obj(
        "Deployment",
        "d",
        "spec: {template: {metadata: {"
        + LABELS
        + "}, spec: {containers: ["
        + container
        + "]}}}\n",
        api="apps/v1",
    )
    return tree(
        ("ns.yaml", NAMESPACE),
        ("quota.yaml", obj("ResourceQuota", "q", f"spec: {{hard: {{{hard}}}}}\n")),
        ("limits.yaml", limit_range),
        ("deploy.yaml", deployment),
    )


@pytest.mark.parametrize(
    ("container", "expected"),
    [
        # Requests and limits within the LimitRange and the quota.
        ("{name: a, resources: {requests: {cpu: '1'}, limits: {cpu: '2'}}}", []),
        # A request above its own limit.
        (
            "{name: a, resources: {requests: {cpu: '3'}, limits: {cpu: '2'}}}",
            [("MLS422", "/resources/requests/cpu")],
        ),
        # A limit above the LimitRange's max.
        (
            "{name: a, resources: {limits: {cpu: '5'}}}",
            [("MLS422", "/resources/limits/cpu"), ("MLS423", "")],
        ),
        # Each container fits, but the LimitRange's default limit for the one that
        # sets none takes the pod's limits past the quota's limits.cpu.
        (
            "{name: a, resources: {limits: {cpu: '4'}}}, {name: b}",
            [("MLS423", "")],
        ),
    ],
)
def test_requests_and_limits_against_limitrange_and_quota(
    container: str, expected: list[tuple[str, str]]
) -> None:
    found = [
        (f.rule, (f.rendered.pointer or "").removeprefix("/spec/template/spec"))
        for f in check(_sized(container))
        if f.rule in ("MLS422", "MLS423")
    ]
    assert (
        sorted((rule, pointer.removeprefix("/containers/0")) for rule, pointer in found)
        == expected
    )


def test_limitrange_max_above_the_quota_and_default_above_max() -> None:
    docs = _sized("{name: a}", hard="requests.cpu: '2'")
    findings = {
        (f.rule, f.rendered.path, f.rendered.pointer)
        for f in check(docs)
        if f.rule in ("MLS422", "MLS423")
    }
    assert ("MLS423", "limits.yaml", "/spec/limits/0/max/cpu") in findings
    docs = tree(
        ("ns.yaml", NAMESPACE),
        (
            "limits.yaml",
            obj(
                "LimitRange",
                "l",
                "spec: {limits: [{type: Container, default: {cpu: '8'}, max: {cpu: '4'}}]}\n",
            ),
        ),
    )
    assert [(f.rule, f.rendered.pointer) for f in check(docs)] == [
        ("MLS422", "/spec/limits/0/default/cpu")
    ]


ISVC = obj(
    "InferenceService",
    "m",
    "spec: {predictor: {labels: {app: m}, model: {modelFormat: {name: sklearn}}}}\n",
    api="serving.kserve.io/v1beta1",
)
TRAFFIC = TrafficSources(serving=("knative-serving",), monitoring=("monitoring",))


def _policy(spec: str) -> str:
    return obj("NetworkPolicy", "p", f"spec: {spec}\n", api="networking.k8s.io/v1")


def _net_rules(*specs: str) -> list[str]:
    docs = tree(
        ("ns.yaml", NAMESPACE),
        ("isvc.yaml", ISVC),
        *((f"np{i}.yaml", _policy(s)) for i, s in enumerate(specs)),
    )
    found = check_cross_resources(docs, argocd_namespace="argocd", traffic=TRAFFIC)
    return sorted(f.rule for f in found if f.rule in ("MLS424", "MLS425"))


ALLOW = "{kubernetes.io/metadata.name: %s}"


@pytest.mark.parametrize(
    ("specs", "expected"),
    [
        # No policy, or policies that do not isolate ingress: everything gets in.
        ((), []),
        (("{podSelector: {}, policyTypes: [Egress]}",), []),
        # Default deny with nothing else: both paths blocked.
        (("{podSelector: {}, policyTypes: [Ingress]}",), ["MLS424", "MLS425"]),
        # policyTypes omitted still means Ingress.
        (("{podSelector: {}}",), ["MLS424", "MLS425"]),
        # Same-namespace pods and an ipBlock do not admit other namespaces.
        (
            (
                "{podSelector: {}, ingress: [{from: [{podSelector: {}}, "
                "{ipBlock: {cidr: 10.0.0.0/8}}]}]}",
            ),
            ["MLS424", "MLS425"],
        ),
        # A rule without `from` admits every source, on its ports.
        (("{podSelector: {}, ingress: [{ports: [{port: 8080}]}]}",), []),
        # Both namespaces by name; policies add up.
        (
            (
                "{podSelector: {}, policyTypes: [Ingress]}",
                "{podSelector: {matchLabels: {app: m}}, ingress: [{from: "
                "[{namespaceSelector: {matchLabels: "
                + ALLOW % "knative-serving"
                + "}}]}]}",
                "{podSelector: {}, ingress: [{from: [{namespaceSelector: "
                "{matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, "
                "values: [monitoring, other]}]}}]}]}",
            ),
            [],
        ),
        # The serving rule selects pods by a label the predictor lacks: it is no help.
        (
            (
                "{podSelector: {}, policyTypes: [Ingress]}",
                "{podSelector: {matchLabels: {app: other}}, ingress: [{}]}",
                "{podSelector: {}, ingress: [{from: [{namespaceSelector: "
                "{matchLabels: " + ALLOW % "monitoring" + "}}]}]}",
            ),
            ["MLS424"],
        ),
        # KServe's own pod label selects the predictor; NotIn excludes monitoring.
        (
            (
                "{podSelector: {matchLabels: {serving.kserve.io/inferenceservice: m}}, "
                "ingress: [{from: [{namespaceSelector: {matchExpressions: [{key: "
                "kubernetes.io/metadata.name, operator: NotIn, values: [monitoring]}]}}]}]}",
            ),
            ["MLS425"],
        ),
    ],
)
def test_network_policies_against_serving_and_scraping(
    specs: tuple[str, ...], expected: list[str]
) -> None:
    assert _net_rules(*specs) == expected


@pytest.mark.parametrize(("limit", "expected"), [("'3'", []), ("3500m", ["MLS423"])])
def test_injected_containers_count_with_the_limitrange_default(
    limit: str, expected: list[str]
) -> None:
    # Knative's queue-proxy sets no limits: the LimitRange's default (1 CPU) applies.
    isvc = obj(
        "InferenceService",
        "m",
        "spec: {predictor: {minReplicas: 1, model: {modelFormat: {name: sklearn}, "
        f"resources: {{limits: {{cpu: {limit}}}}}}}}}}}\n",
        api="serving.kserve.io/v1beta1",
    )
    docs = [
        d
        for d in _sized("{name: a}", hard="requests.cpu: '8', limits.cpu: '4'")
        if d.kind != "Deployment"
    ] + tree(("isvc.yaml", isvc))
    assert [f.rule for f in check(docs) if f.rule.startswith("MLS42")] == expected


def _app_and_project(destinations: str, whitelist: str) -> list[Document]:
    app = obj(
        "Application",
        "t-ml",
        "spec: {project: t-ml, source: {path: deploy}, "
        "destination: {namespace: t-ml}}\n",
        namespace="argocd",
        api="argoproj.io/v1alpha1",
    )
    project = obj(
        "AppProject",
        "t-ml",
        f"spec: {{destinations: {destinations}, {whitelist}}}\n",
        namespace="argocd",
        api="argoproj.io/v1alpha1",
    )
    workflow = obj("WorkflowTemplate", "w", "spec: {}\n", api="argoproj.io/v1alpha1")
    return tree(
        ("platform/teams/t/ns.yaml", NAMESPACE),
        ("platform/teams/t/app.yaml", app),
        ("platform/teams/t/project.yaml", project),
        # Synced by the Application: below its path.
        ("deploy/wt.yaml", workflow),
        ("deploy/cm.yaml", obj("ConfigMap", "c")),
    )


@pytest.mark.parametrize(
    ("destinations", "whitelist", "expected"),
    [
        # The team's own kinds only: its ConfigMap is refused, not the platform's
        # Namespace (which the Application does not sync).
        (
            "[{namespace: t-ml}]",
            "namespaceResourceWhitelist: [{group: argoproj.io, kind: '*'}]",
            [("deploy/cm.yaml", "/kind")],
        ),
        (
            "[{namespace: 't-*'}]",
            "namespaceResourceWhitelist: [{group: '*', kind: '*'}]",
            [],
        ),
        # No namespaced whitelist: every namespaced kind; null is none given (Go's
        # nil), an empty list permits none.
        ("[{namespace: t-ml}]", "clusterResourceWhitelist: []", []),
        ("[{namespace: t-ml}]", "namespaceResourceWhitelist: null", []),
        (
            "[{namespace: t-ml}]",
            "namespaceResourceWhitelist: []",
            [("deploy/wt.yaml", "/kind"), ("deploy/cm.yaml", "/kind")],
        ),
        (
            "[{namespace: other}]",
            "clusterResourceWhitelist: []",
            [("platform/teams/t/app.yaml", "/spec/destination/namespace")],
        ),
        # A blacklist takes a kind away from the whitelist.
        (
            "[{namespace: t-ml}]",
            "namespaceResourceBlacklist: [{group: '', kind: 'Config*'}]",
            [("deploy/cm.yaml", "/kind")],
        ),
        # A deny pattern that does not match refuses, whatever else matched.
        (
            "[{namespace: '*'}, {namespace: '!t-ml'}]",
            "clusterResourceWhitelist: []",
            [("platform/teams/t/app.yaml", "/spec/destination/namespace")],
        ),
        (
            "[{namespace: '*'}, {namespace: '!kube-*'}]",
            "clusterResourceWhitelist: []",
            [],
        ),
    ],
)
def test_appproject_limits_what_the_application_syncs(
    destinations: str, whitelist: str, expected: list[tuple[str, str]]
) -> None:
    found = [
        (f.rendered.path, f.rendered.pointer)
        for f in check(_app_and_project(destinations, whitelist))
        if f.rule == "MLS426"
    ]
    assert found == expected


def _project() -> RenderedProject:
    return render_project(
        {
            "team": "recs",
            "owner": "group:default/recs",
            "repoUrl": "github.com?owner=acme&repo=recs-ml",
            "modelName": "ranker",
        }
    )


def _docs_of(tree: RenderedTree) -> list[Document]:
    return [
        d
        for path, entry in tree.files()
        if path.endswith(".yaml") and not path.startswith(".")
        for d in parse_documents(entry.text, path)
        if d.is_kubernetes
    ]


def test_a_team_cannot_raise_its_own_quota_through_its_repository() -> None:
    project = _project()
    docs = _docs_of(project.combined_tree())
    assert [f.rule for f in check(docs) if f.rule == "MLS426"] == []
    quota = project.platform_tree["teams/recs/resourcequota.yaml"].text
    extra = parse_documents(
        quota.replace('requests.cpu: "16"', 'requests.cpu: "99"'), "deploy/q.yaml"
    )
    assert [
        (f.rule, f.rendered.path) for f in check(docs + extra) if f.rule == "MLS426"
    ] == [("MLS426", "deploy/q.yaml")]


def test_the_team_repository_alone_says_its_team_context_is_missing() -> None:
    project = _project()
    # The team's CI validates its repository alone: the quota, queue and account
    # rules cannot run there, and the report says so once.
    found = check_cross_resources(_docs_of(project.tree), argocd_namespace="argocd")
    alone = [f for f in found if f.rule == "MLS427"]
    assert len(alone) == 1
    assert "mlscaffold validate REPO PLATFORM/teams/<team>" in alone[0].message
    both = check_cross_resources(
        _docs_of(project.combined_tree()), argocd_namespace="argocd"
    )
    assert "MLS427" not in {f.rule for f in both}
    # A tree without pods needs no team context.
    configmap = tree(("a.yaml", obj("ConfigMap", "c", namespace="x")))
    assert check_cross_resources(configmap, argocd_namespace="argocd") == []


def test_the_platform_change_alone_passes_and_a_wrong_path_names_the_workloads() -> (
    None
):
    # The platform's CI checks teams/<team>/ without the team repository that the
    # Application syncs: its path cannot be looked up there, and is not an error.
    project = _project()
    alone = check_cross_resources(
        _docs_of(project.platform_tree), argocd_namespace="argocd"
    )
    assert [f.rule for f in alone] == []
    # With both trees, a wrong path is still reported, and the fix names the
    # workloads' folder (deploy), not the platform change's where the Namespace is.
    combined = project.combined_tree()
    app = "platform/teams/recs/application.yaml"
    docs = [d for d in _docs_of(combined) if d.path != app] + parse_documents(
        combined[app].text.replace("path: deploy", "path: deplyo"), app
    )
    [found] = [f for f in check(docs) if f.rule == "MLS405"]
    assert found.message.endswith("write path: deploy.")


@pytest.mark.parametrize(
    ("destinations", "permitted"),
    [
        ("[{server: 'https://kubernetes.default.svc', namespace: t-ml}]", True),
        ("[{name: in-cluster, namespace: t-ml}]", False),  # the app names a server
        ("[{server: 'https://other', namespace: t-ml}]", False),
        (
            "[{server: '*', namespace: t-ml}, {server: '!https://kube*', namespace: '*'}]",
            False,
        ),
    ],
)
def test_appproject_destinations_match_cluster_and_namespace(
    destinations: str, permitted: bool
) -> None:
    docs = _app_and_project(destinations, "clusterResourceWhitelist: []")
    app = next(d for d in docs if d.kind == "Application")
    app.data["spec"]["destination"]["server"] = "https://kubernetes.default.svc"
    found = [f.rendered.pointer for f in check(docs) if f.rule == "MLS426"]
    assert found == ([] if permitted else ["/spec/destination/namespace"])
