"""The exported cookiecutter template refuses what `mlscaffold render` refuses.

The real cookiecutter runs the export's pre-generation hook, which has only the
standard library (and the cronsim source it embeds): cron ranges and lone
surrogates must be refused there with the very lines render prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cookiecutter.exceptions import FailedHookException

from mlscaffold.api import render_project
from mlscaffold.errors import ParamsError
from mlscaffold.params import validate_params
from mlscaffold.template.cookiecutter import export_cookiecutter
from tests.invalid.params.test_params_rejected import DOC, case_id, case_params
from tests.unit.test_cookiecutter_export import run_cookiecutter

# The checks that need more than the form schema's keywords.
RULES = {"retrainSchedule.cron", "description.unicode"}
CASES = [c for c in DOC["cases"] if c["rule"] in RULES]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("export") / "ml-project-cookiecutter"
    export_cookiecutter(dest)
    return dest


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_the_hook_refuses_with_the_lines_render_prints(
    case: dict[str, Any],
    exported: Path,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    params = case_params(case)
    with pytest.raises(ParamsError) as caught:
        validate_params(params)
    # A valid project's values, then the bad parameter as a user would pass it.
    values = render_project(DOC["base"]).values
    with pytest.raises(FailedHookException):
        run_cookiecutter(exported, {**values, **case["params"]}, tmp_path)
    err = capfd.readouterr().err
    assert "Invalid parameters:\n" in err
    hook_lines = err.split("Invalid parameters:\n", 1)[1].splitlines()
    assert hook_lines == [
        *(f"  {p}" for p in caught.value.problems),
        "Nothing was written.",
    ]
    assert not any((tmp_path / "out").iterdir())


def test_a_valid_schedule_passes_the_hook(exported: Path, tmp_path: Path) -> None:
    values = render_project({**DOC["base"], "maturity": "L3"}).values
    schedule = {"retrainSchedule": "30 4 1-7 JAN,JUL MON"}
    out = run_cookiecutter(exported, {**values, **schedule}, tmp_path)
    assert "30 4 1-7 JAN,JUL MON" in next(out.rglob("cronworkflow.yaml")).read_text()
