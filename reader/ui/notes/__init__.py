"""Highlights, notes and tags: the list models, the annotations panel and note dialog, the controller that
owns the open article's notes store (undo, saving, outside changes), and the library-wide views (all notes,
export)."""
