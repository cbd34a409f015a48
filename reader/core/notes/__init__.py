"""Notes: highlights and their notes. Owns the annotation operations (:mod:`.anchoring`: making, finding and
re-anchoring a highlight in the current text), the sidecar file format (:mod:`.sidecar`) and the store that
reads, merges and atomically writes one article's sidecar (:mod:`.store`).

Depends on the kernels only (an :class:`~reader.core.models.Article` is passed in, never loaded here).
Public names: :class:`.store.NotesStore`, :func:`.store.open_notes`, :func:`.store.merge_annotations`,
:func:`.sidecar.sidecar_path`, :func:`.sidecar.load_annotations`, :func:`.anchoring.reanchor`.
"""
