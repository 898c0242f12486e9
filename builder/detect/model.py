"""Quote or not: a logistic regression over the features of each candidate span.

Fitted on the annotated corpus (train/ for the shipped model, four outlet folds under
cross-validation) and applied through `builder.learning.model("detect")`, so cross-validation can
swap in a fold's model. A candidate is labelled a quote when a gold quote matches it as the scorer
matches them (token overlap >= 0.8, builder.evaluate). The decision threshold is kept in the
model's meta.

    python -m builder.detect.model --cv            # per-fold and pooled detection P/R/F1
    python -m builder.detect.model --write         # refit on train/ and write the shipped model
"""

from __future__ import annotations

import bisect

from builder import learning
from builder.detect.context import ArticleIndex
from builder.detect.features import TITLE_BEFORE, Features, features
from builder.text import WORD

NAME = "detect"
VERSION = "detect-model/1"
# Regularization strength and decision threshold, chosen by outlet-fold cross-validation on train/.
C = 1.0
THRESHOLD = 0.5
# The rule that accepts a span the model would leave out (said_after_colon), named in detect_rule.
COLON_RULE = "speech_colon/1"
# A span sharing this much of a gold quote (of the shorter of the two) without matching it is
# a quote with wrong bounds: left out of training.
PARTIAL_SHARE = 0.5


def candidate_features(text: str, segments: dict, found: list[dict]) -> list[Features]:
    """The features of every candidate of one article, in candidate order."""
    paragraphs = segments["paragraphs"]
    context = ArticleIndex(text, paragraphs, segments["sentences"], found)
    return [features(text, quote, tuple(paragraphs[quote["paragraph_index"]]), context) for quote in found]


def rule_verdict(feats: Features) -> str | None:
    """The hand rules' reason against the span (the `rule=` feature), None when they take it for a quote."""
    for key in feats:
        if key.startswith("rule="):
            reason = key[5:]
            return None if reason == "quote" else reason
    return None


def decide(text: str, segments: dict, found: list[dict]):
    """(candidate, None or the reason it is not a quote) for each candidate; the candidates get
    their sentence index, the model's version and its probability."""
    active = learning.model(NAME)
    threshold = float(active.meta.get("threshold", THRESHOLD))
    starts = [s for s, _e, _p in segments["sentences"]]
    for quote, feats in zip(found, candidate_features(text, segments, found)):
        quote["sentence_index"] = max(0, bisect.bisect_right(starts, quote["start"]) - 1)
        quote["detect_rule"] = active.version
        settled = _settled(text, quote, feats)
        if settled is not None:
            quote["probability"] = 0.0
            yield quote, settled
            continue
        probability = active.probability(feats)
        quote["probability"] = round(probability, 4)
        if probability >= threshold:
            yield quote, None
        elif said_after_colon(feats):
            quote["detect_rule"] = f"{active.version}+{COLON_RULE}"
            yield quote, None
        else:
            yield quote, rule_verdict(feats) or "model"


def said_after_colon(feats: Features) -> bool:
    """«وقال الوزير: “الحرب انتهت”», «وأضاف: “الوضع صعب”»: a speech verb a few words before the
    mark and a colon right before it introduce the words said, however short. GUIDELINES.md counts
    a fragment of two words tied to a cue; in train/ + dev/ 231 of the 234 spans so introduced are
    quotes, but only one of them is short, too few for the model to learn that length does not
    matter here (it took «الانتهاكات مستمرة» for a term)."""
    return "tie=colon" in feats and ("speech_verb_before@2" in feats or "speech_verb_before@4" in feats)


def _settled(text: str, quote: dict, feats: Features) -> str | None:
    """The reason a span is no quote before the model is asked, for what GUIDELINES.md settles and
    train/ holds too few cases of to teach: a single word or none (single words and set terms are
    not quotes; train/ has no one-word quote among its 209 one-word spans), and a title after
    «بعنوان», «شعار», «وسم» (18 of 18 such spans in train/ are titles)."""
    found = WORD.finditer(text, quote["start"], quote["end"])
    if next(found, None) is None or next(found, None) is None:
        return rule_verdict(feats) or "single_word"
    if TITLE_BEFORE in feats:
        return rule_verdict(feats) or "title"
    return None


# --- training -----------------------------------------------------------------------------------


