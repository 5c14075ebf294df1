"""Validate the files of many teams in parallel processes, with the serial Report."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlscaffold._parallel import resolve_jobs, run_parallel
from mlscaffold.report.model import Finding, Report
from mlscaffold.validate.crossref.team import folders_above

if TYPE_CHECKING:
    from mlscaffold.validate import ValidateOptions

__all__ = ["team_units", "validate_parallel"]

# A top-level ``kind: Namespace`` line. Only a guess at the Namespace objects (the
# real ones are known after parsing, in the workers); a wrong guess is caught after
# the run and costs a serial re-run, never a different report.
_NAMESPACE_LINE = re.compile(
    rb"^kind:[ \t]*(['\"]?)Namespace\1[ \t]*(?:#.*)?\r?$", re.MULTILINE
)
# The CEL check notes a rule it cannot evaluate (MLS120) or a transition rule
# (MLS122) once per run, on the first object; every batch notes it again, so the
# merge keeps the first note only.
_ONCE_PER_RUN = frozenset({"MLS120", "MLS122"})
# Batches per process: enough to even out teams of different sizes, few enough
# that per-batch work (schema store lookup, result transfer) stays negligible.
_BATCHES_PER_JOB = 8

_Batch = tuple[tuple[str, Path], ...]
_Result = tuple[Report, list[str]]


def team_units(paths: Sequence[str], anchors: Sequence[str]) -> list[list[int]]:
    """Group files so that no team's objects are split, as the rules group them.

    The cross-resource rules put each object in the team whose Namespace object is
    the only one in the nearest folder above it that holds any
    (:func:`~mlscaffold.validate.crossref.team.split_teams`). When every file has
    such a folder, the files of one Namespace form a unit that can be validated on its
    own with the same findings. Otherwise (one or no Namespace, or a file whose
    nearest such folder holds several, where objects are matched by namespace
    name) all files form one unit.

    Args:
        paths: The files, as reported.
        anchors: The file of each Namespace object (a file twice for two objects).

    Returns:
        Indices into ``paths``, per unit, each in input order; units ordered by
        their first file.
    """
    everything = [list(range(len(paths)))] if paths else []
    if len(anchors) < 2:
        return everything
    below: dict[str, set[int]] = {}
    for team, anchor in enumerate(anchors):
        for folder in folders_above(anchor):
            below.setdefault(folder, set()).add(team)
    units: dict[int, list[int]] = {}
    for index, path in enumerate(paths):
        owner = _team_of(path, below)
        if owner is None:
            return everything
        units.setdefault(owner, []).append(index)
    return sorted(units.values())


def validate_parallel(
    found: Mapping[str, Path],
    options: ValidateOptions,
    *,
    jobs: int,
    progress: Callable[[int, int, str], None] | None = None,
) -> Report | None:
    """Validate ``found`` in up to ``jobs`` processes, one team per unit.

    Args:
        found: Files as reported -> their path on disk, in the serial run's order.
        options: What to check and with which schemas.
        jobs: Processes to use; 0 means every core.
        progress: Called as each batch of files is done, with the files done so
            far, the number of files and the last file of the batch.

    Returns:
        The report a serial run gives, or None when the files are one unit (a
        serial run is then the fastest) or when the Namespace objects turned out
        other than guessed (the parallel result cannot be trusted).
    """
    paths = list(found)
    units = team_units(paths, _guess_anchors(found))
    workers = resolve_jobs(jobs)
    if len(units) < 2 or workers < 2:
        return None
    batches = _batches(units, min(len(units), workers * _BATCHES_PER_JOB))
    items = [tuple((paths[i], found[paths[i]]) for i in batch) for batch in batches]
    results = []
    done = 0
    for result in run_parallel(_BatchWork(options), items, jobs=workers):
        results.append(result)
        done += len(result[0].checked)
        if progress is not None:
            progress(
                done, len(paths), result[0].checked[-1] if result[0].checked else ""
            )
    anchors = [anchor for _, batch_anchors in results for anchor in batch_anchors]
    if not _refines(team_units(paths, anchors), batches):
        return None
    return _merge(paths, [report for report, _ in results])


@dataclass(frozen=True)
class _BatchWork:
    """A picklable factory for the worker that validates one batch of files."""

    options: ValidateOptions

    def __call__(self) -> Callable[[_Batch], _Result]:
        from mlscaffold.validate import _validate_files

        return lambda batch: _validate_files(dict(batch), self.options)


def _guess_anchors(found: Mapping[str, Path]) -> list[str]:
    anchors: list[str] = []
    for rel, disk in found.items():
        try:
            data = disk.read_bytes()
        except OSError:
            continue  # the worker reports it
        anchors.extend(rel for _ in _NAMESPACE_LINE.finditer(data))
    return anchors


def _batches(units: Sequence[list[int]], count: int) -> list[list[int]]:
    """``count`` runs of consecutive units, with about as many units each."""
    size, extra = divmod(len(units), count)
    batches: list[list[int]] = []
    start = 0
    for n in range(count):
        end = start + size + (n < extra)
        batches.append([i for unit in units[start:end] for i in unit])
        start = end
    return batches


def _refines(units: Sequence[list[int]], batches: Sequence[list[int]]) -> bool:
    """True when every unit lies within one batch."""
    batch_of = {i: b for b, batch in enumerate(batches) for i in batch}
    return all(len({batch_of[i] for i in unit}) == 1 for unit in units)


def _merge(paths: Sequence[str], reports: Sequence[Report]) -> Report:
    position = {path: i for i, path in enumerate(paths)}
    merged = Report()
    merged.checked = sorted(
        (path for report in reports for path in report.checked),
        key=position.__getitem__,
    )
    for report in reports:
        for checker, reason in report.skipped.items():
            merged.skipped.setdefault(checker, reason)
        merged.schemas.update(report.schemas)
        for checker, covered in report.ran.items():
            merged.ran.setdefault(checker, covered)
    merged.extend(
        _first_notes((f for report in reports for f in report.findings), position)
    )
    return merged


def _first_notes(
    findings: Iterator[Finding], position: Mapping[str, int]
) -> list[Finding]:
    """Findings with only the earliest of each once-per-run note, as a serial run."""
    kept: list[Finding] = []
    notes: dict[str, Finding] = {}
    for finding in findings:
        if finding.rule not in _ONCE_PER_RUN:
            kept.append(finding)
            continue
        # The message names the kind and apiVersion the note is about.
        first = notes.setdefault(finding.message, finding)
        if _order(finding, position) < _order(first, position):
            notes[finding.message] = finding
    return kept + list(notes.values())


def _order(finding: Finding, position: Mapping[str, int]) -> tuple[int, int]:
    where = finding.rendered
    return position[where.path], where.document or 0


def _team_of(path: str, below: Mapping[str, set[int]]) -> int | None:
    for folder in folders_above(path):
        teams = below.get(folder)
        if teams:
            return next(iter(teams)) if len(teams) == 1 else None
    return None
