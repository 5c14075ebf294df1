"""files_state (the folder fingerprint, and the caches keyed by it), display_path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import mlscaffold.validate as validate
from mlscaffold._files import display_path, files_state
from mlscaffold.validate import ValidateOptions


def test_state_changes_on_edit_add_remove_and_rename(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.yaml").write_text("a: 1\n")
    first = files_state(tmp_path)
    assert [Path(entry[0]).name for entry in first] == ["a.yaml"]
    assert files_state(tmp_path) == first

    (tmp_path / "sub" / "a.yaml").write_text("a: 12\n")
    edited = files_state(tmp_path)
    assert edited != first
    (tmp_path / "b.yaml").write_text("")
    added = files_state(tmp_path)
    assert len(added) == 2
    (tmp_path / "b.yaml").rename(tmp_path / "c.yaml")
    assert files_state(tmp_path) != added
    (tmp_path / "c.yaml").unlink()
    assert files_state(tmp_path) == edited


def test_a_linked_file_counts_its_target(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("a: 1\n")
    root = tmp_path / "root"
    root.mkdir()
    (root / "link.yaml").symlink_to(outside)
    (root / "dangling.yaml").symlink_to(tmp_path / "missing")
    before = files_state(root)
    outside.write_text("a: 1000\n")
    os.utime(outside, ns=(1, 1))
    assert files_state(root) != before
    assert [entry[3] for entry in before] == [-1, len("a: 1\n")]


def test_missing_folder_has_no_files(tmp_path: Path) -> None:
    assert files_state(tmp_path / "missing") == ()


def test_schema_stores_are_reused_and_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(validate, "_STORES", {})
    options = []
    for index in range(validate._MAX_STORES + 2):
        crds = tmp_path / f"crds{index}"
        crds.mkdir()
        options.append(ValidateOptions(crd_dirs=(crds,), cache_dir=tmp_path))
    stores = [validate._store(option) for option in options]
    assert len(validate._STORES) == validate._MAX_STORES
    assert validate._store(options[-1]) is stores[-1]
    assert validate._store(options[0]) is not stores[0]  # evicted, built again

    # a CRD file edit is a new folder state: a new store
    assert validate._store(options[-2]) is stores[-2]
    (options[-2].crd_dirs[0] / "x.yaml").write_text("{}\n")
    assert validate._store(options[-2]) is not stores[-2]
    assert len(validate._STORES) == validate._MAX_STORES


def test_display_path_is_relative_inside_the_root_and_whole_outside() -> None:
    root = Path("/repo")
    assert display_path(root / "tests" / "__snapshots__", root) == "tests/__snapshots__"
    assert display_path(Path("/elsewhere/x"), root) == "/elsewhere/x"
