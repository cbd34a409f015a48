"""PDF reading order: running heads, footers and page numbers dropped across pages, then lines ordered.

Pure geometry on :class:`~reader.core.articles.pdf_layout.Line` (PDF points, ``y`` grows upwards); measured
on the shared papers (``tests/benchmarks/bench_documents.py``).

- **Running heads, footers and page numbers**: a line in the top or bottom :data:`EDGE_ZONE` of the page,
  among the :data:`EDGE_LINES` outermost lines, whose words with numbers (arabic or roman) masked, in any
  order, recur in that zone on at least :data:`REPEAT_PAGES` pages (a third of the pages in shorter
  documents) is dropped (``xiv PREFACE`` / ``PREFACE xv``); so is a bare page number (``12``, ``xii``,
  ``Page 3 of 15``) there. Text outside the crop box (printers' line numbers) is dropped before, in
  :mod:`.pdf`.
- **Reading order**: recursive XY-cut over the lines' boxes. A region is first split at vertical gutters
  (gaps in the x projection at least :data:`GUTTER` wide, both sides at least :data:`MIN_COLUMN` of the region
  wide: columns, read left to right), else at wide horizontal gaps (bands, read top to bottom), else its lines
  are read top to bottom. Columns first, so that two columns whose lines share baselines are never
  interleaved; a title spanning the columns blocks the gutter, so the page is cut into bands first.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections import Counter

from reader.core.articles.pdf_layout import Line

EDGE_ZONE = 0.2
EDGE_LINES = 3
REPEAT_PAGES = 3
GUTTER = 6.0
MIN_COLUMN = 0.2
BAND_GAP = 0.9
_PAGE_NUMBER_RE = re.compile(r"^(?:page\s+)?(?:#+|[ivxlc]+)(?:\s*(?:of|/)\s*#+)?$", re.IGNORECASE)


# -------------------------------------------------------------------------------------- running heads


_ROMAN_RE = re.compile(r"^(?=[ivxlcdm]+$)m{0,3}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})$")


def _repeat_key(line: Line) -> str:
    """What a running head keeps from page to page: its words with numbers (also roman) masked, in sorted
    order (a book's page number moves from the left of the head on even pages to its right on odd ones)."""
    return " ".join(sorted("#" if _ROMAN_RE.match(w) else w for w in line.key.split()))


def _edge_lines(lines: list[Line], height: float) -> list[Line]:
    """The outermost lines at the top and bottom of a page, in the edge zones, and bare page numbers there."""
    top = sorted(lines, key=lambda ln: -ln.y1)[:EDGE_LINES]
    bottom = sorted(lines, key=lambda ln: ln.y0)[:EDGE_LINES]
    zone = EDGE_ZONE * height
    edge = [ln for ln in top if ln.y0 >= height - zone] + [ln for ln in bottom if ln.y1 <= zone]
    chosen = {id(ln) for ln in edge}
    numbers = [
        ln
        for ln in lines
        if id(ln) not in chosen
        and (ln.y1 <= zone or ln.y0 >= height - zone)
        and _PAGE_NUMBER_RE.match(ln.key)
    ]
    return edge + numbers


def drop_running_heads(pages: list[list[Line]], heights: list[float]) -> list[list[Line]]:
    """``pages`` without their running heads, footers and page numbers (see the module docstring)."""
    seen: Counter[str] = Counter()
    edges = [_edge_lines(lines, h) for lines, h in zip(pages, heights, strict=True)]
    for lines in edges:
        seen.update({_repeat_key(ln) for ln in lines if ln.key})
    needed = REPEAT_PAGES if len(pages) >= 3 * REPEAT_PAGES else max(2, -(-len(pages) // 3))
    out: list[list[Line]] = []
    for lines, edge in zip(pages, edges, strict=True):
        drop = {
            id(ln)
            for ln in edge
            if _PAGE_NUMBER_RE.match(ln.key) or (len(pages) > 1 and seen[_repeat_key(ln)] >= needed)
        }
        out.append([ln for ln in lines if id(ln) not in drop])
    return out


# --------------------------------------------------------------------------------------- reading order


def _gaps(spans: list[tuple[float, float]], min_gap: float) -> list[float]:
    """Cut positions: the middles of gaps at least ``min_gap`` wide between the merged ``spans``."""
    cuts: list[float] = []
    spans = sorted(spans)
    end = spans[0][1]
    for a, b in spans[1:]:
        if a - end >= min_gap:
            cuts.append((a + end) / 2)
        end = max(end, b)
    return cuts


def _leaf(lines: list[Line]) -> list[Line]:
    right = max(ln.x1 for ln in lines)
    for ln in lines:
        ln.right = right
    return sorted(lines, key=lambda ln: (-ln.y1, ln.x0))


def reading_order(lines: list[Line], depth: int = 0) -> list[Line]:
    """``lines`` in reading order (recursive XY-cut, see the module docstring)."""
    if len(lines) <= 1 or depth > 30:
        return _leaf(lines) if lines else []
    x0 = min(ln.x0 for ln in lines)
    x1 = max(ln.x1 for ln in lines)
    width = max(x1 - x0, 1.0)
    cuts = _gaps([(ln.x0, ln.x1) for ln in lines], GUTTER)
    if cuts:
        edges = [x0, *cuts, x1]
        parts = [[ln for ln in lines if a <= (ln.x0 + ln.x1) / 2 < b] for a, b in itertools.pairwise(edges)]
        parts[-1].extend(ln for ln in lines if (ln.x0 + ln.x1) / 2 >= x1)
        if all(p and max(ln.x1 for ln in p) - min(ln.x0 for ln in p) >= MIN_COLUMN * width for p in parts):
            return [ln for p in parts for ln in reading_order(p, depth + 1)]
    size = statistics.median(ln.size for ln in lines)
    cuts = _gaps([(-ln.y1, -ln.y0) for ln in lines], BAND_GAP * size)
    if cuts:
        edges = [-float("inf"), *cuts, float("inf")]
        parts = [[ln for ln in lines if a <= -(ln.y0 + ln.y1) / 2 < b] for a, b in itertools.pairwise(edges)]
        return [ln for p in parts if p for ln in reading_order(p, depth + 1)]
    return _leaf(lines)
