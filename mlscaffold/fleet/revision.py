"""The template's sources (skeleton, schemas): in a work tree or at a Git revision."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mlscaffold._data import schema_file, skeleton_dir
from mlscaffold.config import DEFAULT_PLATFORM, DEFAULT_SKELETON, PlatformConfig
from mlscaffold.errors import ToolError
from mlscaffold.template.build import TEMPLATE_NAME

__all__ = [
    "DEFAULT_LAYOUT",
    "PlatformSources",
    "SourceLayout",
    "git",
    "installed_sources",
    "layout_of",
    "repo_root",
    "resolve_revision",
    "revision_sources",
    "run_git",
    "version_tag",
    "worktree_sources",
]

_TIMEOUT = 120


@dataclass(frozen=True)
class SourceLayout:
    """Where the sources lie inside a platform repository (POSIX paths from its top).

    What a render depends on besides the code: the skeleton and the settings.
    """

    skeleton: str = DEFAULT_SKELETON
    platform_file: str = DEFAULT_PLATFORM


DEFAULT_LAYOUT = SourceLayout()
"""``skeletons/ml-project`` and ``schemas/platform.yaml``."""


def layout_of(config: PlatformConfig, repo: Path) -> SourceLayout:
    """Where ``config``'s skeleton and settings lie in the Git work tree ``repo``.

    A path outside ``repo`` (the shipped skeleton, say) keeps the default layout.
    """
    top = repo.resolve()

    def inside(path: Path, default: str) -> str:
        resolved = path.resolve()
        return (
            resolved.relative_to(top).as_posix()
            if resolved.is_relative_to(top)
            else default
        )

    return SourceLayout(
        inside(config.skeleton, DEFAULT_SKELETON),
        inside(config.platform_file, DEFAULT_PLATFORM),
    )


@dataclass(frozen=True)
class PlatformSources:
    """Where one version of the template's sources lies on disk.

    Attributes:
        skeleton: The ml-project skeleton folder.
        platform_file: The platform settings (``schemas/platform.yaml``).
        label: What it is, for reports (``work tree``, a revision, ``installed``).
        commit: The commit it was taken from, when it was a revision.
    """

    skeleton: Path
    platform_file: Path
    label: str
    commit: str | None = None


def installed_sources() -> PlatformSources:
    """The skeleton and settings shipped with (or edited beside) this mlscaffold."""
    return PlatformSources(
        skeleton_dir(TEMPLATE_NAME), schema_file("platform.yaml"), "installed"
    )


def worktree_sources(
    repo: Path, layout: SourceLayout = DEFAULT_LAYOUT
) -> PlatformSources:
    """The sources as they are in ``repo``'s work tree, uncommitted edits included.

    Raises:
        ToolError: ``repo`` lacks the layout's skeleton or settings.
    """
    sources = _sources_in(Path(repo), "work tree", None, layout)
    if not sources.skeleton.is_dir() or not sources.platform_file.is_file():
        raise ToolError(
            f"{repo} is not a platform repository: it needs {layout.skeleton}/ and "
            f"{layout.platform_file}"
        )
    return sources


def version_tag(version: str) -> str:
    """The Git tag of template version ``version``: ``ml-project-v<version>``."""
    return f"{TEMPLATE_NAME}-v{version}"


def run_git(
    repo: Path, args: Sequence[str], *, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run ``git -C repo ARGS`` (an argument list, never a shell); any exit code.

    Raises:
        ToolError: git is missing or does not finish in time.
    """
    binary = shutil.which("git")
    if binary is None:
        raise ToolError("git is required but not on PATH")
    # Fixed locale so messages are predictable; no pager or prompts in a library.
    env = {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat"}
    try:
        return subprocess.run(  # noqa: S603 - argument list, binary from PATH
            [binary, "-C", str(repo), *args],
            input=stdin,
            capture_output=True,
            check=False,
            timeout=_TIMEOUT,
            env=env,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolError(f"git {' '.join(args)} failed: {exc}") from exc


def git(repo: Path, args: Sequence[str], *, stdin: bytes | None = None) -> bytes:
    """Run ``git -C repo ARGS`` and return its stdout.

    Raises:
        ToolError: git is missing, times out, or exits non-zero.
    """
    done = run_git(repo, args, stdin=stdin)
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip() or "no message"
        raise ToolError(f"git {' '.join(args)} failed in {repo}: {message}")
    return done.stdout


def repo_root(path: Path) -> Path:
    """The top of the Git work tree that holds ``path``.

    Raises:
        ToolError: ``path`` is not inside a Git work tree.
    """
    done = run_git(path, ["rev-parse", "--show-toplevel"])
    if done.returncode != 0:
        raise ToolError(
            f"{path} is not inside a Git repository; run this in the platform "
            "repository or give --platform-repo DIR"
        )
    return Path(done.stdout.decode("utf-8").strip())


def resolve_revision(repo: Path, rev: str) -> str:
    """The full commit id that ``rev`` names in ``repo``.

    Raises:
        ToolError: ``rev`` names no commit there.
    """
    if rev.startswith("-"):
        raise ToolError(f"{rev!r} is not a revision")
    done = run_git(
        repo,
        ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
    )
    if done.returncode != 0:
        raise ToolError(
            f"{rev!r} names no commit in {repo}: check the name, fetch the tags "
            "(git fetch --tags), or give another revision"
        )
    return done.stdout.decode("ascii").strip()


@contextmanager
def revision_sources(
    repo: Path, rev: str, layout: SourceLayout = DEFAULT_LAYOUT
) -> Iterator[PlatformSources]:
    """Check the sources out of ``repo`` at ``rev`` into a temporary folder.

    Only the layout's skeleton, the platform change's skeleton beside it (when
    the revision has one) and the settings are extracted (``git archive``),
    with ``tar.umask=022`` so file modes match a usual checkout; the folder is
    removed on exit.

    Raises:
        ToolError: Unknown revision, or the revision has no such paths.
    """
    commit = resolve_revision(repo, rev)
    paths = [layout.skeleton, layout.platform_file]
    beside = f"{layout.skeleton.rstrip('/')}-platform"
    # Templates before 2.0 had no platform change; git archive fails on a path
    # the revision does not have.
    if _has_path(repo, commit, beside):
        paths.append(beside)
    with tempfile.TemporaryDirectory(prefix="mlscaffold-rev-") as tmp:
        archive = git(
            repo,
            [
                "-c",
                "tar.umask=0022",
                "archive",
                "--format=tar",
                commit,
                "--",
                *paths,
            ],
        )
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            # The data filter refuses absolute paths, '..' and links leaving the folder.
            tar.extractall(tmp, filter="data")
        sources = _sources_in(Path(tmp), rev, commit, layout)
        if not sources.skeleton.is_dir() or not sources.platform_file.is_file():
            raise ToolError(
                f"{repo} is not a platform repository at {rev}: it has no "
                f"{layout.skeleton}/ or {layout.platform_file}"
            )
        yield sources


def _has_path(repo: Path, commit: str, path: str) -> bool:
    listed = git(repo, ["ls-tree", "--name-only", commit, "--", path])
    return bool(listed.strip())


def _sources_in(
    root: Path, label: str, commit: str | None, layout: SourceLayout
) -> PlatformSources:
    return PlatformSources(
        skeleton=root / layout.skeleton,
        platform_file=root / layout.platform_file,
        label=label,
        commit=commit,
    )
