"""What the ranker knows of a candidate: where it stands relative to the quote and its cue, what
kind of words it is made of, and what the hand rules said (every hand rule is a feature here)."""

from __future__ import annotations

from collections import Counter

from builder.attribute.candidates import Candidate
from builder.attribute.rules import (
    GENDERS, Analysis, _common_not_name, _is_title, _kind_of_head, _known_name_tokens, _lex,
)
from builder.cues import lookup as cue_lookup
from builder.evaluate import fold
from builder.text import fold_key, is_definite, words

_DISTANCE_BUCKETS = (0, 15, 40, 100, 250, 600)


def _bucket(value: int, edges=_DISTANCE_BUCKETS) -> int:
    for index, edge in enumerate(edges):
        if value <= edge:
            return index
    return len(edges)


def _word_class(word: str) -> list[str]:
    """The lexicon classes of one word, as feature values."""
    key = fold_key(word)
    classes = []
    if _is_title(key):
        classes.append("title")
    if key in _known_name_tokens() or (len(key) > 3 and key[0] in "وف" and key[1:] in _known_name_tokens()):
        classes.append("name")
    if _common_not_name(word):
        classes.append("common")
    if is_definite(word):
        classes.append("definite")
    if cue_lookup(word) is not None:
        classes.append("cue")
    if key[:1] in ("ل", "ب") and len(key) > 3:
        classes.append("prep_clitic")
    if any(ch.isdigit() for ch in word):
        classes.append("digit")
    kind = _kind_of_head(key)
    if kind:
        classes.append(f"head_{kind}")
    if key in _lex()["stops"]:
        classes.append("stop")
    return classes or ["plain"]


def _shape(word: str) -> dict[str, str]:
    """Letters at a word's edges, without its conjunction: Arabic morphology shows there
    (imperfect verbs open with ي/ت, perfect feminine verbs end with ت, adverbs with تنوين ا)."""
    key = fold_key(word)
    if len(key) > 3 and key[0] in "وف":
        key = key[1:]
    bare = key[2:] if key.startswith("ال") and len(key) > 4 else key
    return {"pre": bare[:1], "suf": bare[-2:], "len": str(min(len(bare), 8)), "def": str(key.startswith("ال")), "alif_end": str(bare.endswith("ا") and not bare.endswith("يا")),
            "verb_like": str(bare[:1] in "يت" and len(bare) in (4, 5) and not key.startswith("ال"))}


def _article_counts(analysis: Analysis) -> tuple[Counter, Counter]:
    """How often each source is the subject of a speech event, and how often each person is named,
    in the whole article: counted once per article, read for every quote."""
    counts = analysis.cache.get("counts")
    if counts is None:
        events = Counter(fold(e.speaker.name) for e in analysis.events if e.speaker is not None and e.speaker.name)
        persons = Counter(fold(analysis.resolver.canonical(span)) for span in analysis.ctx.persons)
        counts = analysis.cache["counts"] = (events, persons)
    return counts


class QuoteContext:
    """Per-quote facts the candidates are compared with."""

    def __init__(self, analysis: Analysis, index: int, candidates: list[Candidate]):
        ctx = analysis.ctx
        self.analysis = analysis
        self.start, self.end = ctx.quote_extents[index]
        self.sentence = ctx.sentence_of(self.start)
        self.paragraph = ctx.sentences[self.sentence][2] if ctx.sentences else 0
        self.choice = analysis.choices[index]
        event = self.choice.event
        self.cue_gender = GENDERS.get(event.cue.gender, "unknown") if event is not None else "none"
        self.rule_name = fold(self.choice.speaker.name) if self.choice.speaker is not None else ""
        own = event.speaker if event is not None else None
        self.own_source = fold(own.name) if own is not None and own.name and event.sentence == self.sentence else ""
        self.cue_kind = "none" if event is None else ("continuation" if event.cue.continuation else event.cue.kind)
        self.event_names, self.person_mentions = _article_counts(analysis)
        self.support = Counter(fold(candidate.name) for candidate in candidates)
        self.origins_by_name: dict[str, set[str]] = {}
        for candidate in candidates:
            self.origins_by_name.setdefault(fold(candidate.name), set()).add(candidate.origin)


