"""The justification section: why these sub-centres, from the files ``medalloc justify`` writes."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from optimizer.report.html import esc, missing, paragraph, table
from optimizer.report.i18n import text
from optimizer.report.outputs import JustifyOutputs

__all__ = ["justification_html", "markdown_html"]

_ROWS = 12
_BULLET = re.compile(r"^\s*[-*]\s+")


def justification_html(justify: JustifyOutputs | None, lang: str = "en") -> str:
    """``justification.md`` as HTML, else the tables' heads, else a sentence saying none yet."""
    if justify is None or justify.empty:
        return paragraph(text("just.none", lang), "note")
    if justify.markdown:
        # justification.md already carries the conclusion and every table's head.
        return f'<div class="justification">{markdown_html(justify.markdown)}</div>'
    parts = [f"<h3>{esc(text('just.title', lang))}</h3>"]
    if justify.justification:
        parts.append(_json_summary(justify.justification, lang))
    for key, frame in (("just.ranking", justify.ranking), ("just.marginal", justify.marginal),
                       ("just.robustness", justify.robustness),
                       ("just.pairings", justify.pairings)):
        if frame is None or frame.empty:
            continue
        shown = frame.head(_ROWS)
        note = text("just.first_rows", lang, rows=_ROWS, total=len(frame)) \
            if len(frame) > _ROWS else ""
        numeric = [c for c in shown.columns if pd.api.types.is_numeric_dtype(shown[c])]
        parts.append(f"<h3>{esc(text(key, lang))}{esc(note)}</h3>")
        parts.append(table(shown, dict.fromkeys(numeric, _num), numeric=numeric))
    return "\n".join(parts)


def markdown_html(text: str) -> str:
    """A small Markdown subset (headings, bullets, pipe tables, paragraphs, **bold**, `code`)."""
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        if not line.strip():
            i += 1
            continue
        heading = re.match(r"^(#{1,6})\s+(.*)$", line)
        if heading:
            level = min(len(heading[1]) + 2, 6)
            out.append(f"<h{level}>{_inline(heading[2])}</h{level}>")
            i += 1
        elif re.match(r"^\s*[-*]\s+", line):
            items = []
            while i < len(lines) and re.match(r"^\s*[-*]\s+", lines[i]):
                item = _inline(_BULLET.sub("", lines[i]))
                items.append(f"<li>{item}</li>")
                i += 1
            out.append(f"<ul>{''.join(items)}</ul>")
        elif line.lstrip().startswith("|"):
            rows = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                if not all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
                    rows.append(cells)
                i += 1
            if rows:
                head = "".join(f"<th>{_inline(c)}</th>" for c in rows[0])
                body = "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>"
                               for r in rows[1:])
                out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        else:
            block = []
            while i < len(lines) and lines[i].strip() and not re.match(
                    r"^(#{1,6}\s|\s*[-*]\s+|\s*\|)", lines[i]):
                block.append(lines[i].strip())
                i += 1
            # The justification writes one sentence a line: keep the breaks, they read better.
            out.append(f"<p>{'<br>'.join(_inline(line) for line in block)}</p>")
    return "\n".join(out)


def _inline(text: str) -> str:
    html = esc(text)
    html = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", html)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", html)


def _json_summary(data: dict[str, Any], lang: str = "en") -> str:
    rows = [{text("col.item", lang): key,
             text("col.value", lang): value if not isinstance(value, list | dict) else
             text("just.entries", lang, n=len(value))} for key, value in sorted(data.items())]
    return table(pd.DataFrame(rows))


def _num(value: object) -> str:
    if missing(value):
        return ""
    number = float(str(value))
    return f"{number:,.0f}" if number.is_integer() else f"{number:,.4g}"
