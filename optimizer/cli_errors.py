"""One error path for the CLI: every failure becomes a documented class, exit code and sentence.

medalloc's own errors (:mod:`optimizer.errors`) keep their class and exit code. A file-system
error the jobs did not anticipate (permission denied, a file where a folder should be, a full
disk) becomes a usage error naming the path and the fix; an interrupt exits 130 saying that no
output folder was changed; anything else is reported as an internal error (exit 1) in one
sentence. No traceback reaches the user unless ``MEDALLOC_DEBUG`` is set.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field
from typing import Any

from optimizer.errors import DataError, MedallocError, UsageError

__all__ = ["EXIT_INTERNAL", "EXIT_INTERRUPTED", "Failure", "classify", "debug_mode"]

EXIT_INTERNAL = 1
EXIT_INTERRUPTED = 130  # the shell's code for a process stopped by Ctrl-C (128 + SIGINT)


@dataclass(frozen=True)
class Failure:
    """A failure as the user sees it: class, exit code, message and any listed problems."""

    error_class: str
    exit_code: int
    message: str
    problems: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` form: ``{"error": {"class", "exit_code", "message", "problems"}}``."""
        body: dict[str, Any] = {"class": self.error_class, "exit_code": self.exit_code,
                                "message": self.message}
        if self.problems:
            body["problems"] = self.problems
        return {"error": body}


def debug_mode() -> bool:
    """Whether ``MEDALLOC_DEBUG`` asks for tracebacks of unexpected errors."""
    return os.environ.get("MEDALLOC_DEBUG", "").strip() not in ("", "0")


def _os_fix(error: OSError) -> str:
    if isinstance(error, PermissionError):
        return "check the permissions, or give a folder you may write to with --out"
    if isinstance(error, FileNotFoundError):
        return "check that the path exists and is spelled right"
    if isinstance(error, FileExistsError):
        return "remove or rename what is in the way, or give another path"
    if isinstance(error, NotADirectoryError):
        return "a part of the path is a file, not a folder; give another path"
    if isinstance(error, IsADirectoryError):
        return "give a file, not a folder"
    if error.errno == errno.ENOSPC:
        return "free some disk space, or write elsewhere with --out"
    if error.errno == errno.EROFS:
        return "the disk is read-only; write elsewhere with --out"
    return "check the path, or write elsewhere with --out"


def _describe_os_error(error: OSError) -> str:
    reason = error.strerror or str(error) or type(error).__name__
    paths = [str(p) for p in (error.filename, error.filename2) if p]
    where = f" {' -> '.join(paths)}" if paths else ""
    return f"cannot use{where}: {reason}. Fix: {_os_fix(error)}"


def classify(error: BaseException) -> Failure:
    """The user-facing form of any exception a command let through."""
    if isinstance(error, MedallocError):
        problems = ([{k: str(v) for k, v in vars(p).items()} for p in error.problems]
                    if isinstance(error, DataError) else [])
        return Failure(type(error).__name__, error.exit_code, str(error), problems)
    if isinstance(error, OSError):
        return Failure(UsageError.__name__, UsageError.exit_code, _describe_os_error(error))
    if isinstance(error, KeyboardInterrupt):
        return Failure("Interrupted", EXIT_INTERRUPTED,
                       "interrupted; no output folder was changed (medalloc swaps a folder in "
                       "only when its job has finished)")
    return Failure("InternalError", EXIT_INTERNAL,
                   f"unexpected {type(error).__name__}: {error}. This is a bug in medalloc: "
                   "please report it with the command you ran (set MEDALLOC_DEBUG=1 to see "
                   "where it happened)")
