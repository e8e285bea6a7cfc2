"""Output folders the tool owns: marked, locked, built aside and swapped in whole.

An output folder is medalloc's only when it carries the marker file ``.medalloc-output``, whose
first line names the command that wrote it and whose other lines list what it wrote. A command
refuses (:class:`~optimizer.errors.UsageError`, exit 2) a folder that is not empty and has no
marker, a folder another command owns, the working folder or one of its parents, and a folder
holding the job's inputs; a refused folder is left untouched.

:func:`replace_folder` builds the new output in a temporary folder beside the target and swaps it
in at the end: an interrupt or a failure at any moment leaves the old folder whole, or the new one.
Whatever the previous output did not write itself (other commands' subfolders such as
``coverage/`` and ``justify/``, a planner's own notes) is carried into the new folder. A lock file
beside the target (``.<name>.lock``, holding the writer's pid) makes a second writer stop with a
clear message; a lock whose process is gone is taken over. :func:`claim_folder` gives the same
checks and lock to a job that adds to its folder in place (a resumable sweep).
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from optimizer.errors import UsageError

__all__ = ["MARKER", "check_target", "claim_folder", "marker_owner", "replace_folder"]

MARKER = ".medalloc-output"
_LOCK_GRACE_S = 10.0  # a lock file still empty after this long was left by a crashed writer


def _marker_lines(folder: Path) -> list[str]:
    """The marker's non-blank lines, stripped (none when ``folder`` has no readable marker)."""
    try:
        text = (folder / MARKER).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    return [line.strip() for line in text.splitlines() if line.strip()]


def marker_owner(folder: Path) -> str | None:
    """The command named by ``folder``'s marker, or None when it has none."""
    lines = _marker_lines(folder)
    return (lines[0].removeprefix("medalloc ").strip() or None) if lines else None


def _marker_entries(folder: Path) -> set[str]:
    """The entries the marker says the tool wrote (empty for a bare or missing marker)."""
    return set(_marker_lines(folder)[1:])


def _is_ours(entry: Path) -> bool:
    """Our own bookkeeping: a lock, a temporary or an old folder of an interrupted writer."""
    name = entry.name
    return name.startswith(".") and (name.endswith(".lock") or ".tmp-" in name
                                     or ".old-" in name or name == MARKER)


def _resolve(path: Path | str) -> Path:
    return Path(path).expanduser().resolve()


def _within(inner: Path, outer: Path) -> bool:
    return inner == outer or outer in inner.parents


def check_target(out_dir: Path | str, command: str, inputs: Iterable[Path | str] = ()) -> Path:
    """Refuse an output folder medalloc must not replace; return it as an absolute path.

    Parameters
    ----------
    out_dir : path
        The folder asked for (``--out``).
    command : str
        The command that will write it (``run``, ``coverage``, ``justify``, ``locate``,
        ``sweep``); a folder another command owns is refused.
    inputs : iterable of path
        The job's input files and folders; a folder holding one of them is refused.

    Raises
    ------
    UsageError
        Saying why the folder is refused and what to do instead.
    """
    out = _resolve(out_dir)
    shown = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"output path {shown} exists and is not a folder; choose another "
                         "folder with --out")
    if _within(_resolve(Path.cwd()), out):
        raise UsageError(f"--out {shown} is the folder you are working in (or one of its "
                         "parents); medalloc replaces its output folder whole, so give a "
                         "folder of its own, e.g. --out out/results")
    for source in inputs:
        if _within(_resolve(source), out):
            raise UsageError(f"--out {shown} holds the input {source}; medalloc replaces its "
                             "output folder whole and would delete it. Give a folder of its "
                             "own, e.g. --out out/results")
    if not out.is_dir():
        return out
    owner = marker_owner(out)
    if owner is None:
        foreign = [e.name for e in sorted(out.iterdir())
                   if not _is_ours(e) and not (e.is_dir() and marker_owner(e) is not None)]
        if foreign:
            listed = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
            raise UsageError(
                f"--out {shown} is not empty ({listed}) and was not written by medalloc (it "
                f"has no {MARKER} marker); medalloc replaces its output folder whole, so it "
                "will not write there. Give a new or empty folder with --out, or move those "
                "files away yourself")
    elif owner != command:
        raise UsageError(f"--out {shown} holds the output of `medalloc {owner}`; each command "
                         f"writes a folder of its own, so `medalloc {command}` will not replace "
                         "it. Give another folder with --out")
    return out


def _pid_alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill would terminate the process there; assume it still runs
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale(lock: Path) -> tuple[bool, str]:
    """Whether ``lock`` was left by a writer that is gone, and who holds it, in words."""
    try:
        text = lock.read_text(encoding="utf-8").split()
        age = time.time() - lock.stat().st_mtime
    except (OSError, UnicodeDecodeError):
        return False, "another medalloc"
    if len(text) < 2 or not text[0].isdigit():
        return age > _LOCK_GRACE_S, "another medalloc"
    pid, host = int(text[0]), text[1]
    holder = f"medalloc process {pid} on {host}"
    return host == socket.gethostname() and not _pid_alive(pid), holder


