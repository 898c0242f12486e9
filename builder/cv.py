"""Cross-validation by outlet: `make cv` (python -m builder.cv).

Five folds of train/ + dev/, each holding whole outlets (builder/folds.py). For each fold every
model is fitted on the four others and the fold's articles are run through the per-article stages
with those models and scored as `make eval` scores (GUIDELINES.md); then the pooled figures, the
confidence bands against the share of right speakers (calibration), and dev/ scored with models
fitted on train/ alone. `--record FILE` writes the figures as JSON (the test suite's floors).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

from builder import learning
from builder.annotated import CORPUS, Annotated, load_split
from builder.evaluate import EvalReport, match_article, score, speaker_ok
from builder.folds import FOLDS, outlet_folds
from builder.pipeline import ARTICLE_STAGES, run_stage
from builder.train import fit_all

BANDS = (0.0, 0.5, 0.7, 0.8, 0.9, 1.0)
RECORD = Path(__file__).resolve().parent.parent / "tests" / "cv_figures.json"


def predict(items: list[Annotated]) -> tuple[dict[str, list[dict]], float]:
    """Quote rows per article with the models in use, and the seconds the stages took."""
    predictions = {}
    started = time.perf_counter()
    for item in items:
        outputs: dict[str, dict] = {}
        for stage in ARTICLE_STAGES:
            outputs[stage] = run_stage(stage, item.article, outputs)
        predictions[item.article_id] = outputs["attribute"]["quotes"]
    return predictions, time.perf_counter() - started


def _gold(items: list[Annotated]) -> dict[str, dict]:
    return {item.article_id: {"quotes": item.gold} for item in items}


def calibration(predictions: dict[str, list[dict]], items: list[Annotated]) -> list[tuple[str, int, float]]:
    """(band, matched quotes with a confidence in it, share of them with the right speaker)."""
    counts = [[0, 0] for _ in BANDS[:-1]]
    for item in items:
        rows = predictions.get(item.article_id, [])
        for p, g, _overlap in match_article(rows, item.gold):
            confidence = rows[p]["confidence"]
            band = next(i for i in range(len(BANDS) - 1) if confidence < BANDS[i + 1] or i == len(BANDS) - 2)
            counts[band][0] += 1
            counts[band][1] += speaker_ok(rows[p]["speaker"], item.gold[g])
    return [(f"{BANDS[i]:.1f}-{BANDS[i + 1]:.1f}", n, right / n if n else 0.0) for i, (n, right) in enumerate(counts)]


FRAGMENT_WORDS = 3  # a missed quote this short is a fragment tied to a cue («نفى "بشكل قاطع"»)


def error_kinds(predictions: dict[str, list[dict]], items: list[Annotated]) -> dict[str, Counter]:
    """What is left wrong, counted: wrong speakers by the gold's type and pattern and by what chose
    the row (the evidence after the model's version in attribution_rule, or no speaker), and
    detection's spurious and missed quotes (short fragments apart)."""
    kinds: dict[str, Counter] = {"wrong speaker, gold type": Counter(), "wrong speaker, gold pattern": Counter(),
                                 "wrong speaker, chosen by": Counter(), "detection": Counter()}
    for item in items:
        rows = predictions.get(item.article_id, [])
        matched = match_article(rows, item.gold)
        for p, g, _overlap in matched:
            gold = item.gold[g]
            if speaker_ok(rows[p]["speaker"], gold):
                continue
            kinds["wrong speaker, gold type"][gold.get("type") or "none"] += 1
            kinds["wrong speaker, gold pattern"][gold.get("pattern") or "none"] += 1
            rule = rows[p].get("attribution_rule") or ""
            kinds["wrong speaker, chosen by"]["no speaker" if rows[p]["speaker"] is None else rule.split("+", 1)[-1]] += 1
        found = {g for _p, g, _o in matched}
        kinds["detection"]["spurious"] += len(rows) - len(matched)
        for g, gold in enumerate(item.gold):
            if g not in found:
                short = len(gold["quote"].split()) <= FRAGMENT_WORDS
                kinds["detection"][f"missed, {FRAGMENT_WORDS} words or fewer" if short else "missed, longer"] += 1
    return kinds


def _figures(report: EvalReport) -> dict[str, float]:
    return {"detection_precision": round(report.detection_precision, 3), "detection_recall": round(report.detection_recall, 3),
            "detection_f1": round(report.detection_f1, 3), "speaker_accuracy": round(report.speaker_accuracy, 3),
            "end_to_end_f1": round(report.e2e_f1, 3), "gold_quotes": report.n_gold}


def _line(label: str, report: EvalReport) -> str:
    return (f"{label:<28} quotes {report.n_gold:>4}  detection P={report.detection_precision:.3f} R={report.detection_recall:.3f} "
            f"F1={report.detection_f1:.3f}  speaker={report.speaker_accuracy:.3f}  end-to-end F1={report.e2e_f1:.3f}")


def run(corpus: Path = CORPUS, k: int = FOLDS, log=print) -> dict:
    items = load_split("train", corpus) + load_split("dev", corpus)
    folds = outlet_folds(items, k)
    pooled: dict[str, list[dict]] = {}
    figures: dict = {"folds": []}
    seconds = articles = 0.0
    for index, fold in enumerate(folds):
        training = [item for other in folds if other is not fold for item in other]
        models = fit_all(training)
        with learning.using(models):
            predictions, elapsed = predict(fold)
        seconds += elapsed
        articles += len(fold)
        pooled.update(predictions)
        report = score(predictions, _gold(fold))
        outlets = ",".join(sorted({item.outlet for item in fold}))
        log(_line(f"fold {index + 1} ({len(fold)} articles)", report) + f"  [{outlets}]")
        figures["folds"].append({"outlets": outlets, **_figures(report)})
    report = score(pooled, _gold(items))
    log(_line("pooled", report))
    figures["pooled"] = _figures(report)
    for split in ("train", "dev"):
        part = [item for item in items if item.split == split]
        split_report = score({item.article_id: pooled[item.article_id] for item in part}, _gold(part))
        log(_line(f"  of which {split}/", split_report))
        figures[f"pooled_{split}"] = _figures(split_report)
    log("\nconfidence band  matched  right speaker")
    table = calibration(pooled, items)
    for band, n, share in table:
        log(f"  {band:<14} {n:>7}  {share:.3f}")
    figures["calibration"] = [{"band": band, "matched": n, "right": round(share, 3)} for band, n, share in table]
    log("\nerrors left (pooled)")
    kinds = error_kinds(pooled, items)
    for label, counts in kinds.items():
        log(f"  {label}: " + ", ".join(f"{key} {n}" for key, n in counts.most_common()))
    figures["errors"] = {label: dict(counts.most_common()) for label, counts in kinds.items()}

    train, dev = [i for i in items if i.split == "train"], [i for i in items if i.split == "dev"]
    models = fit_all(train)
    with learning.using(models):
        dev_predictions, _ = predict(dev)
    dev_report = score(dev_predictions, _gold(dev))
    log("\n" + _line("dev, fitted on train/", dev_report))
    figures["dev_fitted_on_train"] = _figures(dev_report)
    log(f"\nthe per-article stages with the fold models: {1000 * seconds / max(articles, 1):.1f} ms an article")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m builder.cv", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="folder holding train/ and dev/ (default: ../shared/corpus)")
    parser.add_argument("--folds", type=int, default=FOLDS, help=f"number of folds (default {FOLDS})")
    parser.add_argument("--record", type=Path, nargs="?", const=RECORD, default=None,
                        help=f"write the figures as JSON (default file: {RECORD.relative_to(RECORD.parent.parent)})")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        figures = run(args.corpus, args.folds)
    except FileNotFoundError as error:
        print(f"make cv: {error}", file=sys.stderr)
        return 2
    print(f"\ncross-validation took {time.perf_counter() - started:.0f} s")
    if args.record is not None:
        figures["models"] = learning.versions()
        args.record.write_text(json.dumps(figures, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.record}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