def training_examples(item) -> list[tuple[Features, int]]:
    """(features, label) of the candidate spans of one annotated article (builder.annotated.Annotated).

    Label 1 when a gold quote matches the span as the scorer matches them (token overlap >= 0.8),
    0 when no gold quote shares much of it. A span that holds part of a gold quote but not enough to
    match (a quote left open and cut in the wrong place) is left out: it is a quote with wrong
    bounds, and labelling it 0 would teach the model that open quotes are not quotes.
    """
    from builder.annotated import stage_outputs
    from builder.detect.candidates import candidates
    from builder.evaluate import MATCH_THRESHOLD, overlap, tokens

    text = item.article["text"]
    segments = stage_outputs(item, "segment")["segment"]
    found, _ = candidates(text, segments["paragraphs"])
    gold = [tokens(quote["quote"]) for quote in item.gold]
    examples = []
    for quote, feats in zip(found, candidate_features(text, segments, found)):
        if _settled(text, quote, feats) is not None:
            continue
        span = tokens(text[quote["start"]:quote["end"]])
        best = max((overlap(span, g) for g in gold), default=0.0)
        if best >= MATCH_THRESHOLD:
            examples.append((feats, 1))
        elif max((_share(span, g) for g in gold), default=0.0) < PARTIAL_SHARE:
            examples.append((feats, 0))
    return examples


def _share(span: list[str], gold: list[str]) -> float:
    """The part of the shorter of the two token lists that the other holds."""
    from collections import Counter

    if not span or not gold:
        return 0.0
    shared = sum((Counter(span) & Counter(gold)).values())
    return shared / min(len(span), len(gold))


def fit(items, *, c: float = C, threshold: float = THRESHOLD) -> learning.LinearModel:
    """The detect model fitted on these annotated articles (deterministic: same items, same bytes)."""
    examples = [example for item in items for example in training_examples(item)]
    return learning.fit_logistic(NAME, VERSION, examples, c=c, meta={"threshold": threshold})


def predictions(items) -> dict[str, list[dict]]:
    """Quotes the active model detects in each article, as the scorer reads them."""
    from builder.annotated import stage_outputs
    from builder.detect import detect

    found = {}
    for item in items:
        segments = stage_outputs(item, "segment")["segment"]
        text = item.article["text"]
        result = detect(item.article, segments)
        found[item.article_id] = [{"quote": text[q["start"]:q["end"]], "start": q["start"],
                                   "probability": q["probability"]} for q in result["quotes"]]
    return found


def cross_validate(items, *, c: float = C, threshold: float = THRESHOLD, errors: bool = False) -> list:
    """Detection scores per outlet fold (fitted on the other folds) and pooled: [(label, EvalReport)]."""
    from builder.evaluate import score
    from builder.folds import outlet_folds

    folds = outlet_folds(items)
    pooled_predictions, pooled_gold, reports = {}, {}, []
    for k, held_out in enumerate(folds):
        training = [item for j, fold in enumerate(folds) if j != k for item in fold]
        fold_model = fit(training, c=c, threshold=threshold)
        with learning.using({NAME: fold_model}):
            predicted = predictions(held_out)
        gold = {item.article_id: {"quotes": item.gold} for item in held_out}
        outlets = sorted({item.outlet for item in held_out})
        reports.append((f"fold {k} ({len(held_out)} articles: {', '.join(outlets)})", score(predicted, gold)))
        pooled_predictions.update(predicted)
        pooled_gold.update(gold)
    reports.append(("pooled", score(pooled_predictions, pooled_gold)))
    return reports


def main(argv: list[str] | None = None) -> int:
    import argparse
    from pathlib import Path

    from builder.annotated import load_split

    parser = argparse.ArgumentParser(prog="python -m builder.detect.model", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cv", action="store_true", help="cross-validate over outlet folds and print P/R/F1")
    parser.add_argument("--write", action="store_true", help="fit on train/ and write the shipped model")
    parser.add_argument("--splits", default="train,dev", help="annotated splits pooled for --cv (default train,dev)")
    parser.add_argument("--c", type=float, default=C, help=f"inverse regularization strength (default {C})")
    parser.add_argument("--threshold", type=float, default=THRESHOLD, help=f"decision threshold (default {THRESHOLD})")
    parser.add_argument("--errors", action="store_true", help="with --cv: list missed and spurious quotes")
    args = parser.parse_args(argv)
    if not (args.cv or args.write):
        parser.error("give --cv and/or --write")
    if args.cv:
        items = [item for split in args.splits.split(",") for item in load_split(split.strip())]
        for label, report in cross_validate(items, c=args.c, threshold=args.threshold):
            print(f"{label}: P={report.detection_precision:.3f} R={report.detection_recall:.3f} "
                  f"F1={report.detection_f1:.3f} (gold {report.n_gold}, predicted {report.n_predicted}, "
                  f"matched {report.n_matched})")
            if args.errors and label == "pooled":
                for error in report.errors:
                    if error.kind != "wrong_speaker":
                        print(f"  {error.kind:<9} {error.article:<20} {error.quote}")
    if args.write:
        fitted = fit(load_split("train"), c=args.c, threshold=args.threshold)
        path = Path(str(learning.model_path(NAME)))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(fitted.to_json(), encoding="utf-8")
        print(f"wrote {path} ({len(fitted.weights)} weights, {fitted.meta['examples']} examples)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
