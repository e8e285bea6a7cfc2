"""The justify report's "How sure" section: its numbers are the draws' own, recounted here from
draws.csv; draws of another set are refused; missing files are said, not guessed; progress
lines come once per tenth."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support.justify_county import TOWNS, write_county

from optimizer.cli_progress import TenthLines
from optimizer.dataset.load import Dataset
from optimizer.errors import UsageError
from optimizer.jobs.justify import justify
from optimizer.report import write_justify_report
from optimizer.uncertainty.job import run_uncertainty

SITES = "乙镇,丁镇"
DRAWS = 16
# No provenance columns in this county: only the assumptions vary (detour, speeds, threshold).
SECTION = """
[uncertainty]
seed = 11
sensitivity_draws = 6
threshold_minutes = { distribution = "choice", values = [15, 20, 25] }
"""


def _report(folder: Path, dataset: Dataset) -> None:
    write_justify_report(folder, dataset, maps=False)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("howsure")
    path = write_county(root, justify_keys=SECTION)
    run_uncertainty(path, root / "out" / "uncertainty", sites=SITES, draws=DRAWS, workers=0,
                    make_map=False)
    justify(path, SITES, root / "out" / "justify", make_map=False, finish=_report,
            uncertainty=root / "out" / "uncertainty")
    return root


def _section(html: str) -> str:
    found = re.search(r'<section id="uncertainty">(.*?)</section>', html, re.S)
    assert found is not None, "no How sure section"
    return found[1]


def _cells(html: str, first: str) -> list[str]:
    """The cells of the table row whose first cell starts with ``first``."""
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        if cells and cells[0].startswith(first):
            return cells
    raise AssertionError(f"no row starting {first!r}")


def test_the_section_shows_the_draws_own_probabilities(made: Path) -> None:
    out = made / "out"
    html = _section((out / "justify" / "report.html").read_text(encoding="utf-8"))
    draws = pd.read_csv(out / "uncertainty" / "draws.csv", encoding="utf-8-sig")
    assert len(draws) == DRAWS
    rank = draws["covered_rank"].to_numpy(dtype=float)
    regret = draws["covered_regret_pct"].to_numpy(dtype=float)
    facts = json.loads((out / "uncertainty" / "uncertainty.json").read_text(encoding="utf-8"))
    within = facts["within_percent"]

    def pm(p: float) -> str:
        return f"{100 * p:.1f} % ± {100 * (p * (1 - p) / DRAWS) ** 0.5:.1f}"

    cells = _cells(html, "rural residents within 20 min")
    assert "(headline)" in cells[0]
    assert cells[1] == pm(float((rank == 1).mean()))
    assert cells[2] == pm(float((regret <= within + 1e-9).mean()))
    assert cells[3] == pm(float((rank <= facts["top_k"]).mean()))
    low, mid, high = np.quantile(rank, [0.05, 0.5, 0.95])
    assert cells[4] == f"{low:.0f} – {high:.0f} (median {mid:.0f})"
    # the draws really differ, or this test would prove little
    assert len(set(draws["threshold_minutes"])) > 1


def test_towns_in_the_best_set_are_counted_from_the_draws(made: Path) -> None:
    out = made / "out"
    html = _section((out / "justify" / "report.html").read_text(encoding="utf-8"))
    draws = pd.read_csv(out / "uncertainty" / "draws.csv", encoding="utf-8-sig")
    for _code, name, *_ in TOWNS[1:]:
        share = draws["covered_best_set"].map(lambda s, n=name: n in s.split("、")).mean()
        cells = _cells(html, name)
        assert cells[1] == ("yes" if name in SITES else "")
        assert cells[2] == f"{100 * share:.1f} %"


def test_the_inputs_that_move_it_and_the_data_that_would_settle_it(made: Path) -> None:
    out = made / "out"
    html = _section((out / "justify" / "report.html").read_text(encoding="utf-8"))
    facts = json.loads((out / "uncertainty" / "uncertainty.json").read_text(encoding="utf-8"))
    moving = [g for g in facts["sensitivity"] if g["variance_share"]]
    assert moving, "the fixture's assumptions should move the regret"
    top = moving[0]
    cells = _cells(html, top["label"])
    assert cells[1] == f"{100 * top['variance_share']:.1f} %"
    assert cells[4] == top["settle"]
    assert "What data would settle the question" in html
    # the verdict box is the draws' own last sentence, as in justification.md
    verdict = facts["conclusion"][-1]["en"]
    assert verdict in html.replace("&#x27;", "'")
    md = (out / "justify" / "justification.md").read_text(encoding="utf-8")
    assert verdict in md
    record = json.loads((out / "justify" / "justification.json").read_text(encoding="utf-8"))
    assert record["uncertainty"]["folder"] == "../uncertainty"


def test_missing_draw_files_are_said(made: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(made / "out", out)
    (out / "uncertainty" / "sensitivity.csv").unlink()
    from optimizer.config.scenario import load_scenario  # noqa: PLC0415
    from optimizer.dataset.load import load_dataset  # noqa: PLC0415

    scenario = load_scenario(made / "fixture.toml")
    write_justify_report(out / "justify", load_dataset([scenario.data.folder]), maps=False)
    html = _section((out / "justify" / "report.html").read_text(encoding="utf-8"))
    assert "missing or unreadable" in html
    assert "sensitivity.csv" in html
    assert "<table>" not in html


def test_draws_of_another_set_are_refused(made: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="judge 乙镇、丁镇, not the set justified here"):
        justify(made / "fixture.toml", "丙镇,戊镇", tmp_path / "justify", make_map=False,
                uncertainty=made / "out" / "uncertainty")
    assert not (tmp_path / "justify").exists()


def test_a_line_per_tenth() -> None:
    lines: list[str] = []
    say = TenthLines(lines.append, "draws")
    say(300, 1000)  # resumed: 300 from an earlier run
    for done in range(313, 1000, 13):
        say(done, 1000)
    say(1000, 1000)
    say(1000, 1000)
    assert lines[0] == "  300/1000 draws (30 %)"
    assert lines[-1] == "  1000/1000 draws (100 %)"
    assert len(lines) == 8  # 30 %, then 40 ... 90 %, then the end
    shares = [int(re.search(r"\((\d+) %\)", line)[1]) for line in lines]  # type: ignore[index]
    assert shares == sorted(shares)
