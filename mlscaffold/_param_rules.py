"""Parameter problems worded as one line each, with the standard library only.

Shared by :mod:`mlscaffold.params` and by the pre-generation hook of the
cookiecutter export, which runs where nothing but the standard library is sure to
be installed (cookiecutter brings neither jsonschema nor mlscaffold). Both word
every problem the same way because both call these functions; both check the
schema with :func:`schema_problems`, a small checker for the keywords the form
schema uses, which the tests hold to the same output as jsonschema's (Draft 7,
with JavaScript's patterns, as Backstage's npm ``jsonschema``). Importing
jsonschema would cost every render about 70 ms.

Keep this module free of imports outside the standard library, and free of
Jinja2 delimiters: the export embeds its source in a hook that cookiecutter
renders as a template before running it. The one library it needs, cronsim, is
passed in by the caller (the hook embeds cronsim's source too).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import parse_qs

HOURS_PER_MONTH = 730  # 365 * 24 / 12, the figure cloud GPU pricing uses.

_CHECKED = ("type", "enum", "pattern", "minLength", "maxLength", "minimum", "maximum")


@cache
def js_regex(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled with JavaScript's ``$`` (the very end only).

    Backstage validates with the npm ``jsonschema`` library; Python's ``$`` also
    matches before a final newline, which would let "recs\\n" through as a team.
    """
    return re.compile(re.sub(r"(?<!\\)\$", r"\\Z", pattern))


def clip(value: object, limit: int = 80) -> str:
    """``repr`` of ``value``, at most ``limit`` characters, for error messages.

    A message quotes enough to find the value, never a megabyte of it.
    """
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def field_name(key: object) -> str:
    """The field as shown: quoted when spaces or colons would make it unreadable."""
    text = str(key)
    if re.fullmatch(r"[A-Za-z0-9_.-]{1,80}", text):
        return text
    return clip(text)


def allowed(spec: Mapping[str, Any]) -> str:
    """``allowed: <the field's description>``, the hint every problem ends with."""
    text = str(spec.get("description", "")).strip().rstrip(".")
    return f"allowed: {text}" if text else "see `mlscaffold params schema`"


def _a(type_name: str) -> str:
    return f"an {type_name}" if type_name[0] in "aeiou" else f"a {type_name}"


def required_problem(field: str, spec: Mapping[str, Any]) -> str:
    """The line for a required field that is missing."""
    return f"{field}: is required ({allowed(spec)})"


def describe(
    keyword: str, field: str, value: Any, bound: Any, spec: Mapping[str, Any]
) -> str | None:
    """The line for one failed schema keyword; None for keywords not worded here.

    Args:
        keyword: The failing keyword (``type``, ``enum``, ``pattern``...).
        field: The field's dotted path.
        value: The offending value.
        bound: The keyword's value in the schema (the type, the limit...).
        spec: The field's schema (for its description and enum).
    """
    if keyword == "enum":
        choices = ", ".join(map(str, spec["enum"]))
        return f"{field}: {clip(value)} is not allowed (allowed: {choices})"
    if keyword == "type":
        return f"{field}: {clip(value)} is not {_a(str(bound))} ({allowed(spec)})"
    if keyword == "maxLength":
        return f"{field}: is {len(value)} characters long, at most {bound} allowed"
    if keyword == "minLength":
        return f"{field}: must not be empty ({allowed(spec)})"
    if keyword in ("minimum", "maximum"):
        side = "at least" if keyword == "minimum" else "at most"
        return f"{field}: {clip(value)} is out of range (allowed: {side} {bound})"
    if keyword == "pattern":
        return f"{field}: {clip(value)} has the wrong form ({allowed(spec)})"
    return None


def _is_type(value: Any, name: str) -> bool:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    checks = {
        "string": isinstance(value, str),
        # As jsonschema: any int (float() of a huge one would overflow), or a
        # float without a fraction.
        "integer": number and (isinstance(value, int) or value.is_integer()),
        "number": number,
        "boolean": isinstance(value, bool),
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
        "null": value is None,
    }
    return checks.get(name, True)


def _equal(value: Any, option: Any) -> bool:
    # As JSON Schema compares: true is not 1, but 1 is 1.0.
    return isinstance(value, bool) == isinstance(option, bool) and value == option


def _failed(keyword: str, value: Any, bound: Any) -> bool:
    text = isinstance(value, str)
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if keyword == "type":
        return not _is_type(value, bound)
    if keyword == "enum":
        return not any(_equal(value, option) for option in bound)
    if keyword == "pattern":
        return text and not js_regex(bound).search(value)
    if keyword in ("minLength", "maxLength"):
        return text and (
            len(value) < bound if keyword == "minLength" else len(value) > bound
        )
    return number and (value < bound if keyword == "minimum" else value > bound)


