"""Platform settings: what the skeleton indexes into must be there, or loading fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from mlscaffold._data import schema_file
from mlscaffold.errors import SettingsError
from mlscaffold.settings import load_platform


def _write(tmp_path: Path, change: Any) -> Path:
    raw = yaml.safe_load(schema_file("platform.yaml").read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / "platform.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def test_shipped_settings_load() -> None:
    assert load_platform().sizes["m"].gpus == 4


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda raw: raw["sizes"]["m"]["train"].update(gpus=5),
            "sizes: m: train: gpus: 5 is outside the quota (allowed: 0 to 4)",
        ),
        (lambda raw: raw["sizes"]["s"].pop("train"), "sizes: s: train: needs"),
        (
            lambda raw: raw["serving"]["resources"].pop("triton"),
            "serving: resources: triton: needs requests and limits",
        ),
        (
            lambda raw: raw["serving"]["resources"]["onnx"].update(gpus=True),
            "serving: resources: onnx: gpus: must be 0 or 1",
        ),
        (
            lambda raw: raw["serving"].pop("placeholderModelUri"),
            "serving: placeholderModelUri: is required",
        ),
        (
            lambda raw: raw["serving"].update(canaryTrafficPercent=100),
            "serving: canaryTrafficPercent: must be an integer from 1 to 99",
        ),
        (
            lambda raw: raw["serving"].update(ingressNamespaces=[]),
            "serving: ingressNamespaces: needs a non-empty list",
        ),
        (
            lambda raw: raw["monitoring"].update(namespaces=["Not A Name"]),
            "monitoring: namespaces: needs a non-empty list",
        ),
        (
            lambda raw: raw["capacity"]["gpu"].update(tolerations=[{"key": "x"}]),
            "capacity: gpu: tolerations: needs a list of tolerations",
        ),
    ],
)
def test_gaps_are_refused_with_the_setting_named(
    tmp_path: Path, change: Any, problem: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        load_platform(_write(tmp_path, change))
    assert any(
        line.startswith(f"platform.yaml: {problem}")
        for line in caught.value.message.splitlines()
    )
