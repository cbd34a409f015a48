"""The library: a folder of articles. Owns what counts as an article file (:mod:`.scan`), scanning the folder
into a catalog with worker processes and progress (:mod:`.scan`), the catalog cache (:mod:`.catalog`), and
reuniting moved articles with their notes sidecars (:mod:`.relink`).

Sits above ``articles`` and ``notes``. Public names: :func:`.scan.scan_library`,
:func:`.scan.iter_article_files`, :data:`.scan.ARTICLE_SUFFIXES`, :func:`.relink.relink_sidecars`.
"""
