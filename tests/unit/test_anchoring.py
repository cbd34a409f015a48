"""Anchoring annotations to text that changes: positions, exact quotes, approximate matches, orphans."""

from __future__ import annotations

import dataclasses
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reader.core.errors import AnchorError
from reader.core.notes.anchoring import (
    CONTEXT_LEN,
    anchor,
    context_at,
    find_quote,
    make_annotation,
    normalize_tags,
    reanchor,
    retarget,
)

PARAGRAPHS = [
    "Bone tissue engineering has long relied on scaffolds seeded with mesenchymal stem cells.",
    "The trial enrolled twelve patients with osteogenesis imperfecta across three hospitals.",
    "Researchers measured bone mineral density at six and twelve months after the infusion.",
    "No serious adverse events were reported during the follow-up period of the study.",
    "The authors caution that larger randomized trials are needed before any approval.",
]
TEXT = "\n\n".join(PARAGRAPHS) + "\n"


def _annotate(text: str, quote: str, occurrence: int = 1):
    start, end = find_quote(text, quote, occurrence)
    return make_annotation(text, start, end, note="n", tags=["t"])


# --------------------------------------------------------------------------------------- building


def test_make_annotation_takes_quote_and_context_from_text():
    start, end = find_quote(TEXT, "twelve patients")
    annotation = make_annotation(TEXT, start, end, color="green", note="**why**", tags=[" a ", "b", "a", ""])
    assert annotation.exact == "twelve patients"
    assert (annotation.start, annotation.end) == (start, end)
    assert annotation.prefix == TEXT[start - CONTEXT_LEN : start]
    assert annotation.suffix == TEXT[end : end + CONTEXT_LEN]
    assert annotation.color == "green"
    assert annotation.tags == ["a", "b"]
    assert annotation.status == "anchored"
    assert annotation.created == annotation.modified
    assert annotation.created.endswith("Z")


def test_make_annotation_context_is_clipped_at_the_text_edges():
    annotation = make_annotation("abc", 0, 3)
    assert (annotation.prefix, annotation.suffix) == ("", "")


@pytest.mark.parametrize(("start", "end"), [(3, 3), (5, 2), (-1, 2), (0, 10_000)])
def test_make_annotation_rejects_bad_ranges(start, end):
    with pytest.raises(AnchorError, match="invalid selection"):
        make_annotation(TEXT, start, end)


def test_make_annotation_rejects_unknown_colours():
    with pytest.raises(ValueError, match="unknown colour 'mauve'"):
        make_annotation(TEXT, 0, 4, color="mauve")


def test_normalize_tags_refuses_a_bare_string():
    with pytest.raises(TypeError):
        normalize_tags("abc")


def test_find_quote_occurrences_and_messages():
    text = "one two one two one"
    assert find_quote(text, "one") == (0, 3)
    assert find_quote(text, "one", 3) == (16, 19)
    with pytest.raises(AnchorError, match="quote not found in the text: 'three'"):
        find_quote(text, "three")
    with pytest.raises(AnchorError, match=r"found 3 time\(s\) in the text, not 4"):
        find_quote(text, "one", 4)
    with pytest.raises(AnchorError, match="empty"):
        find_quote(text, "")
    with pytest.raises(AnchorError, match="1 or more"):
        find_quote(text, "one", 0)


def test_retarget_rebuilds_the_quote():
    annotation = _annotate(TEXT, "twelve patients")
    moved = retarget(annotation, TEXT, 0, 4)
    assert (moved.exact, moved.start, moved.end, moved.status) == ("Bone", 0, 4, "anchored")
    assert moved.note == annotation.note
    assert moved.id == annotation.id


# --------------------------------------------------------------------------------------- re-anchoring


def test_unchanged_text_is_anchored_at_its_position():
    annotation = _annotate(TEXT, "bone mineral density")
    result = anchor(annotation, TEXT)
    assert (result.start, result.end, result.status, result.score) == (
        annotation.start,
        annotation.end,
        "anchored",
        1.0,
    )


def test_text_inserted_before_moves_the_annotation():
    annotation = _annotate(TEXT, "bone mineral density")
    edited = "A new introduction paragraph.\n\n" + TEXT
    result = anchor(annotation, edited)
    assert result.status == "moved"
    assert edited[result.start : result.end] == "bone mineral density"


def test_characters_changed_inside_the_quote_give_a_fuzzy_match():
    quote = "Researchers measured bone mineral density at six and twelve months"
    annotation = _annotate(TEXT, quote)
    edited = TEXT.replace(quote, "Researchers measured the bone density at six and twelve months")
    result = anchor(annotation, edited)
    assert result.status == "fuzzy"
    assert 0.8 <= result.score < 1.0
    assert (
        edited[result.start : result.end] == "Researchers measured the bone density at six and twelve months"
    )


