"""Re-anchoring scored on edits of real text: the PEPs of the shared corpus, edited the way authors edit.

Each case highlights a passage of a PEP (a short, a medium or a long quote), edits the text, and checks where
:func:`~reader.core.notes.anchoring.anchor` puts the highlight:

- ``found``: on the passage's new place (the span overlaps where the passage is now);
- ``orphaned``: not found (acceptable when the passage was deleted, or moved *and* edited; a loss otherwise);
- ``wrong``: attached to another place: never acceptable.

Edits: a paragraph inserted before, a word of the quote replaced, the paragraph deleted, the paragraph moved,
the paragraph moved and a word of the quote replaced, the quote's lines reflowed. Run this file with Python to
print the scores (``python tests/unit/test_reanchor_edits.py``).
"""

from __future__ import annotations

import random
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from reader.core.notes.anchoring import anchor, make_annotation

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "en-peps"
EDITS = ("insert_before", "replace_word", "delete_paragraph", "move_paragraph", "move_and_edit", "reflow")
#: Edits after which the passage is still there and should be found (the others may orphan it).
MUST_FIND = ("insert_before", "replace_word", "move_paragraph", "reflow")
LENGTHS = {"short": (8, 19), "medium": (20, 63), "long": (64, 220)}


@dataclass(frozen=True)
class Case:
    name: str
    edit: str
    size: str
    text: str
    start: int
    end: int
    edited: str
    #: Where the passage is in the edited text, or ``None`` when it was deleted.
    new_span: tuple[int, int] | None


def _paragraphs(text: str) -> list[tuple[int, int]]:
    spans, position = [], 0
    for block in text.split("\n\n"):
        if len(block.strip()) > 80:
            spans.append((position, position + len(block)))
        position += len(block) + 2
    return spans


def _quote_in(text: str, span: tuple[int, int], size: str, rng: random.Random) -> tuple[int, int] | None:
    low, high = LENGTHS[size]
    starts = [m.start() for m in re.finditer(r"(?<=\s)\w", text[span[0] : span[1]])]
    rng.shuffle(starts)
    for offset in starts:
        start = span[0] + offset
        end = min(span[1], start + rng.randint(low, high))
        while end > start and text[end - 1].isspace():
            end -= 1
        if end - start >= low and text.count(text[start:end]) == 1:
            return start, end
    return None


def _replace_word(quote: str, rng: random.Random) -> str | None:
    words = list(re.finditer(r"[A-Za-z]{4,}", quote))
    if not words:
        return None
    word = rng.choice(words)
    return quote[: word.start()] + word.group()[::-1].lower() + quote[word.end() :]


def _case(name: str, text: str, edit: str, size: str, rng: random.Random) -> Case | None:
    paragraphs = _paragraphs(text)
    if len(paragraphs) < 4:
        return None
    index = rng.randrange(1, len(paragraphs) - 1)
    p_start, p_end = paragraphs[index]
    span = _quote_in(text, (p_start, p_end), size, rng)
    if span is None:
        return None
    start, end = span
    quote, paragraph = text[start:end], text[p_start:p_end]
    if edit == "insert_before":
        inserted = "An added paragraph that says something new about the proposal.\n\n"
        at = paragraphs[index - 1][0]
        edited = text[:at] + inserted + text[at:]
        return Case(name, edit, size, text, start, end, edited, (start + len(inserted), end + len(inserted)))
    if edit == "replace_word" or edit == "reflow":
        if edit == "reflow":
            new_quote = quote.replace(" ", "\n", 1) if " " in quote else None
        else:
            new_quote = _replace_word(quote, rng)
        if new_quote is None:
            return None
        edited = text[:start] + new_quote + text[end:]
        return Case(name, edit, size, text, start, end, edited, (start, start + len(new_quote)))
    without = text[:p_start] + text[p_end + 2 :]
    if edit == "delete_paragraph":
        return Case(name, edit, size, text, start, end, without, None)
    moved = paragraph
    offset_in = start - p_start
    if edit == "move_and_edit":
        new_quote = _replace_word(quote, rng)
        if new_quote is None:
            return None
        moved = paragraph[:offset_in] + new_quote + paragraph[offset_in + len(quote) :]
        length = len(new_quote)
    else:
        length = len(quote)
    target = rng.choice([p for p in _paragraphs(without) if abs(p[0] - p_start) > 400] or [(0, 0)])
    at = target[0]
    edited = without[:at] + moved + "\n\n" + without[at:]
    return Case(name, edit, size, text, start, end, edited, (at + offset_in, at + offset_in + length))


def cases(files: int = 80, seed: int = 15) -> list[Case]:
    rng = random.Random(seed)
    paths = sorted(CORPUS.glob("pep-*.txt"))
    chosen = rng.sample(paths, min(files, len(paths)))
    found: list[Case] = []
    for path in chosen:
        text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
        for edit in EDITS:
            for size in LENGTHS:
                case = _case(path.name, text, edit, size, rng)
                if case is not None:
                    found.append(case)
    return found


def outcome(case: Case) -> str:
    annotation = make_annotation(case.text, case.start, case.end)
    result = anchor(annotation, case.edited)
    if not result.found:
        return "orphaned"
    if case.new_span is not None and result.start < case.new_span[1] and case.new_span[0] < result.end:
        return "found"
    if case.edited[result.start : result.end].split() == annotation.exact.split():
        return "found"  # the same words in another copy of the passage (line breaks aside): as good as any
    return "wrong"


def score(all_cases: list[Case]) -> Counter[tuple[str, str]]:
    return Counter((case.edit, outcome(case)) for case in all_cases)


def test_real_text_edits_rarely_attach_wrongly_and_find_what_is_there():
    """40 PEPs, about 700 edits. The scores (seeded, deterministic) are printed by running this file; at
    issue 15 on 300 PEPs: 39 wrong attachments in 5242 edits (94 before the look-alike checks)."""
    assert CORPUS.is_dir(), f"the shared corpus is missing: {CORPUS} (expected ../shared/corpus/en-peps)"
    all_cases = cases(files=40)
    results = score(all_cases)
    # Passages still there with the same words are always found, at their new place.
    for edit in ("insert_before", "move_paragraph", "reflow"):
        assert results[(edit, "orphaned")] == results[(edit, "wrong")] == 0, (edit, results)
    # A passage whose words changed is found or orphaned; attached elsewhere at most once in a hundred edits.
    wrong = sum(count for (_, kind), count in results.items() if kind == "wrong")
    assert wrong <= len(all_cases) // 100, results
    assert results[("replace_word", "found")] >= 0.6 * sum(c.edit == "replace_word" for c in all_cases)
    assert results[("delete_paragraph", "orphaned")] >= 0.9 * sum(
        c.edit == "delete_paragraph" for c in all_cases
    )


if __name__ == "__main__":  # pragma: no cover - prints the scores
    all_cases = cases(files=int(sys.argv[1]) if len(sys.argv) > 1 else 80)
    results = score(all_cases)
    for edit in EDITS:
        row = {kind: results[(edit, kind)] for kind in ("found", "orphaned", "wrong")}
        print(f"{edit:18} {sum(row.values()):4}  " + "  ".join(f"{k} {v}" for k, v in row.items()))
    total: Counter[str] = Counter()
    for (_, kind), count in results.items():
        total[kind] += count
    print(
        f"{'total':18} {sum(total.values()):4}  "
        + "  ".join(f"{k} {total[k]}" for k in ("found", "orphaned", "wrong"))
    )
