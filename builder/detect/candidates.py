"""Candidate spans: quotation marks paired into spans, also across a paragraph break or with a
missing mark (never closed: cut where the narration resumes; never opened: started where direct
speech starts), as GUIDELINES.md describes real outlets' sloppy marks.

Every step is a scan of the paragraph or of a few words around a mark, so it is linear in the text.
"""

from __future__ import annotations

import bisect

from builder.cues import cue_table, lookup as cue_lookup
from builder.detect.lexicon import CLAUSE_BREAK, COLONS, EDGE_PUNCT, LOOKBACK_CHARS, is_cue, word_lists
from builder.marks import Pair, mark_table, pair_paragraph
from builder.text import fold_key, words



def _content_bounds(text: str, start: int, end: int, trim: str = "", keep: frozenset[int] = frozenset()) -> tuple[int, int]:
    """Strip white space; at an edge no mark delimits, also stray punctuation and marks.

    A quote left open that runs to the paragraph's end («…المنطقة».») loses the marks and
    stops after its last word, then takes back the stops written right after that word.
    """
    table = mark_table()
    while start < end and (text[start].isspace() or ("start" in trim and (text[start] in EDGE_PUNCT or text[start] in table))):
        start += 1
    while end > start and end - 1 not in keep and (text[end - 1].isspace() or ("end" in trim and (text[end - 1] in EDGE_PUNCT or text[end - 1] in "!?؟" or text[end - 1] in table))):
        end -= 1  # keep: closing marks of pairs nested in the quote («…يمثل «فرصة…»».)
    if "end" in trim and end > start and text[end - 1].isalnum():
        while text[end:end + 1] in (".", "!", "?", "؟", "…") and text[end:end + 1]:
            end += 1
    return start, end


def _quote(text, pair: Pair, paragraph_index: int, style: str, rule: str, flags: list[str], trim: str = "",
           keep: frozenset[int] = frozenset()) -> dict:
    start, end = _content_bounds(text, pair.start, pair.end, trim, keep)
    return {
        "start": start, "end": end,
        "open_pos": pair.open_pos, "close_pos": pair.close_pos,
        "open_mark": text[pair.open_pos] if pair.open_pos is not None else None,
        "close_mark": text[pair.close_pos] if pair.close_pos is not None else None,
        "mark_style": style, "paragraph_index": paragraph_index, "candidate": rule, "flags": flags,
    }


class _Disjoint:
    """Disjoint spans of one paragraph sorted by start: «is pos inside one», «last end before pos»."""

    def __init__(self) -> None:
        self.lefts: list[int] = []
        self.rights: list[int] = []

    def add(self, left: int, right: int) -> None:
        k = bisect.bisect_left(self.lefts, left)
        self.lefts.insert(k, left)
        self.rights.insert(k, right)

    def inside(self, pos: int) -> bool:
        k = bisect.bisect_left(self.lefts, pos) - 1
        return k >= 0 and pos < self.rights[k]

    def last_end(self, pos: int, default: int) -> int:
        k = bisect.bisect_right(self.rights, pos) - 1
        return self.rights[k] if k >= 0 else default


def candidates(text: str, paragraphs: list[list[int]]) -> tuple[list[dict], list[dict]]:
    """(quote candidates, anomalies) over all paragraphs, joining quotes across paragraphs."""
    found: list[dict] = []
    anomalies: list[dict] = []
    per_paragraph = [pair_paragraph(text, lo, hi) for lo, hi in paragraphs]
    used_closers: set[int] = set()
    for index, ((lo, hi), (pairs, unclosed, unopened)) in enumerate(zip(paragraphs, per_paragraph)):
        local: list[dict] = []
        spans = _Disjoint()  # pairs and quotes rebuilt from a lone closer never overlap
        for pair in pairs:
            if not pair.nested:
                rule = "pair_mixed_marks" if "mixed_marks" in pair.flags else "pair"
                local.append(_quote(text, pair, index, pair.family, rule, list(pair.flags)))
                spans.add(pair.open_pos, pair.close_pos + 1)
        for mark in unopened:
            if mark.pos in used_closers or spans.inside(mark.pos):
                continue
            anomalies.append({"kind": "unopened_mark", "pos": mark.pos, "mark": mark.char})
            start = _unopened_start(text, lo, mark.pos, spans.last_end(mark.pos, lo))
            if start is None:
                continue
            pair = Pair(mark.family, None, mark.pos, start, mark.pos)
            local.append(_quote(text, pair, index, mark.family, "unopened", ["opening_mark_missing"], trim="start"))
            spans.add(start, mark.pos + 1)
        cuts: list[int] | None = None
        closers: frozenset[int] | None = None
        open_until = -1
        for number, mark in enumerate(unclosed):
            if spans.inside(mark.pos) or mark.pos < open_until:
                continue  # an unclosed mark inside a quote (or inside one left open) is part of it
            if cuts is None:
                cuts = _narration_cuts(text, lo, hi, pairs, unclosed)
            k = bisect.bisect_right(cuts, mark.pos)
            end = cuts[k] if k < len(cuts) else hi
            # Only the paragraph's last open quote, running to the paragraph's end, can go on
            # into the next paragraph and close there.
            if number == len(unclosed) - 1 and end == hi:
                closer = _closer_in_next_paragraph(per_paragraph, index, mark.family, used_closers)
                if closer is not None:
                    used_closers.add(closer)
                    pair = Pair(mark.family, mark.pos, closer, mark.pos + 1, closer)
                    local.append(_quote(text, pair, index, mark.family, "pair_across_paragraphs", ["crosses_paragraph"]))
                    continue
            open_until = end
            anomalies.append({"kind": "unclosed_mark", "pos": mark.pos, "mark": mark.char})
            pair = Pair(mark.family, mark.pos, None, mark.pos + 1, end)
            if closers is None:  # closing marks of the paragraph's pairs, kept when nested at a quote's end
                closers = frozenset(p.close_pos for p in pairs if p.close_pos is not None)
            local.append(_quote(text, pair, index, mark.family, "unclosed", ["closing_mark_missing"], trim="end", keep=closers))
        found.extend(local)
    found.sort(key=lambda q: (q["start"], -q["end"]))
    return found, anomalies


