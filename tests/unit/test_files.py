"""files_state (the folder fingerprint, and the caches keyed by it), display_path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import mlscaffold.validate as validate
from mlscaffold._files import atomic_write, display_path, files_state
from mlscaffold.errors import FileSystemError, OutputExistsError
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


def test_atomic_write_replaces_a_file_and_keeps_the_mode_asked(tmp_path: Path) -> None:
    path = tmp_path / "new" / "out.md"
    atomic_write(path, b"one")
    atomic_write(path, b"two", mode=0o640)
    assert path.read_bytes() == b"two"
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in path.parent.iterdir()] == ["out.md"]  # no temp left


@pytest.mark.parametrize("kind", ["symlink", "dangling symlink", "fifo", "folder"])
def test_atomic_write_never_replaces_or_follows_a_non_file(
    kind: str, tmp_path: Path
) -> None:
    victim = tmp_path / "victim"
    path = tmp_path / "out"
    if kind == "symlink":
        victim.write_bytes(b"precious")
        path.symlink_to(victim)
    elif kind == "dangling symlink":
        path.symlink_to(victim)  # open() would create the victim
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(OutputExistsError, match=r"refusing to replace it"):
        atomic_write(path, b"data")
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no victim, no temp
    if kind == "symlink":
        assert victim.read_bytes() == b"precious"


def test_atomic_write_failure_names_the_path_and_leaves_the_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "file" / "out.md"
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(FileSystemError, match=rf"^cannot write {path}: Not a dir"):
        atomic_write(path, b"data")
