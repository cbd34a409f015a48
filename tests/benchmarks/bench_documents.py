"""PDF and EPUB benchmarks on the shared documents (../shared/documents): speed and text quality.

Run: ``.venv/bin/python tests/benchmarks/bench_documents.py``. Prints

- pages per second extracted by :func:`reader.core.articles.pdf.pdf_text` (ours: pypdfium2 + layout) per
  paper and for the 352-page book, and, when installed (the ``bench`` extra), by pypdf;
- text quality against the hand-checked excerpts in ``documents_expected/`` (``<pdf>.p<page>.txt``): the
  excerpt is aligned with the window of the page's extracted words that overlaps it most, then scored with
  word F1 (bag of words: hyphenation, ligatures, junk) and bigram F1 (also order: reading order, glued or
  split words); Korean is scored on eojeol (space-separated words), so a line break inside a word counts.
"""

from __future__ import annotations

import itertools
import logging
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from reader.core.articles.pdf import pdf_text

DOCS = Path(__file__).resolve().parents[3] / "shared" / "documents"
EXPECTED = Path(__file__).resolve().parent / "documents_expected"
SPEED = ["acl-2018-n18-3011-literature-graph.pdf", "acl-2020-s2orc.pdf", "acl-2023-eacl-longeval.pdf",
         "us-federal-register-2020-17221.pdf", "ko-nars-issue-1695-two-column.pdf",
         "book-free-culture-lessig-352p.pdf"]  # fmt: skip


def words(text: str) -> list[str]:
    return re.findall(r"[^\s]+", text.replace("\ufffe", "").replace("\x02", ""))


def f1(expected: list[str], got: list[str]) -> float:
    common = sum((Counter(expected) & Counter(got)).values())
    if not common:
        return 0.0
    p, r = common / len(got), common / len(expected)
    return 2 * p * r / (p + r)


def score(expected_text: str, page_text: str) -> tuple[float, float]:
    exp, got = words(expected_text), words(page_text)
    n = len(exp)
    best = (0.0, 0.0)
    for start in range(max(1, len(got) - n // 2)):
        window = got[start : start + n]
        w = f1(exp, window)
        if w > best[0]:
            b = f1(
                [f"{x} {y}" for x, y in itertools.pairwise(exp)],
                [f"{x} {y}" for x, y in itertools.pairwise(window)],
            )
            best = (w, b)
    return best


def ours_pages(path: Path) -> dict[int, str]:
    text = pdf_text(path.read_bytes(), path.name)
    pages: dict[int, list[str]] = {}
    for block in text.blocks:
        pages.setdefault(block.page + 1, []).append(block.text)
    return {k: "\n".join(v) for k, v in pages.items()}


def pypdf_pages(path: Path) -> dict[int, str] | None:
    try:
        import pypdf
    except ImportError:
        return None
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # font warnings on every page
    reader = pypdf.PdfReader(str(path))
    return {i + 1: page.extract_text() or "" for i, page in enumerate(reader.pages)}


def korean_line_joins() -> None:
    """How the Korean report's line breaks between two Hangul syllables inside a paragraph were joined."""
    import pypdfium2 as pdfium

    from reader.core.articles import pdf_layout as layout
    from reader.core.articles import pdf_order
    from reader.core.articles.pdf import PDFIUM_LOCK, _page_lines

    path = DOCS / "pdf" / "ko-nars-issue-1695-two-column.pdf"
    with PDFIUM_LOCK:
        doc = pdfium.PdfDocument(path.read_bytes())
        pages = [_page_lines(doc[i].get_textpage()) for i in range(len(doc))]
        heights = [doc[i].get_height() for i in range(len(doc))]
        doc.close()
    counts: Counter[str] = Counter()
    glued: list[str] = []
    for lines in pdf_order.drop_running_heads(pages, heights):
        prev, right, count = None, 0.0, 0
        for line in pdf_order.reading_order(lines):
            if prev is not None and not layout._new_block(prev, line, max(right, line.x1), count == 1):
                count += 1
                a, b = prev.text.rstrip(), line.text.lstrip()
                if a and b and layout._is_cjk(a[-1]) and layout._is_cjk(b[0]):
                    if prev.text.endswith(" "):
                        counts["space (PDFium ends the line with a space)"] += 1
                    elif layout._full(prev):
                        counts["glued (full line, no space)"] += 1
                        glued.append(a[-4:] + "|" + b[:4])
                    else:
                        counts["space (short line)"] += 1
                right = max(right, line.x1)
            else:
                right, count = line.x1, 1
            prev = line
    print("\n== Korean line breaks between Hangul syllables (ko-nars-issue-1695-two-column.pdf)")
    for key, value in counts.items():
        print(f"{key:45} {value:4d}")
    print("glued (check by eye):", " ".join(glued))


def main() -> None:
    assert DOCS.is_dir(), f"the shared documents are missing: {DOCS}"
    print("== speed (pages per second, best of 3)")
    for name in SPEED:
        path = DOCS / "pdf" / name
        for label, fn in (("pypdfium2 (ours)", ours_pages), ("pypdf", pypdf_pages)):
            if label == "pypdf" and name.startswith("book") and "--all" not in sys.argv:
                continue
            best = float("inf")
            pages = 0
            for _ in range(3 if not name.startswith("book") else 1):
                start = time.perf_counter()
                result = fn(path)
                best = min(best, time.perf_counter() - start)
                if result is None:
                    break
                pages = pages or len(pdf_text(path.read_bytes(), name).page_labels)
            if result is None:
                continue
            print(f"{name:45} {label:17} {pages:4d} pages {best:7.2f} s {pages / best:7.1f} pages/s "
                  f"{1000 * best / pages:6.1f} ms/page")  # fmt: skip
    print("\n== text quality against documents_expected/ (word F1, bigram F1)")
    totals: dict[str, list[tuple[float, float]]] = {}
    for fixture in sorted(EXPECTED.glob("*.p*.txt")):
        name, page = re.match(r"(.+?)\.p(\d+)\.txt$", fixture.name).groups()  # type: ignore[union-attr]
        expected = fixture.read_text(encoding="utf-8")
        path = DOCS / "pdf" / f"{name}.pdf"
        for label, fn in (("pypdfium2 (ours)", ours_pages), ("pypdf", pypdf_pages)):
            pages = fn(path)
            if pages is None:
                continue
            w, b = score(expected, pages.get(int(page), ""))
            totals.setdefault(label, []).append((w, b))
            print(f"{fixture.name:50} {label:17} word F1 {w:.3f}  bigram F1 {b:.3f}")
    for label, scores in totals.items():
        print(f"{'mean':50} {label:17} word F1 {sum(s[0] for s in scores) / len(scores):.3f}  "
              f"bigram F1 {sum(s[1] for s in scores) / len(scores):.3f}")  # fmt: skip
    korean_line_joins()


if __name__ == "__main__":
    main()
