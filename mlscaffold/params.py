"""Team parameters: the form's JSON Schema, validation, and the library's typed view."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal, cast, get_args
from urllib.parse import parse_qs

import cronsim
import jsonschema
import yaml

from mlscaffold._data import schema_file
from mlscaffold._yaml import clip, load_yaml_file
from mlscaffold.errors import ParamsError
from mlscaffold.settings import PlatformSettings, load_platform

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

HOURS_PER_MONTH = 730  # 365 * 24 / 12, the figure cloud GPU pricing uses.


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
    doc = yaml.safe_load(
        schema_file("ml-project.parameters.yaml").read_text(encoding="utf-8")
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
    platform = platform or load_platform()
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
        f"{_field_name(key)}: unknown parameter (allowed: {', '.join(properties)})"
        for key in data
        if key not in properties
    ]
    problems += [
        f"{_field_name(key)}: holds a character that is not valid Unicode at "
        f"position {bad} (a lone surrogate; text must be UTF-8)"
        for key, value in data.items()
        if isinstance(value, str) and (bad := _lone_surrogate(value)) is not None
    ]
    if problems:
        return problems  # the schema's messages would quote the broken text
    for page in parameter_pages():
        validator = _JsPatternValidator(page)
        errors = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
        problems.extend(_describe(error, properties) for error in errors)
    return problems


def _lone_surrogate(text: str) -> int | None:
    # Invalid UTF-8 on the command line arrives as lone surrogates; written to
    # a file they would make it unreadable, answers file included.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None


@cache
def _js_regex(pattern: str) -> re.Pattern[str]:
    # In JavaScript (Backstage validates with the npm `jsonschema` library) `$`
    # matches only at the very end; Python's also matches before a final newline,
    # which would let "recs\n" through as a team name.
    return re.compile(re.sub(r"(?<!\\)\$", r"\\Z", pattern))


def _js_pattern(
    validator: jsonschema.protocols.Validator, pattern: str, instance: Any, schema: Any
) -> Iterator[jsonschema.ValidationError]:
    del schema  # unused; part of the keyword signature
    if validator.is_type(instance, "string") and not _js_regex(pattern).search(
        instance
    ):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


# The stubs leave extend() unannotated; the result is a Draft7Validator subclass.
_JsPatternValidator: type[jsonschema.Draft7Validator] = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    jsonschema.Draft7Validator, {"pattern": _js_pattern}
)


def _field_name(key: object) -> str:
    # A name with spaces, colons or nothing in it would make `field: problem`
    # unreadable, so such names are shown quoted.
    text = str(key)
    return text if re.fullmatch(r"[A-Za-z0-9_.-]{1,80}", text) else clip(text)


def _describe(error: jsonschema.ValidationError, properties: Mapping[str, Any]) -> str:
    if error.validator == "required":
        field = re.findall(r"'([^']+)'", error.message)[0]
        spec = properties.get(field, {})
        return f"{field}: is required ({_allowed(spec)})"
    field = ".".join(str(p) for p in error.path) or "(parameters)"
    spec = properties.get(str(error.path[0]), {}) if error.path else {}
    value = error.instance
    kind = error.validator
    if kind == "enum":
        allowed = ", ".join(map(str, spec["enum"]))
        return f"{field}: {clip(value)} is not allowed (allowed: {allowed})"
    if kind == "type":
        expected = _a(str(error.validator_value))
        return f"{field}: {clip(value)} is not {expected} ({_allowed(spec)})"
    if kind == "maxLength":
        return (
            # maxLength only fails for strings.
            f"{field}: is {len(cast('str', value))} characters long, "
            f"at most {error.validator_value} allowed"
        )
    if kind == "minLength":
        return f"{field}: must not be empty ({_allowed(spec)})"
    if kind in ("minimum", "maximum"):
        bound = "at least" if kind == "minimum" else "at most"
        return (
            f"{field}: {clip(value)} is out of range "
            f"(allowed: {bound} {error.validator_value})"
        )
    if kind == "pattern":
        return f"{field}: {clip(value)} has the wrong form ({_allowed(spec)})"
    message = error.message  # quotes the value: keep the line short
    return f"{field}: {message if len(message) <= 200 else message[:197] + '...'}"


def _allowed(spec: Mapping[str, Any]) -> str:
    text = str(spec.get("description", "")).strip().rstrip(".")
    return f"allowed: {text}" if text else "see `mlscaffold params schema`"


def _a(type_name: str) -> str:
    return f"an {type_name}" if type_name[0] in "aeiou" else f"a {type_name}"


def _cross_field_problems(
    data: Mapping[str, Any], platform: PlatformSettings
) -> list[str]:
    problems: list[str] = []
    size = platform.sizes[data["size"]]
    accelerator = data["accelerator"]
    gpu_sizes = [name for name, s in platform.sizes.items() if s.gpus > 0]
    cpu_sizes = [name for name, s in platform.sizes.items() if s.gpus == 0]
    if size.gpus == 0 and accelerator != "none":
        problems.append(
            f"accelerator: size {size.name!r} has no GPU quota, "
            "so accelerator must be 'none' "
            f"(or choose a GPU size: {', '.join(gpu_sizes)})"
        )
    if size.gpus > 0 and accelerator == "none":
        gpu_choices = [a for a in get_args(Accelerator) if a != "none"]
        problems.append(
            f"accelerator: size {size.name!r} includes {size.gpus} GPU(s) "
            f"but accelerator is 'none' (allowed: {', '.join(gpu_choices)}; "
            f"or a CPU-only size: {', '.join(cpu_sizes)})"
        )
    budget = size.gpus * HOURS_PER_MONTH
    if data["gpuHoursPerMonth"] > budget:
        problems.append(
            f"gpuHoursPerMonth: {data['gpuHoursPerMonth']} exceeds what size "
            f"{size.name!r} can use in a month "
            f"({size.gpus} GPU x {HOURS_PER_MONTH} h = {budget}; "
            f"allowed: 0 to {budget}, or a larger size)"
        )
    problems += _repo_url_problems(data["repoUrl"], platform.allowed_hosts)
    problems += _cron_problems(data["retrainSchedule"])
    return problems


_CRON_FIELDS = ("minute", "hour", "day of month", "month", "day of week")
_CRON_NAMES = re.compile(r"JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|"
                         r"SUN|MON|TUE|WED|THU|FRI|SAT")  # fmt: skip


def _cron_problems(schedule: str) -> list[str]:
    """Ranges and syntax of a cron expression, as Argo Workflows' parser takes them.

    The form's pattern only checks the characters. Argo (robfig/cron) reads ``?``
    as ``*`` and knows month and weekday names, not ``L`` or ``W``; cronsim checks
    each field's syntax and range, and refuses a day that never comes (31 Feb).
    """
    if schedule.startswith("@"):
        return []  # the pattern admits only the macros Argo knows
    fields = schedule.split(" ")
    for name, text in zip(_CRON_FIELDS, fields, strict=False):  # the pattern: 5
        if re.search(r"[A-Za-z]", _CRON_NAMES.sub("", text.upper())):
            return [
                f"retrainSchedule: {name} {clip(text)}: only numbers and month or "
                "weekday names (JAN, MON) are allowed"
            ]
    try:
        cronsim.CronSim(schedule.replace("?", "*"), datetime(2000, 1, 1))
    except cronsim.CronSimError as exc:
        return [
            f"retrainSchedule: {clip(schedule)} is not a valid cron expression: "
            f"{str(exc)[:80].lower()} (allowed: minute 0-59, hour 0-23, day of "
            "month 1-31, month 1-12, day of week 0-7; e.g. '0 3 * * 1')"
        ]
    return []


def _repo_url_problems(repo_url: str, allowed_hosts: Sequence[str]) -> list[str]:
    host, _, query = repo_url.partition("?")
    if host not in allowed_hosts:
        return [
            f"repoUrl: host {clip(host)} is not allowed "
            f"(allowed: {', '.join(allowed_hosts)})"
        ]
    fields = parse_qs(query)
    if len(fields.get("owner", [])) != 1 or len(fields.get("repo", [])) != 1:
        return [
            "repoUrl: must name exactly one owner and one repo "
            "(host?owner=ORG&repo=NAME)"
        ]
    return []