def _failures(value: Any, spec: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """(keyword, bound) of every failing keyword, in the schema's keyword order."""
    for keyword, bound in spec.items():
        if keyword in _CHECKED and _failed(keyword, value, bound):
            yield keyword, bound


def schema_problems(
    data: Mapping[str, Any], pages: Sequence[Mapping[str, Any]]
) -> list[str]:
    """Check ``data`` against each form page, worded and ordered as jsonschema's.

    Covers the keywords the form schema uses (``required``, and per field
    ``type``, ``enum``, ``pattern``, ``minLength``, ``maxLength``, ``minimum``,
    ``maximum``); unknown parameters are not checked here.
    """
    problems: list[str] = []
    for page in pages:
        properties: Mapping[str, Any] = page.get("properties", {})
        found: list[tuple[list[str], str]] = [
            ([], required_problem(name, properties.get(name, {})))
            for name in page.get("required", [])
            if name not in data
        ]
        for name, spec in properties.items():
            if name in data:
                found += [
                    ([name], line)
                    for keyword, bound in _failures(data[name], spec)
                    if (line := describe(keyword, name, data[name], bound, spec))
                ]
        problems += [line for _, line in sorted(found, key=lambda item: item[0])]
    return problems


def cross_field_problems(
    data: Mapping[str, Any],
    sizes: Mapping[str, Mapping[str, Any]],
    allowed_hosts: Sequence[str],
    accelerators: Sequence[str],
) -> list[str]:
    """What the schema alone cannot say: GPU quota vs accelerator and hours, hosts.

    Args:
        data: Parameters that passed the schema, defaults filled in.
        sizes: Size presets by name, each with a ``gpus`` count.
        allowed_hosts: Git hosts a team repository may live on.
        accelerators: Every accelerator choice, ``none`` included.
    """
    problems: list[str] = []
    size = data["size"]
    gpus = int(sizes[size]["gpus"])
    accelerator = data["accelerator"]
    gpu_sizes = [name for name, s in sizes.items() if int(s["gpus"]) > 0]
    cpu_sizes = [name for name, s in sizes.items() if int(s["gpus"]) == 0]
    if gpus == 0 and accelerator != "none":
        problems.append(
            f"accelerator: size {size!r} has no GPU quota, "
            "so accelerator must be 'none' "
            f"(or choose a GPU size: {', '.join(gpu_sizes)})"
        )
    if gpus > 0 and accelerator == "none":
        gpu_choices = [a for a in accelerators if a != "none"]
        problems.append(
            f"accelerator: size {size!r} includes {gpus} GPU(s) "
            f"but accelerator is 'none' (allowed: {', '.join(gpu_choices)}; "
            f"or a CPU-only size: {', '.join(cpu_sizes)})"
        )
    budget = gpus * HOURS_PER_MONTH
    if data["gpuHoursPerMonth"] > budget:
        problems.append(
            f"gpuHoursPerMonth: {data['gpuHoursPerMonth']} exceeds what size "
            f"{size!r} can use in a month "
            f"({gpus} GPU x {HOURS_PER_MONTH} h = {budget}; "
            f"allowed: 0 to {budget}, or a larger size)"
        )
    problems += repo_url_problems(data["repoUrl"], allowed_hosts)
    return problems


def repo_url_problems(repo_url: str, allowed_hosts: Sequence[str]) -> list[str]:
    """A RepoUrlPicker value on a host the platform does not allow, or ambiguous."""
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


def unicode_problems(data: Mapping[str, Any]) -> list[str]:
    """Text that cannot be written as UTF-8: lone surrogates, one line per field.

    Invalid UTF-8 on a command line arrives as lone surrogates; written to a file
    they would make it unreadable, answers file included.
    """
    problems: list[str] = []
    for key, value in data.items():
        if not isinstance(value, str):
            continue
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            problems.append(
                f"{field_name(key)}: holds a character that is not valid Unicode at "
                f"position {exc.start} (a lone surrogate; text must be UTF-8)"
            )
    return problems


_CRON_FIELDS = ("minute", "hour", "day of month", "month", "day of week")
_CRON_NAMES = re.compile(r"JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|"
                         r"SUN|MON|TUE|WED|THU|FRI|SAT")  # fmt: skip


def cron_problems(
    schedule: str,
    cron_sim: Callable[[str, datetime], object],
    cron_error: type[Exception],
) -> list[str]:
    """Ranges and syntax of a cron expression, as Argo Workflows' parser takes them.

    The form's pattern only checks the characters. Argo (robfig/cron) reads ``?``
    as ``*`` and knows month and weekday names, not ``L`` or ``W``; cronsim checks
    each field's syntax and range, and refuses a day that never comes (31 Feb).

    Args:
        schedule: The expression (it has passed the form's pattern).
        cron_sim: ``cronsim.CronSim``, passed in so that this module needs only
            the standard library.
        cron_error: ``cronsim.CronSimError``.
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
        cron_sim(schedule.replace("?", "*"), datetime(2000, 1, 1))
    except cron_error as exc:
        return [
            f"retrainSchedule: {clip(schedule)} is not a valid cron expression: "
            f"{str(exc)[:80].lower()} (allowed: minute 0-59, hour 0-23, day of "
            "month 1-31, month 1-12, day of week 0-7; e.g. '0 3 * * 1')"
        ]
    return []
