"""Stage 3, detect: which marked spans are direct quotes, with their content offsets.

Pure: detect(article, segments) -> {article_id, quotes, rejected, anomalies}. Handles the
messy cases of real outlets: quotes closed in the next paragraph, never closed (cut where
the narration resumes), never opened (started where direct speech starts), mixed marks.
Then each candidate is classified: a quote, or a name / title / term / crosshead.

Every step is a scan of the paragraph or of a few words around a mark, so the stage is
linear in the text size. The word lists live in resources/detect_rules.json.
"""

from __future__ import annotations

import bisect
import re
from functools import cache, lru_cache
from itertools import accumulate, islice

from builder.cues import cue_table, lookup as cue_lookup
from builder.marks import Pair, mark_table, pair_paragraph
from builder.resources import load
from builder.text import ARABIC_DIACRITICS, WORD, fold_key, fold_phrase, words

STAGE = "detect"

_PREFIXES = ("وبال", "وال", "بال", "فال", "كال", "لل", "ال", "وب", "ول", "فب", "فل", "وك", "و", "ف", "ب", "ل", "ك")
_SUFFIXES = ("هما", "هم", "ها", "ه")
# A stop or comma after which the narration may resume with a speech verb.
_CLAUSE_BREAK = re.compile(r"[.،,؛;!?؟]+")
_COLONS = ":："
_EDGE_PUNCT = " \t،,.:؛;-–—…"
# How far back from a mark the narration is read: no clause is longer, and it keeps every
# look-up bounded, so the stage stays linear even on a huge paragraph without stops.
_LOOKBACK_CHARS = 600


# Function words keep ى apart from ي: «على» is a preposition, «علي» a given name.
_FUNCTION_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ؤ": "و", "ئ": "ي"})


def _fkey(word: str) -> str:
    return ARABIC_DIACRITICS.sub("", word).translate(_FUNCTION_FOLD)


@cache
def _rules() -> dict:
    data = load("detect_rules")

    def keys(name: str) -> frozenset[str]:
        return frozenset(fold_key(w) for w in data[name]["forms"])

    relative = data["relative_naming"]
    return {
        **data["thresholds"],
        "naming": keys("naming_words"),
        "weak_naming": keys("weak_naming_words"),
        "title_words": keys("title_words"),
        "name_heads": keys("name_heads"),
        "person_heads": keys("person_heads"),
        "function": frozenset(_fkey(w) for w in data["function_words"]["forms"]),
        "complementizers": keys("complementizers"),
        "speaker_followers": keys("speaker_followers"),
        "addressee": frozenset(w.replace("ـ", "") for w in data["addressee_prepositions"]["forms"]),
        "relatives": frozenset(fold_key(w) for w in relative["relatives"]),
        "glued_b": frozenset(w.replace("ـ", "") for w in relative["glued_prepositions"]),
        "connectors": keys("narration_connectors"),
    }


@lru_cache(maxsize=1 << 16)
def _stems(word: str) -> tuple[str, ...]:
    """Folded forms a listed word may take in the text: as is, without one proclitic
    (و ف ب ل ك ال and their combinations), with ال added, and without one pronoun suffix
    («شعاره» -> شعار, «أغنيته» -> أغنية)."""
    key = fold_key(word)
    stems = [key] + [key[len(p):] for p in _PREFIXES if key.startswith(p) and len(key) - len(p) >= 2]
    forms = []
    for stem in stems:
        forms += [stem, "ال" + stem]
        for suffix in _SUFFIXES:
            if stem.endswith(suffix) and len(stem) - len(suffix) >= 2:
                base = stem[: -len(suffix)]
                forms.append(base)
                if base.endswith("ت"):
                    forms.append(base[:-1] + "ه")
    return tuple(forms)


def _in(word: str, keyset: frozenset[str]) -> bool:
    """The word, up to one proclitic and one pronoun suffix, is in keyset (folded forms)."""
    return any(form in keyset for form in _stems(word))


