"""Articles: the bytes of one source file turned into one canonical text, with its blocks and metadata.

Owns decoding (:mod:`.decode`); one module per format: plain text (:mod:`.text`), Markdown
(:mod:`.markdown`), HTML (:mod:`.html`), PDF (:mod:`.pdf` with :mod:`.pdf_layout`, :mod:`.pdf_order`,
:mod:`.pdf_meta`), EPUB (:mod:`.epub`), and the block builder they share (:mod:`.blocks`); metadata
(:mod:`.metadata`); page boilerplate (:mod:`.boilerplate`); and the loader that picks the format
(:mod:`.loader`). Depends only on the core's kernels (models, errors).

Public names: :func:`.loader.load_article`, :func:`.loader.article_from_bytes`, :func:`.loader.text_hash`,
:data:`.loader.FORMATS`, :data:`.loader.PIPELINE_VERSION`.
"""
