"""Registry of pod-level policy checks, and helpers that read pod security fields."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from mlscaffold.report.model import Severity
from mlscaffold.report.rules import RuleInfo
from mlscaffold.validate.pods import ContainerView, PodView, as_map

TOOL = "policy"

#: A violation: the JSON pointer to report at, and the message.
Violation = tuple[str, str]
#: A Kubernetes minor as (major, minor): the controls follow it, as upstream.
KubeVersion = tuple[int, int]
PodCheck = Callable[[PodView], Iterator[Violation]]
VersionedPodCheck = Callable[[PodView, KubeVersion], Iterator[Violation]]

#: Every policy rule, by id; filled as the check modules define their checks.
POLICY_RULES: dict[str, RuleInfo] = {}
POD_CHECKS: list[tuple[RuleInfo, VersionedPodCheck]] = []


def add_rule(rule_id: str, short: str, severity: Severity, help_text: str) -> RuleInfo:
    """Register a policy rule that is not a pod check (placement).

    Raises:
        ValueError: When ``rule_id`` is already registered.
    """
    if rule_id in POLICY_RULES:  # a programming error, caught by the unit tests
        raise ValueError(f"duplicate rule id {rule_id}")
    POLICY_RULES[rule_id] = RuleInfo(rule_id, short, severity, help_text, TOOL)
    return POLICY_RULES[rule_id]


def rule(
    rule_id: str, short: str, severity: Severity = Severity.ERROR, help_text: str = ""
) -> Callable[[PodCheck], PodCheck]:
    """Register a pod check that is the same in every supported Kubernetes version."""

    def register(check: PodCheck) -> PodCheck:
        info = add_rule(rule_id, short, severity, help_text)
        POD_CHECKS.append((info, lambda pod, _version: check(pod)))
        return check

    return register


def versioned_rule(
    rule_id: str, short: str, severity: Severity = Severity.ERROR, help_text: str = ""
) -> Callable[[VersionedPodCheck], VersionedPodCheck]:
    """Register a pod check whose control changed between Kubernetes versions.

    The check gets the ``--kube-version`` minor, as pod-security-admission's
    versioned checks do (``policy/check_*.go``, ``MinimumVersion``).
    """

    def register(check: VersionedPodCheck) -> VersionedPodCheck:
        POD_CHECKS.append((add_rule(rule_id, short, severity, help_text), check))
        return check

    return register


def user_namespaced(pod: PodView) -> bool:
    """``hostUsers: false``: from 1.35 upstream relaxes the run-as-root controls."""
    return pod.host_users is False


def msg(control: str, who: str, problem: str, fix: str) -> str:
    """``Control: who problem; fix.`` — every policy message has this shape."""
    return f"{control}: {who} {problem}; {fix}."


def pod_sc(pod: PodView) -> Mapping[str, Any]:
    """The pod's effective ``securityContext`` (empty when unset)."""
    return as_map(pod.security_context.value)


def where(pod: PodView, container: ContainerView | None = None) -> str:
    """Who a message is about: the pod, or one of its containers."""
    if container is None:
        return pod.label
    return f'{container.role} "{container.name}" in {pod.label}'


def sc_ptr(container: ContainerView, *keys: str) -> str:
    """Pointer to a container field, or to the container when the field is unset."""
    probe: Any = container.security_context
    for key in keys:
        probe = as_map(probe).get(key)
    if probe is None:
        return container.pointer
    return "/".join((container.pointer, "securityContext", *keys))


def pod_ptr(pod: PodView, *keys: str) -> str:
    """Pointer to a field of the pod ``securityContext``."""
    return "/".join((pod.security_context.pointer, *keys))


def is_linux(pod: PodView) -> bool:
    """False for Windows pods, which some Linux-only controls exempt."""
    return pod.os_name != "windows"


def sc_values(pod: PodView, key: str) -> Iterator[tuple[str, str, Any]]:
    """(pointer, who, value) of ``key`` in the pod and in each container context."""
    if key in pod_sc(pod):
        yield pod_ptr(pod, key), pod.label, pod_sc(pod)[key]
    for c in pod.containers:
        if key in c.security_context:
            yield sc_ptr(c, key), where(pod, c), c.security_context[key]
