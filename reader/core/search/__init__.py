"""Search: the full-text index of a library. The only package that imports Whoosh.

Public names: :class:`.index.SearchIndex`, and the result types in :mod:`.results`.
"""