@lru_cache(maxsize=1 << 16)
def _cue(word: str):
    """The speech cue a word is, also a nominal cue behind the preposition ب («بالهتاف», «بتصريحات»)."""
    cue = cue_lookup(word)
    if cue is None and len(word) > 3 and word[0] == "ب":
        cue = cue_lookup(word[1:])
        if cue is not None and cue.kind != "nominal":
            cue = None
    return cue


def _is_cue(word: str, weak_ok: bool = True) -> bool:
    cue = _cue(word)
    return cue is not None and (weak_ok or not cue.weak)


# --- candidates -------------------------------------------------------------------------


def _content_bounds(text: str, start: int, end: int, trim: str = "", keep: frozenset[int] = frozenset()) -> tuple[int, int]:
    """Strip white space; at an edge no mark delimits, also stray punctuation and marks.

    A quote left open that runs to the paragraph's end («…المنطقة».») loses the marks and
    stops after its last word, then takes back the stops written right after that word.
    """
    table = mark_table()
    while start < end and (text[start].isspace() or ("start" in trim and (text[start] in _EDGE_PUNCT or text[start] in table))):
        start += 1
    while end > start and end - 1 not in keep and (text[end - 1].isspace() or ("end" in trim and (text[end - 1] in _EDGE_PUNCT or text[end - 1] in "!?؟" or text[end - 1] in table))):
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
        "mark_style": style, "paragraph_index": paragraph_index, "detect_rule": rule, "flags": flags,
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

    At a stop or comma followed by a speech participle («، قائلا», «، مبينا أن»), or by a
    speech verb that opens a new clause: with و/ف («. وأضاف المصدر»), after a connector
    («. كما بين أن»), or after a full stop; at a stop or comma followed by a new quote of
    two words or more (a new quote, not a nested name: «"لقد فزنا!، "أبطال…"» but not
    «الفيلم التونسي، "جحا" الذي»), or by another mark left open. A bare verb after a comma
    («…، كتب مقالة») is still the source speaking about someone, so it does not end the quote.
    One pass over the paragraph; each open quote then takes the first cut after it.
    """
    rules = _rules()
    openers = {p.open_pos: p for p in pairs if p.open_pos is not None}
    open_marks = {m.pos for m in unclosed}
    cuts = []
    for match in _CLAUSE_BREAK.finditer(text, lo, hi):
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

    After the last colon, or cue + complementizer («قوله إنه», «وأضاف أن»), between the end
    of any earlier quote in the paragraph (bound) and the lone closer. None when there is no
    such anchor: the lone mark is then a stray.
    """
    rules = _rules()
    bound = max(bound, close_pos - _LOOKBACK_CHARS)
    anchor = None
    colon = max(text.rfind(c, bound, close_pos) for c in _COLONS)
    if colon >= 0:
        anchor = colon + 1
    tokens = words(text, bound, close_pos)
    for i in range(len(tokens) - 1, 0, -1):
        if anchor is not None and tokens[i][2] <= anchor:
            break
        if fold_key(tokens[i][0]) in rules["complementizers"] and any(_is_cue(w) for w, _, _ in tokens[max(0, i - 2):i]):
            anchor = tokens[i][2]
            break
    if anchor is None and bound > lo and text[bound:close_pos].lstrip()[:1] in ("،", ","):
        anchor = bound  # «:“…”، …”»: a second stretch of the same speech after a comma
    return anchor


# --- classification ---------------------------------------------------------------------


def _left_edge(quote: dict) -> int:
    return quote["open_pos"] if quote["open_pos"] is not None else quote["start"]


def _right_edge(quote: dict) -> int:
    return quote["close_pos"] + 1 if quote["close_pos"] is not None else quote["end"]


class _Article:
    """One article's candidates, sentences and paragraphs, indexed for log-time look-ups."""

    def __init__(self, text: str, paragraphs: list, sentences: list, found: list[dict]):
        self.text = text
        self.paragraphs = paragraphs
        self.sentences = sentences
        self.sentence_starts = [s for s, _e, _p in sentences]
        self.found = found
        edges = sorted((_left_edge(q), _right_edge(q)) for q in found)
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
        return max(lo, left - _LOOKBACK_CHARS)

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


