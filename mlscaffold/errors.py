"""The whole mlscaffold exception and warning hierarchy, and the Location they cite."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_RENDER = 3
EXIT_TOOL = 4


@dataclass(frozen=True)
class Location:
    """A place in a file: the rendered output or the skeleton source.

    Attributes:
        path: POSIX path, relative to the output root or the skeleton root.
        line: 1-based line, or None when unknown.
        column: 1-based column, or None when unknown.
        pointer: JSON pointer inside the YAML document, when the place is a field.
        document: 0-based index of the YAML document in a multi-document file.
        approximate: True when the line is a best guess (for example the line of
            the enclosing block in the skeleton rather than the exact expression).
    """

    path: str
    line: int | None = None
    column: int | None = None
    pointer: str | None = None
    document: int | None = None
    approximate: bool = False

    def __str__(self) -> str:
        """Render as ``path:line:col``, the form editors and CI annotations jump to."""
        text = self.path
        if self.line is not None:
            text += f":{self.line}"
            if self.column is not None:
                text += f":{self.column}"
        if self.approximate:
            text += " (approximate)"
        return text


class MlscaffoldError(Exception):
    """Root of every error mlscaffold raises on purpose.

    Each class carries the documented exit code the CLI ends with, so the code
    travels with the error (also as data, across process boundaries).

    Args:
        message: What went wrong, in one sentence a platform engineer can act on.
        rendered: Where in the rendered output, if anywhere.
        source: Where in the skeleton or input file, if anywhere.
        line_text: The offending line, shown under the message.
    """

    exit_code: ClassVar[int] = EXIT_RENDER

    def __init__(
        self,
        message: str,
        *,
        rendered: Location | None = None,
        source: Location | None = None,
        line_text: str | None = None,
    ) -> None:
        """Store the message and locations; ``str()`` renders them."""
        self.message = message
        self.rendered = rendered
        self.source = source
        self.line_text = line_text
        super().__init__(self._format())

    def _format(self) -> str:
        parts: list[str] = []
        if self.rendered is not None:
            parts.append(f"{self.rendered}:")
        if self.source is not None:
            parts.append(f"[{self.source}]")
        parts.append(self.message)
        text = " ".join(parts)
        if self.line_text is not None:
            text += f"\n    {self.line_text}"
        return text


class ParamsError(MlscaffoldError, ValueError):
    """Team parameters are invalid.

    ``problems`` holds one ``field: message`` line per problem.
    """

    exit_code = EXIT_USAGE

    def __init__(self, problems: list[str]) -> None:
        """Keep the problems; the message is one problem per line."""
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class SettingsError(MlscaffoldError, ValueError):
    """A settings or input file is unusable.

    ``platform.yaml``, a teams file, an answers file or a configuration file is
    unreadable, not well-formed, or holds a value outside its limits.
    """

    exit_code = EXIT_USAGE


class SkeletonError(MlscaffoldError):
    """The skeleton cannot be loaded.

    A syntax error, a forbidden construct or a path outside the root.
    """


class RenderError(MlscaffoldError):
    """Rendering failed at run time: a failing filter or an unsafe operation."""


class OutputExistsError(MlscaffoldError, FileExistsError):
    """An output folder or file is in the way: mlscaffold may not replace it."""

    exit_code = EXIT_USAGE


class UpdateRefusedError(MlscaffoldError):
    """``update`` would mix into uncommitted work or go back to an older template."""

    exit_code = EXIT_USAGE


class SchemaStoreError(MlscaffoldError):
    """A schema cannot be found, downloaded or verified."""

    exit_code = EXIT_TOOL


class ToolError(MlscaffoldError):
    """An external tool (kubeconform, git, node) is missing, crashed or misbehaved."""

    exit_code = EXIT_TOOL


class FileSystemError(MlscaffoldError):
    """The operating system refused a read or a write (the path is in the message)."""

    exit_code = EXIT_TOOL

    @classmethod
    def of(cls, exc: OSError, doing: str = "") -> FileSystemError:
        """One line for ``exc``: what failed, why, and on which path.

        Args:
            exc: The operating system's error.
            doing: What was being done, e.g. ``"cannot write out/recs"``.
        """
        reason = exc.strerror or str(exc) or type(exc).__name__
        paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
        where = f" ({' -> '.join(paths)})" if paths else ""
        return cls(f"{doing}: {reason}{where}" if doing else f"{reason}{where}")


class ValidationFailed(MlscaffoldError):
    """A rendered tree has error findings, so it is not written.

    Args:
        report: The report that failed (typed loosely to keep this module free of
            imports).
        message: Summary line.
    """

    exit_code = EXIT_FINDINGS

    def __init__(self, report: object, message: str) -> None:
        """Keep the report that failed beside the summary line."""
        self.report = report
        super().__init__(message)
