"""The error tree: each class carries its documented exit code."""

from __future__ import annotations

import pytest

from mlscaffold import errors
from mlscaffold.fleet.render import TeamError


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (errors.ParamsError(["team: bad"]), 2),
        (errors.SettingsError("platform.yaml: sizes: is required"), 2),
        (errors.OutputExistsError("out is in the way"), 2),
        (errors.UpdateRefusedError("uncommitted changes"), 2),
        (errors.SkeletonError("bad skeleton"), 3),
        (errors.RenderError("bad render"), 3),
        (errors.SchemaStoreError("no schema"), 4),
        (errors.ToolError("no git"), 4),
        (errors.FileSystemError("read-only"), 4),
    ],
)
def test_error_carries_its_exit_code_also_as_data(
    error: errors.MlscaffoldError, code: int
) -> None:
    assert error.exit_code == code
    # Fleet workers keep errors as data across processes; the code goes with them.
    assert TeamError.of(error).exit_code == code


def test_no_unused_error_classes_remain() -> None:
    # ValidationFailed stays: the preview's "Write to" refuses an invalid tree.
    assert not hasattr(errors, "MlscaffoldWarning")
