"""Kubernetes resource quantities, and the requests the scheduler accounts for."""

from __future__ import annotations

import re
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from mlscaffold.validate.pods import PodView, as_map

_QUANTITY = re.compile(
    r"^([+-]?(?:\d+\.?\d*|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([numkMGTPE])|[eE]([+-]?\d+))?$"
)
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 1000),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
}


def parse_quantity(value: object) -> Fraction:
    """Parse a Kubernetes resource quantity exactly.

    Args:
        value: ``"250m"``, ``"1.5Gi"``, ``"2e3"``, ``"1k"`` or a YAML number.

    Returns:
        The exact value in base units (cores, bytes, devices).

    Raises:
        ValueError: When ``value`` is not a quantity.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Fraction(str(value))
    match = _QUANTITY.match(str(value).strip())
    if match is None:
        raise ValueError(f"not a quantity: {value!r}")
    number, binary, decimal, exponent = match.groups()
    amount = Fraction(number)
    if binary:
        return amount * _BINARY[binary]
    if decimal:
        return amount * _DECIMAL[decimal]
    if exponent:
        return amount * Fraction(10) ** int(exponent)
    return amount


def format_quantity(resource: str, amount: Fraction) -> str:
    """Show ``amount`` as a manifest would write it (``1500m``, ``24Gi``, ``2``)."""
    if resource.endswith("cpu"):
        return (
            str(amount.numerator)
            if amount.denominator == 1
            else f"{round(amount * 1000)}m"
        )
    if resource.endswith(("memory", "storage")):
        for suffix in ("Ti", "Gi", "Mi", "Ki"):
            scaled = amount / _BINARY[suffix]
            if scaled >= 1 and scaled.denominator == 1:
                return f"{scaled.numerator}{suffix}"
    return str(amount.numerator) if amount.denominator == 1 else str(float(amount))


def quantities(mapping: object) -> dict[str, Fraction]:
    """The entries of ``mapping`` that parse as quantities, by resource name.

    Values that do not parse are left out: the API-server rules (MLS141) and the
    CRD schemas (MLS102) report them, and the rules that add quantities up go on
    with the rest instead of stopping.
    """
    parsed = {str(key): _parse_or_none(value) for key, value in as_map(mapping).items()}
    return {key: value for key, value in parsed.items() if value is not None}


def _parse_or_none(value: object) -> Fraction | None:
    try:
        return parse_quantity(value)
    except ValueError:
        return None


def container_requests(
    container: Mapping[str, Any], defaults: Mapping[str, Fraction] | None = None
) -> dict[str, Fraction]:
    """Requests the scheduler accounts for one container.

    A missing request falls back to the container's own limit (Kubernetes copies it),
    then to the LimitRange default in ``defaults``. Values that are not quantities
    are left out (see :func:`quantities`).
    """
    resources = as_map(container.get("resources"))
    requests = quantities(resources.get("requests"))
    for key, value in quantities(resources.get("limits")).items():
        requests.setdefault(key, value)
    for key, value in (defaults or {}).items():
        requests.setdefault(key, value)
    return requests


def pod_requests(
    pod: PodView, defaults: Mapping[str, Fraction] | None = None
) -> dict[str, Fraction]:
    """Effective pod requests: running containers summed, init containers by maximum."""
    total: dict[str, Fraction] = {}
    peak_init: dict[str, Fraction] = {}
    for container in pod.containers:
        if container.role == "ephemeral":
            continue  # ephemeral containers have no resources
        for key, value in container_requests(container.data, defaults).items():
            if container.role == "init":
                peak_init[key] = max(peak_init.get(key, Fraction(0)), value)
            else:
                total[key] = total.get(key, Fraction(0)) + value
    for key, value in peak_init.items():
        total[key] = max(total.get(key, Fraction(0)), value)
    return total


#: Extended-resource prefixes that name accelerators (GPUs, MIG slices, NPUs).
ACCELERATOR_PREFIXES = ("nvidia.com/", "amd.com/", "gpu.intel.com/", "habana.ai/")


def is_accelerator(resource: str) -> bool:
    """True for extended resources that are accelerators (``nvidia.com/gpu``...)."""
    return resource.startswith(ACCELERATOR_PREFIXES) or resource.endswith("/gpu")
