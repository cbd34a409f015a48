"""Recognising the conflict copies that sync tools write beside a file both devices changed.

Sync tools never merge: they keep one version under the file's name and write the other beside it under a
name of their own. For ``a.txt.notes.json`` (its stem ``a.txt.notes``, its extension ``.json``):

============================  ==============================================================
tool                          conflict copy
============================  ==============================================================
Syncthing                     ``a.txt.notes.sync-conflict-20261130-120000-ABCDEFG.json``
Dropbox                       ``a.txt.notes (conflicted copy 2026-11-30).json``,
                              ``a.txt.notes (Ana's conflicted copy 2026-11-30 (1)).json``
Nextcloud, ownCloud           ``a.txt.notes (conflicted copy 2026-11-30 120000).json``,
                              ``a.txt.notes_conflict-20261130-120000.json`` (older ownCloud)
OneDrive                      ``a.txt.notes-LAPTOP.json`` (the other device's name)
Google Drive                  ``a.txt.notes (1).json``, ``a.txt.notes(1).json``
============================  ==============================================================

:func:`conflict_original` gives the name of the file a copy belongs to. The OneDrive and Google Drive forms
are also ordinary names (``notes-draft.json``, ``chapter (1).txt``), so they count only when the original
exists beside the copy (the ``exists`` callback); the others are unambiguous.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_SYNCTHING = re.compile(r"^(?P<stem>.+)\.sync-conflict-\d{8}-\d{6}-[A-Z0-9]{7}(?P<ext>\.[^.]+)?$")
_DROPBOX_NEXTCLOUD = re.compile(
    r"^(?P<stem>.+?) \((?:[^()]*'s )?conflicted copy \d{4}-\d{2}-\d{2}(?: \d{6})?(?: \(\d+\))?\)"
    r"(?P<ext>\.[^.]+)?$"
)
_OWNCLOUD = re.compile(r"^(?P<stem>.+)_conflict-\d{8}-\d{6}(?P<ext>\.[^.]+)?$")
_GOOGLE = re.compile(r"^(?P<stem>.+?) ?\(\d{1,3}\)(?P<ext>\.[^.]+)?$")
_ONEDRIVE = re.compile(r"^(?P<stem>.+)-(?P<host>[A-Za-z0-9][A-Za-z0-9_-]{0,62})(?P<ext>\.[^.]+)?$")


@dataclass(frozen=True, slots=True)
class ConflictCopy:
    """A conflict copy: the name of the file it belongs to and the tool that named it."""

    original: str
    tool: str


def conflict_original(name: str, exists: Callable[[str], bool] | None = None) -> ConflictCopy | None:
    """The file ``name`` is a conflict copy of, or ``None``. ``exists(original)`` says whether a file of that
    name stands beside it (needed for the OneDrive and Google Drive forms, which are also ordinary names)."""
    for tool, pattern in (
        ("Syncthing", _SYNCTHING),
        ("Dropbox or Nextcloud", _DROPBOX_NEXTCLOUD),
        ("ownCloud", _OWNCLOUD),
    ):
        match = pattern.match(name)
        if match:
            return ConflictCopy(match.group("stem") + (match.group("ext") or ""), tool)
    if exists is None:
        return None
    for tool, pattern in (("Google Drive", _GOOGLE), ("OneDrive", _ONEDRIVE)):
        match = pattern.match(name)
        if match:
            original = match.group("stem") + (match.group("ext") or "")
            if original != name and exists(original):
                return ConflictCopy(original, tool)
    return None
