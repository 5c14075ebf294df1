"""Pod Security ``restricted`` controls, and notes on containers controllers inject."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from mlscaffold.report.model import Severity
from mlscaffold.validate.pods import ContainerView, PodView, as_list, as_map
from mlscaffold.validate.policy.baseline import BASELINE_CAPABILITIES
from mlscaffold.validate.policy.checks import (
    KubeVersion,
    Violation,
    is_linux,
    msg,
    pod_ptr,
    pod_sc,
    rule,
    sc_ptr,
    sc_values,
    user_namespaced,
    versioned_rule,
    where,
)

#: From this minor ``hostUsers: false`` (root only inside a user namespace) lets a
#: pod run as root (``check_runAsNonRoot.go``, ``check_runAsUser.go``). procMount
#: keeps its check at the restricted level (``check_procMount_restricted.go``).
USER_NAMESPACE_RELAXES: KubeVersion = (1, 35)
#: Volume sources the restricted level allows.
RESTRICTED_VOLUMES = frozenset(
    {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral"}
    | {"persistentVolumeClaim", "projected", "secret"}
)


@rule("MLS212", "Volume types", help_text="Only ephemeral and API-backed volumes.")
def _volume_types(pod: PodView) -> Iterator[Violation]:
    for volume in pod.volumes:
        data = as_map(volume.value)
        # hostPath is MLS205's finding already.
        kinds = sorted(set(data) - {"name", "hostPath"} - RESTRICTED_VOLUMES)
        if kinds:
            yield (
                volume.pointer,
                msg(
                    "Volume types",
                    f'volume "{data.get("name", "?")}" of {pod.label}',
                    f"uses {', '.join(kinds)}",
                    "use configMap, secret, emptyDir, projected, downwardAPI, csi,"
                    " ephemeral or persistentVolumeClaim",
                ),
            )


@rule("MLS213", "Privilege escalation", help_text="setuid binaries could gain root.")
def _privilege_escalation(pod: PodView) -> Iterator[Violation]:
    for c in pod.containers if is_linux(pod) else ():
        if c.security_context.get("allowPrivilegeEscalation") is not False:
            yield (
                sc_ptr(c, "allowPrivilegeEscalation"),
                msg(
                    "Privilege escalation",
                    where(pod, c),
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
    pod_value = pod_sc(pod).get(key)
    own = [(c, c.security_context.get(key)) for c in pod.containers]
    if pod_value is not None and not good(pod_value):
        yield None, pod_ptr(pod, key)
    if pod_value is None and not any(good(value) for _, value in own):
        yield None, pod_ptr(pod)
        return
    for c, value in own:
        if (value is not None or pod_value is None) and not good(value):
            yield c, sc_ptr(c, key)


@versioned_rule(
    "MLS214",
    "Running as non-root",
    help_text="runAsNonRoot: true on pod or containers.",
)
def _run_as_non_root(pod: PodView, version: KubeVersion) -> Iterator[Violation]:
    if version >= USER_NAMESPACE_RELAXES and user_namespaced(pod):
        return
    for c, ptr in _required(pod, "runAsNonRoot", lambda v: v is True):
        yield (
            ptr,
            msg(
                "Running as non-root",
                where(pod, c),
                "does not set runAsNonRoot: true",
                "set it in the pod securityContext" if c is None else "set it to true",
            ),
        )


@versioned_rule(
    "MLS215", "Running as non-root user", help_text="runAsUser must not be 0."
)
def _run_as_user(pod: PodView, version: KubeVersion) -> Iterator[Violation]:
    if version >= USER_NAMESPACE_RELAXES and user_namespaced(pod):
        return
    for ptr, who, value in sc_values(pod, "runAsUser"):
        if value == 0:
            fix = "use a non-zero UID such as 1000"
            yield ptr, msg("Running as non-root user", who, "sets runAsUser: 0", fix)


def _seccomp_set(profile: Any) -> bool:
    # Unconfined is MLS210's finding; here only a missing profile counts.
    return profile is not None


@rule(
    "MLS216", "Seccomp (restricted)", help_text="RuntimeDefault or Localhost required."
)
def _seccomp_restricted(pod: PodView) -> Iterator[Violation]:
    for c, ptr in (
        _required(pod, "seccompProfile", _seccomp_set) if is_linux(pod) else ()
    ):
        yield (
            ptr,
            msg(
                "Seccomp",
                where(pod, c),
                "has no seccomp profile",
                "set securityContext.seccompProfile.type: RuntimeDefault",
            ),
        )


@rule(
    "MLS217",
    "Capabilities (restricted)",
    help_text="Drop ALL; add NET_BIND_SERVICE only.",
)
def _capabilities_restricted(pod: PodView) -> Iterator[Violation]:
    for c in pod.containers if is_linux(pod) else ():
        caps = as_map(c.security_context.get("capabilities"))
        if "ALL" not in [str(x) for x in as_list(caps.get("drop"))]:
            yield (
                sc_ptr(c, "capabilities"),
                msg(
                    "Capabilities",
                    where(pod, c),
                    "does not drop ALL capabilities",
                    "set securityContext.capabilities.drop: [ALL]",
                ),
            )
        added = {str(x) for x in as_list(caps.get("add"))}
        extra = sorted(added & BASELINE_CAPABILITIES - {"NET_BIND_SERVICE"})
        if extra:
            yield (
                sc_ptr(c, "capabilities", "add"),
                msg(
                    "Capabilities",
                    where(pod, c),
                    f"adds {', '.join(extra)}",
                    "only NET_BIND_SERVICE may be added",
                ),
            )


@rule("MLS230", "Argo executor containers", Severity.INFO)
def _argo_executor(pod: PodView) -> Iterator[Violation]:
    if pod.injector == "Argo Workflows":
        yield (
            pod.pointer,
            msg(
                "Injected containers",
                f"Argo Workflows adds its {' and '.join(pod.injected)} executor"
                " containers to",
                f"{pod.label}, which this manifest cannot configure",
                "make the controller's executor securityContext restricted",
            ),
        )


@rule("MLS231", "KServe storage-initializer", Severity.INFO)
def _storage_initializer(pod: PodView) -> Iterator[Violation]:
    if "storage-initializer" in pod.injected:
        yield (
            pod.pointer,
            msg(
                "Injected containers",
                'KServe adds the "storage-initializer" init container to',
                f"{pod.label} because a storageUri is set",
                "its securityContext comes from KServe's storageInitializer config",
            ),
        )


@rule("MLS232", "Knative queue-proxy", Severity.INFO)
def _queue_proxy(pod: PodView) -> Iterator[Violation]:
    if "queue-proxy" in pod.injected:
        yield (
            pod.pointer,
            msg(
                "Injected containers",
                'Knative adds the "queue-proxy" sidecar to',
                f"{pod.label} in Serverless mode",
                "its securityContext comes from Knative's config-deployment",
            ),
        )


@rule("MLS233", "Argo podSpecPatch", Severity.WARNING)
def _pod_spec_patch(pod: PodView) -> Iterator[Violation]:
    if "podSpecPatch" in as_map(pod.extra.get("template")):
        yield (
            f"{pod.pointer}/podSpecPatch",
            msg(
                "podSpecPatch",
                pod.label,
                "patches its pod spec, which these checks cannot see",
                "set the fields on the template instead",
            ),
        )
