"""Output folders: marked as medalloc's, locked while written, replaced whole or not at all."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from optimizer.errors import UsageError
from optimizer.results.atomic import MARKER, claim_folder, marker_owner, replace_folder


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def write_out(out: Path, files: dict[str, str], command: str = "run") -> None:
    with replace_folder(out, command) as tmp:
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8")


def test_new_folder_appears_with_its_files_and_marker(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with replace_folder(out, "run") as tmp:
        (tmp / "a.csv").write_text("x\n", encoding="utf-8")
        assert not out.exists()  # nothing visible under the final name while building
    assert listing(out) == [MARKER, "a.csv"]
    assert (out / MARKER).read_text(encoding="utf-8") == "medalloc run\na.csv\n"
    assert marker_owner(out) == "run"
    assert (out.stat().st_mode & 0o777) == 0o755
    assert listing(tmp_path) == ["out"]  # no lock, no temporary folder left


def test_own_folder_is_replaced_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_out(out, {"old.csv": "old\n"})
    write_out(out, {"new.csv": "new\n"})
    assert listing(out) == [MARKER, "new.csv"]
    assert listing(tmp_path) == ["out"]


def test_what_the_tool_did_not_write_is_carried_over(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_out(out, {"plan.csv": "1\n"})
    write_out(out / "coverage", {"coverage.csv": "c\n"}, command="coverage")
    (out / "notes.txt").write_text("my notes\n", encoding="utf-8")
    write_out(out, {"plan.csv": "2\n"})
    assert listing(out) == [MARKER, "coverage", "notes.txt", "plan.csv"]
    assert (out / "plan.csv").read_text(encoding="utf-8") == "2\n"
    assert (out / "coverage" / "coverage.csv").read_text(encoding="utf-8") == "c\n"
    assert (out / "notes.txt").read_text(encoding="utf-8") == "my notes\n"
    assert (out / MARKER).read_text(encoding="utf-8") == "medalloc run\nplan.csv\n"


def test_failure_keeps_the_old_folder_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_out(out, {"old.csv": "old\n"})

    def build_and_fail() -> None:
        with replace_folder(out, "run") as tmp:
            (tmp / "half.csv").write_text("half\n", encoding="utf-8")
            raise RuntimeError("solver died")

    with pytest.raises(RuntimeError, match="solver died"):
        build_and_fail()
    assert listing(out) == [MARKER, "old.csv"]
    assert (out / "old.csv").read_text(encoding="utf-8") == "old\n"
    assert listing(tmp_path) == ["out"]


def test_a_file_in_the_way_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_text("not a folder", encoding="utf-8")
    with pytest.raises(UsageError, match="exists and is not a folder"), replace_folder(out):
        pass


def test_a_users_folder_is_refused_and_untouched(tmp_path: Path) -> None:
    out = tmp_path / "documents"
    out.mkdir()
    (out / "budget.xlsx").write_bytes(b"\x00\x01")
    with pytest.raises(UsageError, match=r"not empty \(budget.xlsx\).*no \.medalloc-output"), \
            replace_folder(out, "run"):
        pass
    assert listing(out) == ["budget.xlsx"]
    assert listing(tmp_path) == ["documents"]


def test_another_commands_folder_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "coverage"
    write_out(out, {"coverage.csv": "c\n"}, command="coverage")
    with pytest.raises(UsageError, match="holds the output of `medalloc coverage`"), \
            replace_folder(out, "justify"):
        pass
    assert listing(out) == [MARKER, "coverage.csv"]


def test_a_folder_holding_the_inputs_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "project" / "data"
    data.mkdir(parents=True)
    with pytest.raises(UsageError, match="holds the input"), \
            replace_folder(tmp_path / "project", "run", inputs=[data]):
        pass


def test_the_working_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match="is the folder you are working in"), \
            replace_folder(Path("."), "run"):
        pass
    assert listing(tmp_path) == []


def test_a_held_lock_stops_a_second_writer(tmp_path: Path) -> None:
    out = tmp_path / "out"
    lock = tmp_path / ".out.lock"
    lock.write_text(f"{os.getpid()} {socket.gethostname()} 0\n", encoding="utf-8")
    with pytest.raises(UsageError, match=rf"being written by medalloc process {os.getpid()}"), \
            replace_folder(out, "run"):
        pass
    assert lock.is_file()  # somebody else's lock is never removed
    assert not out.exists()


def test_a_stale_lock_is_taken_over(tmp_path: Path) -> None:
    out = tmp_path / "out"
    lock = tmp_path / ".out.lock"
    lock.write_text(f"999999999 {socket.gethostname()} 0\n", encoding="utf-8")  # no such pid
    write_out(out, {"a.csv": "a\n"})
    assert listing(tmp_path) == ["out"]


def test_a_nested_writer_locks_the_enclosing_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_out(out, {"plan.csv": "1\n"})
    (tmp_path / ".out.lock").write_text(f"{os.getpid()} {socket.gethostname()} 0\n",
                                         encoding="utf-8")
    with pytest.raises(UsageError, match="being written"), \
            replace_folder(out / "coverage", "coverage"):
        pass
    assert listing(out) == [MARKER, "plan.csv"]


def test_leftovers_of_a_killed_writer_are_tidied(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_out(out, {"a.csv": "a\n"})
    (tmp_path / ".out.tmp-dead").mkdir()
    out.rename(tmp_path / ".out.old-dead")  # killed between the two renames
    write_out(out, {"b.csv": "b\n"})
    assert listing(tmp_path) == ["out"]
    assert listing(out) == [MARKER, "b.csv"]


def test_claim_folder_marks_and_keeps_contents(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    with claim_folder(out, "sweep") as folder:
        (folder / "points").mkdir()
    with claim_folder(out, "sweep") as folder:
        assert (folder / "points").is_dir()
    assert marker_owner(out) == "sweep"
    assert listing(tmp_path) == ["sweep"]
