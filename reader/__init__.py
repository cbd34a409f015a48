"""Research-notes reader: read clipped articles, search them, and keep highlights and notes beside them."""

__version__ = "0.1.0"
APP_NAME = "Research Notes Reader"
APP_ID = "research-notes-reader"
