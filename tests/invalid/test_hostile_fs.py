"""A real full disk and a real read-only file system, on a small tmpfs.

Simulated failures (tests/unit/test_write.py) show the code paths; these show
the operating system's own errors end as one line, exit 4, with the old tree
intact and nothing left behind. They need the right to mount (root in a
container usually has it) and are skipped, with the reason, where it is refused.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pytest

from mlscaffold._files import atomic_write
from mlscaffold.errors import FileSystemError
from tests.helpers import TEAM_ARGS as TEAM
from tests.invalid.test_hostile_cli import invoke


def _mount(args: list[str]) -> None:
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot {' '.join(args)} here: {done.stderr.strip()}")


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs, unmounted afterwards."""
    if shutil.which("mount") is None:
        pytest.skip("no mount command here")
    point = tmp_path / "mnt"
    point.mkdir()
    _mount(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(point)])
    yield point
    subprocess.run(["umount", "-l", str(point)], check=True)


def fill(fs: Path) -> None:
    """Take every free block, as a full disk has none."""
    with (
        (fs / "filler").open("wb", buffering=0) as handle,
        pytest.raises(OSError, match="No space left on device"),
    ):
        _write_forever(handle)


def _write_forever(handle: BinaryIO) -> None:
    while True:
        handle.write(b"\0" * 65536)


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every path below ``root``, with a file's bytes (None for a folder)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes() if p.is_file() else None
        for p in root.rglob("*")
    }


def render(out: Path, *more: str) -> tuple[int, str]:
    result = invoke(["render", *TEAM, *more, "--no-validate", "-o", str(out)])
    return result.exit_code, result.stderr


def test_disk_full_during_force_keeps_the_old_tree(tmpfs: Path) -> None:
    out = tmpfs / "out"
    assert render(out)[0] == 0
    before = snapshot(tmpfs)  # the team repository and the platform change
    fill(tmpfs)
    code, err = render(out, "--set", "size=m", "--force")
    assert code == 4
    [line] = err.splitlines()
    assert line.startswith("error: cannot write ")
    assert line.endswith(": No space left on device")
    after = snapshot(tmpfs)
    del after["filler"]
    assert after == before  # nothing changed, no temp folder left


def test_read_only_file_system_is_one_line_and_keeps_the_old_tree(
    tmpfs: Path,
) -> None:
    out = tmpfs / "out"
    assert render(out)[0] == 0
    before = snapshot(tmpfs)
    _mount(["mount", "-o", "remount,ro", str(tmpfs)])
    for target, more in ((out, ["--force"]), (tmpfs / "fresh" / "out", [])):
        code, err = render(target, "--set", "size=m", *more)
        assert code == 4
        [line] = err.splitlines()
        assert line.startswith(f"error: cannot write {tmpfs}/")
        assert ": Read-only file system" in line
    assert snapshot(tmpfs) == before


def test_a_single_file_on_a_full_disk_is_kept_whole(tmpfs: Path) -> None:
    # --markdown-file, --sarif-file, snapshots and caches all write this way.
    path = tmpfs / "comment.md"
    path.write_bytes(b"old comment")
    fill(tmpfs)
    with pytest.raises(FileSystemError) as caught:
        atomic_write(path, b"x" * 200_000)
    assert str(caught.value) == f"cannot write {path}: No space left on device"
    assert path.read_bytes() == b"old comment"
    assert sorted(p.name for p in tmpfs.iterdir()) == ["comment.md", "filler"]
