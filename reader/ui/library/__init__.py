"""The library list: the table of articles (model, filter proxy, snippet delegate), its filter row, the
search box, and the :class:`~reader.ui.library.library_session.LibrarySession` that scans, indexes and
searches one library folder off the GUI thread."""