def test_long_quote_changed_at_both_ends_is_found():
    quote = PARAGRAPHS[2] + "\n\n" + PARAGRAPHS[3]
    annotation = _annotate(TEXT, quote)
    edited = TEXT.replace("Researchers measured", "Scientists measured").replace(
        "of the study.", "of the trial."
    )
    result = anchor(annotation, edited)
    assert result.status == "fuzzy"
    found = edited[result.start : result.end]
    assert found.startswith("Scientists measured")
    assert found.endswith("of the trial.")


def test_deleted_passage_becomes_an_orphan_and_is_not_attached_elsewhere():
    annotation = _annotate(TEXT, "No serious adverse events were reported")
    edited = TEXT.replace(PARAGRAPHS[3] + "\n\n", "")
    result = anchor(annotation, edited)
    assert result.status == "orphaned"
    assert not result.found
    assert (result.start, result.end) == (annotation.start, annotation.end)


def test_deleted_short_quote_is_not_attached_to_the_same_word_elsewhere():
    # "twelve" also occurs in another paragraph; the annotated one is deleted with its sentence.
    annotation = _annotate(TEXT, "twelve", occurrence=1)
    edited = TEXT.replace(PARAGRAPHS[1] + "\n\n", "")
    assert "twelve" in edited
    assert anchor(annotation, edited).status == "orphaned"


def test_deleted_passage_with_similar_words_elsewhere_is_an_orphan():
    text = (
        "The committee approved the budget for the new library after a long debate.\n\n"
        "Later the council rejected the budget for the old museum after a short vote.\n"
    )
    annotation = _annotate(text, "approved the budget for the new library")
    edited = text.split("\n\n", 1)[1]
    assert anchor(annotation, edited).status == "orphaned"


def test_paragraphs_moved_keep_their_annotations():
    annotation = _annotate(TEXT, PARAGRAPHS[1])
    reordered = "\n\n".join([PARAGRAPHS[4], PARAGRAPHS[3], PARAGRAPHS[1], PARAGRAPHS[0], PARAGRAPHS[2]])
    result = anchor(annotation, reordered)
    assert result.status == "moved"
    assert reordered[result.start : result.end] == PARAGRAPHS[1]


@pytest.mark.parametrize(
    "reflow",
    [
        lambda t: t.replace("with mesenchymal", "with\nmesenchymal"),
        lambda t: t.replace("seeded with", "seeded  with"),
        lambda t: t.replace("scaffolds seeded", "scaffolds\n  seeded"),
    ],
)
def test_whitespace_reflow_is_followed(reflow):
    quote = "relied on scaffolds seeded with mesenchymal stem cells"
    annotation = _annotate(TEXT, quote)
    edited = reflow(TEXT)
    result = anchor(annotation, edited)
    assert result.status == "fuzzy"
    assert " ".join(edited[result.start : result.end].split()) == quote


def test_duplicate_occurrences_take_the_nearest_to_the_old_position():
    sentence = "The same sentence appears here."
    text = "\n".join([sentence] * 6) + "\n"
    annotation = _annotate(text, sentence, occurrence=4)
    edited = "Intro.\n" + text
    result = anchor(annotation, edited)
    assert result.status == "moved"
    assert result.start == annotation.start + len("Intro.\n")


def test_duplicates_are_disambiguated_by_context():
    quote = "the key phrase is right here"
    filler = "Some unrelated words fill this part of the page for a while. " * 2
    text = f"Alice said: {quote}, and sat. {filler}Bob said: {quote}, and left."
    annotation = _annotate(text, quote, occurrence=2)
    # Bob's copy moves far away but keeps its context; Alice's copy is now nearer to the old position.
    edited = f"Alice said: {quote}, and sat. " + "Inserted. " * 30 + f"{filler}Bob said: {quote}, and left."
    result = anchor(annotation, edited)
    assert result.status == "moved"
    assert edited[: result.start].endswith("Bob said: ")


def test_short_quote_whose_position_now_holds_the_same_word_by_accident_is_re_found():
    text = "red apple, green pear, red cherry, yellow banana and other fruit of the season"
    annotation = _annotate(text, "red", occurrence=2)  # "red cherry"
    edited = "red" + text[3:].replace("red cherry", "xx cherry").replace("pear,", "pear, red cherry,")
    result = anchor(annotation, edited)
    assert result.found
    assert edited[result.start : result.start + len("red cherry")] == "red cherry"


def test_quote_in_an_empty_text_is_orphaned():
    annotation = _annotate(TEXT, "twelve patients")
    assert anchor(annotation, "").status == "orphaned"


def test_quote_longer_than_the_new_text():
    annotation = _annotate(TEXT, PARAGRAPHS[0])
    edited = PARAGRAPHS[0][:-1]
    result = anchor(annotation, edited)
    assert result.status == "fuzzy"
    assert (result.start, result.end) == (0, len(edited))


