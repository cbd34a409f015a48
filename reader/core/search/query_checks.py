"""Checks of a query's text before it is parsed: each query that is not what the user meant says why in one
line, with the fix where one is obvious.

Whoosh's parser is lenient: ``AND OR (`` becomes a search for "and", ``stem NOT`` and ``title:`` match
nothing, and an unknown field or colour silently finds nothing. These checks run first and raise
:class:`~reader.core.errors.QueryError`:

- an operator with nothing on one side (``stem NOT``, ``AND stem``, ``stem AND OR cell``);
- a parenthesis or double quote that is not closed (or closed without being opened);
- a field with nothing after it (``title:``), a field the index does not have (``foo:bar``);
- a colour the palette does not have (``color:mauve``), a date that is no calendar date (``date:2025-13``).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping, Sequence

from reader.core.errors import QueryError
from reader.core.models import COLORS

#: Fields a user may type (with their aliases), as listed in messages.
USER_FIELDS = (
    "title", "author", "source", "lang", "tag", "note", "quote", "color", "date", "status", "starred", "path",
    "all",
)  # fmt: skip
_OPERATORS = ("AND", "OR", "NOT", "ANDNOT", "ANDMAYBE")
_FIELD = re.compile(r"(?<![\w:/])([A-Za-z][A-Za-z_]*):(?!//)(\S*)")
_TOKEN = re.compile(r'"[^"]*"|\(|\)|[^\s()"]+')
_DATE_PARTS = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def _outside_quotes(text: str) -> str:
    """``text`` with every quoted phrase blanked out (same length)."""
    return re.sub(r'"[^"]*"', lambda m: " " * len(m.group(0)), text)


def _check_balance(text: str) -> None:
    if text.count('"') % 2:
        raise QueryError('a " is not closed: put a " at the end of the phrase, or remove it')
    depth = 0
    for char in _outside_quotes(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise QueryError("a ) closes nothing: remove it, or add the ( it closes")
    if depth:
        raise QueryError("a ( is not closed: add a ) where the group ends")


def _check_operators(text: str) -> None:
    tokens = _TOKEN.findall(text)
    for index, token in enumerate(tokens):
        if token not in _OPERATORS:
            continue
        before = tokens[index - 1] if index else None
        after = tokens[index + 1] if index + 1 < len(tokens) else None
        if after is None or after == ")" or after in _OPERATORS:
            what = "" if after is None or after == ")" else f", not {after}"
            raise QueryError(f"{token} needs a word after it{what} (e.g. stem {token} cell)")
        if token != "NOT" and (before is None or before == "(" or before in _OPERATORS):
            raise QueryError(f"{token} needs words on both sides (e.g. stem {token} cell)")


def _check_date(value: str) -> None:
    if value.startswith("[") or value.startswith("{"):
        return  # ranges are checked by the parser's rewrite
    match = _DATE_PARTS.match(value)
    if not match:
        return  # the rewrite gives the format message
    year, month, day = (int(g) if g else None for g in match.groups())
    if month is not None and not 1 <= month <= 12:
        raise QueryError(f"{value!r} is not a date: months go from 01 to 12 (e.g. date:2025-11)")
    if month is not None and day is not None and year is not None:
        last = calendar.monthrange(year, month)[1]
        if not 1 <= day <= last:
            raise QueryError(f"{value!r} is not a date: {calendar.month_name[month]} has {last} days")


def _check_fields(text: str, fields: Iterable[str], aliases: Mapping[str, Sequence[str]]) -> None:
    to_field = {alias: field for field, names in aliases.items() for alias in names}
    known = set(fields) | set(to_field)
    for outside in _FIELD.finditer(_outside_quotes(text)):
        match = _FIELD.match(text, outside.start())  # the value may be a quoted phrase
        assert match is not None
        name, value = match.group(1), match.group(2)
        field = to_field.get(name.lower(), name.lower())
        if name not in known and field not in known:
            raise QueryError(f"there is no field {name}: — fields are {', '.join(USER_FIELDS)}")
        if not value or value in (")",):
            raise QueryError(f"{name}: needs something after it (e.g. {name}:{_example(field)})")
        if field == "color":
            colour = value.strip('"()').lower()
            if colour and not colour.endswith("*") and colour not in COLORS:
                raise QueryError(f"there is no colour {colour!r}: colours are {', '.join(COLORS)}")
        if field == "date":
            _check_date(value.strip('"()'))


def _example(field: str) -> str:
    return {"color": COLORS[0], "date": "2025-11", "lang": "ko", "tag": "todo"}.get(field, "therapy")


def check_query_text(text: str, fields: Iterable[str], aliases: Mapping[str, Sequence[str]]) -> None:
    """Raise :class:`QueryError` when ``text`` is not a query the user can have meant (see the module).
    ``fields`` are the index's field names, ``aliases`` the other names the parser accepts for them."""
    _check_operators(text)
    _check_balance(text)
    _check_fields(text, fields, aliases)
