"""The speaker ranker: a logistic regression scoring each candidate of a quote, fitted on the gold
speakers of the annotated articles (`make train`), shipped as builder/resources/models/speaker.json."""

from __future__ import annotations

from builder import learning
from builder.annotated import Annotated, stage_outputs
from builder.attribute.candidates import Candidate, quote_candidates
from builder.attribute.features import QuoteContext, candidate_features
from builder.attribute.rules import Speaker, analyse
from builder.evaluate import match_article, speaker_ok

NAME = "speaker"
VERSION = "speaker/2"
# Regularization and the margin by which the ranker must beat the hand rules' own choice to
# override it (in log-odds), both chosen by `make cv` (C over 0.03-1, margin over 0-0.75).
C = 0.1
RULE_MARGIN = 0.25


def rank(model: learning.LinearModel, qc: QuoteContext, candidates: list[Candidate]) -> tuple[Candidate, float] | None:
    """The best candidate and its probability (the first in order on a tie); the hand rules'
    choice unless another candidate scores clearly higher."""
    best, best_score = None, float("-inf")
    rule_best, rule_score = None, float("-inf")
    for candidate in candidates:
        score = model.score(candidate_features(qc, candidate))
        if score > best_score:
            best, best_score = candidate, score
        if candidate.origin == "rule" and score > rule_score:
            rule_best, rule_score = candidate, score
    if best is None:
        return None
    if rule_best is not None and best_score - rule_score < RULE_MARGIN:
        best, best_score = rule_best, rule_score
    return best, learning.sigmoid(best_score)


def training_groups(item: Annotated) -> list[tuple[list[dict[str, float]], list[int]]]:
    """For every detected quote matched to a gold one: its candidates' features and whether each
    gives the gold speaker."""
    stages = stage_outputs(item, "detect")
    detected = stages["detect"]
    analysis = analyse(item.article, stages["segment"], detected)
    if analysis is None:
        return []
    text = item.article["text"]
    rows = [{"quote": text[q["start"]:q["end"]]} for q in detected["quotes"]]
    gold_of = {p: item.gold[g] for p, g, _overlap in match_article(rows, item.gold)}
    examples = []
    previous: list[Speaker] = []
    for index in range(len(detected["quotes"])):
        candidates = quote_candidates(analysis, index, previous)
        gold = gold_of.get(index)
        chosen = analysis.choices[index].speaker
        if gold is not None and candidates:
            qc = QuoteContext(analysis, index, candidates)
            labels = [speaker_ok(candidate.name, gold) for candidate in candidates]
            examples.append(([candidate_features(qc, candidate) for candidate in candidates], [int(label) for label in labels]))
            right = [candidate.speaker for candidate, label in zip(candidates, labels) if label]
            chosen = right[0] if right else chosen  # teacher forcing: later quotes see the true source
        if chosen is not None:
            previous.append(chosen)
    return examples


def fit(items: list[Annotated], c: float = C):
    examples = [example for item in items for group in training_groups(item) for example in zip(*group)]
    return learning.fit_logistic(NAME, VERSION, examples, c=c, meta={"articles": len(items)})
