"""Stage 2, segment: paragraphs and sentences as (start, end) offsets into `text`.

A sentence never ends inside a paired quotation: a quote that holds full stops stays whole
together with its attribution, which is the unit the attribute stage reads.
"""

from __future__ import annotations

import bisect
import re

from builder.marks import pair_paragraph, paragraph_spans
from builder.text import strip_span

STAGE = "segment"
# A sentence ends at . ! ? ؟ (or an ellipsis) followed by white space; closing marks glued to the
# stop («العسكرية”.») belong to the sentence that ends.
_SENTENCE_END = re.compile(r"[.!?؟…]+[”»\"’″)]*(?=\s)")
# A full stop right after one or two letters is an abbreviation or initials («د. سعاد»,
# «تي.آي. قال»), not the end of a sentence.
_ABBREVIATION = re.compile(r"(?:(?:^|[\s(])\w\.|(?:^|[\s(])(?:\w{1,3}\.){2,})$")


def sentence_spans(text: str, lo: int, hi: int, protected: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sentences of the paragraph text[lo:hi], not splitting inside protected spans.

    protected: disjoint (start, end) spans sorted by start, so each cut is one bisection.
    """
    spans = []
    start = lo
    starts = [a for a, _ in protected]
    for match in _SENTENCE_END.finditer(text, lo, hi):
        cut = match.end()
        k = bisect.bisect_left(starts, cut) - 1
        if k >= 0 and protected[k][0] < cut < protected[k][1]:
            continue
        if match.group() == "." and _ABBREVIATION.search(text, max(lo, cut - 12), cut):
            continue
        if text[start:cut].strip():
            spans.append(strip_span(text, start, cut))
        start = cut
    if text[start:hi].strip():
        spans.append(strip_span(text, start, hi))
    return spans




def segment(article: dict) -> dict:
    """{article_id, paragraphs, sentences}; each sentence is [start, end, paragraph_index]."""
    text = article["text"]
    paragraphs = paragraph_spans(text)
    sentences = []
    for index, (lo, hi) in enumerate(paragraphs):
        pairs, _, _ = pair_paragraph(text, lo, hi)
        protected = [(p.open_pos, p.close_pos + 1) for p in pairs if not p.nested]
        sentences.extend([s, e, index] for s, e in sentence_spans(text, lo, hi, protected))
    return {"article_id": article["article_id"], "paragraphs": [list(p) for p in paragraphs], "sentences": sentences}