def _closer_in_next_paragraph(per_paragraph, index: int, family: str, used: set[int]) -> int | None:
    """A quote closed in the following paragraph: its first mark of the family is an unopened closer."""
    if index + 1 >= len(per_paragraph):
        return None
    pairs, _, unopened = per_paragraph[index + 1]
    first_closer = next((m for m in unopened if m.family == family and m.pos not in used), None)
    if first_closer is None:
        return None
    for pair in pairs:  # sorted by start: only those opening before the closer matter
        if pair.open_pos is None or pair.open_pos >= first_closer.pos:
            break
        if pair.family == family:
            return None
    return first_closer.pos


def _narration_cuts(text: str, lo: int, hi: int, pairs: list[Pair], unclosed) -> list[int]:
    """Positions in the paragraph where a quote left open ends (GUIDELINES: the narration resumes).

    At a stop or comma followed by a phrase that hands the floor to another source («. من جانبه،»,
    «. بدورها»), or by a speech participle («، قائلا», «، مبينا أن»), or by a
    speech verb that opens a new clause: with و/ف («. وأضاف المصدر»), after a connector
    («. كما بين أن»), or after a full stop; at a stop or comma followed by a new quote of
    two words or more (a new quote, not a nested name: «"لقد فزنا!، "أبطال…"» but not
    «الفيلم التونسي، "جحا" الذي»), or by another mark left open. A bare verb after a comma
    («…، كتب مقالة») is still the source speaking about someone, so it does not end the quote.
    One pass over the paragraph; each open quote then takes the first cut after it.
    """
    rules = word_lists()
    openers = {p.open_pos: p for p in pairs if p.open_pos is not None}
    open_marks = {m.pos for m in unclosed}
    cuts = []
    for match in CLAUSE_BREAK.finditer(text, lo, hi):
        # the quote keeps its own final stop or exclamation («فزنا!»), not the comma after it
        stop = match.start() + len(match.group()) - len(match.group().lstrip(".!?؟"))
        after = match.end()
        while after < hi and text[after].isspace():
            after += 1
        if after in openers:
            pair = openers[after]
            if len(words(text, pair.start, min(pair.end, pair.start + 80))) >= rules["min_words_with_cue"]:
                cuts.append(stop)
            continue
        if after in open_marks:
            cuts.append(stop)
            continue
        following = words(text, after, min(hi, after + 40))[:2]
        if not following or following[0][1] != after:
            continue
        first = following[0][0]
        if " ".join(fold_key(w) for w, _, _ in following[:2]) in rules["speaker_switches"] or fold_key(first) in rules["speaker_switches"]:
            cuts.append(stop)  # «… الشباب. من جانبه، طالب الدكتور …»: another source takes the floor
            continue
        connected = False
        if fold_key(first) in rules["connectors"] and len(following) > 1:
            first, connected = following[1][0], True
        cue = cue_lookup(first)
        if cue is None:
            continue
        if cue.kind == "participle":
            cuts.append(stop)
        elif cue.kind == "verb":
            key = fold_key(first)
            if connected or (key[0] in "وف" and key not in cue_table()) or ("." in match.group() and not cue.weak):
                cuts.append(stop)
    return cuts


def _unopened_start(text: str, lo: int, close_pos: int, bound: int) -> int | None:
    """Where a quote with no opening mark starts (GUIDELINES: where direct speech starts).

    After the last colon, or cue + complementizer («قوله إنه», «وأضاف أن», «وذكر مكتبه في بيان
    أن»: the cue a few words before it, possibly before an earlier quote such as the outlet spoken
    to «ويقول X "لسكاي نيوز" إن …»), between the end of any earlier quote in the paragraph (bound)
    and the lone closer. None when there is no such anchor: the lone mark is then a stray.
    """
    rules = word_lists()
    reach = rules["unopened_cue_window_words"]
    bound = max(bound, close_pos - LOOKBACK_CHARS)
    anchor = None
    colon = max(text.rfind(c, bound, close_pos) for c in COLONS)
    if colon >= 0:
        anchor = colon + 1
    tokens = words(text, max(lo, bound - LOOKBACK_CHARS // 4), close_pos)
    for i in range(len(tokens) - 1, 0, -1):
        if tokens[i][1] < bound or (anchor is not None and tokens[i][2] <= anchor):
            break
        if fold_key(tokens[i][0]) in rules["complementizers"] and any(is_cue(w) for w, _, _ in tokens[max(0, i - reach):i]):
            anchor = tokens[i][2]
            break
    if anchor is None and bound > lo and text[bound:close_pos].lstrip()[:1] in ("،", ","):
        anchor = bound  # «:“…”، …”»: a second stretch of the same speech after a comma
    return anchor


def left_edge(quote: dict) -> int:
    return quote["open_pos"] if quote["open_pos"] is not None else quote["start"]


def right_edge(quote: dict) -> int:
    return quote["close_pos"] + 1 if quote["close_pos"] is not None else quote["end"]

