"""One article's candidates, sentences and paragraphs, indexed for the look-ups of the rules."""

from __future__ import annotations

import bisect
from itertools import accumulate

from builder.detect.candidates import left_edge, right_edge
from builder.detect.lexicon import LOOKBACK_CHARS
from builder.text import fold_phrase


class ArticleIndex:
    """One article's candidates, sentences and paragraphs, indexed for log-time look-ups."""

    def __init__(self, text: str, paragraphs: list, sentences: list, found: list[dict]):
        self.text = text
        self.paragraphs = paragraphs
        self.sentences = sentences
        self.sentence_starts = [s for s, _e, _p in sentences]
        self.found = found
        edges = sorted((left_edge(q), right_edge(q)) for q in found)
        self.lefts = [a for a, _ in edges]
        # reach[k]: (furthest right edge, its left edge) among the first k+1 spans by left edge
        self.reach = list(accumulate(((b, a) for a, b in edges), max))
        self._keys: list[str] | None = None
        self._postings: dict[str, list[int]] = {}

    def enclosing(self, pos: int) -> int | None:
        """Left edge of a candidate whose marks hold pos (left < pos < right), or None."""
        k = bisect.bisect_left(self.lefts, pos) - 1
        if k < 0:
            return None
        right, left = self.reach[k]
        return left if right > pos else None

    def sentence_start(self, pos: int) -> int:
        k = bisect.bisect_right(self.sentence_starts, pos) - 1
        return self.sentences[k][0] if k >= 0 else 0

    def clause_start(self, left: int, paragraph_lo: int) -> int:
        """Start of the sentence holding the mark at left, skipping stops inside other quotes.

        The segmenter only protects paired quotes; a stop inside a quote left open («"لقد فزنا!
        لقد فزنا!، "أبطال…"») must not cut the narration before a mark off from its cue.
        """
        lo = max(self.sentence_start(left), paragraph_lo)
        while True:
            host = self.enclosing(lo)
            if host is None:
                break
            earlier = max(self.sentence_start(host), paragraph_lo)
            if earlier >= lo:
                break
            lo = earlier
        return max(lo, left - LOOKBACK_CHARS)

    def repeated_elsewhere(self, quote: dict) -> bool:
        """The quote's words are found inside another candidate (a crosshead repeats a quote)."""
        text = self.text
        if self._keys is None:
            self._keys = [fold_phrase(text[q["start"]:q["end"]]) for q in self.found]
            for i, key in enumerate(self._keys):
                for word in set(key.split()):
                    self._postings.setdefault(word, []).append(i)
        key = fold_phrase(text[quote["start"]:quote["end"]])
        if not key.strip():  # words of tatweel only fold to nothing
            return False
        rarest = min(key.split(), key=lambda w: len(self._postings.get(w, ())))
        return any(self.found[i] is not quote and key in self._keys[i] for i in self._postings.get(rarest, ()))

