"""Notes: highlights and their notes.

- :mod:`.selection`: making a highlight from a range of the text (trimmed, with its quote and context);
- :mod:`.anchoring`: finding a highlight again after the text changed (re-anchoring: position, exact quote,
  approximate match refusing look-alikes, or orphan);
- :mod:`.sidecar`: the ``<file>.notes.json`` format (W3C TextQuoteSelector and TextPositionSelector);
- :mod:`.store`: :class:`.store.NotesStore`, one article's annotations read, edited, merged and atomically
  written;
- :mod:`.merge`: the three-way merge the store uses when the sidecar changed on disk;
- :mod:`.locking`: the short write lock every writer of a sidecar takes.

Depends on the kernels only (an :class:`~reader.core.models.Article` is passed in, never loaded here).
Public names: :class:`.store.NotesStore`, :func:`.store.open_notes`, :func:`.merge.merge_annotations`,
:func:`.sidecar.sidecar_path`, :func:`.sidecar.load_annotations`, :func:`.anchoring.reanchor`.
"""
