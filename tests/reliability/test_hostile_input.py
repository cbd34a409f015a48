"""Hostile input never hurts: nothing remote is fetched, no script reaches the text, scans stay inside the
library, a sidecar cannot point the reader at another file, exports stay inside their folder.

Remote resources point at a socket listening on 127.0.0.1 (an ephemeral port) that counts the connections
it accepts: loading and indexing the pages must make none.
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader.core.articles.loader import load_article
from reader.core.exchange import ExportItem, export_notes
from reader.core.library.relink import find_orphan_sidecars
from reader.core.library.scan import iter_article_files, scan_library
from reader.core.models import Annotation, Article, ArticleMeta
from reader.core.notes.sidecar import parse_sidecar, sidecar_path
from reader.core.notes.store import NotesStore
from reader.core.search.index import SearchIndex

if TYPE_CHECKING:
    from conftest import Listener  # the shared fixture's type (tests/conftest.py)

SCRIPT_MARKERS = (
    "evil(",
    "alert(",
    "document.cookie",
    "onerror",
    "onload",
    "javascript:",
    "<script",
    "<iframe",
)


def hostile_html(port: int, body_paragraphs: int) -> str:
    url = f"http://127.0.0.1:{port}"
    paragraphs = "".join(
        f"<p>Paragraph {i} of the article about tissue engineering and regenerative medicine in Korea, "
        f"long enough to count as content for the extractor.</p>"
        for i in range(body_paragraphs)
    )
    return f"""<!DOCTYPE html><html lang="en"><head>
