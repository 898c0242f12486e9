"""The sources a quote's speaker may be: every mention near it, and what the hand rules chose.

A ranker decides among them (builder.attribute.model), so this module only gathers, generously:
- the hand rules' choice for the quote (often right; its rule becomes a feature),
- the source of every speech event in the quote's sentence, the two before it, and the one after,
- every person name written there, outside quotes, named canonically,
- the first words after each cue there, one to six of them (unnamed sources, bodies, names the
  recogniser missed: «وقال مسؤول في الخارجية»),
- the sources of the previous quotes (a continuation names nobody).
Candidates that give the same speaker string are kept apart: where each stands is evidence.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from builder.attribute.rules import (
    _SKIP_AFTER_CUE, GENDERS, Analysis, Event, Speaker, _clean_name, governed_by_l, _is_sure_addressee, _is_title, _kind_of_head, _known_name_tokens, _lex,
    _nominative,
)
from builder.cues import lookup as cue_lookup
from builder.text import fold_key, words

SENTENCES_BEFORE = 2
MAX_PHRASE_WORDS = 6  # 4 to 8 tried under `make cv`: 6 and 8 score alike; «مسؤول كبير في وايت هول» needs 5
PREVIOUS_SOURCES = 3
MAX_TRIMMED_WORDS = 10


@dataclass
class Candidate:
    """One possible source of one quote."""

    speaker: Speaker
    origin: str  # rule, event, person, phrase, previous
    event: Event | None = None  # the speech event it is the source of, if any
    words_in_phrase: int = 0  # phrase candidates: how many words after the cue
    trimmed: tuple[int, int] = (0, 0)  # words dropped from the left and the right of a mention
    rank: int = 0  # order among candidates of its origin, nearest first

    @property
    def name(self) -> str:
        return self.speaker.name or ""

    @property
    def position(self) -> int:
        """Where it is written: its mention, else its event's cue; -1 when neither is known."""
        if self.speaker.mention is not None:
            return self.speaker.mention[0]
        return self.event.start if self.event is not None else -1


def quote_candidates(analysis: Analysis, index: int, previous: list[Speaker]) -> list[Candidate]:
    """Candidates for quote `index` of the article; `previous` holds the speakers chosen for the
    quotes before it, latest last."""
    ctx, resolver = analysis.ctx, analysis.resolver
    start, end = ctx.quote_extents[index]
    sentence = ctx.sentence_of(start)
    window_start = ctx.sentences[max(0, sentence - SENTENCES_BEFORE)][0] if ctx.sentences else 0
    window_end = ctx.sentences[sentence][1] if ctx.sentences else len(ctx.text)
    window_end = max(window_end, end)
    if ctx.sentences and sentence + 1 < len(ctx.sentences) and ctx.sentence_of(end) > sentence:
        window_end = max(window_end, ctx.sentences[ctx.sentence_of(end)][1])
    found: list[Candidate] = []

    choice = analysis.choices[index]
    if choice.speaker is not None:
        found.append(Candidate(choice.speaker, "rule", choice.event))

    events = analysis.events
    starts = analysis.cache.get("event_starts")
    if starts is None:
        starts = analysis.cache["event_starts"] = [event.start for event in events]
    lo, hi = bisect_left(starts, window_start), bisect_right(starts, window_end)
    before = [event for event in events[lo:hi] if event.end <= start]
    after = [event for event in events[lo:hi] if event.start >= end]
    for rank, event in enumerate(reversed(before)):
        if event.speaker is not None and event.speaker.name:
            found.append(Candidate(event.speaker, "event", event, rank=rank))
    for rank, event in enumerate(after[:2]):
        if event.speaker is not None and event.speaker.name:
            found.append(Candidate(event.speaker, "event", event, rank=rank))

    persons = ctx.persons
    person_lo = bisect_left(ctx.person_starts, window_start)
    person_hi = bisect_left(ctx.person_starts, window_end)
    near = [span for span in persons[person_lo:person_hi] if not _inside_quote(ctx, span)]
    ordered = sorted(near, key=lambda span: abs(span[0] - start))
    for rank, span in enumerate(ordered[:6]):
        found.append(Candidate(Speaker(resolver.canonical(span), "person", span, None, "unknown"), "person", rank=rank))

    for rank, event in enumerate(reversed([e for e in events[lo:hi] if e.end <= start or e.start >= end][-4:])):
        found.extend(_phrase_candidates(analysis, event, rank))

    found.extend(_trimmed(analysis, found))
    seen = set()
    for rank, speaker in enumerate(reversed(previous[-PREVIOUS_SOURCES:])):
        if speaker.name in seen:
            continue
        seen.add(speaker.name)
        found.append(Candidate(speaker, "previous", rank=rank))
    found = [candidate for candidate in found if candidate.name.strip()]
    event = choice.event
    if event is not None and event.cue.gender == "dual":
        # «وقالا», «أشارا»: a dual verb has two sources; where a candidate joins two, only those fit.
        joined = [candidate for candidate in found if " و" in candidate.name and candidate.trimmed == (0, 0)]
        found = joined or found
    return found


