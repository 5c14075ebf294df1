"""Update a team repository to a newer template by a three-way merge per file.

The base is the repository as the template rendered it (re-created exactly, since
rendering is deterministic), "ours" is the repository as the team has it, and
"theirs" is the new render. The base's sources are found by this rule: the
template version recorded in ``.mlscaffold/answers.yaml`` names the Git tag
``ml-project-v<version>`` in the platform repository (``--from REV`` overrides
it), and the base render must record that same version, or the update stops.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from mlscaffold._files import atomic_write
from mlscaffold.errors import Location, SettingsError, ToolError, UpdateRefusedError
from mlscaffold.fleet.diff import diff_trees
from mlscaffold.fleet.render import renderer_for
from mlscaffold.fleet.revision import (
    DEFAULT_LAYOUT,
    PlatformSources,
    SourceLayout,
    revision_sources,
    run_git,
    version_tag,
    worktree_sources,
)
from mlscaffold.render.targets import check_paths
from mlscaffold.render.tree import RenderedTree, TreeEntry
from mlscaffold.teams import ANSWERS_FILE, Answers, load_answers
from mlscaffold.template.build import TEMPLATE_NAME

if TYPE_CHECKING:
    from mlscaffold.api import ProjectRenderer

__all__ = ["Action", "FileOutcome", "UpdateResult", "base_revision", "update_repo"]

Action = Literal["updated", "added", "removed", "merged", "conflict"]


@dataclass(frozen=True)
class FileOutcome:
    """What the update did (or would do) to one file.

    Attributes:
        path: Path in the team repository.
        action: ``updated`` (taken from upstream, the team had not changed it),
            ``added``, ``removed``, ``merged`` (both changed it, merged cleanly) or
            ``conflict`` (both changed the same lines, or one side deleted it).
        detail: For conflicts, what was left for the team to resolve.
    """

    path: str
    action: Action
    detail: str = ""


@dataclass(frozen=True)
class UpdateResult:
    """The outcome of ``update_repo``.

    Attributes:
        repo: The team repository.
        base: The base sources' label (the revision it was rendered from).
        head: The new sources' label.
        from_version: Template version the repository recorded.
        to_version: Template version of the new render.
        outcomes: One entry per file upstream changed, sorted by path.
        applied: False for a check (nothing was written).
        platform_changes: Files of the platform change (``teams/<team>/...`` in
            the platform's GitOps repository) that the new template renders
            differently. They are not in the team repository, so nothing here
            applies them: they go to the platform repository by pull request.
    """

    repo: str
    base: str
    head: str
    from_version: str
    to_version: str
    outcomes: tuple[FileOutcome, ...]
    applied: bool
    platform_changes: tuple[str, ...] = ()

    @property
    def pending(self) -> bool:
        """True when the new template changes anything for this team."""
        return bool(self.outcomes)

    @property
    def conflicts(self) -> list[FileOutcome]:
        """The files the team has to resolve."""
        return [o for o in self.outcomes if o.action == "conflict"]


def base_revision(answers: Answers, override: str | None = None) -> str:
    """The platform revision a repository was rendered from: ``override`` or the tag.

    Raises:
        ToolError: No override and the answers file records no version.
    """
    if override:
        return override
    if not answers.template_version:
        raise ToolError(
            f"{ANSWERS_FILE} records no template version; "
            "give the base with --from REV",
            source=Location(ANSWERS_FILE),
        )
    return version_tag(answers.template_version)


@contextmanager
def _sources(
    platform_repo: Path, rev: str | None, layout: SourceLayout
) -> Iterator[PlatformSources]:
    if rev is None:
        yield worktree_sources(platform_repo, layout)
    else:
        with revision_sources(platform_repo, rev, layout) as sources:
            yield sources


def update_repo(
    repo: Path,
    platform_repo: Path,
    *,
    from_rev: str | None = None,
    to_rev: str | None = None,
    check: bool = False,
    layout: SourceLayout = DEFAULT_LAYOUT,
    allow_dirty: bool = False,
    allow_downgrade: bool = False,
) -> UpdateResult:
    """Re-render ``repo`` with a newer template and merge the change into it.

    Args:
        repo: The team repository (holds ``.mlscaffold/answers.yaml``).
        platform_repo: The platform repository (``skeletons/``, ``schemas/``, tags).
        from_rev: The base revision; default: tag ``ml-project-v<recorded version>``.
        to_rev: The new revision; default: the platform repository's work tree.
        check: Only work out what would change; write nothing.
        layout: Where the skeleton and settings lie in the platform repository.
        allow_dirty: Update even when the team repository has uncommitted changes
            (they get mixed with the update's and cannot be told apart).
        allow_downgrade: Update even to an older template version.

    Raises:
        SettingsError: The answers file is unreadable or from another template.
        ParamsError: Its parameters are invalid.
        UpdateRefusedError: The team repository has uncommitted changes, or the
            new template is older than the recorded one.
        ToolError: A revision is unknown, the base does not match the recorded
            version, or git fails.
        SkeletonError, RenderError: A template does not render.
    """
    answers = load_answers(repo / ANSWERS_FILE)
    if answers.template_name not in ("", TEMPLATE_NAME):
        raise SettingsError(
            f"{ANSWERS_FILE}: template: rendered from {answers.template_name!r}, "
            f"not {TEMPLATE_NAME!r}; this platform can only update its own projects"
        )
    if not check and not allow_dirty:
        _refuse_dirty(repo)
    rev = base_revision(answers, from_rev)
    with ExitStack() as stack:
        base_sources = stack.enter_context(_sources(platform_repo, rev, layout))
        head_sources = stack.enter_context(_sources(platform_repo, to_rev, layout))
        base_renderer = renderer_for(base_sources)
        if answers.template_version and (
            base_renderer.platform.template_version != answers.template_version
        ):
            raise ToolError(
                f"{rev} renders template version "
                f"{base_renderer.platform.template_version}, "
                f"but {ANSWERS_FILE} records {answers.template_version}; give the "
                "right base with --from REV"
            )
        head_renderer = renderer_for(head_sources)
        if not allow_downgrade:
            _refuse_downgrade(answers.template_version, head_renderer)
        base_project = base_renderer.render(answers.parameters)
        head_project = head_renderer.render(answers.parameters)
        base, head = base_project.tree, head_project.tree
        # The same path rules as a fresh render: nothing read or written outside.
        check_paths(base)
        check_paths(head)
        platform_changes = tuple(
            change.path
            for change in diff_trees(
                base_project.platform_tree, head_project.platform_tree
            )
        )
        # Every file is merged in memory first, so a failing merge (or a refused
        # path) stops the update before anything in the repository has changed.
        writes: list[Callable[[], None]] = []
        moved = _moved_to_platform(repo, base, head, head_project.platform_tree)
        outcomes: list[FileOutcome] = []
        for change in diff_trees(base, head):
            outcome = moved.get(change.path) or _merge_one(
                repo, change.path, base.get(change.path), head.get(change.path), writes
            )
            if outcome is not None:
                outcomes.append(outcome)
        if not check:
            for write in writes:
                write()
        return UpdateResult(
            repo=repo.as_posix(),
            base=rev,
            head=to_rev or head_sources.label,
            from_version=answers.template_version,
            to_version=head_renderer.platform.template_version,
            outcomes=tuple(outcomes),
            applied=not check,
            platform_changes=platform_changes,
        )


def _refuse_dirty(repo: Path) -> None:
    """Refuse a team repository with uncommitted changes (as copier does)."""
    done = run_git(repo, ["status", "--porcelain", "--", "."])
    if done.returncode != 0:
        return  # not a Git work tree: nothing to tell apart, nothing to refuse
    if done.stdout.strip():
        raise UpdateRefusedError(
            f"{repo} has uncommitted changes (git status); commit or stash them "
            "first, so the update can be reviewed on its own, or use --allow-dirty"
        )


def _version_key(version: str) -> tuple[int, ...] | None:
    parts = version.split(".")
    return tuple(map(int, parts)) if all(p.isdigit() for p in parts) else None


def _refuse_downgrade(recorded: str, head: ProjectRenderer) -> None:
    new = head.platform.template_version
    old_key, new_key = _version_key(recorded), _version_key(new)
    if old_key is not None and new_key is not None and new_key < old_key:
        raise UpdateRefusedError(
            f"the template at the target revision is version {new}, older than "
            f"the {recorded} that {ANSWERS_FILE} records; use --allow-downgrade "
            "to go back"
        )


def _moved_to_platform(
    repo: Path, base: RenderedTree, head: RenderedTree, platform: RenderedTree
) -> dict[str, FileOutcome]:
    """Team files the new template renders into the platform change instead.

    Deleting one from the team repository now would let Argo CD prune its objects
    (the namespace among them) before the platform's pull request is merged; so it
    is kept and reported, for the team to delete once the platform owns it. One
    the team has deleted already needs nothing more.
    """
    names = {path.rsplit("/", 1)[-1]: path for path, _ in platform.files()}
    moved: dict[str, FileOutcome] = {}
    for path, _ in base.files():
        target = names.get(path.rsplit("/", 1)[-1])
        if path not in head and target is not None and (repo / path).exists():
            moved[path] = FileOutcome(
                path,
                "conflict",
                f"moved to the platform change ({target}); delete it here only after "
                "the platform's pull request is merged and synced, or Argo CD prunes "
                "its objects",
            )
    return moved


def _ours(repo: Path, path: str) -> bytes | None:
    target = _safe_target(repo, path)
    if target.is_symlink() or not target.is_file():
        return None
    return target.read_bytes()


def _safe_target(repo: Path, path: str) -> Path:
    """The repository path for ``path``, refusing to follow symlinked folders."""
    target = repo.joinpath(*path.split("/"))
    for parent in target.relative_to(repo).parents:
        if parent != Path() and (repo / parent).is_symlink():
            raise ToolError(f"{path}: lies under a symlink in the team repository")
    return target


def _merge_one(
    repo: Path,
    path: str,
    base: TreeEntry | None,
    new: TreeEntry | None,
    writes: list[Callable[[], None]],
) -> FileOutcome | None:
    if any(e is not None and e.kind != "file" for e in (base, new)):
        # Symlinks are never followed or rewritten here (see write_tree's rules).
        return FileOutcome(path, "conflict", "a symlink changed upstream; not applied")
    if _safe_target(repo, path).is_symlink():
        # Writing would replace the team's link; writes never go through one.
        return FileOutcome(
            path, "conflict", "a symlink in the repository: not replaced"
        )
    ours = _ours(repo, path)
    old_data = base.data if base is not None else None
    new_data = new.data if new is not None else None
    if ours == new_data:
        return None  # the team already has the new content: nothing to do
    if ours == old_data:
        return _take_upstream(repo, path, new, writes)
    if ours is None or new_data is None:
        return _one_side_deleted(repo, path, base, new, writes)
    merged, conflicts = _merge_file(path, ours, old_data or b"", new_data)
    mode = _safe_target(repo, path).stat().st_mode
    writes.append(functools.partial(_write, repo, path, merged, mode))
    if conflicts:
        return FileOutcome(
            path, "conflict", f"{conflicts} conflict(s) marked in the file"
        )
    return FileOutcome(path, "merged")


def _take_upstream(
    repo: Path, path: str, new: TreeEntry | None, writes: list[Callable[[], None]]
) -> FileOutcome:
    """The team left the file as rendered: the upstream version replaces it."""
    target = _safe_target(repo, path)
    existed = target.is_file()
    if new is None:
        writes.append(target.unlink)
        return FileOutcome(path, "removed")
    writes.append(functools.partial(_write, repo, path, new.data, new.mode))
    return FileOutcome(path, "updated" if existed else "added")


def _one_side_deleted(
    repo: Path,
    path: str,
    base: TreeEntry | None,
    new: TreeEntry | None,
    writes: list[Callable[[], None]],
) -> FileOutcome:
    """One side deleted the file, the other changed it: keep ours, leave a .rej."""
    side = "deleted upstream" if new is None else "deleted by the team"
    patch = _upstream_patch(path, base, new)
    writes.append(functools.partial(_write, repo, path + ".rej", patch, 0o644))
    return FileOutcome(
        path,
        "conflict",
        f"{side} but changed on the other side; the upstream change is in {path}.rej",
    )


def _upstream_patch(path: str, base: TreeEntry | None, new: TreeEntry | None) -> bytes:
    old_tree = RenderedTree({path: base} if base is not None else {})
    new_tree = RenderedTree({path: new} if new is not None else {})
    return "".join(c.diff for c in diff_trees(old_tree, new_tree)).encode("utf-8")


def _merge_file(
    path: str, ours: bytes, base: bytes, theirs: bytes
) -> tuple[bytes, int]:
    """``git merge-file --diff3`` on the three versions: (merged bytes, conflicts)."""
    with tempfile.TemporaryDirectory(prefix="mlscaffold-merge-") as tmp:
        names = []
        for name, data in (("ours", ours), ("base", base), ("theirs", theirs)):
            (Path(tmp) / name).write_bytes(data)
            names.append(name)
        done = run_git(
            Path(tmp),
            ["merge-file", "-p", "--diff3",
             "-L", f"team {path}", "-L", "base", "-L", "upstream", *names],
        )  # fmt: skip
    # Exit status: 0 clean, 1..127 the number of conflicts, anything else an error.
    if not 0 <= done.returncode < 128:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise ToolError(f"git merge-file failed on {path}: {message}")
    return done.stdout, done.returncode


def _write(repo: Path, path: str, data: bytes, mode: int) -> None:
    atomic_write(_safe_target(repo, path), data, mode=mode)
