"""Typed access to fields of parsed JSON.

A field of the wrong type becomes an :class:`InvalidField` naming the field and what was
found (``cited_by_count is "many", expected a whole number``), which the parser turns into
a quarantined :class:`~paperradar.records.Problem`. A missing or null field is never an
error: it reads as ``None``, an empty object or an empty list.

A field is named by its path of keys: ``text(work, "primary_location", "source",
"display_name")``. Every accessor also takes ``where``, the name of ``parent`` itself when
it is not the record (``where="authors[3]"`` gives ``authors[3].name is 5, expected text``).
The single-value accessors take ``strict=False`` for sources too irregular to quarantine
on: a field of the wrong type then reads as missing instead of raising.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson

JSON = dict[str, Any]


class InvalidField(ValueError):
    """A field has the wrong type; the record it belongs to becomes a Problem."""


def describe(value: object) -> str:
    """``value`` as compact JSON, cut to 40 characters."""
    text = orjson.dumps(value).decode()
    return text if len(text) <= 40 else text[:37] + "..."


def kind_of(value: object) -> str:
    """What ``value`` is, in words: ``an object``, ``a list``, ``text``, ``a number``…"""
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "text", bool: "true/false"}.get(type(value), "a number")


def _name(path: tuple[str, ...], where: str, index: int | None = None) -> str:
    """``where.a.b`` or ``a.b[index]``: how an error message names a field."""
    name = ".".join((where, *path) if where else path) or "record"
    return name if index is None else f"{name}[{index}]"


def _wrong(name: str, value: object, expected: str, strict: bool = True) -> None:
    """Raise the error for ``value`` found in field ``name``; when not ``strict``, do nothing."""
    if strict:
        raise InvalidField(f"{name} is {describe(value)}, expected {expected}")


def at(parent: JSON, *path: str, where: str = "", strict: bool = True) -> Any:
    """The value at ``path`` (``None`` when any step is missing or null)."""
    value: Any = parent
    for depth, key in enumerate(path):
        if value is None:
            return None
        if not isinstance(value, dict):
            _wrong(_name(path[:depth], where), value, "an object", strict)
            return None
        value = value.get(key)
    return value


def text(
    parent: JSON,
    *path: str,
    where: str = "",
    strict: bool = True,
    strip: bool = False,
    keep_empty: bool = False,
) -> str | None:
    """Text (stripped of surrounding blanks with ``strip``); empty text counts as missing
    unless ``keep_empty``."""
    value = at(parent, *path, where=where, strict=strict)
    if isinstance(value, str):
        if strip:
            value = value.strip()
        return value if keep_empty else value or None
    if value is not None:
        _wrong(_name(path, where), value, "text", strict)
    return None


def integer(parent: JSON, *path: str, where: str = "", strict: bool = True) -> int | None:
    """A whole number (``true`` and ``false`` are not numbers)."""
    value = at(parent, *path, where=where, strict=strict)
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    _wrong(_name(path, where), value, "a whole number", strict)
    return None


def boolean(parent: JSON, *path: str, where: str = "", strict: bool = True) -> bool | None:
    value = at(parent, *path, where=where, strict=strict)
    if value is None or isinstance(value, bool):
        return value
    _wrong(_name(path, where), value, "true or false", strict)
    return None


def obj(parent: JSON, *path: str, where: str = "", strict: bool = True) -> JSON:
    """An object; ``{}`` when missing."""
    value = at(parent, *path, where=where, strict=strict)
    if isinstance(value, dict):
        return value
    if value is not None:
        _wrong(_name(path, where), value, "an object", strict)
    return {}


def items(parent: JSON, *path: str, where: str = "", strict: bool = True) -> list[Any]:
    """A list, whatever its elements; ``[]`` when missing."""
    value = at(parent, *path, where=where, strict=strict)
    if isinstance(value, list):
        return value
    if value is not None:
        _wrong(_name(path, where), value, "a list", strict)
    return []


def objects(parent: JSON, *path: str, where: str = "", allow_null: bool = True) -> list[JSON]:
    """A list of objects. Nulls inside it are dropped (OpenAlex writes them for deleted
    links), or are an error when not ``allow_null``."""
    found: list[JSON] = []
    for index, value in enumerate(items(parent, *path, where=where)):
        if isinstance(value, dict):
            found.append(value)
        elif value is not None or not allow_null:
            _wrong(_name(path, where, index), value, "an object")
    return found


def texts(parent: JSON, *path: str, where: str = "") -> list[str]:
    """A list of text; empty strings are dropped."""
    values = items(parent, *path, where=where)
    for index, value in enumerate(values):
        if not isinstance(value, str):
            _wrong(_name(path, where, index), value, "text")
    return [value for value in values if value]


def date(
    parent: JSON, *path: str, where: str = "", strict: bool = True, timestamp: bool = False
) -> dt.date | None:
    """A ``YYYY-MM-DD`` date; with ``timestamp``, the date that starts the text, whatever
    follows it (a time: ``2026-06-12T00:00:00.000Z``)."""
    value = text(parent, *path, where=where, strict=strict)
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value[:10] if timestamp else value)
    except ValueError:
        if not strict:
            return None
        raise InvalidField(f"{_name(path, where)} is {value!r}, expected a YYYY-MM-DD date") from None
