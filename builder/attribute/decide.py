"""Pick each quote's speaker among its candidates with the shipped ranker, and fill its row."""

from __future__ import annotations

from builder import learning
from builder.attribute.candidates import Candidate, quote_candidates
from builder.attribute.features import QuoteContext
from builder.attribute.model import NAME, rank
from builder.attribute.rules import GENDERS, Analysis, Speaker, _base_row, _fill_cue, _fill_speaker, analyse, rule

CONFIDENCE_DIGITS = 3
# What the chosen candidate's origin says in attribution_rule, after the model's version.
_ORIGIN_RULES = {"person": "person_mention", "phrase": "cue_phrase", "previous": "previous_source"}


def attribute(article: dict, segments: dict, detected: dict, person_spans=None) -> dict:
    """{article_id, quotes: [rows]} following the row contract."""
    analysis = analyse(article, segments, detected, person_spans)
    if analysis is None:
        return {"article_id": article["article_id"], "quotes": []}
    model = learning.model(NAME)
    text = article["text"]
    rows = []
    previous: list[Speaker] = []
    for index, quote in enumerate(detected["quotes"]):
        row = _base_row(article["article_id"], text, quote, segments["sentences"])
        candidates = quote_candidates(analysis, index, previous)
        best = rank(model, QuoteContext(analysis, index, candidates), candidates) if candidates else None
        event = analysis.choices[index].event
        if best is not None and best[0].event is not None and best[0].origin in ("rule", "event", "phrase"):
            if analysis.ctx.sentence_of(best[0].event.start) == analysis.ctx.sentence_of(analysis.ctx.quote_extents[index][0]):
                event = best[0].event
        if event is not None:
            _fill_cue(row, text, event)
        if best is None:
            rule_name, confidence = rule("unknown")
            row.update(speaker=None, speaker_type="unknown", attribution_rule=rule_name, confidence=confidence)
        else:
            candidate, probability = best
            speaker = _with_role(analysis, candidate.speaker)
            if speaker.gender == "unknown" and event is not None and speaker.kind in ("person", "anonymous"):
                # «قالت», «وأضاف»: the cue's inflection is the source's gender
                speaker = Speaker(speaker.name, speaker.kind, speaker.mention, speaker.role, GENDERS.get(event.cue.gender, "unknown"))
            _fill_speaker(row, text, speaker)
            row.update(attribution_rule=f"{model.version}+{_evidence(analysis, index, candidate)}",
                       confidence=round(probability, CONFIDENCE_DIGITS))
            previous.append(speaker)
        rows.append(row)
    return {"article_id": article["article_id"], "quotes": rows}


def _with_role(analysis: Analysis, speaker: Speaker) -> Speaker:
    if speaker.kind == "person" and speaker.role is None:
        return Speaker(speaker.name, speaker.kind, speaker.mention, analysis.resolver.role_of(speaker.name), speaker.gender)
    return speaker


def _evidence(analysis: Analysis, index: int, candidate: Candidate) -> str:
    """The hand rule or kind of mention the chosen candidate came from."""
    if candidate.origin == "rule":
        return analysis.choices[index].rule
    if candidate.origin == "event" and candidate.event is not None and candidate.event.rule:
        return candidate.event.rule
    return _ORIGIN_RULES.get(candidate.origin, candidate.origin)
