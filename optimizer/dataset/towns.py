"""Resolve the towns a scenario names (9-digit code, Chinese name or pinyin) to town codes."""

from __future__ import annotations

import difflib
import re
import unicodedata

import pandas as pd

from optimizer.errors import ScenarioError

__all__ = ["resolve_town", "resolve_towns"]

_SUFFIXES = ("subdistrict", "town", "township")


def _fold(text: str) -> str:
    """Lower-case ASCII form of a pinyin name: tones, apostrophes, spaces and suffixes dropped."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    plain = re.sub(r"[^a-z0-9]", "", plain)
    for suffix in _SUFFIXES:
        if plain.endswith(suffix) and len(plain) > len(suffix):
            return plain.removesuffix(suffix)
    return plain


def _index(towns: pd.DataFrame) -> dict[str, str]:
    """Every accepted spelling -> town code."""
    names: dict[str, str] = {}
    for row in towns.itertuples(index=False):
        code = str(row.code)
        names[code] = code
        name_zh = str(row.name_zh)
        names[name_zh] = code
        # 朱沱镇 may be written 朱沱: the name without its unit word.
        short = re.sub(r"(街道|镇|乡)$", "", name_zh)
        if short:
            names.setdefault(short, code)
        name_en = getattr(row, "name_en", None)
        if isinstance(name_en, str) and name_en:
            names[_fold(name_en)] = code
    return names


def resolve_town(name: str, towns: pd.DataFrame, *, where: str) -> str:
    """Return the code of the town ``name`` refers to.

    Parameters
    ----------
    name : str
        A 9-digit code, the Chinese name (with or without 镇/乡/街道) or the pinyin name
        (case, tone marks, apostrophes and the English unit word are ignored).
    towns : pandas.DataFrame
        The towns layer (``code``, ``name_zh``, optionally ``name_en``).
    where : str
        The scenario key the name came from, for the error message.

    Raises
    ------
    ScenarioError
        If no town matches, naming the closest spellings.
    """
    names = _index(towns)
    for key in (name.strip(), _fold(name)):
        if key in names:
            return names[key]
    close = difflib.get_close_matches(_fold(name), [k for k in names if k.isascii()], n=3)
    close_zh = difflib.get_close_matches(name.strip(), [k for k in names if not k.isascii()], n=3)
    guesses = [*close_zh, *close]
    hint = f"; closest: {', '.join(guesses)}" if guesses else ""
    raise ScenarioError(
        f"{where}: no town called {name!r} in the data{hint}. Use a 9-digit code, the Chinese "
        "name or the pinyin name of a town in towns.geojson"
    )


def resolve_towns(names: list[str], towns: pd.DataFrame, *, where: str) -> list[str]:
    """Resolve several names (see :func:`resolve_town`), keeping their order, without repeats."""
    codes: list[str] = []
    for name in names:
        code = resolve_town(name, towns, where=where)
        if code in codes:
            raise ScenarioError(f"{where}: town {name!r} ({code}) is named twice")
        codes.append(code)
    return codes
