"""Scenario editing for the workbench: the form's fields, applying edits, the schema's messages.

The scenario stays a TOML file the CLI reads. Edits are applied to the parsed document with
``tomlkit``, which keeps every comment (the PLAN / NATIONAL / ASSUMPTION notes that say where a
number comes from) and the order of keys, so a file saved by the app reads like the shipped one.
Validation is the CLI's own (:func:`optimizer.config.scenario.scenario_from_dict`); its messages are
attached to the field whose key they name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import ParseError
from tomlkit.items import Table
from tomlkit.toml_document import TOMLDocument

from optimizer.config.scenario import Scenario, scenario_from_dict
from optimizer.errors import ScenarioError

__all__ = [
    "Edit",
    "Field",
    "apply_edits",
    "dumps",
    "form_fields",
    "parse",
    "set_data_folder",
    "split_list",
    "validate",
]

_POLICY_KEYS = ("max", "min", "town_max", "town_min")
_KEY_IN_MESSAGE = re.compile(r"key '([^']+)'")
_LIST_SPLIT = re.compile(r"[,，、;；\s]+")


@dataclass(frozen=True)
class Field:
    """One input of the scenario form.

    Attributes
    ----------
    path : tuple of str
        The TOML key path, e.g. ``("policy", "beds", "max", "2030")``.
    group : str
        The form section it is shown in (an i18n key).
    label : str
        Its label (a key name, a year); translated by the template where it is a word.
    kind : str
        ``number``, ``int``, ``list``, ``numbers``, ``text`` or ``choice``.
    value : str
        The current value as the input shows it ("" when the key is absent).
    choices : tuple of str
        The options of a ``choice``.
    """

    path: tuple[str, ...]
    group: str
    label: str
    kind: str
    value: str
    choices: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The input's name in the form."""
        return "f:" + "/".join(self.path)

    @property
    def dotted(self) -> str:
        """The key as the schema's messages name it."""
        return ".".join(self.path)


@dataclass(frozen=True)
class Edit:
    """The outcome of applying a form: the new TOML and every message, by field."""

    text: str
    messages: tuple[str, ...]
    by_field: dict[str, list[str]]
    scenario: Scenario | None

    @property
    def ok(self) -> bool:
        """Whether the scenario passed the schema."""
        return self.scenario is not None and not self.messages


def parse(text: str) -> TOMLDocument:
    """Parse scenario text, keeping comments.

    Raises
    ------
    ScenarioError
        For a TOML syntax error, with tomlkit's line and column.
    """
    try:
        return tomlkit.parse(text)
    except ParseError as error:
        raise ScenarioError(f"not valid TOML ({error}); fix the syntax there") from None


def dumps(doc: TOMLDocument) -> str:
    """The document as TOML text, comments and key order as they were."""
    return tomlkit.dumps(doc)


def split_list(value: str) -> list[str]:
    """Items of a list input; commas (also Chinese ones), semicolons or spaces separate."""
    return [item for item in _LIST_SPLIT.split(value.strip()) if item]


def _get(doc: Any, path: tuple[str, ...]) -> Any:
    node = doc
    for key in path:
        if not hasattr(node, "get"):
            return None
        node = node.get(key)
        if node is None:
            return None
    return node


