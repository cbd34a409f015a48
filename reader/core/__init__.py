"""The reader's core: pure Python, no Qt.

Articles and their canonical text, the library scan, the search index (the only module that imports
Whoosh), annotations and their sidecars, and export. The Qt side in :mod:`reader.ui` adapts these objects.
"""
