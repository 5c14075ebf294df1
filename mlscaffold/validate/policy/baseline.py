"""Pod Security Standards ``baseline`` controls (MLS201-MLS211, MLS218)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mlscaffold.validate.pods import PodView, as_list, as_map
from mlscaffold.validate.policy.checks import (
    KubeVersion,
    Violation,
    msg,
    pod_ptr,
    pod_sc,
    rule,
    sc_ptr,
    sc_values,
    versioned_rule,
    where,
)

#: Capabilities the baseline level lets a container add.
BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
        "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    }
)  # fmt: skip
#: Sysctls the baseline level calls safe, with the Kubernetes minor that added
#: each (pod-security-admission ``policy/check_sysctls.go``).
SAFE_SYSCTLS: dict[str, KubeVersion] = {
    **dict.fromkeys(
        (
            "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
            "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
            "net.ipv4.ip_unprivileged_port_start",
        ),
        (1, 0),
    ),
    "net.ipv4.ip_local_reserved_ports": (1, 27),
    **dict.fromkeys(
        (
            "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
            "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
        ),
        (1, 29),
    ),
    **dict.fromkeys(("net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"), (1, 32)),
    **dict.fromkeys(
        ("net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"), (1, 37)
    ),
}  # fmt: skip
#: SELinux types the baseline level allows, with the minor that added each.
SELINUX_TYPES: dict[str, KubeVersion] = {
    **dict.fromkeys(("", "container_t", "container_init_t", "container_kvm_t"), (1, 0)),
    "container_engine_t": (1, 31),
}
#: The minor from which probe and lifecycle handlers may not name a host.
HOST_PROBES_SINCE: KubeVersion = (1, 34)
# Sorts after every real version: not allowed in any.
_NEVER: KubeVersion = (10**6, 0)
_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_HOOKS = ("postStart", "preStop")
PROFILE_OK = frozenset({"RuntimeDefault", "Localhost"})
APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"


@rule("MLS201", "HostProcess", help_text="Windows HostProcess pods have host access.")
def _host_process(pod: PodView) -> Iterator[Violation]:
    for ptr, who, value in sc_values(pod, "windowsOptions"):
        if as_map(value).get("hostProcess") is True:
            fix = "remove windowsOptions.hostProcess (or set it to false)"
            yield ptr, msg("HostProcess", who, "runs as a Windows host process", fix)


@rule(
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
                msg("Host namespaces", pod.label, f"sets {key}: true", fix),
            )


@rule(
    "MLS203", "Privileged containers", help_text="Privileged containers own the node."
)
def _privileged(pod: PodView) -> Iterator[Violation]:
    for c in pod.containers:
        if c.security_context.get("privileged") is True:
            fix = "set securityContext.privileged: false"
            yield (
                sc_ptr(c, "privileged"),
                msg("Privileged containers", where(pod, c), "is privileged", fix),
            )


@rule(
    "MLS204", "Capabilities (baseline)", help_text="Only the default set may be added."
)
def _capabilities_baseline(pod: PodView) -> Iterator[Violation]:
    for c in pod.containers:
        added = as_list(as_map(c.security_context.get("capabilities")).get("add"))
        bad = sorted(str(cap) for cap in added if str(cap) not in BASELINE_CAPABILITIES)
        if bad:
            fix = "remove them from capabilities.add"
            yield (
                sc_ptr(c, "capabilities", "add"),
                msg("Capabilities", where(pod, c), f"adds {', '.join(bad)}", fix),
            )


@rule(
    "MLS205", "HostPath volumes", help_text="hostPath mounts expose the node's files."
)
def _host_path(pod: PodView) -> Iterator[Violation]:
    for volume in pod.volumes:
        if "hostPath" in as_map(volume.value):
            who = f'volume "{as_map(volume.value).get("name", "?")}" of {pod.label}'
            fix = "use emptyDir, a persistentVolumeClaim, a configMap or a secret"
            yield (
                volume.pointer,
                msg("HostPath volumes", who, "mounts a host path", fix),
            )


@rule("MLS206", "Host ports", help_text="hostPort binds a port on the node.")
def _host_ports(pod: PodView) -> Iterator[Violation]:
    for c in pod.containers:
        for i, port in enumerate(as_list(c.data.get("ports"))):
            host_port = as_map(port).get("hostPort")
            if host_port not in (None, 0):
                yield (
                    f"{c.pointer}/ports/{i}/hostPort",
                    msg(
                        "Host ports",
                        where(pod, c),
                        f"binds hostPort {host_port}",
                        "remove hostPort and expose the port through a Service",
                    ),
                )


@rule("MLS207", "AppArmor", help_text="AppArmor must not be turned off.")
def _apparmor(pod: PodView) -> Iterator[Violation]:
    fix = "use appArmorProfile.type RuntimeDefault or Localhost, or leave it unset"
    for ptr, who, value in sc_values(pod, "appArmorProfile"):
        if as_map(value).get("type") not in (None, *PROFILE_OK):
            yield ptr, msg("AppArmor", who, "turns AppArmor off", fix)
    for key, field in pod.annotations.items():
        value = str(field.value)
        allowed = value == "runtime/default" or value.startswith("localhost/")
        if key.startswith(APPARMOR_ANNOTATION) and not allowed:
            fix = "use runtime/default or localhost/<profile>"
            problem = f"annotates {key}: {value}"
            yield field.pointer, msg("AppArmor", pod.label, problem, fix)


def _selinux_problem(options: Mapping[str, Any], version: KubeVersion) -> str:
    if SELINUX_TYPES.get(str(options.get("type") or ""), _NEVER) > version:
        return f"sets SELinux type {options.get('type')}"
    custom = [key for key in ("user", "role") if options.get(key)]
    return f"sets a custom SELinux {' and '.join(custom)}" if custom else ""


@versioned_rule(
    "MLS208", "SELinux", help_text="Custom SELinux users, roles and types escape."
)
def _selinux(pod: PodView, version: KubeVersion) -> Iterator[Violation]:
    fix = "leave seLinuxOptions user and role unset; use type container_t or none"
    for ptr, who, value in sc_values(pod, "seLinuxOptions"):
        problem = _selinux_problem(as_map(value), version)
        if problem:
            yield ptr, msg("SELinux", who, problem, fix)


@rule("MLS209", "/proc mount type", help_text="Unmasked /proc exposes kernel state.")
def _proc_mount(pod: PodView) -> Iterator[Violation]:
    for c in pod.containers:
        mount = c.security_context.get("procMount")
        if mount not in (None, "Default"):
            yield (
                sc_ptr(c, "procMount"),
                msg(
                    "/proc mount type",
                    where(pod, c),
                    f"sets procMount: {mount}",
                    "set procMount: Default or remove it",
                ),
            )


@rule("MLS210", "Seccomp (baseline)", help_text="seccomp must not be Unconfined.")
def _seccomp_baseline(pod: PodView) -> Iterator[Violation]:
    for ptr, who, value in sc_values(pod, "seccompProfile"):
        if as_map(value).get("type") == "Unconfined":
            fix = "set seccompProfile.type: RuntimeDefault"
            yield ptr, msg("Seccomp", who, "sets seccomp Unconfined", fix)


@versioned_rule(
    "MLS211", "Sysctls", help_text="Only namespaced, safe sysctls are allowed."
)
def _sysctls(pod: PodView, version: KubeVersion) -> Iterator[Violation]:
    for i, sysctl in enumerate(as_list(pod_sc(pod).get("sysctls"))):
        name = str(as_map(sysctl).get("name", ""))
        since = SAFE_SYSCTLS.get(name, _NEVER)
        if since > version:
            problem = f"sets the unsafe sysctl {name}"
            if since != _NEVER:
                problem = (
                    f"sets the sysctl {name}, which Pod Security allows only from "
                    f"Kubernetes {since[0]}.{since[1]} (checking for "
                    f"{version[0]}.{version[1]})"
                )
            yield (
                pod_ptr(pod, "sysctls", str(i)),
                msg(
                    "Sysctls",
                    pod.label,
                    problem,
                    "remove it; only the safe set (net.ipv4.ip_local_port_range...)"
                    " is allowed",
                ),
            )


@versioned_rule(
    "MLS218",
    "Host probes and lifecycle hooks",
    help_text="From 1.34 probes and hooks may not name a host.",
)
def _host_probes(pod: PodView, version: KubeVersion) -> Iterator[Violation]:
    if version < HOST_PROBES_SINCE:
        return
    for c in pod.containers:
        handlers = [(key, c.data.get(key)) for key in _PROBES]
        lifecycle = as_map(c.data.get("lifecycle"))
        handlers += [(f"lifecycle/{key}", lifecycle.get(key)) for key in _HOOKS]
        for path, handler in handlers:
            for action in ("httpGet", "tcpSocket"):
                host = as_map(as_map(handler).get(action)).get("host")
                if host:
                    yield (
                        f"{c.pointer}/{path}/{action}/host",
                        msg(
                            "Host probes and lifecycle hooks",
                            where(pod, c),
                            f"sends {path} {action} to host {host}",
                            "remove host: the kubelet then probes the pod's own IP",
                        ),
                    )
