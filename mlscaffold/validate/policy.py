"""Pod Security Standards ``restricted`` and spot placement on every effective pod."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from mlscaffold.report.model import Finding, Severity
from mlscaffold.report.rules import RuleInfo, register_rules
from mlscaffold.settings import load_platform
from mlscaffold.validate.documents import Document
from mlscaffold.validate.pods import (
    ContainerView,
    PodView,
    as_list,
    as_map,
    effective_pods,
    is_accelerator,
)

TOOL = "policy"
#: Capabilities the baseline level lets a container add.
BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
        "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    }
)  # fmt: skip
#: Sysctls the baseline level calls safe (Kubernetes 1.29+ list).
SAFE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
    }
)  # fmt: skip
#: Volume sources the restricted level allows.
RESTRICTED_VOLUMES = frozenset(
    {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral"}
    | {"persistentVolumeClaim", "projected", "secret"}
)
SELINUX_TYPES = frozenset(
    {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
)
PROFILE_OK = frozenset({"RuntimeDefault", "Localhost"})
APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"

#: A violation: the JSON pointer to report at, and the message.
Violation = tuple[str, str]
PodCheck = Callable[[PodView], Iterator[Violation]]

#: Every policy rule, by id (also registered in :mod:`mlscaffold.report.rules`).
RULES: dict[str, RuleInfo] = {}
_POD_CHECKS: list[tuple[RuleInfo, PodCheck]] = []


def _add_rule(rule_id: str, short: str, severity: Severity, help_text: str) -> RuleInfo:
    if rule_id in RULES:  # a programming error, caught by the unit tests
        raise ValueError(f"duplicate rule id {rule_id}")
    RULES[rule_id] = RuleInfo(rule_id, short, severity, help_text, TOOL)
    register_rules(RULES[rule_id])
    return RULES[rule_id]


def _rule(
    rule_id: str, short: str, severity: Severity = Severity.ERROR, help_text: str = ""
) -> Callable[[PodCheck], PodCheck]:
    """Register a pod check under a stable rule id."""

    def register(check: PodCheck) -> PodCheck:
        _POD_CHECKS.append((_add_rule(rule_id, short, severity, help_text), check))
        return check

    return register


def _msg(control: str, who: str, problem: str, fix: str) -> str:
    """``Control: who problem; fix.`` — every policy message has this shape."""
    return f"{control}: {who} {problem}; {fix}."


@dataclass(frozen=True)
class SpotCapacity:
    """How pods land on spot capacity, from ``capacity.spot`` in platform settings.

    Attributes:
        node_selector: Labels that select spot nodes.
        toleration: The taint toleration spot nodes require.
    """

    node_selector: Mapping[str, str]
    toleration: Mapping[str, str]

    @classmethod
    def from_platform(cls, platform: Mapping[str, Any]) -> SpotCapacity:
        """Read ``capacity.spot`` from platform settings (plain data)."""
        spot = as_map(as_map(platform.get("capacity")).get("spot"))
        selector = {str(k): str(v) for k, v in as_map(spot.get("nodeSelector")).items()}
        toleration = {str(k): str(v) for k, v in as_map(spot.get("toleration")).items()}
        return cls(selector, toleration)


def check_policy(
    docs: Sequence[Document], *, spot: SpotCapacity | None = None
) -> list[Finding]:
    """Check Pod Security ``restricted`` and placement on every effective pod.

    Args:
        docs: Parsed documents of one tree (or any folder of manifests).
        spot: Spot capacity; defaults to ``capacity.spot`` of the shipped platform
            settings.

    Returns:
        Findings, one per violated control per container or pod.
    """
    spot = spot or SpotCapacity.from_platform(load_platform().raw)
    findings: dict[tuple[str, int, str, str], Finding] = {}
    for doc in docs:
        for pod in effective_pods(doc):
            hits = [(rule, p, m) for rule, check in _POD_CHECKS for p, m in check(pod)]
            hits += [(RULES[i], p, m) for i, p, m in _placement(pod, spot)]
            for rule, pointer, message in hits:
                key = (doc.path, doc.index, pointer, rule.id)
                if key in findings:
                    # A workflow-wide field breaks every template in one place.
                    shared = message.replace(
                        pod.label, f"every pod of {doc.kind} {doc.name}"
                    )
                    findings[key] = replace(findings[key], message=shared)
                else:
                    findings[key] = _finding(doc, rule, pointer, message)
    return list(findings.values())


def _finding(doc: Document, rule: RuleInfo, pointer: str, message: str) -> Finding:
    return Finding(doc.locate(pointer), rule.id, rule.severity, message, tool=TOOL)


# --- helpers -----------------------------------------------------------------------


def _pod_sc(pod: PodView) -> Mapping[str, Any]:
    return as_map(pod.security_context.value)


def _where(pod: PodView, container: ContainerView | None = None) -> str:
    if container is None:
        return pod.label
    return f'{container.role} "{container.name}" in {pod.label}'


def _sc_ptr(container: ContainerView, *keys: str) -> str:
    """Pointer to a container field, or to the container when the field is unset."""
    probe: Any = container.security_context
    for key in keys:
        probe = as_map(probe).get(key)
    if probe is None:
        return container.pointer
    return "/".join((container.pointer, "securityContext", *keys))


def _pod_ptr(pod: PodView, *keys: str) -> str:
    return "/".join((pod.security_context.pointer, *keys))


def _linux(pod: PodView) -> bool:
    return pod.os_name != "windows"


def _sc_values(pod: PodView, key: str) -> Iterator[tuple[str, str, Any]]:
    """(pointer, who, value) of ``key`` in the pod and in each container context."""
    if key in _pod_sc(pod):
        yield _pod_ptr(pod, key), pod.label, _pod_sc(pod)[key]
    for c in pod.containers:
        if key in c.security_context:
            yield _sc_ptr(c, key), _where(pod, c), c.security_context[key]


# --- baseline controls -------------------------------------------------------------


@_rule("MLS201", "HostProcess", help_text="Windows HostProcess pods have host access.")
def _host_process(pod: PodView) -> Iterator[Violation]:
    for ptr, who, value in _sc_values(pod, "windowsOptions"):
        if as_map(value).get("hostProcess") is True:
            fix = "remove windowsOptions.hostProcess (or set it to false)"
            yield ptr, _msg("HostProcess", who, "runs as a Windows host process", fix)


@_rule(
    "MLS202",
    "Host namespaces",
    help_text="hostNetwork/hostPID/hostIPC share the node's.",
)
def _host_namespaces(pod: PodView) -> Iterator[Violation]:
    for key, field in pod.host_namespaces.items():
        if field.value is True:
            fix = f"remove {key} (or set it to false)"
            yield (
                field.pointer,
                _msg("Host namespaces", pod.label, f"sets {key}: true", fix),
            )


@_rule(
    "MLS203", "Privileged containers", help_text="Privileged containers own the node."
)
def _privileged(pod: PodView) -> Iterator[Violation]:
    for c in pod.containers:
        if c.security_context.get("privileged") is True:
            fix = "set securityContext.privileged: false"
            yield (
                _sc_ptr(c, "privileged"),
                _msg("Privileged containers", _where(pod, c), "is privileged", fix),
            )


@_rule(
    "MLS204", "Capabilities (baseline)", help_text="Only the default set may be added."
)
def _capabilities_baseline(pod: PodView) -> Iterator[Violation]:
    for c in pod.containers:
        added = as_list(as_map(c.security_context.get("capabilities")).get("add"))
        bad = sorted(str(cap) for cap in added if str(cap) not in BASELINE_CAPABILITIES)
        if bad:
            fix = "remove them from capabilities.add"
            yield (
                _sc_ptr(c, "capabilities", "add"),
                _msg("Capabilities", _where(pod, c), f"adds {', '.join(bad)}", fix),
            )


@_rule(
    "MLS205", "HostPath volumes", help_text="hostPath mounts expose the node's files."
)
def _host_path(pod: PodView) -> Iterator[Violation]:
    for volume in pod.volumes:
        if "hostPath" in as_map(volume.value):
            who = f'volume "{as_map(volume.value).get("name", "?")}" of {pod.label}'
            fix = "use emptyDir, a persistentVolumeClaim, a configMap or a secret"
            yield (
                volume.pointer,
                _msg("HostPath volumes", who, "mounts a host path", fix),
            )


@_rule("MLS206", "Host ports", help_text="hostPort binds a port on the node.")
def _host_ports(pod: PodView) -> Iterator[Violation]:
    for c in pod.containers:
        for i, port in enumerate(as_list(c.data.get("ports"))):
            host_port = as_map(port).get("hostPort")
            if host_port not in (None, 0):
                yield (
                    f"{c.pointer}/ports/{i}/hostPort",
                    _msg(
                        "Host ports",
                        _where(pod, c),
                        f"binds hostPort {host_port}",
                        "remove hostPort and expose the port through a Service",
                    ),
                )


@_rule("MLS207", "AppArmor", help_text="AppArmor must not be turned off.")
def _apparmor(pod: PodView) -> Iterator[Violation]:
    fix = "use appArmorProfile.type RuntimeDefault or Localhost, or leave it unset"
    for ptr, who, value in _sc_values(pod, "appArmorProfile"):
        if as_map(value).get("type") not in (None, *PROFILE_OK):
            yield ptr, _msg("AppArmor", who, "turns AppArmor off", fix)
    for key, field in pod.annotations.items():
        value = str(field.value)
        allowed = value == "runtime/default" or value.startswith("localhost/")
        if key.startswith(APPARMOR_ANNOTATION) and not allowed:
            fix = "use runtime/default or localhost/<profile>"
            problem = f"annotates {key}: {value}"
            yield field.pointer, _msg("AppArmor", pod.label, problem, fix)


def _selinux_problem(options: Mapping[str, Any]) -> str:
    if str(options.get("type") or "") not in SELINUX_TYPES:
        return f"sets SELinux type {options.get('type')}"
    custom = [key for key in ("user", "role") if options.get(key)]
    return f"sets a custom SELinux {' and '.join(custom)}" if custom else ""


@_rule("MLS208", "SELinux", help_text="Custom SELinux users, roles and types escape.")
def _selinux(pod: PodView) -> Iterator[Violation]:
    fix = "leave seLinuxOptions user and role unset; use type container_t or none"
    for ptr, who, value in _sc_values(pod, "seLinuxOptions"):
        problem = _selinux_problem(as_map(value))
        if problem:
            yield ptr, _msg("SELinux", who, problem, fix)


@_rule("MLS209", "/proc mount type", help_text="Unmasked /proc exposes kernel state.")
def _proc_mount(pod: PodView) -> Iterator[Violation]:
    for c in pod.containers:
        mount = c.security_context.get("procMount")
        if mount not in (None, "Default"):
            yield (
                _sc_ptr(c, "procMount"),
                _msg(
                    "/proc mount type",
                    _where(pod, c),
                    f"sets procMount: {mount}",
                    "set procMount: Default or remove it",
                ),
            )


@_rule("MLS210", "Seccomp (baseline)", help_text="seccomp must not be Unconfined.")
def _seccomp_baseline(pod: PodView) -> Iterator[Violation]:
    for ptr, who, value in _sc_values(pod, "seccompProfile"):
        if as_map(value).get("type") == "Unconfined":
            fix = "set seccompProfile.type: RuntimeDefault"
            yield ptr, _msg("Seccomp", who, "sets seccomp Unconfined", fix)


@_rule("MLS211", "Sysctls", help_text="Only namespaced, safe sysctls are allowed.")
def _sysctls(pod: PodView) -> Iterator[Violation]:
    for i, sysctl in enumerate(as_list(_pod_sc(pod).get("sysctls"))):
        name = str(as_map(sysctl).get("name", ""))
        if name not in SAFE_SYSCTLS:
            yield (
                _pod_ptr(pod, "sysctls", str(i)),
                _msg(
                    "Sysctls",
                    pod.label,
                    f"sets the unsafe sysctl {name}",
                    "remove it; only the safe set (net.ipv4.ip_local_port_range...)"
                    " is allowed",
                ),
            )


# --- restricted controls -----------------------------------------------------------


@_rule("MLS212", "Volume types", help_text="Only ephemeral and API-backed volumes.")
def _volume_types(pod: PodView) -> Iterator[Violation]:
    for volume in pod.volumes:
        data = as_map(volume.value)
        # hostPath is MLS205's finding already.
        kinds = sorted(set(data) - {"name", "hostPath"} - RESTRICTED_VOLUMES)
        if kinds:
            yield (
                volume.pointer,
                _msg(
                    "Volume types",
                    f'volume "{data.get("name", "?")}" of {pod.label}',
                    f"uses {', '.join(kinds)}",
                    "use configMap, secret, emptyDir, projected, downwardAPI, csi,"
                    " ephemeral or persistentVolumeClaim",
                ),
            )


@_rule("MLS213", "Privilege escalation", help_text="setuid binaries could gain root.")
def _privilege_escalation(pod: PodView) -> Iterator[Violation]:
    for c in pod.containers if _linux(pod) else ():
        if c.security_context.get("allowPrivilegeEscalation") is not False:
            yield (
                _sc_ptr(c, "allowPrivilegeEscalation"),
                _msg(
                    "Privilege escalation",
                    _where(pod, c),
                    "does not set allowPrivilegeEscalation: false",
                    "set it in the container securityContext",
                ),
            )


def _required(
    pod: PodView, key: str, good: Callable[[Any], bool]
) -> Iterator[tuple[ContainerView | None, str]]:
    """Where a field every container must end up with is wrong or missing.

    An explicit bad value is reported where it is written (admission checks it as
    written). When the pod leaves the field unset, one pod-level item stands for all
    containers if none sets it, else one item per container that does not.
    """
    pod_value = _pod_sc(pod).get(key)
    own = [(c, c.security_context.get(key)) for c in pod.containers]
    if pod_value is not None and not good(pod_value):
        yield None, _pod_ptr(pod, key)
    if pod_value is None and not any(good(value) for _, value in own):
        yield None, _pod_ptr(pod)
        return
    for c, value in own:
        if (value is not None or pod_value is None) and not good(value):
            yield c, _sc_ptr(c, key)


@_rule(
    "MLS214",
    "Running as non-root",
    help_text="runAsNonRoot: true on pod or containers.",
)
def _run_as_non_root(pod: PodView) -> Iterator[Violation]:
    for c, ptr in _required(pod, "runAsNonRoot", lambda v: v is True):
        yield (
            ptr,
            _msg(
                "Running as non-root",
                _where(pod, c),
                "does not set runAsNonRoot: true",
                "set it in the pod securityContext" if c is None else "set it to true",
            ),
        )


@_rule("MLS215", "Running as non-root user", help_text="runAsUser must not be 0.")
def _run_as_user(pod: PodView) -> Iterator[Violation]:
    for ptr, who, value in _sc_values(pod, "runAsUser"):
        if value == 0:
            fix = "use a non-zero UID such as 1000"
            yield ptr, _msg("Running as non-root user", who, "sets runAsUser: 0", fix)


def _seccomp_set(profile: Any) -> bool:
    # Unconfined is MLS210's finding; here only a missing profile counts.
    return profile is not None


@_rule(
    "MLS216", "Seccomp (restricted)", help_text="RuntimeDefault or Localhost required."
)
def _seccomp_restricted(pod: PodView) -> Iterator[Violation]:
    for c, ptr in _required(pod, "seccompProfile", _seccomp_set) if _linux(pod) else ():
        yield (
            ptr,
            _msg(
                "Seccomp",
                _where(pod, c),
                "has no seccomp profile",
                "set securityContext.seccompProfile.type: RuntimeDefault",
            ),
        )


@_rule(
    "MLS217",
    "Capabilities (restricted)",
    help_text="Drop ALL; add NET_BIND_SERVICE only.",
)
def _capabilities_restricted(pod: PodView) -> Iterator[Violation]:
    for c in pod.containers if _linux(pod) else ():
        caps = as_map(c.security_context.get("capabilities"))
        if "ALL" not in [str(x) for x in as_list(caps.get("drop"))]:
            yield (
                _sc_ptr(c, "capabilities"),
                _msg(
                    "Capabilities",
                    _where(pod, c),
                    "does not drop ALL capabilities",
                    "set securityContext.capabilities.drop: [ALL]",
                ),
            )
        added = {str(x) for x in as_list(caps.get("add"))}
        extra = sorted(added & BASELINE_CAPABILITIES - {"NET_BIND_SERVICE"})
        if extra:
            yield (
                _sc_ptr(c, "capabilities", "add"),
                _msg(
                    "Capabilities",
                    _where(pod, c),
                    f"adds {', '.join(extra)}",
                    "only NET_BIND_SERVICE may be added",
                ),
            )


# --- what the manifest cannot configure --------------------------------------------


@_rule("MLS230", "Argo executor containers", Severity.INFO)
def _argo_executor(pod: PodView) -> Iterator[Violation]:
    if pod.injector == "Argo Workflows":
        yield (
            pod.pointer,
            _msg(
                "Injected containers",
                f"Argo Workflows adds its {' and '.join(pod.injected)} executor"
                " containers to",
                f"{pod.label}, which this manifest cannot configure",
                "make the controller's executor securityContext restricted",
            ),
        )


@_rule("MLS231", "KServe storage-initializer", Severity.INFO)
def _storage_initializer(pod: PodView) -> Iterator[Violation]:
    if "storage-initializer" in pod.injected:
        yield (
            pod.pointer,
            _msg(
                "Injected containers",
                'KServe adds the "storage-initializer" init container to',
                f"{pod.label} because a storageUri is set",
                "its securityContext comes from KServe's storageInitializer config",
            ),
        )


@_rule("MLS232", "Knative queue-proxy", Severity.INFO)
def _queue_proxy(pod: PodView) -> Iterator[Violation]:
    if "queue-proxy" in pod.injected:
        yield (
            pod.pointer,
            _msg(
                "Injected containers",
                'Knative adds the "queue-proxy" sidecar to',
                f"{pod.label} in Serverless mode",
                "its securityContext comes from Knative's config-deployment",
            ),
        )


@_rule("MLS233", "Argo podSpecPatch", Severity.WARNING)
def _pod_spec_patch(pod: PodView) -> Iterator[Violation]:
    if "podSpecPatch" in as_map(pod.extra.get("template")):
        yield (
            f"{pod.pointer}/podSpecPatch",
            _msg(
                "podSpecPatch",
                pod.label,
                "patches its pod spec, which these checks cannot see",
                "set the fields on the template instead",
            ),
        )


# --- placement ---------------------------------------------------------------------

_add_rule(
    "MLS240", "Serving on spot capacity", Severity.ERROR, "Serving must be on-demand."
)
_add_rule("MLS241", "Training off spot capacity", Severity.WARNING, "Train on spot.")


def _selects_spot(pod: PodView, spot: SpotCapacity) -> bool:
    selector = as_map(pod.node_selector.value)
    if spot.node_selector and all(
        selector.get(k) == v for k, v in spot.node_selector.items()
    ):
        return True
    node_affinity = as_map(as_map(pod.affinity.value).get("nodeAffinity"))
    required = as_map(
        node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    )
    terms = as_list(required.get("nodeSelectorTerms"))
    terms += [
        as_map(p).get("preference")
        for p in as_list(
            node_affinity.get("preferredDuringSchedulingIgnoredDuringExecution")
        )
    ]
    return any(_term_selects(as_map(term), spot) for term in terms)


def _term_selects(term: Mapping[str, Any], spot: SpotCapacity) -> bool:
    for expr in as_list(term.get("matchExpressions")):
        key, values = (
            as_map(expr).get("key"),
            [str(v) for v in as_list(as_map(expr).get("values"))],
        )
        if (
            key in spot.node_selector
            and as_map(expr).get("operator") == "In"
            and spot.node_selector[str(key)] in values
        ):
            return True
    return False


def _tolerates_spot(pod: PodView, spot: SpotCapacity) -> bool:
    key, value, effect = (spot.toleration.get(k) for k in ("key", "value", "effect"))
    for raw in as_list(pod.tolerations.value):
        t = as_map(raw)
        if t.get("effect") not in (None, "", effect):
            continue
        if t.get("operator") == "Exists" and t.get("key") in (None, "", key):
            return True
        if t.get("key") == key and t.get("value") == value:
            return True
    return False


def _is_training(pod: PodView) -> bool:
    if pod.kind != "workflow-step":
        return False
    resources_used = (
        str(name)
        for c in pod.containers
        for part in ("requests", "limits")
        for name in as_map(as_map(c.data.get("resources")).get(part))
    )
    return pod.name == "train" or any(is_accelerator(name) for name in resources_used)


def _placement(pod: PodView, spot: SpotCapacity) -> Iterator[tuple[str, str, str]]:
    if not spot.node_selector:
        return
    selector = ", ".join(f"{k}: {v}" for k, v in spot.node_selector.items())
    if pod.kind == "serving":
        if _selects_spot(pod, spot):
            yield (
                "MLS240",
                pod.node_selector.pointer,
                _msg(
                    "Placement",
                    pod.label,
                    f"selects spot capacity ({selector})",
                    "serving must run on on-demand nodes, so select those instead",
                ),
            )
        if _tolerates_spot(pod, spot):
            yield (
                "MLS240",
                pod.tolerations.pointer,
                _msg(
                    "Placement",
                    pod.label,
                    "tolerates the spot taint",
                    "remove that toleration so serving stays on on-demand nodes",
                ),
            )
    elif _is_training(pod):
        if not _selects_spot(pod, spot):
            yield (
                "MLS241",
                pod.node_selector.pointer,
                _msg(
                    "Placement",
                    f"training {pod.label}",
                    "does not select spot capacity",
                    f"add nodeSelector {selector}",
                ),
            )
        if not _tolerates_spot(pod, spot):
            yield (
                "MLS241",
                pod.tolerations.pointer,
                _msg(
                    "Placement",
                    f"training {pod.label}",
                    "does not tolerate the spot taint",
                    f"add the toleration {_toleration_text(spot)}",
                ),
            )


def _toleration_text(spot: SpotCapacity) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in spot.toleration.items()) + "}"
