"""Team parameters: the form's JSON Schema, validation, and the library's typed view."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal, cast, get_args

import cronsim
import yaml

from mlscaffold._data import schema_file
from mlscaffold._param_rules import HOURS_PER_MONTH as HOURS_PER_MONTH  # public here
from mlscaffold._param_rules import (
    cron_problems,
    cross_field_problems,
    field_name,
    schema_problems,
    unicode_problems,
)
from mlscaffold._yaml import Loader, load_yaml_file
from mlscaffold.errors import ParamsError
from mlscaffold.settings import PlatformSettings, shipped_platform

Size = Literal["xs", "s", "m", "l"]
Accelerator = Literal[
    "none", "nvidia.com/gpu", "nvidia.com/mig-1g.10gb", "nvidia.com/mig-3g.40gb"
]
ModelFormat = Literal[
    "sklearn",
    "xgboost",
    "lightgbm",
    "tensorflow",
    "pytorch",
    "onnx",
    "triton",
    "huggingface",
    "mlflow",
]
Maturity = Literal["L2", "L3"]
ServingMode = Literal["scale-to-zero", "always-on"]


@dataclass(frozen=True)
class Params:
    """Validated team parameters with defaults applied; field names are the form's."""

    team: str
    owner: str
    repoUrl: str
    modelName: str
    description: str = ""
    costCenter: str = ""
    size: Size = "s"
    accelerator: Accelerator = "nvidia.com/gpu"
    gpuHoursPerMonth: int = 100
    modelFormat: ModelFormat = "sklearn"
    maturity: Maturity = "L2"
    retrainSchedule: str = "0 3 * * 1"
    servingMode: ServingMode = "scale-to-zero"

    @property
    def namespace(self) -> str:
        """The team namespace, ``<team>-ml``."""
        return f"{self.team}-ml"

    def as_dict(self) -> dict[str, Any]:
        """Plain data, as Backstage's form would submit it."""
        return asdict(self)


@cache
def parameter_pages() -> tuple[dict[str, Any], ...]:
    """The form pages of ``schemas/ml-project.parameters.yaml``, each a JSON Schema."""
    # Package data, trusted: the C loader, without the input bounds.
    doc = yaml.load(
        schema_file("ml-project.parameters.yaml").read_text(encoding="utf-8"),
        Loader=Loader,  # noqa: S506 - CSafeLoader, a safe loader
    )
    return tuple({"type": "object", **page} for page in doc["pages"])


def parameter_schema() -> dict[str, Any]:
    """All pages merged into one object schema (for docs, tooling, property tests)."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for page in parameter_pages():
        properties.update(page["properties"])
        required.extend(page.get("required", []))
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "ml-project team parameters",
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def parse_assignments(assignments: Iterable[str]) -> dict[str, Any]:
    """Turn ``KEY=VALUE`` strings into parameters, typed by the schema.

    Integer fields are converted when the text is an integer; anything else is kept
    as text so validation can say what is wrong with it.

    Raises:
        ParamsError: For an assignment without ``=``.
    """
    properties = parameter_schema()["properties"]
    result: dict[str, Any] = {}
    problems: list[str] = []
    for item in assignments:
        key, sep, value = item.partition("=")
        if not sep or not key:
            problems.append(f"{item}: expected KEY=VALUE (for example team=recs)")
            continue
        if properties.get(key, {}).get("type") == "integer" and re.fullmatch(
            r"-?\d+", value
        ):
            result[key] = int(value)
        else:
            result[key] = value
    if problems:
        raise ParamsError(problems)
    return result


def load_values_file(path: Path) -> dict[str, Any]:
    """Read parameters from a YAML (or JSON) mapping, or from a team's answers file.

    An answers file (``.mlscaffold/answers.yaml``: ``template`` plus ``parameters``)
    yields its ``parameters``, so a team repository can be re-rendered as it was.

    Raises:
        SettingsError: The file is unreadable, too large, not UTF-8, not YAML, or
            holds a duplicate key, too many aliases or too deep a nesting.
        ParamsError: When the file is not a mapping of parameters.
    """
    data = load_yaml_file(path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParamsError([f"{path}: must be a mapping of parameter names to values"])
    if set(data) == {"template", "parameters"} and isinstance(data["parameters"], dict):
        return cast(dict[str, Any], data["parameters"])
    return cast(dict[str, Any], data)


def merge_values(layers: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Deep-merge parameter layers in order, later ones winning, as helm merges ``-f``.

    Mappings merge key by key at every depth; any other value (a list too) replaces
    the earlier one; a ``null`` removes a key an earlier layer set, so a later file
    can unset a value (a ``null`` nothing set before stays, for validation to refuse).

    Args:
        layers: Values files' contents, then ``--set`` assignments.
    """
    merged: dict[str, Any] = {}
    for layer in layers:
        _merge_into(merged, layer)
    return merged


def _merge_into(target: dict[str, Any], layer: Mapping[str, Any]) -> None:
    for key, value in layer.items():
        if value is None and key in target:
            del target[key]
        elif isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _merge_into(target[key], value)
        else:
            target[key] = _copy_mapping(value) if isinstance(value, Mapping) else value


def _copy_mapping(value: Mapping[str, Any]) -> dict[str, Any]:
    copied: dict[str, Any] = {}
    _merge_into(copied, value)
    return copied


def validate_params(
    raw: Mapping[str, Any], platform: PlatformSettings | None = None
) -> Params:
    """Check parameters against the form schema and the cross-field rules.

    Every page is checked (Backstage stops at the first failing page; the set of
    accepted inputs is the same, and reporting all problems at once is kinder).

    Args:
        raw: Parameters as submitted; missing optional fields take their defaults.
        platform: Platform settings; the shipped ones by default.

    Returns:
        The typed, immutable parameters.

    Raises:
        ParamsError: With one ``field: problem (allowed: ...)`` line per problem.
    """
    platform = platform or shipped_platform()
    data = _with_defaults(raw)
    problems = _schema_problems(data)
    if not problems:
        problems = _cross_field_problems(data, platform)
    if problems:
        raise ParamsError(problems)
    return Params(**data)


def _with_defaults(raw: Mapping[str, Any]) -> dict[str, Any]:
    data = dict(raw)
    for name, spec in parameter_schema()["properties"].items():
        if name not in data and "default" in spec:
            data[name] = spec["default"]
    return data


def _schema_problems(data: Mapping[str, Any]) -> list[str]:
    schema = parameter_schema()
    properties: dict[str, Any] = schema["properties"]
    problems = [
        f"{field_name(key)}: unknown parameter (allowed: {', '.join(properties)})"
        for key in data
        if key not in properties
    ]
    problems += unicode_problems(data)
    if problems:
        return problems  # the schema's messages would quote the broken text
    # The standard-library checker of the form's keywords, worded and ordered as
    # jsonschema's Draft 7 with JavaScript patterns (tests/unit/test_param_rules.py
    # holds the two equal); importing jsonschema would cost a render ~70 ms.
    return schema_problems(data, parameter_pages())


def _cross_field_problems(
    data: Mapping[str, Any], platform: PlatformSettings
) -> list[str]:
    return [
        *cross_field_problems(
            data,
            {name: {"gpus": size.gpus} for name, size in platform.sizes.items()},
            platform.allowed_hosts,
            get_args(Accelerator),
        ),
        *cron_problems(data["retrainSchedule"], cronsim.CronSim, cronsim.CronSimError),
    ]
