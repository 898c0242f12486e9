"""Find quotation-mark pairs in a paragraph, the way sloppy outlets actually write them.

Which mark opens is decided by flanking (a space on one side, a word on the other), so
” used as an opener, reversed « », and repeated “ … “ all pair up; the mark's usual
role only breaks ties. Families pair independently; a pair inside another is nested.
Marks left over in one family then pair across families (“…″, "…“), because outlets
mix mark styles within one quote. Everything here is a linear scan of the paragraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from builder.cues import lookup as cue_lookup
from builder.resources import load
from builder.text import fold_key, strip_span


@dataclass(frozen=True)
class Mark:
    pos: int
    char: str
    family: str
    role: str  # open, close or either (as flanking decided)


@dataclass
class Pair:
    """One quote candidate: content is text[start:end]; marks may be missing (None)."""

    family: str
    open_pos: int | None
    close_pos: int | None
    start: int
    end: int
    nested: bool = False
    flags: list[str] = field(default_factory=list)


@cache
def mark_table() -> dict[str, tuple[str, str]]:
    """char -> (family style, default role)."""
    table = {}
    for family in load("quote_marks")["families"]:
        for char, role in family["marks"].items():
            table[char] = (family["style"], role)
    return table


@cache
def _flanking() -> dict[str, frozenset[str] | str]:
    data = load("quote_marks")["flanking"]
    return {
        "open_context": frozenset(data["open_context"]["chars"]),
        "close_context": frozenset(data["close_context"]["chars"]),
        "strong_close": frozenset(data["strong_close"]["chars"]),
        "strong_open": frozenset(data["strong_open"]["chars"]),
        "clitics": frozenset(data["glued_clitics"]["forms"]),
        "open_after": frozenset(fold_key(w) for w in data["open_after_words"]["forms"]),
    }


@cache
def any_mark() -> re.Pattern:
    """One regex for any quotation mark the table knows."""
    return re.compile("[" + re.escape("".join(mark_table())) + "]")


def _word_before(text: str, pos: int, lo: int) -> str:
    start = pos
    table = mark_table()
    while start > lo and not text[start - 1].isspace() and text[start - 1] not in table:
        start -= 1
    return text[start:pos].replace("ـ", "")


def classify(text: str, pos: int, lo: int, hi: int) -> str:
    """open / close / either for the mark at text[pos], by what flanks it."""
    table = mark_table()
    flank = _flanking()
    before = text[pos - 1] if pos > lo else " "
    after = text[pos + 1] if pos + 1 < hi else " "
    # A mark after a colon opens: «ويختم قائلا:» إن …»» uses » as an opener.
    j = pos - 1
    while j > lo and text[j] == " ":
        j -= 1
    if j >= lo and text[j] in flank["strong_open"]:
        return "open"
    if j >= lo and text[j].isalpha():
        word = _word_before(text, j + 1, lo)
        if fold_key(word) in flank["open_after"]:
            return "open"
        if before.isspace() and after.isspace():
            cue = cue_lookup(word)
            if cue is not None and cue.kind in ("verb", "participle"):
                return "open"
    # A mark followed by a stop or comma closes: an opening mark is never followed by one.
    if after in flank["strong_close"] and before not in flank["open_context"]:
        return "close"
    left_open = before.isspace() or before in flank["open_context"] or (before in table and table[before][1] != "close")
    right_open = after.isspace() or after in flank["close_context"] or (after in table and table[after][1] != "open")
    if not left_open and not right_open and _word_before(text, pos, lo) in flank["clitics"]:
        left_open = True  # «و”تويتر”», «بـ"الإعلام"»: a proclitic glued to the opening mark
    if left_open and not right_open:
        return "open"
    if right_open and not left_open:
        return "close"
    return table[text[pos]][1]


def scan(text: str, lo: int, hi: int) -> list[Mark]:
    """Every quotation mark in text[lo:hi] with its flanking role."""
    table = mark_table()
    return [Mark(m.start(), m.group(), table[m.group()][0], classify(text, m.start(), lo, hi))
            for m in any_mark().finditer(text, lo, hi)]


# (text, (lo, hi) -> pair_paragraph's result): the article last paired. Segment pairs every
# paragraph to protect quotes from sentence cuts, then detect pairs the same paragraphs again.
_paired: tuple[str, dict[tuple[int, int], tuple[list[Pair], list[Mark], list[Mark]]]] = ("", {})


def pair_paragraph(text: str, lo: int, hi: int) -> tuple[list[Pair], list[Mark], list[Mark]]:
    """(pairs, unclosed openers, unopened closers) in text[lo:hi], each family on its own.

    The result of the last article's paragraphs is kept and given again (callers only read it)."""
    global _paired
    paired = _paired  # one read: another thread may start another article meanwhile
    if text is not paired[0]:
        paired = _paired = (text, {})
    found = paired[1].get((lo, hi))
    if found is None:
        found = paired[1][(lo, hi)] = _pair_paragraph(text, lo, hi)
    return found


