"""Character-level helpers shared by the stages: folding keys and word iteration.

Nothing here changes the article text; folded strings are only lookup keys.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from functools import lru_cache

ARABIC_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_LETTER_MAP = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"})
# A word is a run of letters, digits and the marks that sit on them (diacritics, tatweel).
WORD = re.compile(r"[\w\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]+")


@lru_cache(maxsize=262_144)
def fold_key(word: str) -> str:
    """Lookup key: no diacritics or tatweel, one alef, ى→ي, ة→ه, ؤ→و, ئ→ي."""
    return ARABIC_DIACRITICS.sub("", word).translate(_LETTER_MAP)


_KEEP_MAQSURA = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ؤ": "و", "ئ": "ي"})


@lru_cache(maxsize=262_144)
def common_key(word: str) -> str:
    """Like fold_key but keeping ى apart from ي, so the name «علي» is not the preposition «على»."""
    return ARABIC_DIACRITICS.sub("", word).translate(_KEEP_MAQSURA)


def fold_phrase(text: str) -> str:
    """Key for comparing whole names: folded words joined by single spaces."""
    return " ".join(fold_key(w) for w in WORD.findall(unicodedata.normalize("NFKC", text)))


def words(text: str, start: int = 0, end: int | None = None) -> list[tuple[str, int, int]]:
    """(word, start, end) for every word of text[start:end], offsets into text.

    For the text last given to index_words, a slice of its word list (attribution asks for the
    words of many small windows of one article: scanning each window again cost a tenth of it).
    """
    end = len(text) if end is None else end
    indexed_text, starts, ends, all_words = _indexed
    if text is not indexed_text:
        return [(m.group(), m.start(), m.end()) for m in WORD.finditer(text, start, end)]
    if start >= end:
        return []
    # The words overlapping [start, end); one running over an edge is cut there, as the regex cuts it.
    found = all_words[bisect_right(ends, start):bisect_left(starts, end)]
    if found and (found[0][1] < start or found[-1][2] > end):
        found = [(text[max(a, start):min(b, end)], max(a, start), min(b, end)) if a < start or b > end else (w, a, b)
                 for w, a, b in found]
    return found


# (text, the start and the end of each of its words, its words): the article being attributed.
_indexed: tuple[str, list[int], list[int], list[tuple[str, int, int]]] = ("", [], [], [])


def index_words(text: str) -> list[tuple[str, int, int]]:
    """The words of text, kept so that later words(text, start, end) calls slice them."""
    global _indexed
    indexed = _indexed
    if text is indexed[0]:
        return indexed[3]
    # The words are the tokens that are not a punctuation mark: one regex pass serves both the
    # name recogniser (builder.names) and the stages' word lists.
    all_words = [token for token in tokens(text) if len(token[0]) > 1 or WORD.match(token[0])]
    _indexed = (text, [start for _w, start, _e in all_words], [end for _w, _s, end in all_words], all_words)
    return all_words


# A token is a word (as WORD) or any single other character that is not a space.
TOKEN = re.compile(WORD.pattern + r"|[^\s\w]")
# (text, its tokens): the article last tokenized.
_tokenized: tuple[str, list[tuple[str, int, int]]] = ("", [])


def tokens(text: str) -> list[tuple[str, int, int]]:
    """(token, start, end) for every word and every other non-space character of text; the list of
    the last text is kept (the name recogniser and index_words ask for the same article's)."""
    global _tokenized
    tokenized = _tokenized
    if text is tokenized[0]:
        return tokenized[1]
    found = [(m.group(), m.start(), m.end()) for m in TOKEN.finditer(text)]
    _tokenized = (text, found)
    return found


def strip_clitic(key: str, clitics: str = "وف") -> str:
    """Folded key without one leading conjunction clitic (و or ف) when enough remains."""
    if len(key) > 2 and key[0] in clitics:
        return key[1:]
    return key


@lru_cache(maxsize=262_144)  # asked of every word near a quote, by several stages
def is_definite(word: str) -> bool:
    """Written with the article ال (or لل, و/ف+ال). Checked on the word as written, because
    folding turns the hamza of names like «ألكساندر» into the article's plain alef."""
    bare = ARABIC_DIACRITICS.sub("", word)
    if len(bare) > 3 and bare[0] in "وف" and bare[1:3] in ("ال", "لل"):
        bare = bare[1:]
    return bare.startswith(("ال", "لل"))


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """(start, end) moved inward past white space at both edges."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
