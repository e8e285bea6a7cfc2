"""The workbench's tables in Chinese: headers and category cells translated, numbers not."""

from __future__ import annotations

import pandas as pd

from optimizer.app.labels import cell_label, header_label
from optimizer.app.pages import records
from optimizer.report.i18n import indicator_label


def test_headers_in_chinese_and_english() -> None:
    assert header_label("indicator", "zh") == "指标"
    assert header_label("achieved", "zh") == "实现值"
    assert header_label("beds_per_1000", "zh") == "每千人口床位数"
    assert header_label("gps_per_10000", "zh") == "每万人口全科医生数"
    assert header_label("covered_share_primary_15", "zh").endswith("15分钟覆盖率")
    assert header_label("covered_population_primary_15", "zh").endswith("15分钟覆盖人口")
    # a comparison column keeps its run label and translates its field
    assert header_label("yongchuan_2030 [5fb201]: target", "zh") == "yongchuan_2030 [5fb201]：目标"
    assert header_label("something_new", "zh") == "something_new"  # unknown: as written
    for column in ("indicator", "beds_per_1000", "run [a]: target", "difference"):
        assert header_label(column, "en") == column


def test_category_cells_translated_free_text_and_numbers_not() -> None:
    assert cell_label("indicator", "beds per 1000 (cap)", "zh") == "每千人口床位数（上限）"
    assert cell_label("kind", "binding", "zh") == "约束性"
    assert cell_label("run [a]: kind", "expected", "zh") == "预期性"
    assert cell_label("tier", "township_health_centre", "zh") == "乡镇卫生院"
    assert cell_label("note", "beds per 1000 (cap)", "zh") == "beds per 1000 (cap)"
    assert cell_label("achieved", 7.3, "zh") == 7.3
    assert cell_label("indicator", "beds per 1000 (cap)", "en") == "beds per 1000 (cap)"


def test_records_keep_column_names_and_values_apart_from_labels() -> None:
    frame = pd.DataFrame({"indicator": ["beds per 1000 (cap)", "doctors per 1000 (floor)"],
                          "year": [2030, 2030], "achieved": [7.299, float("nan")]})
    zh = records(frame, lang="zh")
    assert zh["columns"] == ["indicator", "year", "achieved"]
    assert zh["labels"] == ["指标", "年份", "实现值"]
    assert zh["rows"][0] == [indicator_label("beds per 1000 (cap)", "zh"), 2030, 7.299]
    assert zh["rows"][1][2] is None
    en = records(frame)
    assert en["labels"] == en["columns"]
    assert en["rows"][0][0] == "beds per 1000 (cap)"
    assert records(None, lang="zh") == {"columns": [], "labels": [], "rows": [], "more": 0}
