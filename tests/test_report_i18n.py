"""The report in English and Chinese: the table, the zh report, en unchanged, CLI and app --lang."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest
from starlette.testclient import TestClient
from support.cli import ROOT
from support.county import write_county
from support.report_runs import make_coverage, make_run
from support.tiny import write_tiny
from typer.testing import CliRunner

from optimizer.app import AppConfig, create_app
from optimizer.app.i18n import translate
from optimizer.app.jobs import cli_arguments
from optimizer.cli import app
from optimizer.dataset.load import Dataset, load_dataset
from optimizer.errors import UsageError
from optimizer.report import write_coverage_report, write_justify_report, write_run_report
from optimizer.report.i18n import (
    TEXTS,
    check_lang,
    fields_of,
    indicator_label,
    measure_label,
    service_name,
    text,
    tier_name,
)
from optimizer.report.vocabulary import TIER_NAMES

REPORT = ROOT / "optimizer" / "report"
_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
# Keys built at run time from data (f"col.{column}", f"word.{group}", ...).
_DYNAMIC = ("col.", "word.", "subject.", "status.", "reason.")


@pytest.fixture
def dataset(tmp_path: Path) -> Dataset:
    return load_dataset([write_tiny(tmp_path / "data")])


def visible_text(page: str) -> str:
    """The words a reader sees: no styles, scripts or tags."""
    page = re.sub(r"<(style|script)[^>]*>.*?</\1>", "", page, flags=re.S)
    return re.sub(r"<[^>]+>", "\n", page)


# -- the table ---------------------------------------------------------------------------------

def test_every_key_has_both_languages_with_the_same_fields() -> None:
    for key, (english, chinese) in TEXTS.items():
        assert english.strip() or english in {")", ". Not for navigation."}, key
        assert chinese.strip(), key
        assert english != chinese, key
        assert fields_of(english) == fields_of(chinese), key
        # Chinese texts are Chinese (or Chinese punctuation), not English left in place.
        assert _CJK.search(chinese), (key, chinese)


def test_every_key_the_report_asks_for_exists_and_every_key_is_used() -> None:
    table = (REPORT / "i18n.py").read_text(encoding="utf-8")
    functions = table[table.index("\n_FIELDS"):]  # i18n.py after the table
    source = "\n".join(p.read_text(encoding="utf-8") for p in sorted(REPORT.glob("*.py"))
                       if p.name != "i18n.py") + functions
    asked = set(re.findall(r"""text\(\s*["']([\w.]+)["']""", source))
    asked -= {"word."}  # text('word.' + name): a dynamic key
    assert asked, "no lookups found: the pattern no longer matches the code"
    assert sorted(asked - set(TEXTS)) == []
    named = set(re.findall(r"""["']([a-z_]+\.[a-z_]+)["']""", source))  # keys kept in tuples
    unused = [k for k in TEXTS if k not in named and not k.startswith(_DYNAMIC)]
    assert unused == []


def test_english_texts_are_the_reports_former_literals() -> None:
    # The en report must stay byte-identical: these are the headings it always had.
    assert text("toc.overview", "en") == "The plan in brief"
    assert text("toc.indicators", "en") == "Plan targets and what the plan achieves"
    assert text("sec.plan", "en") == "The allocation plan: what moves where"
    assert text("sec.coverage", "en") == "Coverage before and after: who is still outside"
    assert text("toc.provenance", "en") == "Where the data come from"
    assert text("title.run", "en", scenario="s", first=2025, last=2030) == (
        "s: health resource plan 2025–2030")
    assert text("ind.short", "en", pct="0.18") == "0.18 % short"
    assert tier_name("sub_centre", "en") == "sub_centre"
    assert measure_label("beds_per_1000", "en") == "beds per 1000"


def test_chinese_names_of_the_plans() -> None:
    assert measure_label("beds_per_1000", "zh") == "每千人口床位数"
    assert measure_label("gps_per_10000", "zh") == "每万人口全科医生数"
    assert indicator_label("doctors per 1000 (floor)", "zh") == "每千人口执业(助理)医师数（下限）"
    assert indicator_label("nurses per 1000 in every town (cap)", "zh") == (
        "每千人口注册护士数（各乡镇）（上限）")
    assert indicator_label("primary coverage within 15 min", "zh") == (
        "15分钟内基层医疗卫生机构覆盖率")
    assert indicator_label("sub-centre 朱沱镇卫生院: beds (standard minimum)", "zh") == (
        "次中心朱沱镇卫生院：床位（标准下限）")
    assert indicator_label("central village clinics (exact count)", "zh") == (
        "中心村卫生室数（目标）")
    assert indicator_label("sub-centre 朱沱镇卫生院: doctors + nurses per beds", "zh") == (
        "次中心朱沱镇卫生院：执业(助理)医师+注册护士与床位之比")
    assert indicator_label("gps per 1 doctors at every facility (cap)", "zh") == (
        "各机构全科医生与执业(助理)医师之比（上限）")
    assert indicator_label("nurses per 1.5 beds at every town (floor)", "zh") == (
        "各乡镇注册护士与床位之比（按每1.5床位计）（下限）")
    assert indicator_label("doctors within reach per 1000: spread across towns", "zh") == (
        "每千人口执业(助理)医师数（可及性）：乡镇间极差")
    assert indicator_label("an unknown form", "zh") == "an unknown form"
    assert service_name("primary (all, 15 min)", "zh") == "基层医疗卫生机构（全体居民，15分钟）"
    assert tier_name("township_health_centre", "zh") == "乡镇卫生院"


def test_the_app_and_the_report_share_one_tier_table() -> None:
    for tier, (chinese, english) in TIER_NAMES.items():
        assert translate(tier, "zh") == chinese == tier_name(tier, "zh")
        assert translate(tier, "en") == english
    assert translate("kind.binding", "zh") == "约束性"


def test_unknown_language_is_refused() -> None:
    assert check_lang("zh") == "zh"
    with pytest.raises(UsageError, match=r"'fr'.*--lang en or --lang zh"):
        check_lang("fr")


# -- the reports -------------------------------------------------------------------------------

_RUN_HEADINGS = ("toc.overview", "toc.indicators", "toc.plan", "sec.plan", "toc.why",
                 "toc.coverage", "sec.coverage", "toc.sites", "toc.map", "toc.provenance",
                 "page.contents", "plan.by_town", "plan.by_tier", "ind.earlier")


def test_chinese_run_report_has_chinese_headings_and_no_english_ones(tmp_path: Path,
                                                                    dataset: Dataset) -> None:
    out = make_run(tmp_path / "run", coverage=True)
    write_run_report(out, dataset, lang="zh")
    page = (out / "report.html").read_text(encoding="utf-8")
    seen = visible_text(page)
    assert '<html lang="zh-Hans">' in page
    for key in _RUN_HEADINGS:
        assert text(key, "zh") in seen, key
        assert text(key, "en") not in seen, key
    for words in ("tiny_2030：2025–2030年卫生资源配置方案", "每千人口床位数（上限）", "未达到",
                  "约束性", "乡镇卫生院", "区域医疗次中心", "甲街道", "丙镇卫生院",
                  "丙镇（505）", "乙镇（305）"):
        assert words in seen, words
    for english in ("NOT met", "residents outside", "tier (after the plan)", "By town",
                    "chosen by the model", "Where the data come from"):
        assert english not in seen, english
    legend = (out / "map.html").read_text(encoding="utf-8")
    for words in ("乡镇（2030年）", "医疗卫生次中心", "覆盖范围外的村（大小：人口）", "不在范围内"):
        assert words in legend, words
    assert "not in scope" not in legend
    assert "hospitals 医院" not in legend


def test_chinese_coverage_and_justify_reports(tmp_path: Path, dataset: Dataset) -> None:
    cov = make_coverage(tmp_path / "cov")
    write_coverage_report(cov, dataset, maps=False, lang="zh")
    seen = visible_text((cov / "report.html").read_text(encoding="utf-8"))
    for key in ("title.coverage", "toc.outside", "toc.gaps", "gaps.towns", "col.threshold"):
        assert text(key, "zh") in seen, key
        assert text(key, "en") not in seen, key
    assert "距基层医疗卫生机构超过 15 分钟、人口最多的村（共 2 个）" in seen
    run = make_run(tmp_path / "run")
    write_justify_report(run, dataset, maps=False, lang="zh")
    seen = visible_text((run / "report.html").read_text(encoding="utf-8"))
    assert "tiny_2030：为何选择这些次中心" in seen
    assert text("just.none", "zh") in seen
    assert "No justification files" not in seen


def test_english_is_the_default_and_the_same_bytes(tmp_path: Path, dataset: Dataset) -> None:
    default = make_run(tmp_path / "a")
    english = make_run(tmp_path / "b")
    write_run_report(default, dataset, maps=False)
    write_run_report(english, dataset, maps=False, lang="en")
    page = (default / "report.html").read_bytes()
    assert page == (english / "report.html").read_bytes()
    seen = visible_text(page.decode("utf-8"))
    for heading in ("The plan in brief", "The allocation plan: what moves where",
                    "Coverage before and after: who is still outside", "Why here",
                    "Sub-centres and why", "Where the data come from", "Contents"):
        assert heading in seen, heading
    assert not _CJK.search(text("toc.overview", "en"))


# -- the command line and the app --------------------------------------------------------------

@pytest.mark.filterwarnings("ignore::optimizer.errors.MedallocWarning")
def test_cli_coverage_writes_a_chinese_report(tmp_path: Path) -> None:
    scenario = write_county(tmp_path / "project")
    result = CliRunner().invoke(app, ["coverage", str(scenario), "--out", str(tmp_path / "o"),
                                      "--no-maps", "--lang", "zh"])
    assert result.exit_code == 0, result.output
    assert text("toc.outside", "zh") in (tmp_path / "o" / "report.html").read_text("utf-8")
    result = CliRunner().invoke(app, ["coverage", str(scenario), "--out", str(tmp_path / "p"),
                                      "--lang", "fr"])
    assert result.exit_code == 2
    assert "use en or zh" in result.output
    assert not (tmp_path / "p").exists()


def test_app_runs_pass_the_pages_language(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli_arguments("run", Path("s.toml"), Path("o"), maps=False, sites=None,
                         lang="zh") == ["run", "s.toml", "--out", "o", "--xlsx", "--lang", "zh",
                                        "--no-maps"]
    with pytest.raises(UsageError, match="unknown language 'fr'"):
        cli_arguments("run", Path("s.toml"), Path("o"), maps=True, sites=None, lang="fr")
    config = AppConfig.create(ROOT / "data", ROOT / "scenarios", tmp_path / "ws")
    client = TestClient(create_app(config), follow_redirects=False)
    started: list[str] = []

    class Started:
        run_id = "x"

    def start(*_: object, lang: str = "en", **__: object) -> Started:
        started.append(lang)
        return Started()

    monkeypatch.setattr(client.app.state.jobs, "start", start)  # type: ignore[attr-defined]
    page = client.get("/scenario?src=shipped:yongchuan_2030.toml").text
    toml = re.search(r'<textarea name="toml" id="toml"[^>]*>(.*?)</textarea>', page, re.S)
    assert toml
    form = {"src": "shipped:yongchuan_2030.toml", "toml": html.unescape(toml[1]),
            "action": "solve", "kind": "coverage"}
    assert client.post("/scenario", data=form).status_code == 303  # Chinese data: zh
    client.cookies.set("lang", "en")
    assert client.post("/scenario", data=form).status_code == 303
    assert started == ["zh", "en"]


def test_every_indicator_of_the_shipped_plans_has_a_chinese_name(
    yongchuan_2030_run: Path, dianjiang_2025_run: tuple[object, Path]
) -> None:
    """No indicator of either county's plan stays in English on a Chinese page."""
    names = set()
    for out in (yongchuan_2030_run, dianjiang_2025_run[1]):
        names |= set(pd.read_csv(out / "indicators.csv")["indicator"])
    english = {n: indicator_label(n, "zh") for n in names
               if re.search(r"[A-Za-z]{2,}", indicator_label(n, "zh"))}
    assert english == {}
