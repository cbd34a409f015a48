"""Exchange: notes leaving and entering the reader. Owns export (Markdown, W3C JSON-LD, HTML, CSV), import
(JSON-LD back into sidecars) and safe file names for what is written. The top of the core: it may use every
other core package except ``search``.
"""
