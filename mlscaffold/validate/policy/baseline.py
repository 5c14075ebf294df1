"""Pod Security Standards ``baseline`` controls (MLS201-MLS211)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mlscaffold.validate.pods import PodView, as_list, as_map
from mlscaffold.validate.policy.checks import (
    Violation,
    msg,
    pod_ptr,
    pod_sc,
    rule,
    sc_ptr,
    sc_values,
    where,
)

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

SELINUX_TYPES = frozenset(
    {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
)
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


def _selinux_problem(options: Mapping[str, Any]) -> str:
    if str(options.get("type") or "") not in SELINUX_TYPES:
        return f"sets SELinux type {options.get('type')}"
    custom = [key for key in ("user", "role") if options.get(key)]
    return f"sets a custom SELinux {' and '.join(custom)}" if custom else ""


@rule("MLS208", "SELinux", help_text="Custom SELinux users, roles and types escape.")
def _selinux(pod: PodView) -> Iterator[Violation]:
    fix = "leave seLinuxOptions user and role unset; use type container_t or none"
    for ptr, who, value in sc_values(pod, "seLinuxOptions"):
        problem = _selinux_problem(as_map(value))
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


@rule("MLS211", "Sysctls", help_text="Only namespaced, safe sysctls are allowed.")
def _sysctls(pod: PodView) -> Iterator[Violation]:
    for i, sysctl in enumerate(as_list(pod_sc(pod).get("sysctls"))):
        name = str(as_map(sysctl).get("name", ""))
        if name not in SAFE_SYSCTLS:
            yield (
                pod_ptr(pod, "sysctls", str(i)),
                msg(
                    "Sysctls",
                    pod.label,
                    f"sets the unsafe sysctl {name}",
                    "remove it; only the safe set (net.ipv4.ip_local_port_range...)"
                    " is allowed",
                ),
            )
