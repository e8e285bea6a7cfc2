"""Output folders are replaced whole or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer.atomic import replace_folder
from optimizer.errors import ScenarioError


def test_new_folder_appears_with_its_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with replace_folder(out) as tmp:
        (tmp / "a.csv").write_text("x\n", encoding="utf-8")
        assert not out.exists()  # nothing visible under the final name while building
    assert sorted(p.name for p in out.iterdir()) == ["a.csv"]
    assert (out.stat().st_mode & 0o777) == 0o755
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_existing_folder_is_replaced_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.csv").write_text("old\n", encoding="utf-8")
    with replace_folder(out) as tmp:
        (tmp / "new.csv").write_text("new\n", encoding="utf-8")
    assert sorted(p.name for p in out.iterdir()) == ["new.csv"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_failure_keeps_the_old_folder_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.csv").write_text("old\n", encoding="utf-8")

    def build_and_fail() -> None:
        with replace_folder(out) as tmp:
            (tmp / "half.csv").write_text("half\n", encoding="utf-8")
            raise RuntimeError("solver died")

    with pytest.raises(RuntimeError, match="solver died"):
        build_and_fail()
    assert sorted(p.name for p in out.iterdir()) == ["old.csv"]
    assert (out / "old.csv").read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_file_in_the_way_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_text("not a folder", encoding="utf-8")
    with pytest.raises(ScenarioError, match="exists and is not a folder"), replace_folder(out):
        pass