def _trimmed(analysis: Analysis, found: list[Candidate]) -> list[Candidate]:
    """The same mentions with words dropped at either edge: a recogniser or a rule that ran into
    the narration («خالد أبو راشد الرأي») or kept a title («عضو مجلس ... إسماعيل الداراني»)
    leaves the right name inside its span, and the ranker weighs where the edges are."""
    ctx, resolver = analysis.ctx, analysis.resolver
    seen = {candidate.speaker.mention for candidate in found}
    variants = []
    for candidate in found:
        mention = candidate.speaker.mention
        if mention is None or candidate.origin == "phrase":
            continue
        if candidate.speaker.kind != "person" and candidate.name != _clean_name(ctx.text[mention[0]:mention[1]]):
            continue  # a name the rules built («المراقب العام» from «للمراقب العام»): cut, it would lose that
        span_words = words(ctx.text, *mention)
        n = len(span_words)
        if n < 2 or n > MAX_TRIMMED_WORDS:
            continue
        for left in range(n):
            for right in range(n - left):
                if (left, right) == (0, 0) or n - left - right > 4:
                    continue
                kept = span_words[left:n - right]
                span = (kept[0][1], kept[-1][2])
                if span in seen:
                    continue
                seen.add(span)
                kind = candidate.speaker.kind
                name = resolver.canonical(span) if kind == "person" else _clean_name(ctx.text[span[0]:span[1]])
                variants.append(Candidate(Speaker(name, kind, span, None, candidate.speaker.gender), candidate.origin + "_trim",
                                          candidate.event, rank=candidate.rank, trimmed=(left, right)))
    return variants


def _inside_quote(ctx, span: tuple[int, int]) -> bool:
    index = bisect_right(ctx.quote_opens, span[0]) - 1
    return index >= 0 and ctx.quote_extents[index][0] <= span[0] < ctx.quote_extents[index][1]


def _opens_clause(word: str) -> bool:
    """«فإن», «بأن»: a complementizer with its clitic opens the clause said, no source."""
    return word.startswith(("فإن", "بأن"))


def _phrase_candidates(analysis: Analysis, event: Event, rank: int) -> list[Candidate]:
    """One to six words right after a cue, up to punctuation, as an unnamed source, a body or a
    name the recogniser missed («وقال مسؤول في الخارجية»)."""
    ctx = analysis.ctx
    index = ctx.word_index.get(event.start)
    if index is None:
        return []
    following = ctx.words[index + 1:index + 1 + MAX_PHRASE_WORDS + 2]
    according = event.cue.kind == "according"
    # «وقال لرويترز مصدر في الشركة»: a hearer or an adverb may stand between the cue and its
    # subject; after «وفقا لـ» the ل-word is the source itself.
    while following and not according and (_is_sure_addressee(following[0][0]) or fold_key(following[0][0]) in _SKIP_AFTER_CUE):
        following = following[1:]
    if following and (fold_key(following[0][0]) in _lex()["stops"] or _opens_clause(following[0][0])):
        return []  # «قال إن», «قال في»: a clause or an adverbial, no subject
    if not following:
        return []
    if according:
        following = [governed_by_l(following[0])] + following[1:]
    head = fold_key(following[0][0])
    if event.cue.weak and event.speaker is None and not (_kind_of_head(head) or head in _known_name_tokens()):
        return []  # «وقدم طلب الحصول»: a weak cue («طلب») whose subject the rules did not find is a noun
    phrase = []
    for word in following[:MAX_PHRASE_WORDS]:
        previous_end = phrase[-1][2] if phrase else event.end
        if ctx.gap_breaks(previous_end, word[1]) or cue_lookup(word[0]) is not None or _opens_clause(word[0]):
            break
        phrase.append(word)
    found = []
    gender = GENDERS.get(event.cue.gender, "unknown")
    for size in range(1, len(phrase) + 1):
        if size < len(phrase) and _is_title(fold_key(phrase[size - 1][0])):
            continue  # a title is never the source when the phrase goes on to name it («الشيخ | سعد»)
        if size < len(phrase) and ctx.name_starts_at(phrase[size][1]):
            continue  # nor a role that a recognised name follows («المواطن | محمود بسيوني»)
        span = (phrase[0][1], phrase[size - 1][2])
        head = fold_key(phrase[0][0])
        kind = _kind_of_head(head) or ("person" if not _is_title(head) else "anonymous")
        if kind == "document" and event.speaker is not None:
            break  # «وأوضحت الدراسة التي نشرتها جامعة أكسفورد»: the rules gave the document's issuer
        name = _clean_name(phrase[0][0] + ctx.text[phrase[0][2]:span[1]])  # the first word as the source reads
        if kind == "anonymous":
            name = _nominative(name)
        found.append(Candidate(Speaker(name, kind, span, None, gender), "phrase", event, words_in_phrase=size, rank=rank))
    return found
