from __future__ import annotations

import errno
import os
import threading
from pathlib import Path

import pytest

from mlscaffold.errors import FileSystemError, OutputExistsError, RenderError
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


def owned(tmp_path: Path) -> Path:
    """A folder an earlier write_tree wrote (its marker, a.txt, is there)."""
    out = tmp_path / "out"
    write_tree(sample(), out, marker="a.txt")
    (out / "a.txt").write_text("old")
    return out


def test_force_replaces_what_mlscaffold_wrote(tmp_path: Path) -> None:
    out = owned(tmp_path)
    write_tree(sample(), out, force=True, marker="a.txt")
    assert (out / "a.txt").read_bytes() == b"a\r\n\xef\xbb\xbfx"
    assert leftovers(tmp_path, "out") == []


@pytest.mark.parametrize("stray", [".git/HEAD", "notes.md", "deep/er/mine.txt"])
def test_force_refuses_a_folder_holding_what_it_would_not_write(
    tmp_path: Path, stray: str
) -> None:
    out = owned(tmp_path)
    (out / stray).parent.mkdir(parents=True, exist_ok=True)
    (out / stray).write_text("mine")
    with pytest.raises(
        OutputExistsError, match="which mlscaffold would not write there"
    ):
        write_tree(sample(), out, force=True, marker="a.txt")
    assert (out / stray).read_text() == "mine"
    assert (out / "a.txt").read_text() == "old"


def test_force_refuses_a_folder_mlscaffold_did_not_write(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "bin").mkdir()  # only paths the tree writes, but no marker
    with pytest.raises(OutputExistsError, match="was not written by mlscaffold"):
        write_tree(sample(), out, force=True, marker="a.txt")
    assert [p.name for p in out.iterdir()] == ["bin"]


@pytest.mark.parametrize("kind", ["file", "fifo", "symlink"])
def test_never_replaces_a_file_special_file_or_symlink(
    tmp_path: Path, kind: str
) -> None:
    out = tmp_path / "out"
    if kind == "file":
        out.write_text("mine")
    elif kind == "fifo":
        os.mkfifo(out)
    else:
        (tmp_path / "elsewhere").mkdir()
        out.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(OutputExistsError, match="never through a symlink"):
        write_tree(sample(), out, force=True)
    assert os.path.lexists(out)
    assert not any((tmp_path / "elsewhere").glob("*"))


def _fail_on_third_write(monkeypatch: pytest.MonkeyPatch) -> None:
    real = write_module._write_entry
    calls = {"n": 0}

    def flaky(root: Path, path: str, entry: TreeEntry) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(errno.ENOSPC, "No space left on device", str(root / path))
        real(root, path, entry)

    monkeypatch.setattr(write_module, "_write_entry", flaky)


def test_failure_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_on_third_write(monkeypatch)
    out = tmp_path / "out"
    with pytest.raises(FileSystemError, match=r"cannot write .*No space left"):
        write_tree(sample(), out)
    assert not out.exists()
    assert leftovers(tmp_path, "out") == []


def test_failure_with_force_keeps_old(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = owned(tmp_path)
    _fail_on_third_write(monkeypatch)
    with pytest.raises(FileSystemError, match="No space left"):
        write_tree(sample(), out, force=True, marker="a.txt")
    assert (out / "a.txt").read_text() == "old"
    assert leftovers(tmp_path, "out") == []


def test_failed_final_rename_restores_old(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = owned(tmp_path)
    real_rename = Path.rename

    def rename(self: Path, target: Path) -> Path:
        if self.name.startswith(".out.tmp-"):
            raise OSError("rename failed")
        return real_rename(self, target)

    # Without an atomic exchange, the two-rename fallback must put the old back.
    monkeypatch.setattr(write_module, "_exchange", lambda *_: False)
    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(FileSystemError, match="rename failed"):
        write_tree(sample(), out, force=True, marker="a.txt")
    assert (out / "a.txt").read_text() == "old"
    assert leftovers(tmp_path, "out") == []


def test_swap_is_atomic_where_the_file_system_can(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x").write_text("a")
    if not write_module._exchange(a, b):
        pytest.skip("this file system cannot exchange two paths")
    assert (b / "x").read_text() == "a"
    assert not (a / "x").exists()


def test_leftovers_of_a_killed_run_are_cleaned(tmp_path: Path) -> None:
    out = owned(tmp_path)
    (tmp_path / ".out.tmp-dead").mkdir()
    (tmp_path / ".out.old-dead").mkdir()
    write_tree(sample(), out, force=True, marker="a.txt")
    assert leftovers(tmp_path, "out") == []


def test_a_target_moved_aside_by_a_killed_run_is_put_back(tmp_path: Path) -> None:
    out = owned(tmp_path)
    out.rename(tmp_path / ".out.old-dead")
    with pytest.raises(OutputExistsError, match="--force"):
        write_tree(sample(), out)
    assert (out / "a.txt").read_text() == "old"
    assert leftovers(tmp_path, "out") == []


def test_concurrent_writers_one_wins_the_other_gets_one_line(tmp_path: Path) -> None:
    out = tmp_path / "out"
    outcomes: list[str] = []

    def write() -> None:
        try:
            write_tree(sample(), out)
            outcomes.append("written")
        except OutputExistsError:
            outcomes.append("refused")

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "refused", "refused", "written"]
    assert leftovers(tmp_path, "out") == []


@pytest.mark.parametrize(
    ("where", "reason"),
    [("file/sub", "File exists|Not a directory"), ("x" * 300, "File name too long")],
)
def test_file_system_failures_name_the_path(
    tmp_path: Path, where: str, reason: str
) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileSystemError, match=reason):
        write_tree(sample(), tmp_path / where)


def test_refuses_control_characters_naming_the_skeleton_file(tmp_path: Path) -> None:
    tree = RenderedTree({
        "a\x1b[2Jb.txt": TreeEntry(kind="file", data=b"x", source="${{ values.x }}.txt")
    })  # fmt: skip
    with pytest.raises(RenderError, match=r"control characters") as caught:
        write_tree(tree, tmp_path / "out")
    assert caught.value.source is not None
    assert caught.value.source.path == "${{ values.x }}.txt"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("target", ["/etc/passwd", "../../x", "../a/../../x", "../.."])
def test_refuses_symlinks_leading_outside(tmp_path: Path, target: str) -> None:
    tree = RenderedTree({"a/link": TreeEntry(kind="symlink", link_target=target)})
    with pytest.raises(RenderError, match="leads outside the output"):
        write_tree(tree, tmp_path / "out")
    assert not (tmp_path / "out").exists()


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