def _show(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def form_fields(doc: TOMLDocument) -> list[Field]:
    """The inputs of the scenario form for this document.

    Every policy resource gets its ``per``, its caps and floors for every plan year and its
    kind; then the sub-centre choice, central village clinics, services' thresholds, coverage
    thresholds, travel, costs and budget, objective order and solver limit.
    """
    fields: list[Field] = [
        Field(("name",), "general", "name", "text", _show(doc.get("name"))),
        Field(("description",), "general", "description", "text", _show(doc.get("description"))),
    ]
    years = [str(y) for y in (_get(doc, ("plan", "years")) or [])]
    fields.append(Field(("plan", "years"), "general", "plan years", "numbers", ", ".join(years)))
    policy = doc.get("policy") or {}
    for resource in policy:
        group = f"policy:{resource}"
        base = ("policy", resource)
        fields.append(Field((*base, "per"), group, "per", "int", _show(_get(doc, (*base, "per")))))
        for key in _POLICY_KEYS:
            by_year = _get(doc, (*base, key)) or {}
            for year in sorted({*years, *(str(y) for y in by_year)}):
                fields.append(Field((*base, key, year), group, f"{key} {year}", "number",
                                    _show(by_year.get(year))))
        fields.append(Field((*base, "kind"), group, "kind", "choice",
                            _show(_get(doc, (*base, "kind"))) or "binding",
                            ("binding", "expected")))
    subs = ("sub_centres",)
    for key, kind in (("fixed", "list"), ("candidates", "list"), ("min_count", "int"),
                      ("max_count", "int")):
        fields.append(Field((*subs, key), "sub_centres", key, kind, _show(_get(doc, (*subs, key)))))
    cvc = ("central_village_clinics", "count")
    counts = _get(doc, cvc) or {}
    for year in sorted({*years, *(str(y) for y in counts)}):
        fields.append(Field((*cvc, year), "central_village_clinics", f"count {year}", "int",
                            _show(counts.get(year))))
    for service in doc.get("services") or {}:
        fields.append(Field(("services", service, "minutes"), "services", f"{service} minutes",
                            "number", _show(_get(doc, ("services", service, "minutes")))))
    for group in _get(doc, ("coverage", "thresholds")) or {}:
        path = ("coverage", "thresholds", group)
        fields.append(Field(path, "thresholds", group, "numbers", _show(_get(doc, path))))
    fields.append(Field(("travel", "detour_factor"), "travel", "detour_factor", "number",
                        _show(_get(doc, ("travel", "detour_factor")))))
    for key in ("sub_centre_upgrade", "central_village_clinic", "budget"):
        fields.append(Field(("costs", key), "costs", key, "number",
                            _show(_get(doc, ("costs", key)))))
    fields.append(Field(("objective", "order"), "objective", "order", "list",
                        _show(_get(doc, ("objective", "order")))))
    fields.append(Field(("solver", "time_limit_s"), "objective", "time_limit_s", "number",
                        _show(_get(doc, ("solver", "time_limit_s")))))
    return fields


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


def _typed(field: Field, raw: str) -> Any:
    """The TOML value of an input, or ``None`` to remove the key."""
    text = raw.strip()
    if field.kind in ("text", "choice"):
        return text or None
    if field.kind == "list":
        items = split_list(text)
        return items or None
    if not text:
        return None
    if field.kind == "numbers":
        return [_number(item) for item in split_list(text)]
    if field.kind == "int":
        return int(text)
    return _number(text)


def _set(doc: TOMLDocument, path: tuple[str, ...], value: Any) -> None:
    node: Any = doc
    for key in path[:-1]:
        child = node.get(key)
        if child is None:
            if value is None:
                return  # nothing to remove
            child = tomlkit.inline_table() if key in _POLICY_KEYS or key == "count" \
                else tomlkit.table()
            node[key] = child
        node = child
    last = path[-1]
    if value is None:
        if last in node:
            del node[last]
        return
    node[last] = value


def apply_edits(text: str, values: dict[str, str]) -> tuple[TOMLDocument, dict[str, list[str]]]:
    """Apply the form's inputs (by :attr:`Field.name`) to the scenario text.

    Returns the edited document and the inputs that could not be read (not a number), by
    dotted key; those keep their old value.
    """
    doc = parse(text)
    errors: dict[str, list[str]] = {}
    for field in form_fields(doc):
        if field.name not in values or values[field.name].strip() == field.value:
            continue
        try:
            value = _typed(field, values[field.name])
        except ValueError:
            errors.setdefault(field.dotted, []).append(
                f"'{values[field.name]}' is not a number; write it like 7.5")
            continue
        _set(doc, field.path, value)
    return doc, errors


def validate(doc: TOMLDocument, where: Path, errors: dict[str, list[str]] | None = None) -> Edit:
    """Check the document with the CLI's scenario schema, as if it were the file ``where``."""
    by_field: dict[str, list[str]] = {k: list(v) for k, v in (errors or {}).items()}
    messages: list[str] = [f"{key}: {m}" for key, found in by_field.items() for m in found]
    scenario: Scenario | None = None
    try:
        scenario = scenario_from_dict(doc.unwrap(), where)
    except ScenarioError as error:
        for raw in str(error).splitlines():
            line = raw.removeprefix(f"{where}: ")
            messages.append(line)
            match = _KEY_IN_MESSAGE.search(line)
            if match:
                by_field.setdefault(match[1], []).append(line)
    return Edit(tomlkit.dumps(doc), tuple(messages), by_field, scenario)


def set_data_folder(doc: TOMLDocument, folder: str) -> None:
    """Point the scenario's ``[data] folder`` at ``folder`` (kept as written)."""
    data = doc.get("data")
    if not isinstance(data, Table):
        data = tomlkit.table()
        doc["data"] = data
    data["folder"] = folder
