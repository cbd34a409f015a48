"""Reading one article: the reading pane (document building, highlights and search marks, find in article)
and the controller that loads the article shown, keeps its reading position and confirms links.

Qt counts UTF-16 code units; the rest of the reader counts code points. :mod:`reader.ui.reading.textpos`
converts, and only the reading pane uses it: every offset leaving this package is a code point."""
