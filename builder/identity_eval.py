"""`make identity`: how well a build's speaker identities match a hand-labelled sample.

The sample (tests/data/identity_sample.tsv) holds the 300 most quoted speaker strings of the
real-corpus build, each labelled by reading it: `entity` with a key naming the source (strings
with the same key are one source), `generic` (a source that is someone else in each article:
«البيان», «الوكالة», an unnamed source, a bare title), or `not_name` (an attribution error).
It holds speaker strings only, no article text.

Printed, over the sample strings found in the build:
- pairwise merge precision and recall over the `entity` strings: a pair is merged when the two
  strings' most frequent speaker_id is the same, and should be when their keys are equal;
- the share of `generic` strings kept inside one article: every quote of the string has an id
  of one article only, or the id of a source that the same article names (its issuer).
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

SAMPLE = Path(__file__).resolve().parent.parent / "tests" / "data" / "identity_sample.tsv"
LABELS = ("entity", "generic", "not_name")
TARGETS = {"precision": 0.95, "recall": 0.80, "generic_kept": 0.95}


def read_sample(path: Path = SAMPLE) -> dict[str, tuple[str, str]]:
    """speaker string -> (label, entity key or "")."""
    sample = {}
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t"):
            if row["label"] not in LABELS:
                raise ValueError(f"{path}: label {row['label']!r} of {row['speaker']!r} is not one of {LABELS}")
            if (row["label"] == "entity") != bool(row["key"]):
                raise ValueError(f"{path}: {row['speaker']!r}: an entity needs a key, and only an entity has one")
            sample[row["speaker"]] = (row["label"], row["key"])
    return sample


def _read_build(out: Path) -> tuple[list[dict], dict[str, dict]]:
    import pyarrow.dataset as ds

    quotes_dir, speakers_dir = out / "hub" / "data" / "quotes", out / "hub" / "data" / "speakers"
    if not quotes_dir.is_dir() or not speakers_dir.is_dir():
        raise SystemExit(f"{out} holds no build with speaker ids (no {quotes_dir}): build the real corpus first, "
                         "`make build RAW=../shared/corpus/real OUT=<dir>`, then `make identity OUT=<dir>`")
    quotes = ds.dataset(str(quotes_dir), format="parquet").to_table(
        columns=["article_id", "speaker", "speaker_id"]).to_pylist()
    speakers = {row["speaker_id"]: row for row in ds.dataset(str(speakers_dir), format="parquet").to_table(
        columns=["speaker_id", "speaker", "variants", "generic", "n_articles", "n_quotes"]).to_pylist()}
    return quotes, speakers


def recompute(out: Path) -> tuple[list[dict], dict[str, dict]]:
    """The quotes' ids and the speakers as this code resolves them from the build's quote rows
    (speaker, type, role per article), without rebuilding: for trying a change of the rules."""
    import pyarrow.dataset as ds

    from builder import identity

    rows = ds.dataset(str(out / "hub" / "data" / "quotes"), format="parquet").to_table(
        columns=["article_id", "quote_id", "speaker", "speaker_type", "speaker_role"]).to_pylist()
    by_article: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_article[row["article_id"]].append(row)
    stats: dict[str, identity.SpeakerStats] = {}
    for article_id in sorted(by_article):
        identity.add_rows(stats, by_article[article_id])
    identities = identity.resolve(stats)
    quotes, speakers = [], {}
    for article_id in sorted(by_article):
        for row, assigned in zip(by_article[article_id], identities.assign(article_id, by_article[article_id])):
            quotes.append({"article_id": article_id, "speaker": row["speaker"],
                           "speaker_id": assigned.speaker_id if assigned else None})
            if assigned:
                info = speakers.setdefault(assigned.speaker_id, {
                    "speaker_id": assigned.speaker_id, "speaker": assigned.preferred, "variants": set(),
                    "generic": assigned.generic, "articles": set(), "n_quotes": 0})
                info["variants"].add(row["speaker"])
                info["articles"].add(article_id)
                info["n_quotes"] += 1
    for info in speakers.values():
        info["variants"] = sorted(info["variants"])
        info["n_articles"] = len(info.pop("articles"))
    return quotes, speakers


def score(quotes: list[dict], speakers: dict[str, dict], sample: dict[str, tuple[str, str]]) -> dict:
    """The figures (see the module's docstring) and the pairs and strings that went wrong."""
    ids_of: dict[str, Counter] = defaultdict(Counter)
    by_article: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))  # article -> id -> strings
    for row in quotes:
        if row["speaker"] is None:
            continue
        by_article[row["article_id"]][row["speaker_id"]].add(row["speaker"])
        if row["speaker"] in sample:
            ids_of[row["speaker"]][row["speaker_id"]] += 1
    found = {name: min(ids, key=lambda i: (-ids[i], i)) for name, ids in ids_of.items()}
    entities = sorted(name for name in found if sample[name][0] == "entity")
    tp = fp = fn = 0
    wrong_merges, missed_merges = [], []
    for a, b in combinations(entities, 2):
        same_gold, same_predicted = sample[a][1] == sample[b][1], found[a] == found[b]
        tp += same_gold and same_predicted
        if same_predicted and not same_gold:
            fp += 1
            wrong_merges.append((a, b))
        if same_gold and not same_predicted:
            fn += 1
            missed_merges.append((a, b))
    generic = {name for name in found if sample[name][0] == "generic"}
    leaked: set[str] = set()
    generic_quotes = generic_quotes_kept = 0
    for row in quotes:
        if row["speaker"] in generic:
            generic_quotes += 1
            if _kept(row, speakers, by_article):
                generic_quotes_kept += 1
            else:
                leaked.add(row["speaker"])
    kept = len(generic) - len(leaked)
    return {
        "labelled": len(sample), "found": len(found),
        "by_label": dict(Counter(sample[name][0] for name in found)),
        "pairs": {"true": tp, "false": fp, "missed": fn},
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "generic_kept": kept / len(generic) if generic else 1.0,
        "generic_quotes_kept": generic_quotes_kept / generic_quotes if generic_quotes else 1.0,
        "wrong_merges": wrong_merges, "missed_merges": missed_merges, "leaked_generic": sorted(leaked),
    }