def _pair_paragraph(text: str, lo: int, hi: int) -> tuple[list[Pair], list[Mark], list[Mark]]:
    pairs: list[Pair] = []
    leftovers: list[tuple[Mark, str]] = []
    by_family: dict[str, list[Mark]] = {}
    for mark in scan(text, lo, hi):
        by_family.setdefault(mark.family, []).append(mark)
    for family, marks in by_family.items():
        stack: list[Mark] = []
        for mark in marks:
            role = mark.role
            if role == "either":  # straight marks with no flanking clue alternate
                role = "close" if stack else "open"
            if role == "open":
                stack.append(mark)
            elif stack:
                opener = stack.pop()
                pairs.append(Pair(family, opener.pos, mark.pos, opener.pos + 1, mark.pos))
            else:
                leftovers.append((mark, "close"))
        leftovers.extend((mark, "open") for mark in stack)
    unclosed, unopened = _pair_across_families(leftovers, pairs)
    pairs.sort(key=lambda p: (p.start, -p.end))
    _mark_nested(pairs)
    return pairs, unclosed, unopened


def _pair_across_families(leftovers: list[tuple[Mark, str]], pairs: list[Pair]) -> tuple[list[Mark], list[Mark]]:
    """Pair an unclosed opener with the next unopened closer of another family (“…″, "…“).

    Outlets mix styles inside one quote; a leftover opener followed, with no other leftover
    opener between, by a leftover closer is one quote with mismatched marks.
    """
    leftovers.sort(key=lambda item: item[0].pos)
    unclosed: list[Mark] = []
    unopened: list[Mark] = []
    pending: Mark | None = None
    for mark, role in leftovers:
        if role == "open":
            if pending is not None:
                unclosed.append(pending)
            pending = mark
        elif pending is not None and pending.family != mark.family:
            pairs.append(Pair(pending.family, pending.pos, mark.pos, pending.pos + 1, mark.pos, flags=["mixed_marks"]))
            pending = None
        else:
            unopened.append(mark)
    if pending is not None:
        unclosed.append(pending)
    return unclosed, unopened


def _mark_nested(pairs: list[Pair]) -> None:
    """Flag pairs that sit inside an earlier, longer pair (a nested quote stays part of its host)."""
    outer_end = -1
    for pair in pairs:
        if pair.open_pos is not None and pair.open_pos < outer_end:
            pair.nested = True
        else:
            outer_end = (pair.close_pos or pair.end) + 1


# A run of three or more spaces after a sentence end is a paragraph break that scraping
# flattened (« \xa0 » between paragraphs of one line); elsewhere it is only padding.
_FLATTENED_BREAK = re.compile(r"(?<=[.!?؟…”»\"’″]) {3,}")


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-empty paragraph: a line, or a piece of one split at a flattened break."""
    spans = []
    start = 0
    for line in text.split("\n"):
        end = start + len(line)
        piece = start
        for match in _FLATTENED_BREAK.finditer(text, start, end):
            if text[match.start() - 1] not in ".!?؟…" and not _after_stop(text, match.start(), start):
                continue
            if text[piece:match.start()].strip():
                spans.append(strip_span(text, piece, match.start()))
            piece = match.end()
        if text[piece:end].strip():
            spans.append(strip_span(text, piece, end))
        start = end + 1
    return spans


def _after_stop(text: str, pos: int, lo: int) -> bool:
    """The closing marks just before pos follow a sentence end («…انتهى.”   »)."""
    table = mark_table()
    j = pos - 1
    while j > lo and text[j] in table:
        j -= 1
    return j < pos - 1 and text[j] in ".!?؟…"


