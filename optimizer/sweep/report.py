"""The sweep summary as plain text: statuses, objective spread, site frequencies, influence."""

from __future__ import annotations

from typing import Any

__all__ = ["summary_text"]

_TOP_DECISIONS = 5


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 1e4 else f"{value:,.6g}"


def summary_text(data: dict[str, Any]) -> str:
    """Render a sweep's ``summary.json`` content for a terminal (deterministic, no timings)."""
    lines = [f"sweep {data['sweep']} ({data['mode']}, base {data['base']}): "
             f"{data['points']} points"]
    statuses = ", ".join(f"{status} {n}" for status, n in data["statuses"].items())
    lines.append(f"  statuses: {statuses or 'none yet'}")
    if data["missing"]:
        lines.append(f"  missing (worker failed; rerun to solve): {', '.join(data['missing'])}")
    spread = data["objective"]
    with_values = {s: e for s, e in spread.items() if "median" in e}
    if with_values:
        lines.append("objective (first stage), min / median / max:")
        lines += [f"  {status:<10} {entry['points']:>5} points  {_number(entry['min'])} / "
                  f"{_number(entry['median'])} / {_number(entry['max'])}"
                  for status, entry in with_values.items()]
    sites = data["site_frequency"]
    if sites:
        lines.append("sub-centre sites, share of solved points choosing each:")
        lines += [f"  {s['facility_id']:<14} {s['town']:<8} {s['points']:>5}  {_share(s['share'])}"
                  for s in sites]
    decisions = data["decisions"]
    if decisions:
        lines.append(f"decisions: {len(decisions)} distinct set(s) of sub-centres")
        lines += [f"  {d['towns'] or '(none)'}: {d['points']} points ({_share(d['share'])})"
                  for d in decisions[:_TOP_DECISIONS]]
        if len(decisions) > _TOP_DECISIONS:
            lines.append(f"  ... and {len(decisions) - _TOP_DECISIONS} more")
    lines.append("which assumptions change the decision:")
    for key, measures in data["influence"].items():
        held = measures["held_fixed"]
        if held["groups"]:
            moved = (f"changing it alone changes the decision in {held['changed']} of "
                     f"{held['groups']} settings of the others")
            if held["changed_at_full_coverage"]:
                moved += (f" ({held['changed_at_full_coverage']} of them where every point "
                          "covers everyone, so sets tie on the first objective)")
        else:
            moved = "not measurable: no two solved points share the values of the others"
        lines.append(f"  {key}: {moved}")
        for row in measures["by_value"]:
            text = f"    = {row['value']}: {row['solved']} of {row['points']} points solved"
            if row["solved"]:
                text += (f", {row['decisions']} decision(s), most common "
                         f"{row['most_common_towns'] or '(none)'} "
                         f"({_share(row['most_common_share'])})")
            lines.append(text)
    return "\n".join(lines)
