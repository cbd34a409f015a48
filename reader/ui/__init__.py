"""The Qt side of the reader: adapts :mod:`reader.core` objects to Qt models, widgets and worker threads.

Sub-packages by concern, each importing only downwards (an import-linter contract forbids cycles):

- :mod:`reader.ui.library`: the article list - its model, filters, search box and the library session
  (catalog, index and search off the GUI thread);
- :mod:`reader.ui.reading`: the reading pane, where code points become Qt's UTF-16 positions
  (:mod:`reader.ui.reading.textpos` is the one place that converts), and loading the article shown;
- :mod:`reader.ui.notes`: highlights and notes - the annotations panel and controller, the library-wide
  notes browser and the export dialog.

At the top: :mod:`~reader.ui.main_window` assembles and wires the parts, :mod:`~reader.ui.actions` builds
the menus, toolbars and shortcuts from tables, :mod:`~reader.ui.status_bar` shows messages, progress and
problems, and :mod:`~reader.ui.settings`, :mod:`~reader.ui.theme`, :mod:`~reader.ui.workers` and
:mod:`~reader.ui.dialogs` serve them all.
"""