def _without_parentheticals(text: str, clause: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """The clause's words but those of a phrase set off by two commas («وشدد X، في كلمة له خلال
    افتتاح الجلسة، على أن “…”»): a circumstance between subject and complementizer does not push
    the verb out of reach. The last phrase before the end is never dropped (nothing closes it)."""
    limit = _rules()["parenthetical_max_words"]
    after_comma = [k + 1 for k in range(len(clause) - 1)
                   if "،" in text[clause[k][2]:clause[k + 1][1]] or "," in text[clause[k][2]:clause[k + 1][1]]]
    dropped: set[int] = set()
    for first, end in zip(after_comma, after_comma[1:]):
        if end - first <= limit:
            dropped.update(range(first, end))
    return [word for k, word in enumerate(clause) if k not in dropped]


def _tie(text: str, quote: dict, paragraph: tuple[int, int], article: _Article) -> str | None:
    """How a speech cue ties the span to a source, or None.

    colon: «قال: “…”»; standalone: the paragraph is only the quote (a quoted utterance on
    its own line); complementizer_inside: the words open with «إن/أن» («أكد …، "ان وفد
    الصندوق …"»), which only follows a verb of saying; cue_before: a speech verb or nominal
    cue a few words before the mark in the same sentence («اعتبر الاتفاق “…”», «حذر من تحويل
    الحادثة إلى “…”», «بالقول لهم عبر تويتر “…”»), or a participle right before it («قائلا
    “…”»); reported_clause: the mark sits in a clause opened by a complementizer after a cue
    («قالت لـCNN إنها تريد أن تنتظر “…”»), not cut off by a new clause «، و…»; cue_after: a
    cue right after the closing mark («“…”، قال الوزير», «“…”... هتافات ترددت»).
    """
    rules = _rules()
    left = _left_edge(quote)
    right = _right_edge(quote)
    j = left - 1
    while j >= paragraph[0] and text[j].isspace():
        j -= 1
    if j >= paragraph[0] and text[j] in _COLONS:
        return "colon"
    if WORD.search(text, paragraph[0], left) is None and WORD.search(text, right, paragraph[1]) is None:
        return "standalone"
    first = words(text, quote["start"], min(quote["end"], quote["start"] + 20))[:1]
    if first and first[0][1] == quote["start"] and fold_key(first[0][0]) in rules["complementizers"]:
        return "complementizer_inside"
    before = words(text, article.clause_start(left, paragraph[0]), left)
    for i in range(len(before) - 1, -1, -1):
        key = fold_key(before[i][0])
        if key in rules["complementizers"] and article.enclosing(before[i][1]) is None:
            # «إنّ» written with its hamza below only follows a verb of saying, however long the subject.
            reach = rules["reported_inna_window_words"] if before[i][0].lstrip("وف").startswith("إ") else rules["reported_cue_window_words"]
            if any(_is_cue(w) for w, _, _ in _without_parentheticals(text, before[:i])[-reach:]):
                return "reported_clause"
        elif key[:1] in ("و", "ف") and _fkey(before[i][0])[1:] not in rules["function"] and i > 0 and text[before[i - 1][2]:before[i][1]].strip(" \"“”«»″") in ("،", ","):
            break  # «…، واستدعى …»: a new clause, no longer the reported one
    window = before[-rules["cue_window_words"]:]
    for k, (word, _, _) in enumerate(window):
        cue = _cue(word)
        if cue is not None and (cue.kind in ("verb", "nominal") or len(window) - k <= 2):
            return "cue_before"
    after = words(text, right, min(paragraph[1], right + 60))[:3]
    if after and not text[right:after[0][1]].strip(" ،,.…"):
        for word, _, _ in after[:2]:
            if _cue(word) is not None:
                return "cue_after"
    return None


def _speech_like(content_words: list[tuple[str, int, int]]) -> bool:
    """Worded like speech: holds a particle, pronoun or preposition (a name or term does not)."""
    rules = _rules()
    return any(_fkey(w) in rules["function"] for w, _, _ in content_words)


def _name_like(content_words: list[tuple[str, int, int]]) -> bool:
    """Few words and no particle, pronoun or preposition: could be a bare name."""
    rules = _rules()
    if not content_words or len(content_words) > rules["name_like_max_words"]:
        return False
    return not any(_fkey(w) in rules["function"] for w, _, _ in content_words)


# Verbs of the anonymity clause («عدم ذكر اسمه», «عدم الكشف عن هويته», «عدم نشر اسمه»).
_ANONYMITY_VERBS = frozenset(("ذكر", "نشر", "كشف", "الكشف", "عن", "عدم"))


def _naming_before(text: str, quote: dict, lo: int) -> str | None:
    """'strong' / 'weak' when a naming word stands within two words before the mark."""
    rules = _rules()
    left = _left_edge(quote)
    three_before = words(text, max(lo, left - 80), left)[-3:]
    if len(three_before) == 3 and _fkey(three_before[0][0]) in _ANONYMITY_VERBS:
        # «طالبا عدم ذكر اسمه “…”», «فضل عدم الكشف عن اسمه: “…”»: «اسمه» ends an anonymity
        # clause, it names nothing (checked before the colon: «اسم» is also a title word)
        return None
    previous = words(text, max(lo, left - 60), left)[-2:]
    if previous and any(c in _COLONS for c in text[previous[-1][2]:left]):
        # «كتب على حسابه: “…”»: a colon introduces words, except after a title word («تحت عنوان: “…”»)
        return "strong" if _in(previous[-1][0], rules["title_words"]) else None
    if any(_in(w, rules["naming"]) for w, _, _ in previous):
        return "strong"
    if any(_in(w, rules["weak_naming"]) for w, _, _ in previous):
        return "weak"
    return None


def _glued_word(text: str, left: int, lo: int) -> str:
    """The letters written right against the opening mark («لـ“…”» -> «ل»), or ''."""
    start = left
    while start > lo and not text[start - 1].isspace() and text[start - 1] not in mark_table():
        start -= 1
    return text[start:left].replace("ـ", "")


def _relative_naming(text: str, quote: dict, lo: int) -> bool:
    """«ما يعرف بـ“…”», «من وصفتهم بـ“…”»: a label given by a naming verb."""
    rules = _rules()
    left = _left_edge(quote)
    glued = _glued_word(text, left, lo)
    previous = words(text, max(lo, left - 50), left)
    if glued in rules["glued_b"]:
        previous = previous[:-1] if previous and previous[-1][2] == left else previous
    elif previous and fold_key(previous[-1][0]) in rules["glued_b"]:
        previous = previous[:-1]
    else:
        return False
    return len(previous) >= 2 and fold_key(previous[-2][0]) in rules["relatives"]


def _speaker_after(text: str, quote: dict, hi: int) -> bool:
    """The span is followed at once (no comma) by a colon, a speech verb or a complementizer."""
    rules = _rules()
    right = _right_edge(quote)
    j = right
    while j < hi and text[j] == " ":
        j += 1
    if j < hi and text[j] in _COLONS:
        return True
    following = words(text, j, min(hi, j + 30))[:1]
    if not following or following[0][1] != j:
        return False
    word = following[0][0]
    if fold_key(word) in rules["speaker_followers"]:
        return True
    cue = cue_lookup(word)
    key = fold_key(word)
    if cue is None or (key not in cue_table() and key[0] in "وف"):
        return False  # «“…” وقال»: a new clause, not the span's own verb
    return cue.kind in ("verb", "participle") and not cue.weak


def _whole_clause_in_marks(text: str, quote: dict, paragraph: tuple[int, int]) -> bool:
    """«أن “…”.»: the complementizer stands right before the opening mark and the sentence ends at
    the closing one, so the marks hold the clause «أن» opens; a name in marks has the clause run
    on after it («إن “عملية الفجر” مستمرة»)."""
    if quote["open_pos"] is None or quote["close_pos"] is None:
        return False
    before = words(text, max(paragraph[0], quote["open_pos"] - 30), quote["open_pos"])[-1:]
    if not before or text[before[0][2]:quote["open_pos"]].strip() or fold_key(before[0][0]) not in _rules()["complementizers"]:
        return False
    after = text[quote["close_pos"] + 1:paragraph[1]].lstrip(" ")
    return after == "" or after[0] in ".!?؟…"


def _narration_goes_on(text: str, quote: dict, hi: int) -> bool:
    """A word follows the closing mark with no punctuation: «منها: “لوك أويل” الروسية و…».

    Speech introduced by a colon ends its clause; a name-like item after a colon that the
    sentence runs on after is an entry of a list of names.
    """
    if quote["close_pos"] is None:
        return False
    j = quote["close_pos"] + 1
    while j < hi and text[j] == " ":
        j += 1
    return j < hi and text[j].isalnum() and j > quote["close_pos"] + 1


def _person_head_before(text: str, quote: dict, lo: int, hi: int) -> bool:
    """A title, role or kinship noun a few words before, and the narration going on after.

    «الرئيسة الليتوانية “…” إنها», «المغني “…” عن», «بطفله الرضيع “…”، الذي»: the span is a
    person's name in apposition. When a speech verb stands right before the title («قال
    الرئيس “…”»), the span may be the words said: then only a word running on with no comma
    («كشف المغني “…” عن») makes it a name.
    """
    rules = _rules()
    left, right = _left_edge(quote), _right_edge(quote)
    j = right
    while j < hi and text[j] == " ":
        j += 1
    if j >= hi or not (text[j].isalnum() or text[j] in "،,"):
        return False
    previous = words(text, max(lo, left - 100), left)[-5:]
    if previous and text[previous[-1][2]:left].strip() not in ("", "ـ"):
        return False  # punctuation between the last word and the mark
    for h in range(len(previous) - 1, max(-1, len(previous) - 5), -1):
        word = previous[h][0]
        if _in(word, rules["person_heads"]):
            spoken = h > 0 and _cue(previous[h - 1][0]) is not None
            return text[j].isalnum() or not spoken
        key = fold_key(word)
        if key in rules["complementizers"] or cue_lookup(word) is not None or _fkey(word) in rules["function"] and key not in ("في", "لدي"):
            return False
    return False


def classify(text: str, quote: dict, paragraph: tuple[int, int], article: _Article) -> str | None:
    """None when the candidate is a quote, else the reason it is not (rules in detect_rules.json).

    Only the first few words are read: every rule below tells short spans apart, so a long
    paired quote is settled without looking at the narration around it.
    """
    rules = _rules()
    limit = max(rules["name_max_words"], rules["min_words_without_cue"]) + 1
    content_words = [(m.group(), m.start(), m.end()) for m in islice(WORD.finditer(text, quote["start"], quote["end"]), limit)]
    n_words = len(content_words)  # capped at limit
    if n_words == 0:
        return "empty"
    if _is_crosshead(text, quote, paragraph, article):
        return "crosshead"
    rule = quote["detect_rule"]
    if n_words == limit and rule != "unclosed":
        return None  # long enough to be speech whether or not a cue is near; no name is this long
    tie = _tie(text, quote, paragraph, article)
    if rule == "unclosed" and tie is None:
        return "unclosed_without_cue"
    if rule == "unopened" and n_words < rules["min_words_unopened"]:
        return "stray_closing_mark"
    left = _left_edge(quote)
    if tie == "reported_clause" and n_words >= rules["min_words_with_cue"] and _whole_clause_in_marks(text, quote, paragraph):
        return None  # «وأعلن الجيش أن “العملية حققت أهدافها”.»: a complementizer's clause, no name
    if n_words <= rules["name_max_words"]:
        naming = _naming_before(text, quote, paragraph[0])
        if (naming == "strong" and tie != "complementizer_inside") or (naming == "weak" and tie in (None, "cue_before", "cue_after") and not _speech_like(content_words)):
            return "named_thing"
        if _in(content_words[0][0], rules["name_heads"]) and not _speech_like(content_words):
            return "named_thing"
        if _relative_naming(text, quote, paragraph[0]):
            return "label"
    if n_words <= rules["name_like_max_words"] and _name_like(content_words):
        if _glued_word(text, left, paragraph[0]) in rules["addressee"]:
            return "addressee_name"
        if tie != "colon" and _speaker_after(text, quote, paragraph[1]):
            return "speaker_name"
        if tie == "colon" and _narration_goes_on(text, quote, paragraph[1]):
            return "list_item"
        if tie != "colon" and _person_head_before(text, quote, paragraph[0], paragraph[1]):
            return "person_name"
    if n_words < rules["min_words_with_cue"]:
        return None if _one_word_utterance(text, quote, tie, paragraph) else "single_word"
    if n_words < rules["min_words_without_cue"] and tie is None:
        if not (n_words >= rules["min_words_speech_like"] and _speech_like(content_words)):
            return "term_without_cue"
    return None


def _one_word_utterance(text: str, quote: dict, tie: str | None, paragraph: tuple[int, int]) -> bool:
    """A one-word whole utterance («بالقول لهم عبر تويتر “شكرا”.»): tied, ends its sentence,
    and not a definite noun or a word glued to a preposition (those are terms: «بـ“المجحف”»)."""
    if tie is None or quote["close_pos"] is None or quote["open_pos"] is None:
        return False
    word = text[quote["start"]:quote["end"]]
    if fold_key(word).startswith("ال") or _glued_word(text, quote["open_pos"], paragraph[0]):
        return False
    j = quote["close_pos"] + 1
    while j < paragraph[1] and text[j] == " ":
        j += 1
    return j >= paragraph[1] or text[j] in ".!?؟"


def _is_crosshead(text: str, quote: dict, paragraph: tuple[int, int], article: _Article) -> bool:
    """A paragraph that is only a quote repeating words quoted elsewhere in the article."""
    if WORD.search(text, paragraph[0], quote["start"]) or WORD.search(text, quote["end"], paragraph[1]):
        return False
    return article.repeated_elsewhere(quote)


def detect(article: dict, segments: dict) -> dict:
    """{article_id, quotes, rejected, anomalies} for one article."""
    text = article["text"]
    paragraphs = segments["paragraphs"]
    sentences = segments["sentences"]
    found, anomalies = candidates(text, paragraphs)
    context = _Article(text, paragraphs, sentences, found)
    accepted, rejected = [], []
    for quote in found:
        reason = classify(text, quote, tuple(paragraphs[quote["paragraph_index"]]), context)
        quote["sentence_index"] = _sentence_index(context.sentence_starts, quote["start"])
        if reason is None:
            accepted.append(quote)
        else:
            rejected.append({**quote, "reason": reason})
    quotes = _drop_nested(accepted, rejected)
    return {"article_id": article["article_id"], "quotes": quotes, "rejected": rejected, "anomalies": anomalies}


def _drop_nested(accepted: list[dict], rejected: list[dict]) -> list[dict]:
    """A quote inside an accepted quote whose mark is missing is nested in it, not a quote of its own."""
    hosts = sorted((q["start"], q["end"]) for q in accepted if q["open_pos"] is None or q["close_pos"] is None)
    if not hosts:
        return accepted
    starts = [a for a, _ in hosts]
    reach = list(accumulate((b for _, b in hosts), max))
    kept = []
    for q in accepted:
        left, right = _left_edge(q), _right_edge(q)
        k = bisect.bisect_right(starts, left) - 1
        if k >= 0 and reach[k] >= right:
            rejected.append({**q, "reason": "nested"})
        else:
            kept.append(q)
    return kept


def _sentence_index(starts: list[int], pos: int) -> int:
    """Index of the sentence holding pos."""
    return max(0, bisect.bisect_right(starts, pos) - 1)