def test_reanchor_refreshes_context_for_moves_and_quotes_the_new_words_for_fuzzy():
    annotation = _annotate(TEXT, "bone mineral density")
    moved, result = reanchor(annotation, "Intro.\n" + TEXT)
    assert result.status == "moved"
    assert moved.prefix.endswith("Researchers measured ")
    assert moved.modified == annotation.modified
    quote = "Researchers measured bone mineral density at six and twelve months"
    long_annotation = _annotate(TEXT, quote)
    edited = TEXT.replace("bone mineral", "bone-mineral")
    fuzzy, result = reanchor(long_annotation, edited, text_hash="sha256:old")
    assert result.status == "fuzzy"
    assert fuzzy.exact == edited[fuzzy.start : fuzzy.end] == quote.replace("bone mineral", "bone-mineral")
    assert fuzzy.previous is not None
    assert (fuzzy.previous.exact, fuzzy.previous.text_hash) == (quote, "sha256:old")  # what it said before
    orphan, result = reanchor(long_annotation, "unrelated")
    assert (orphan.status, orphan.start, orphan.end) == (
        "orphaned",
        long_annotation.start,
        long_annotation.end,
    )


def test_no_false_attachment_across_unrelated_texts():
    """Quotes of one text, anchored against another of the same kind, never attach unless the words are
    really there: measured on generated prose with a shared vocabulary."""
    rng = random.Random(7)
    words = [
        "the",
        "of",
        "and",
        "to",
        "in",
        "is",
        "that",
        "for",
        "it",
        "as",
        "was",
        "with",
        "be",
        "by",
        "on",
        "not",
        "he",
        "this",
        "are",
        "or",
        "his",
        "from",
        "at",
        "which",
        "but",
        "have",
        "an",
        "had",
        "they",
        "you",
        "were",
        "their",
        "one",
        "all",
        "we",
        "can",
        "her",
        "has",
        "there",
        "been",
        "if",
        "more",
        "when",
        "will",
        "would",
        "who",
        "so",
        "no",
        "study",
        "trial",
        "patients",
        "cells",
        "bone",
        "results",
        "data",
        "method",
        "analysis",
        "effect",
        "group",
    ]

    def prose(n: int) -> str:
        return " ".join(rng.choice(words) for _ in range(n)) + "."

    attached = 0
    for _ in range(60):
        source, other = prose(300), prose(300)
        length = rng.choice([6, 12, 25, 60, 150])
        start = rng.randrange(0, len(source) - length)
        annotation = make_annotation(source, start, start + length)
        if annotation.exact in other:
            continue
        if anchor(annotation, other).found:
            attached += 1
    assert attached == 0


# --------------------------------------------------------------------------------------- properties

_TEXT_CHARS = st.characters(blacklist_categories=("Cs",))


@settings(max_examples=60, deadline=None)
@given(
    before=st.text(_TEXT_CHARS, max_size=80),
    quote=st.text(_TEXT_CHARS, min_size=1, max_size=60).filter(lambda q: q.strip() == q),
    after=st.text(_TEXT_CHARS, max_size=80),
    inserted=st.text(_TEXT_CHARS, min_size=1, max_size=40),
)
def test_insertion_outside_the_quote_keeps_the_exact_quote(before, quote, after, inserted):
    text = before + quote + after
    annotation = make_annotation(text, len(before), len(before) + len(quote))
    assert anchor(annotation, text).status == "anchored"
    edited = inserted + text
    result = anchor(annotation, edited)
    if result.found:
        # Wherever it lands (a repeated quote may be ambiguous), the exact words are there.
        assert edited[result.start : result.end] == quote
    if len(quote) >= 20 and quote not in inserted + before and quote not in after:
        assert (result.start, result.end) == (
            len(inserted) + len(before),
            len(inserted) + len(before) + len(quote),
        )


@settings(max_examples=80, deadline=None)
@given(
    before=st.text(_TEXT_CHARS, max_size=60),
    quote=st.text(_TEXT_CHARS, min_size=20, max_size=60).filter(lambda q: q.strip() == q),
    after=st.text(_TEXT_CHARS, max_size=60),
    data=st.data(),
)
def test_a_reanchored_annotation_describes_the_text_it_was_found_in(before, quote, after, data):
    """Issue 15: whatever the edit, a found annotation's quote and context are the current text's."""
    text = before + quote + after
    annotation = make_annotation(text, len(before), len(before) + len(quote))
    at = data.draw(st.integers(0, len(text)))
    cut = data.draw(st.integers(0, 4))
    edited = text[:at] + data.draw(st.text(_TEXT_CHARS, max_size=6)) + text[at + cut :]
    updated, _ = reanchor(annotation, edited, text_hash="sha256:old")
    if updated.status == "orphaned":
        assert updated == dataclasses.replace(annotation, status="orphaned")  # the last known words and place
        return
    assert updated.exact == edited[updated.start : updated.end]
    assert (updated.prefix, updated.suffix) == context_at(edited, updated.start, updated.end)
    if updated.exact != annotation.exact:
        assert updated.previous is not None
        assert (updated.previous.exact, updated.previous.text_hash) == (annotation.exact, "sha256:old")
        assert updated.status == "fuzzy"