def _kept(row: dict, speakers: dict[str, dict], by_article) -> bool:
    """A quote of a generic string stays in its article: its id is generic and spans one article,
    or it is the id of a source that the same article also names with another string."""
    info = speakers.get(row["speaker_id"])
    if info is not None and info["generic"] and info["n_articles"] == 1:
        return True
    return bool(by_article[row["article_id"]][row["speaker_id"]] - {row["speaker"]})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m builder.identity_eval", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="a build of the real corpus")
    parser.add_argument("--sample", type=Path, default=SAMPLE)
    parser.add_argument("--top", type=int, default=30, help="also print the N most quoted identities")
    parser.add_argument("--recompute", action="store_true",
                        help="resolve the identities again with this code from the build's quote rows (no rebuild)")
    args = parser.parse_args(argv)
    sample = read_sample(args.sample)
    quotes, speakers = _read_build(args.out)
    if args.recompute:
        quotes, speakers = recompute(args.out)
    result = score(quotes, speakers, sample)
    print(f"sample: {result['labelled']} labelled speaker strings, {result['found']} found in {args.out} "
          f"({', '.join(f'{k} {v}' for k, v in sorted(result['by_label'].items()))})")
    pairs = result["pairs"]
    print(f"entity pairs: {pairs['true']} merged rightly, {pairs['false']} merged wrongly, {pairs['missed']} left apart")
    for name in ("precision", "recall", "generic_kept"):
        mark = "ok" if result[name] >= TARGETS[name] else "BELOW TARGET"
        label = {"precision": "pairwise merge precision", "recall": "pairwise merge recall",
                 "generic_kept": "generic strings kept inside one article"}[name]
        print(f"{label}: {result[name]:.3f} (target >= {TARGETS[name]:.2f}: {mark})")
    print(f"generic quotes kept inside their article: {result['generic_quotes_kept']:.3f}")
    for title, items in (("merged wrongly", result["wrong_merges"]), ("left apart", result["missed_merges"]),
                         ("generic strings leaving their article", result["leaked_generic"])):
        if items:
            print(f"\n{title} ({len(items)}):")
            for item in items[:40]:
                print("  " + (" | ".join(item) if isinstance(item, tuple) else item))
    if args.top:
        print(f"\nthe {args.top} most quoted identities:")
        ranked = sorted(speakers.values(), key=lambda r: (-r["n_quotes"], r["speaker"], r["speaker_id"]))
        for number, row in enumerate(ranked[:args.top], start=1):
            others = [v for v in row["variants"] if v != row["speaker"]]
            print(f"{number:3}. {row['speaker']} ({row['n_quotes']} quotes, {row['n_articles']} articles)"
                  + (f": {' | '.join(others)}" if others else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
