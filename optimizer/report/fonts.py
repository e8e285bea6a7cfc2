"""Find a font that draws Chinese for matplotlib, or fall back to romanised labels (warning)."""

from __future__ import annotations

import warnings
from functools import cache
from pathlib import Path

from optimizer.errors import MedallocWarning

__all__ = ["CJK_FAMILIES", "cjk_font", "place_label", "warn_no_cjk"]

# Preferred first; Debian's fonts-noto-cjk provides the Noto families.
CJK_FAMILIES = (
    "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Noto Serif CJK SC",
    "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
    "Microsoft YaHei", "SimHei", "PingFang SC", "Hiragino Sans GB", "Noto Serif CJK JP",
)
# File-name stems of the same fonts, to register files installed after matplotlib's font cache
# was built (matplotlib does not rescan the system on its own).
_FILE_HINTS = ("notosanscjk", "notoserifcjk", "sourcehansans", "wqy", "msyh", "simhei", "pingfang")


@cache
def cjk_font() -> str | None:
    """The family name of an installed font with Chinese glyphs, or ``None``.

    Looks in matplotlib's font list first, then registers matching system font files.
    """
    from matplotlib import font_manager  # noqa: PLC0415 - optional extra, loaded on demand

    found = _first_family(font_manager)
    if found is not None:
        return found
    for path in sorted(font_manager.findSystemFonts()):
        stem = Path(path).name.lower().replace("-", "").replace("_", "")
        if any(hint in stem for hint in _FILE_HINTS):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue
    return _first_family(font_manager)


def place_label(name_zh: str, name_en: object, fallback: str, *, chinese: bool) -> str:
    """The label to draw: the Chinese name, else the romanised name, else ``fallback`` (an id)."""
    if chinese:
        return name_zh
    if isinstance(name_en, str) and name_en.strip():
        return name_en.strip()
    return fallback


def warn_no_cjk() -> None:
    """Warn once per call site that labels fall back to romanised names."""
    warnings.warn(
        "no font with Chinese glyphs found for the maps; labels use the romanised names "
        "(name_en). Fix: install a CJK font, e.g. Debian's fonts-noto-cjk",
        MedallocWarning,
        stacklevel=3,
    )


def _first_family(font_manager: object) -> str | None:
    names = {entry.name for entry in font_manager.fontManager.ttflist}  # type: ignore[attr-defined]
    return next((family for family in CJK_FAMILIES if family in names), None)
