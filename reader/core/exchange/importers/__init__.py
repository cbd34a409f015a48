"""Importers of other tools' highlights: Kindle ``My Clippings.txt`` (:mod:`.kindle`), KOReader sidecars
(:mod:`.koreader`, read with the Lua-data reader :mod:`.lua_data`), Hypothesis and Readwise
(:mod:`.web_services`), calibre and Kobo (:mod:`.ebook_readers`).

Each reads its format into :class:`.records.ToolRecord` values (:mod:`.records`); :mod:`.reading` detects the
format and dispatches; :mod:`.matching` finds each book's article; :mod:`.apply` anchors the quotes and merges
them into the sidecars (:func:`.apply.import_tool_file`).
"""
