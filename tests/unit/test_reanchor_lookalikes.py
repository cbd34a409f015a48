"""Issue 15, item 4: a note never jumps to a look-alike passage that was already there.

The fixture is a release schedule: a list of dated entries (``- 26-Jul-2000 [19-Aug-2000] ...``) in sections.
One entry is moved to another section and its date changed, or deleted; its note must not be attached to a
*different* entry with nearly the same dates (the bug: "26-Jul-2000 [19-Aug" -> the other entry's
"26-Jul-2000 [20-Aug", status fuzzy). When in doubt the note is orphaned.
"""

from __future__ import annotations

import re

import pytest

from reader.core.notes.anchoring import anchor, find_quote, make_annotation, reanchor

SCHEDULE = """\
Python 2.0 Release Schedule

Open items

These items need to be resolved before the final release.

- 26-Jul-2000 [30-Aug-2000] Decide whether the cycle collector is enabled by default. -- Neil Schemenauer
- 26-Jul-2000 [31-Aug-2000] Fix the Unicode error messages of the codec registry. -- Marc-Andre Lemburg

Accepted and completed

- 26-Jul-2000 [19-Aug-2000] Add support for augmented assignment (PEP 203). -- Thomas Wouters
- 26-Jul-2000 [20-Aug-2000] Add list comprehensions (PEP 202). -- Skip Montanaro, Tim Peters
- 26-Jul-2000 [21-Aug-2000] Add the print >> file extension (PEP 214). -- Barry Warsaw
- 27-Jul-2000 [22-Aug-2000] Add range literals (PEP 204). -- Thomas Wouters
- 27-Jul-2000 [24-Aug-2000] Add zip() as a builtin (PEP 201). -- Barry Warsaw

Postponed

- 25-Jul-2000 [28-Aug-2000] Add a new module for rich comparisons (PEP 207). -- Guido van Rossum
"""
ENTRY = "- 26-Jul-2000 [19-Aug-2000] Add support for augmented assignment (PEP 203). -- Thomas Wouters\n"
MOVED_ENTRY = ENTRY.replace("[19-Aug-2000]", "[29-Aug-2000]")
#: The entry moved from "Accepted and completed" to "Postponed", its date changed.
MOVED = SCHEDULE.replace(ENTRY, "").replace("Postponed\n\n", "Postponed\n\n" + MOVED_ENTRY)
DELETED = SCHEDULE.replace(ENTRY, "")
QUOTES = [
    "26-Jul-2000 [19-Aug",
    "26-Jul-2000 [19-Aug-2000]",
    "[19-Aug-2000]",
    "26-Jul-2000 [19-Aug-2000] Add support",
    ENTRY.strip("-\n "),
]
#: Every dated entry's date part, with where it starts: the places a note must not jump to.
OTHER_ENTRIES = [m for m in re.finditer(r"\d\d-Jul-2000 \[\d\d-Aug-2000\]", MOVED) if "[29-Aug" not in m[0]]


def _note(quote: str):
    start, end = find_quote(SCHEDULE, quote)
    return make_annotation(SCHEDULE, start, end, note="check the PEP number")


def _entry_at(text: str, position: int) -> str:
    return text[text.rfind("\n", 0, position) + 1 : text.find("\n", position)]


@pytest.mark.parametrize("quote", QUOTES)
def test_a_moved_and_redated_entry_keeps_its_note_or_orphans_it(quote):
    result = anchor(_note(quote), MOVED)
    if result.found:
        assert _entry_at(MOVED, result.start) == MOVED_ENTRY.rstrip("\n")
        assert _entry_at(MOVED, result.end - 1) == MOVED_ENTRY.rstrip("\n")
    for other in OTHER_ENTRIES:
        assert not (result.found and result.start < other.end() and other.start() < result.end), other[0]


@pytest.mark.parametrize("quote", QUOTES)
def test_a_deleted_entry_orphans_its_note(quote):
    result = anchor(_note(quote), DELETED)
    assert result.status == "orphaned", (quote, DELETED[result.start : result.end])


def test_the_reported_case_is_an_orphan_with_its_words_kept():
    note = _note("26-Jul-2000 [19-Aug")
    updated, result = reanchor(note, MOVED)
    assert result.status == "orphaned"
    assert (updated.exact, updated.status, updated.previous) == ("26-Jul-2000 [19-Aug", "orphaned", None)


def test_the_whole_entry_follows_its_move():
    quote = ENTRY.strip("-\n ")
    result = anchor(_note(quote), MOVED)
    assert result.status == "fuzzy"
    assert MOVED[result.start : result.end] == MOVED_ENTRY.strip("-\n ")


@pytest.mark.parametrize("quote", ["26-Jul-2000 [19-Aug", "26-Jul-2000 [19-Aug-2000]", ENTRY.strip("-\n ")])
def test_a_date_changed_in_place_is_still_followed(quote):
    edited = SCHEDULE.replace("[19-Aug-2000]", "[23-Aug-2000]")
    result = anchor(_note(quote), edited)
    assert result.status == "fuzzy"
    assert edited[result.start : result.end] == quote.replace("19-Aug", "23-Aug")


def test_a_date_changed_in_place_with_the_entry_moved_down_is_followed():
    # Unrelated entries inserted before it (the list grew): the context on both sides still agrees.
    edited = SCHEDULE.replace("[19-Aug-2000]", "[23-Aug-2000]").replace(
        "These items need", "- 24-Jul-2000 [25-Aug-2000] Add a new entry. -- Someone\n\nThese items need"
    )
    result = anchor(_note("26-Jul-2000 [19-Aug-2000] Add support"), edited)
    assert result.status == "fuzzy"
    assert edited[result.start : result.end] == "26-Jul-2000 [23-Aug-2000] Add support"