<meta charset="utf-8"><title>Hostile page</title>
<base href="{url}/base/">
<meta http-equiv="refresh" content="0; url={url}/refresh">
<link rel="stylesheet" href="{url}/style.css"><link rel="preload" href="{url}/font.woff2" as="font">
<link rel="dns-prefetch" href="{url}"><link rel="icon" href="{url}/favicon.ico">
<style>@import url("{url}/import.css"); @import '{url}/import2.css';
body {{ background: url({url}/bg.png); }} @font-face {{ src: url({url}/font.ttf); }}</style>
<script src="{url}/script.js"></script><script>evil(); alert(document.cookie)</script>
</head><body onload="evil()">
<h1>Hostile page</h1>
<img src="{url}/img.png" srcset="{url}/img2x.png 2x" onerror="evil()" alt="">
<picture><source srcset="{url}/pic.webp"><img src="{url}/pic.png"></picture>
<video poster="{url}/poster.jpg" src="{url}/video.mp4"></video><audio src="{url}/a.mp3"></audio>
<iframe src="{url}/frame.html">iframe text</iframe><object data="{url}/obj.swf"></object>
<embed src="{url}/embed.swf"><svg><image href="{url}/svg.png"/><script>evil()</script></svg>
<div style="background-image: url('{url}/inline.png')">Styled text stays.</div>
<p><a href="javascript:evil()">a script link</a> and <a href="{url}/page">a real link</a>.</p>
<form action="{url}/form"><input type="image" src="{url}/input.png"></form>
{paragraphs}
<p onclick="evil()" onmouseover="alert(1)">Last paragraph.</p>
</body></html>
"""


def write_hostile_library(root: Path, port: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "small.html").write_text(hostile_html(port, 2), encoding="utf-8")  # sanitized-body path
    (root / "long.html").write_text(hostile_html(port, 40), encoding="utf-8")  # trafilatura path
    (root / "deep.html").write_text(  # the plain-text fallback path
        hostile_html(port, 3).replace("<h1>", "<div>" * 300 + "<h1>"), encoding="utf-8"
    )
    url = f"http://127.0.0.1:{port}"
    (root / "note.md").write_text(
        f"# Note\n\n![remote]({url}/md.png) text <img src='{url}/inline.png' onerror='evil()'>\n\n"
        f"<script>evil()</script>\n\n[ref]: {url}/ref.png\n\n![by ref][ref]\n",
        encoding="utf-8",
    )
    return root


def test_loading_and_indexing_hostile_pages_connects_nowhere(tmp_path: Path, listener: Listener) -> None:
    library = write_hostile_library(tmp_path / "library", listener.port)
    articles = [load_article(path, library) for path in iter_article_files(library)]
    assert len(articles) == 4
    for article in articles:
        lowered = article.text.lower()
        for marker in SCRIPT_MARKERS:
            assert marker not in lowered, (article.relpath, marker)
        assert "iframe text" not in article.text
        assert all(link.href.startswith(("http://", "https://", "mailto:")) for link in article.links)
    assert any("Styled text stays." in a.text for a in articles)
    with SearchIndex(tmp_path / "index", library) as index:
        index.update()
        assert index.search("evil").total == 0
        assert index.search("paragraph").total >= 3
    assert listener.accepted == 0


def test_the_listener_does_count_connections(listener: Listener) -> None:
    """The check above could not fail if the listener never counted: it does."""
    with socket.create_connection(("127.0.0.1", listener.port), timeout=2):
        pass
    for _ in range(200):
        if listener.accepted:
            break
        threading.Event().wait(0.01)
    assert listener.accepted == 1


def test_symlink_loop_and_link_to_etc_index_nothing_outside(tmp_path: Path, monkeypatch) -> None:
    library = tmp_path / "library"
    (library / "sub").mkdir(parents=True)
    (library / "inside.txt").write_text("Inside the library: regeneration.\n", encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("Secret outside the library: exfiltrated.\n", encoding="utf-8")
    (library / "etc").symlink_to("/etc", target_is_directory=True)
    (library / "outside").symlink_to(outside, target_is_directory=True)
    (library / "secret.txt").symlink_to(outside / "secret.txt")
    (library / "sub" / "loop").symlink_to(library, target_is_directory=True)
    (library / "sub" / "self").symlink_to(library / "sub", target_is_directory=True)
    (library / "a").symlink_to(library / "b")
    (library / "b").symlink_to(library / "a")  # a loop of two dangling links
    listed: list[str] = []
    real_scandir = os.scandir

    def recording_scandir(path):  # type: ignore[no-untyped-def]
        listed.append(os.path.realpath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", recording_scandir)
    files = list(iter_article_files(library))
    assert [p.relative_to(library).as_posix() for p in files] == ["inside.txt"]
    root = os.path.realpath(library)
    assert all(p == root or p.startswith(root + os.sep) for p in listed), listed
    result = scan_library(library)
    assert [e.relpath for e in result.entries] == ["inside.txt"]
    with SearchIndex(tmp_path / "index", library) as index:
        index.update()
        assert index.search("exfiltrated").total == 0
        assert {h.relpath for h in index.search("regeneration").hits} == {"inside.txt"}
        assert index.doc_count() == 1


def test_a_sidecar_naming_another_source_is_ignored(tmp_path: Path) -> None:
    """The "source" field is informational: the sidecar belongs to the file it is named after."""
    library = tmp_path / "library"
    library.mkdir()
    a, b = library / "a.txt", library / "b.txt"
    a.write_text("Alpha article about bone scaffolds.\n", encoding="utf-8")
    b.write_text("Beta article, untouched.\n", encoding="utf-8")
    victim = tmp_path / "victim.txt"
    victim.write_text("Outside the library.\n", encoding="utf-8")
    store = NotesStore(a, a.read_text(encoding="utf-8"))
    store.add_quote("bone scaffolds", note="mine")
    store.save()
    expected = ["mine"]
    for other in ("b.txt", "../victim.txt", str(victim), "/etc/passwd"):
        data = sidecar_path(a).read_text(encoding="utf-8")
        data = data.replace('"source": "a.txt"', f'"source": "{other}"', 1)
        sidecar_path(a).write_text(data, encoding="utf-8")
        before = {p: p.read_bytes() for p in (b, victim)}
        store = NotesStore(a, a.read_text(encoding="utf-8"))
        assert sorted(n.note for n in store.annotations()) == sorted(expected)
        expected.append(f"added while source was {other}")
        store.add_quote("Alpha", note=expected[-1], occurrence=1)
        store.save()
        assert parse_sidecar(sidecar_path(a).read_bytes(), "a").source == "a.txt"
        assert {p: p.read_bytes() for p in (b, victim)} == before
        assert not sidecar_path(b).exists() and not sidecar_path(victim).exists()
        with SearchIndex(tmp_path / "index", library) as index:
            index.update()
            assert {h.relpath for h in index.search("note:mine").hits} == {"a.txt"}
    assert find_orphan_sidecars(library) == []


_TITLES = st.one_of(
    st.sampled_from(
        ["../../x", "..", "CON", "con.txt", "NUL", "x" * 300, "a/b\\c", "/etc/passwd", "", " . "]
    ),
    st.text(max_size=300),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    titles=st.lists(_TITLES, min_size=1, max_size=6),
    fmt=st.sampled_from(["markdown", "jsonld", "html", "csv"]),
)
def test_exported_names_stay_inside_the_destination(tmp_path: Path, titles: list[str], fmt: str) -> None:
    base = Path(os.path.realpath(tmp_path))
    run = base / f"run{len(list(base.iterdir()))}"
    items = []
    for n, title in enumerate(titles):
        path = run / "lib" / f"a{n}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("Some text to quote.\n", encoding="utf-8")
        article = Article(path=path, relpath=path.name, text="Some text to quote.\n", blocks=(),
                          meta=ArticleMeta(title=title))  # fmt: skip
        items.append(ExportItem(article, (Annotation(exact="text", start=5, end=9),)))
    dest = run / "out" / "notes"
    report = export_notes(run / "lib", items, fmt, dest, per_article=True)
    assert len(report.written) == len(titles)
    for path in report.written:
        assert path.parent == dest
        assert len(path.name.encode("utf-8")) <= 255
    assert sorted(p.name for p in run.iterdir()) == ["lib", "out"]
    assert sorted(p.name for p in (run / "out").iterdir()) == ["notes"]