def _acquire(lock: Path, target: Path, wait_s: float) -> Path:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            stale, holder = _stale(lock)
            if stale:
                lock.unlink(missing_ok=True)
                continue
            if time.monotonic() < deadline:
                time.sleep(0.2)
                continue
            raise UsageError(
                f"{target} is being written by {holder} (lock file {lock}); wait for it to "
                "finish and run again, or write elsewhere with --out. If no medalloc is "
                f"running, delete {lock.name}") from None
        except OSError as error:
            raise _unwritable(target, error) from error
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()} {socket.gethostname()} {time.time():.0f}\n")
        return lock


def _unwritable(target: Path, error: OSError) -> UsageError:
    blocking = next((p for p in target.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        return UsageError(f"cannot make the output folder {target}: {blocking} is a file, not a "
                          "folder; give another folder with --out")
    reason = error.strerror or type(error).__name__
    where = error.filename or target
    return UsageError(f"cannot write the output folder {target} ({reason}: {where}); give a "
                      "folder you may write to with --out")


@contextmanager
def _locked(out: Path, wait_s: float) -> Iterator[None]:
    """Hold the lock of ``out`` and of each enclosing medalloc folder (top first)."""
    chain = [out]
    while marker_owner(chain[-1].parent) is not None:
        chain.append(chain[-1].parent)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _unwritable(out, error) from error
    with ExitStack() as stack:
        for folder in reversed(chain):
            lock = _acquire(folder.parent / f".{folder.name}.lock", folder, wait_s)
            stack.callback(lock.unlink, missing_ok=True)
        yield


def _tidy_leftovers(out: Path) -> None:
    """Remove what an interrupted writer left beside ``out`` (we hold its lock)."""
    olds = sorted(out.parent.glob(f".{out.name}.old-*"))
    if not out.exists() and olds:
        olds.pop().rename(out)  # killed between the two renames: put the last output back
    for left in [*olds, *out.parent.glob(f".{out.name}.tmp-*")]:
        shutil.rmtree(left, ignore_errors=True)


def _carry_over(old: Path, new: Path, command: str) -> None:
    """Copy into ``new`` what the previous output in ``old`` did not write itself."""
    if not old.is_dir():
        return
    written = _marker_entries(old) if marker_owner(old) == command else set()
    for entry in sorted(old.iterdir()):
        if _is_ours(entry):
            continue
        if entry.name in written and not (entry.is_dir() and marker_owner(entry) is not None):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, new / entry.name, symlinks=True)
        else:
            shutil.copy2(entry, new / entry.name, follow_symlinks=False)


def _write_marker(folder: Path, command: str, carried: set[str]) -> None:
    entries = sorted(e.name for e in folder.iterdir()
                     if e.name != MARKER and e.name not in carried)
    (folder / MARKER).write_text("\n".join([f"medalloc {command}", *entries]) + "\n",
                                 encoding="utf-8")


def _swap(tmp: Path, out: Path) -> None:
    if not out.exists():
        tmp.rename(out)
        return
    old = out.parent / f".{out.name}.old-{uuid.uuid4().hex}"
    out.rename(old)
    try:
        tmp.rename(out)
    except BaseException:
        old.rename(out)  # put the previous output back
        raise
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def replace_folder(out_dir: Path | str, command: str = "medalloc", *,
                   inputs: Iterable[Path | str] = (), wait_s: float = 0.0) -> Iterator[Path]:
    """Yield a temporary folder beside ``out_dir``; on success it replaces ``out_dir`` whole.

    The folder is checked (:func:`check_target`) and locked first. If the block raises (or is
    interrupted), the temporary folder is removed and an existing ``out_dir`` is left exactly
    as it was; nothing partial is ever visible under the final name. The temporary folder starts
    with a copy of what the previous output did not write (other commands' subfolders, the
    planner's files) and ends with the marker.

    Parameters
    ----------
    out_dir : path
        The output folder.
    command : str
        The command writing it, recorded in the marker.
    inputs : iterable of path
        The job's inputs; a folder holding one is refused.
    wait_s : float
        How long to wait for another writer of the same folder before giving up.

    Raises
    ------
    UsageError
        The folder is refused, in use, or cannot be written.
    """
    out = check_target(out_dir, command, inputs)
    with _locked(out, wait_s):
        out = check_target(out_dir, command, inputs)  # what we checked may have changed
        try:
            _tidy_leftovers(out)
            tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
        except OSError as error:
            raise _unwritable(out, error) from error
        try:
            _carry_over(out, tmp, command)
            carried = {e.name for e in tmp.iterdir()}
            yield tmp
            _write_marker(tmp, command, carried)
            tmp.chmod(0o755)  # mkdtemp makes it private; outputs are meant to be shared
            _swap(tmp, out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def claim_folder(out_dir: Path | str, command: str, *, inputs: Iterable[Path | str] = (),
                 wait_s: float = 0.0) -> Iterator[Path]:
    """Check, lock and mark ``out_dir`` for a job that writes into it in place; yield it.

    Raises
    ------
    UsageError
        As :func:`replace_folder`.
    """
    out = check_target(out_dir, command, inputs)
    with _locked(out, wait_s):
        out = check_target(out_dir, command, inputs)
        try:
            out.mkdir(parents=True, exist_ok=True)
            if marker_owner(out) is None:
                (out / MARKER).write_text(f"medalloc {command}\n", encoding="utf-8")
        except OSError as error:
            raise _unwritable(out, error) from error
        yield out