def candidate_features(qc: QuoteContext, candidate: Candidate) -> dict[str, float]:
    """Named features of one candidate for one quote."""
    ctx = qc.analysis.ctx
    text = ctx.text
    speaker = candidate.speaker
    name = fold(candidate.name)
    f: dict[str, float] = {"bias_" + candidate.origin: 1.0, f"origin={candidate.origin}&rank={min(candidate.rank, 3)}": 1.0,
                           f"kind={speaker.kind}": 1.0, f"origin={candidate.origin}&kind={speaker.kind}": 1.0}
    n_words = len(name.split())
    if " و " in f" {candidate.name} " or "،" in candidate.name:
        f["joined"] = 1.0  # «رامي عون و جون ميلر»: several sources
        f[f"joined&cue={qc.cue_gender}"] = 1.0
    f[f"words={min(n_words, 5)}"] = 1.0
    f[f"kind={speaker.kind}&words={min(n_words, 5)}"] = 1.0
    if name == qc.rule_name:
        f["agrees_with_rule"] = 1.0
        f[f"agrees_with_rule={qc.choice.rule.split('/')[0]}"] = 1.0
    # What the quote's own cue is decides which origin is likely: «وأضاف:» continues the previous
    # source, «وقال X» names it after the cue, no cue at all leaves the nearest statement.
    base_origin = candidate.origin.removesuffix("_trim")
    f[f"quote_rule={qc.choice.rule.split('/')[0]}&origin={base_origin}"] = 1.0
    f[f"quote_pattern={qc.choice.pattern}&origin={base_origin}"] = 1.0
    f[f"quote_cue={qc.cue_kind}&origin={base_origin}"] = 1.0
    f[f"source_events={min(qc.event_names[name], 3)}"] = 1.0
    if qc.own_source:
        # The quote's own cue has a source in its sentence: a source carried from before competes with it.
        f[f"own_source_known&origin={base_origin}"] = 1.0
        if name == qc.own_source:
            f["is_own_source"] = 1.0
            f[f"is_own_source&quote_rule={qc.choice.rule.split('/')[0]}"] = 1.0
            f[f"is_own_source&kind={speaker.kind}"] = 1.0
    if candidate.origin == "rule":
        f[f"rule={qc.choice.rule.split('/')[0]}"] = 1.0
        f[f"rule={qc.choice.rule.split('/')[0]}&pattern={qc.choice.pattern}"] = 1.0
    for origin in sorted(qc.origins_by_name.get(name, ())):
        f[f"also_{origin}"] = 1.0
    f[f"support={min(qc.support[name], 6)}"] = 1.0
    f[f"mentions={min(qc.person_mentions.get(name, 0), 4)}"] = 1.0

    position = candidate.position
    if position >= 0:
        if position < qc.start:
            side, distance = "before", qc.start - (speaker.mention[1] if speaker.mention else candidate.event.end)
        else:
            side, distance = "after", position - qc.end
        f[f"side={side}"] = 1.0
        f[f"side={side}&distance={_bucket(max(distance, 0))}"] = 1.0
        sentence_gap = qc.sentence - ctx.sentence_of(position)
        if sentence_gap == 0 and ctx.sentences:
            # The clause's subject stands near the start of the sentence («أثار تقرير ...، مشيرا»).
            opening = ctx.words_between(ctx.sentences[qc.sentence][0], position)
            f[f"words_into_sentence={min(len(opening), 5)}"] = 1.0
        # A new paragraph often brings a new source: where the mention stands in paragraphs counts.
        paragraph_gap = qc.paragraph - ctx.sentences[ctx.sentence_of(position)][2] if ctx.sentences else 0
        f[f"paragraph_gap={max(-1, min(paragraph_gap, 2))}"] = 1.0
        f[f"origin={base_origin}&paragraph_gap={max(-1, min(paragraph_gap, 2))}"] = 1.0
        f[f"sentence_gap={max(-1, min(sentence_gap, 3))}"] = 1.0
        f[f"origin={candidate.origin}&side={side}&gap={max(-1, min(sentence_gap, 2))}"] = 1.0
    else:
        f["position_unknown"] = 1.0

    event = candidate.event
    if event is not None:
        f[f"event_kind={event.cue.kind}"] = 1.0
        f[f"event_rule={event.rule.split('/')[0]}"] = 1.0
        if event is qc.choice.event:
            f["quote_event"] = 1.0
            f[f"quote_event&origin={candidate.origin}"] = 1.0
        if event.addressee is not None and speaker.mention is not None and event.addressee[0] < speaker.mention[1] and speaker.mention[0] < event.addressee[1]:
            f["is_addressee"] = 1.0
    if candidate.trimmed != (0, 0):
        left, right = candidate.trimmed
        f[f"trim_left={min(left, 3)}"] = 1.0
        f[f"trim_right={min(right, 3)}"] = 1.0
    if candidate.origin == "phrase":
        f[f"phrase_words={candidate.words_in_phrase}"] = 1.0

    if speaker.mention is not None:
        span_words = words(text, *speaker.mention)
        if span_words:
            for cls in _word_class(span_words[0][0]):
                f["first_" + cls] = 1.0
            for cls in _word_class(span_words[-1][0]):
                f["last_" + cls] = 1.0
            inner = span_words[1:-1]
            if any(cue_lookup(w) is not None for w, _s, _e in inner):
                f["cue_inside"] = 1.0
            gap_before = text[max(0, span_words[0][1] - 3):span_words[0][1]]
            gap_after = text[span_words[-1][2]:span_words[-1][2] + 3]
            if "،" in gap_before or "," in gap_before:
                f["comma_before"] = 1.0
            if "،" in gap_after or "," in gap_after:
                f["comma_after"] = 1.0
            if ":" in gap_after:
                f["colon_after"] = 1.0
            following = ctx.words_between(span_words[-1][2], span_words[-1][2] + 40)[:1]
            for cls in (_word_class(following[0][0]) if following else ["end"]):
                f["next_" + cls] = 1.0
            if following and not ctx.gap_breaks(span_words[-1][2], following[0][1]) and (
                    ctx.name_starts_at(following[0][1]) or ctx.person_at(following[0][1], following[0][2]) is not None):
                # «الشيخ | سعد», «الجنرال | ماكفارلين»: the span stops right before a name goes on
                f["name_follows"] = 1.0
                f[f"name_follows&words={min(n_words, 3)}"] = 1.0
            preceding = ctx.words_between(max(0, span_words[0][1] - 40), span_words[0][1])[-1:]
            for cls in (_word_class(preceding[0][0]) if preceding else ["start"]):
                f["prev_" + cls] = 1.0
        person = ctx.person_at(*speaker.mention)
        if person is not None:
            f["exact_person_span" if person == tuple(speaker.mention) else "overlaps_person_span"] = 1.0
        for label, word in (("first", span_words[0][0]), ("last", span_words[-1][0])):
            for key, value in _shape(word).items():
                f[f"{label}_{key}={value}"] = 1.0
    speaker_gender = speaker.gender
    if qc.cue_gender in ("male", "female") and speaker_gender in ("male", "female"):
        f["gender_agrees" if speaker_gender == qc.cue_gender else "gender_clash"] = 1.0
    if qc.cue_gender == "female" and speaker.kind == "person" and speaker_gender != "female":
        f["female_cue_unknown_person"] = 1.0
    return f

