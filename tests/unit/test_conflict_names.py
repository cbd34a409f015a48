"""Conflict copies written by sync tools are recognised, and ordinary names are not taken for them."""

from __future__ import annotations

import pytest

from reader.core.library.conflict_names import conflict_original

SIDECAR = "000_70401d234f345079.txt.notes.json"


@pytest.mark.parametrize(
    ("copy", "tool"),
    [
        ("000_70401d234f345079.txt.notes.sync-conflict-20261130-120000-ABCDEFG.json", "Syncthing"),
        ("000_70401d234f345079.txt.notes (conflicted copy 2026-11-30).json", "Dropbox or Nextcloud"),
        ("000_70401d234f345079.txt.notes (Ana's conflicted copy 2026-11-30).json", "Dropbox or Nextcloud"),
        (
            "000_70401d234f345079.txt.notes (Ana's conflicted copy 2026-11-30 (1)).json",
            "Dropbox or Nextcloud",
        ),
        ("000_70401d234f345079.txt.notes (conflicted copy 2026-11-30 120000).json", "Dropbox or Nextcloud"),
        ("000_70401d234f345079.txt.notes_conflict-20261130-120000.json", "ownCloud"),
        ("000_70401d234f345079.txt.notes-LAPTOP.json", "OneDrive"),
        ("000_70401d234f345079.txt.notes (1).json", "Google Drive"),
        ("000_70401d234f345079.txt.notes(2).json", "Google Drive"),
    ],
)
def test_each_tool_s_conflict_copy_of_a_sidecar(copy: str, tool: str) -> None:
    found = conflict_original(copy, exists=lambda name: name == SIDECAR)
    assert found is not None
    assert (found.original, found.tool) == (SIDECAR, tool)


def test_an_article_s_conflict_copy() -> None:
    found = conflict_original("paper.sync-conflict-20261130-120000-ABCDEFG.txt")
    assert found is not None and found.original == "paper.txt"


@pytest.mark.parametrize(
    "name", ["notes-draft.json", "chapter (1).txt", "a.txt.notes.json", "report-2024.md"]
)
def test_ordinary_names_without_an_original_beside_them_are_not_copies(name: str) -> None:
    assert conflict_original(name, exists=lambda _name: False) is None


def test_the_ambiguous_forms_need_the_original() -> None:
    assert conflict_original("a.txt.notes-LAPTOP.json") is None  # no exists callback: not claimed
    assert conflict_original("a.txt.notes (1).json") is None
