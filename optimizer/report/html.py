"""Small HTML building blocks for the report: escaping, tables, figures, the page with print CSS."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from html import escape
from typing import Any

import pandas as pd

from optimizer.report.i18n import text

__all__ = ["bullets", "esc", "figure", "missing", "page", "paragraph", "section", "table"]

Formatter = Callable[[Any], str]

_CSS = """
:root { --ink: #222; --muted: #666; --line: #ccc; --bad: #b2182b; --good: #1a7f37; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
       system-ui, sans-serif; color: var(--ink); margin: 0 auto; max-width: 1080px;
       padding: 24px 32px 48px; line-height: 1.45; font-size: 14px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 8px; border-bottom: 2px solid var(--ink);
     padding-bottom: 2px; }
h3 { font-size: 15px; margin: 20px 0 6px; }
p.lead { color: var(--muted); margin-top: 0; }
nav ol { columns: 2; font-size: 13px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 12.5px; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 6px; text-align: left;
         vertical-align: top; }
th { background: #f2f2f2; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th.word, td.word { white-space: nowrap; }  /* a short Chinese word (约束性) is never split */
tr.unmet td { color: var(--bad); }
span.met { color: var(--good); font-weight: 600; }
span.unmet { color: var(--bad); font-weight: 600; }
figure { margin: 12px 0 20px; }
div.figs { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
div.figs figure { margin: 4px 0; }
figure img { width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { font-size: 12.5px; color: var(--muted); margin-top: 4px; }
.note { font-size: 12.5px; color: var(--muted); }
.box { border-left: 4px solid #2c7fb8; background: #f5f9fc; padding: 8px 14px; margin: 12px 0; }
iframe.map { width: 100%; height: 620px; border: 1px solid var(--line); }
pre.md { white-space: pre-wrap; font-size: 12px; background: #f7f7f7; padding: 8px; }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  body { max-width: none; padding: 0; font-size: 11px; }
  nav, .screen-only, iframe.map { display: none; }
  h2 { break-after: avoid; }
  figure, table, .box { break-inside: avoid; }
  tr { break-inside: avoid; }
  a { color: var(--ink); text-decoration: none; }
}
"""


def missing(value: object) -> bool:
    """True for None, NaN, ``pd.NA`` and ``pd.NaT`` (a blank cell)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


# Marks the page once loaded, for checks in a headless browser: how many images drew.
_MARK_LOADED = """window.addEventListener("load", function () {
  var imgs = document.images, ok = 0;
  for (var i = 0; i < imgs.length; i++) { if (imgs[i].complete && imgs[i].naturalWidth > 0) ok++; }
  document.body.dataset.images = String(imgs.length);
  document.body.dataset.imagesLoaded = String(ok);
});"""


def esc(value: object) -> str:
    """HTML-escape ``value``'s text."""
    return escape(str(value), quote=True)


def paragraph(text: str, css: str = "") -> str:
    """A ``<p>`` of escaped text."""
    attr = f' class="{esc(css)}"' if css else ""
    return f"<p{attr}>{esc(text)}</p>"


def bullets(items: Iterable[str], *, raw: bool = False) -> str:
    """An unordered list; items are escaped unless ``raw``."""
    inner = "".join(f"<li>{item if raw else esc(item)}</li>" for item in items)
    return f"<ul>{inner}</ul>" if inner else ""


def section(anchor: str, title: str, parts: Sequence[str]) -> str:
    """A titled ``<section>`` with an id for the contents list."""
    body = "\n".join(p for p in parts if p)
    return f'<section id="{esc(anchor)}">\n<h2>{esc(title)}</h2>\n{body}\n</section>'


def figure(src: str, caption: str, alt: str) -> str:
    """An image (a file beside the report) with its caption."""
    return (f'<figure><img src="{esc(src)}" alt="{esc(alt)}" loading="eager">'
            f"<figcaption>{esc(caption)}</figcaption></figure>")


_SHORT_CJK = re.compile(r"[\u3400-\u9fff][^\s]{0,5}")


def _cell_class(numeric: bool, text: str) -> str:
    """The class of a cell: ``num`` for numbers, ``word`` for a short Chinese word.

    Chinese has no spaces, so a browser may split a short word such as 约束性 one character per
    line in a narrow column; a ``word`` cell does not wrap and its column grows instead.
    """
    if numeric:
        return ' class="num"'
    return ' class="word"' if _SHORT_CJK.fullmatch(text) else ""


def table(frame: pd.DataFrame, formats: dict[str, Formatter] | None = None,
          *, numeric: Iterable[str] = (), row_class: Callable[[pd.Series], str] | None = None,
          raw: Iterable[str] = ()) -> str:
    """Render ``frame`` as a table; ``formats`` per column, ``raw`` columns are not escaped."""
    formats = formats or {}
    numeric_set, raw_set = set(numeric), set(raw)
    head = "".join(
        f"<th{_cell_class(c in numeric_set, str(c))}>{esc(c)}</th>" for c in frame.columns
    )
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for column in frame.columns:
            value = row[column]
            text = formats[column](value) if column in formats else _plain(value)
            text = text if column in raw_set else esc(text)
            css = _cell_class(column in numeric_set, "" if column in raw_set else text)
            cells.append(f"<td{css}>{text}</td>")
        klass = row_class(row) if row_class else ""
        attr = f' class="{esc(klass)}"' if klass else ""
        rows.append(f"<tr{attr}>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def page(title: str, lead: str, sections: Sequence[tuple[str, str, str]], *,
         lang: str = "en") -> str:
    """The whole document: title, contents, then each ``(anchor, title, html)`` section.

    Both languages declare ``zh-Hans``: the English page is full of Chinese names, and the
    declaration makes browsers draw them with Chinese (not Japanese) glyphs.
    """
    contents = "".join(f'<li><a href="#{esc(a)}">{esc(t)}</a></li>' for a, t, _ in sections)
    body = "\n".join(html for _, _, html in sections)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh-Hans">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<header><h1>{esc(title)}</h1><p class=\"lead\">{esc(lead)}</p></header>\n"
        f"<nav><h3>{esc(text('page.contents', lang))}</h3><ol>{contents}</ol></nav>\n{body}\n"
        f"<script>{_MARK_LOADED}</script>\n</body>\n</html>\n"
    )


def _plain(value: object) -> str:
    if missing(value):
        return ""
    return str(value)
