"""Dates as the window shows them: ISO 8601 values made readable, used by the table and the reading pane."""

from __future__ import annotations

import re

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_NO_YEAR = re.compile(r"--(\d\d)-(\d\d)")
_YEAR_MONTH = re.compile(r"(\d{4})-(\d\d)")


def display_date(value: str | None) -> str:
    """An ISO 8601 date as the table and the reading pane show it: a full date as it is, a date without a
    year (``--07-24``) as ``24 Jul``, a month (``2025-07``) as ``Jul 2025``; anything else unchanged."""
    if not value:
        return ""
    no_year = _NO_YEAR.fullmatch(value)
    if no_year and 1 <= int(no_year[1]) <= 12:
        return f"{int(no_year[2])} {_MONTHS[int(no_year[1]) - 1]}"
    month = _YEAR_MONTH.fullmatch(value)
    if month and 1 <= int(month[2]) <= 12:
        return f"{_MONTHS[int(month[2]) - 1]} {month[1]}"
    return value
