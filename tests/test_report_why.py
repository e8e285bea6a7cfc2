"""The report's 'why here' table: one row per move, with the reason of its largest period."""

from __future__ import annotations

import pandas as pd

from optimizer.report.outputs import RunOutputs
from optimizer.report.run_sections import why_here_section

COLUMNS = ["facility_id", "name_zh", "town_code", "tier", "year", "resource", "before", "after",
           "change", "need", "served", "need_ratio", "reason_kind", "reason"]


def test_a_cut_in_the_first_period_keeps_its_reason() -> None:
    plan = pd.DataFrame([
        ("H1", "甲医院", "1", "tertiary_hospital", 2027, "beds", 100, 90, -10, 80.0, 90.0, 1.1,
         "cap", "cut toward need under the cap"),
        ("H1", "甲医院", "1", "tertiary_hospital", 2030, "beds", 90, 90, 0, 85.0, 90.0, 1.06,
         "kept", "kept, nothing asks"),
        ("T2", "乙镇卫生院", "2", "township_health_centre", 2027, "beds", 10, 10, 0, 10.0, 10.0,
         1.0, "need", "need 10"),
        ("T2", "乙镇卫生院", "2", "township_health_centre", 2030, "beds", 10, 10, 0, 10.0, 10.0,
         1.0, "need", "need 10"),
    ], columns=COLUMNS)
    run = RunOutputs(plan=plan, towns=pd.DataFrame(), indicators=pd.DataFrame(), summary={})
    html = why_here_section(run)
    assert "甲医院" in html
    assert "乙镇卫生院" not in html  # unchanged: not listed
    assert "cut toward need under the cap" in html
    assert "kept, nothing asks" not in html
    assert ">2027<" in html  # the period of the cut
    assert ">85.0<" in html  # the need in the last year
