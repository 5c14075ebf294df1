from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlscaffold.errors import OutputExistsError, RenderError
from mlscaffold.render import write as write_module
from mlscaffold.render.tree import RenderedTree, TreeEntry
from mlscaffold.render.write import write_tree


def sample() -> RenderedTree:
    return RenderedTree({
        "a.txt": TreeEntry(kind="file", data=b"a\r\n\xef\xbb\xbfx", mode=0o644),
        "bin/run.sh": TreeEntry(kind="file", data=b"#!/bin/sh\n", mode=0o755),
        "empty": TreeEntry(kind="dir"),
        "private": TreeEntry(kind="dir", mode=0o700),
        "link": TreeEntry(kind="symlink", link_target="bin/run.sh"),
        "deep/er/f": TreeEntry(kind="file", data=b"", mode=0o600),
    })  # fmt: skip


def leftovers(parent: Path, name: str) -> list[str]:
    return [p.name for p in parent.iterdir() if p.name.startswith(f".{name}.")]


def test_writes_bytes_modes_and_links(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(sample(), out)
    assert (out / "a.txt").read_bytes() == b"a\r\n\xef\xbb\xbfx"
    assert (out / "bin/run.sh").stat().st_mode & 0o777 == 0o755
    assert (out / "deep/er/f").stat().st_mode & 0o777 == 0o600
    assert (out / "empty").is_dir()
    assert (out / "empty").stat().st_mode & 0o777 == 0o755  # default: a+X added
    assert (out / "private").stat().st_mode & 0o777 == 0o700
    assert (out / "link").readlink().as_posix() == "bin/run.sh"
    assert leftovers(tmp_path, "out") == []


def test_refuses_non_empty_output_without_force(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(OutputExistsError, match="--force"):
        write_tree(sample(), out)
    assert (out / "old.txt").read_text() == "old"
    assert leftovers(tmp_path, "out") == []


def test_empty_output_folder_is_fine(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    write_tree(sample(), out)
    assert (out / "a.txt").exists()


def test_force_replaces(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    write_tree(sample(), out, force=True)
    assert not (out / "old.txt").exists()
    assert (out / "a.txt").exists()
    assert leftovers(tmp_path, "out") == []


def _fail_on_third_write(monkeypatch: pytest.MonkeyPatch) -> None:
    real = write_module._write_entry
    calls = {"n": 0}

    def flaky(root: Path, path: str, entry: TreeEntry) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        real(root, path, entry)

    monkeypatch.setattr(write_module, "_write_entry", flaky)


def test_failure_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_on_third_write(monkeypatch)
    out = tmp_path / "out"
    with pytest.raises(OSError, match="disk full"):
        write_tree(sample(), out)
    assert not out.exists()
    assert leftovers(tmp_path, "out") == []


def test_failure_with_force_keeps_old(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    _fail_on_third_write(monkeypatch)
    with pytest.raises(OSError, match="disk full"):
        write_tree(sample(), out, force=True)
    assert [p.name for p in out.iterdir()] == ["old.txt"]
    assert leftovers(tmp_path, "out") == []


def test_failed_final_rename_restores_old(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    real_rename = Path.rename

    def rename(self: Path, target: Path) -> Path:
        if self.name.startswith(".out.tmp-"):
            raise OSError("rename failed")
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(OSError, match="rename failed"):
        write_tree(sample(), out, force=True)
    assert (out / "old.txt").read_text() == "old"
    assert leftovers(tmp_path, "out") == []


@pytest.mark.parametrize("bad", ["/abs", "../up", "a/../../b", "a//b", "./a", ""])
def test_paths_must_stay_inside(tmp_path: Path, bad: str) -> None:
    tree = RenderedTree({bad: TreeEntry(kind="file", data=b"x")})
    with pytest.raises(RenderError):
        write_tree(tree, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_never_writes_through_symlinks(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    tree = RenderedTree({
        "escape": TreeEntry(kind="symlink", link_target=str(victim)),
        "escape/owned.txt": TreeEntry(kind="file", data=b"x"),
    })  # fmt: skip
    with pytest.raises(RenderError, match="symlink"):
        write_tree(tree, tmp_path / "out")
    assert list(victim.iterdir()) == []
    assert not (tmp_path / "out").exists()


def test_directory_modes_do_not_depend_on_the_umask(tmp_path: Path) -> None:
    tree = RenderedTree({
        "ro": TreeEntry(kind="dir", mode=0o555),
        "ro/f": TreeEntry(kind="file", data=b"x", mode=0o644),
        "open": TreeEntry(kind="dir", mode=0o755),
    })  # fmt: skip
    old = os.umask(0o077)
    try:
        write_tree(tree, tmp_path / "out")
    finally:
        os.umask(old)
    out = tmp_path / "out"
    assert (out / "open").stat().st_mode & 0o777 == 0o755
    assert (out / "ro").stat().st_mode & 0o777 == 0o555  # set after its file
    assert (out / "ro/f").read_bytes() == b"x"
    (out / "ro").chmod(0o755)  # let tmp_path cleanup remove it
