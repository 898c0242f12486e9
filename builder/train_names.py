"""Train the shipped person-name CRF: ``python -m builder.train_names``.

Reads ANERcorp (CAMeL Lab split) and the arabnamer name dictionary from
``--ner-dir`` (default ``../shared/ner`` beside the repository), writes
``builder/resources/ner/persons.crfsuite`` and ``name_tokens.txt``, and prints
PERS precision/recall/F1 on the ANERcorp test split. With ``--dev-dir`` it
also measures speaker coverage on the dev corpus (measurement only).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

from builder import names

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_NER_DIR = REPO_ROOT.parent / "shared" / "ner"
DEFAULT_DEV_DIR = REPO_ROOT.parent / "shared" / "corpus" / "dev"
TRAIN_FILE = "anercorp/ANERCorp_CamelLab_train.txt"
TEST_FILE = "anercorp/ANERCorp_CamelLab_test.txt"
NAMES_FILE = "arabnamer/dict_FINAL.json"

# Fixed so that every run yields the same model. c1 (L1) prunes rare features
# and keeps the model small; the iteration cap keeps training under a minute.
CRF_PARAMS = {
    "c1": 0.05,
    "c2": 0.01,
    "max_iterations": 150,
    "feature.possible_transitions": True,
}
# Other entity types are kept as labels (not folded into O): knowing what is
# a place or an organisation helps tell it apart from a person.
KEEP_LABELS = {"B-PERS", "I-PERS", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC", "I-MISC"}

# Particles that begin arabnamer's multi-word names («عبد الله», «أبو بكر»).
_NAME_PARTICLES = {"عبد", "أبو", "ابو", "ابن", "بن", "بنت", "آل", "أم", "ام", "ولد"}


def read_conll(path: Path) -> list[tuple[list[str], list[str]]]:
    """Sentences of ANERcorp as (tokens, labels), split on blank lines."""
    sentences, tokens, labels = [], [], []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if not parts:
                if tokens:
                    sentences.append((tokens, labels))
                    tokens, labels = [], []
                continue
            token, tag = parts[0], parts[-1]
            tokens.append(token)
            labels.append(tag if tag in KEEP_LABELS else "O")
    if tokens:
        sentences.append((tokens, labels))
    return sentences


def arabnamer_tokens(path: Path) -> list[str]:
    """Arabic name tokens from arabnamer's English → Arabic pairs.

    The dictionary also holds translated common phrases («غطاء محرك السيارة»),
    so values of three or more words are skipped and two-word values are kept
    only when they start with a name particle («عبد السميع», «بن علي»).
    «عبد X» also yields the joined spelling «عبدX» common in Gulf news.
    """
    pairs = json.loads(path.read_text(encoding="utf-8"))
    tokens: set[str] = set()
    for value in pairs.values():
        words = value.split()
        if len(words) == 1:
            tokens.add(words[0])
        elif len(words) == 2 and words[0] in _NAME_PARTICLES:
            tokens.update(words)
            if words[0] == "عبد":
                tokens.add(words[0] + words[1])
    # Keep Arabic-script tokens only (a few values carry web-domain debris).
    return sorted(t for t in tokens if all("\u0621" <= c <= "\u064a" or c in "\u0670" for c in t))


def spans_from_labels(labels: list[str], kind: str = "PERS") -> set[tuple[int, int]]:
    """Token spans of one entity type from IOB labels (a stray I- opens a span)."""
    spans, start = set(), None
    for i, label in enumerate(labels + ["O"]):
        if label == "B-" + kind or (label == "I-" + kind and start is None):
            if start is not None:
                spans.add((start, i))
            start = i
        elif label != "I-" + kind:
            if start is not None:
                spans.add((start, i))
            start = None
    return spans


def prf(gold: int, predicted: int, correct: int) -> tuple[float, float, float]:
    precision = correct / predicted if predicted else 0.0
    recall = correct / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def evaluate_anercorp(model_path: Path, sentences, name_set) -> dict[str, tuple[float, float, float]]:
    """Exact-match PERS span P/R/F1 on ANERcorp sentences.

    ``crf``: the single best CRF path. ``shipped``: the decoding person_spans
    uses (marginal threshold, titles/cues/function words split spans).
    """
    import pycrfsuite

    tagger = pycrfsuite.Tagger()
    tagger.open(str(model_path))
    extractor = names.FeatureExtractor(name_set)
    counts = {"crf": [0, 0, 0], "shipped": [0, 0, 0]}
    for tokens, labels in sentences:
        seq = extractor.sequence(tokens)
        gold_spans = spans_from_labels(labels)
        window = [(token, 0, 0) for token in tokens]
        groups = names._person_groups(tagger, window, seq, names.PERSON_THRESHOLD)
        predictions = {
            "crf": spans_from_labels(tagger.tag()),  # same sequence, set just above
            "shipped": {(group[0], group[-1] + 1) for group in groups},
        }
        for key, pred_spans in predictions.items():
            counts[key][0] += len(gold_spans)
            counts[key][1] += len(pred_spans)
            counts[key][2] += len(gold_spans & pred_spans)
    return {key: prf(*value) for key, value in counts.items()}


def evaluate_dev(dev_dir: Path) -> dict:
    """Speaker coverage on the dev corpus (measurement only, never training).

    For each distinct (article, person speaker) whose name occurs in the
    article, count whether some predicted span overlaps an occurrence
    (``touched``) and whether one covers a whole occurrence (``covered``).
    Matching folds hamza/ya/ta-marbuta one-to-one so offsets stay valid.
    """
    fold = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ى": "ي", "ة": "ه"})
    speakers: dict[tuple[str, str], None] = {}
    for gold_path in sorted((dev_dir / "gold").glob("*.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        for quote in gold["quotes"]:
            if quote.get("type") == "person":
                speakers[(gold.get("article", gold_path.stem), quote["speaker"])] = None
    result = {"speakers": len(speakers), "found_in_text": 0, "touched": 0, "covered": 0,
              "missed": [], "partial": []}
    spans_by_article: dict[str, tuple[str, list[tuple[int, int]]]] = {}
    for article, speaker in speakers:
        if article not in spans_by_article:
            text = (dev_dir / "articles" / f"{article}.txt").read_text(encoding="utf-8")
            spans_by_article[article] = (text, names.person_spans(text))
        text, spans = spans_by_article[article]
        # Any run of whitespace between the words matches («عبدالله  الكعيد»).
        pattern = r"\s+".join(re.escape(word) for word in speaker.translate(fold).split())
        occurrences = [m.span() for m in re.finditer(pattern, text.translate(fold))]
        if not occurrences:
            continue
        result["found_in_text"] += 1
        touched = any(s < b and a < e for a, b in occurrences for s, e in spans)
        covered = any(s <= a and b <= e for a, b in occurrences for s, e in spans)
        result["touched"] += touched
        result["covered"] += covered
        if not touched:
            result["missed"].append(f"{article}: {speaker}")
        elif not covered:
            hits = [text[s:e] for a, b in occurrences for s, e in spans if s < b and a < e]
            result["partial"].append(f"{article}: {speaker} -> {hits[:2]}")
    return result


def common_words(sentences: list[tuple[list[str], list[str]]], min_count: int = 2) -> list[str]:
    """Folded words seen at least min_count times outside any name and never in one: a word
    list (not the corpus text) that lets attribution cut a recognised span where it runs into
    narration («ترامب بشدة»)."""
    from collections import Counter

    from builder.text import common_key

    outside, inside = Counter(), Counter()
    for tokens, labels in sentences:
        for token, label in zip(tokens, labels):
            (inside if label.endswith("PERS") else outside)[common_key(token)] += 1
    return sorted(word for word, count in outside.items() if count >= min_count and not inside[word] and len(word) > 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ner-dir", type=Path, default=DEFAULT_NER_DIR,
                        help="folder holding anercorp/ and arabnamer/ (default: %(default)s)")
    parser.add_argument("--out-dir", type=Path, default=names.RESOURCE_DIR,
                        help="where the model and name list go (default: %(default)s)")
    parser.add_argument("--dev-dir", type=Path, nargs="?", const=DEFAULT_DEV_DIR, default=None,
                        help="also measure speaker coverage on this dev corpus (articles/, gold/); "
                             "without a value: %(const)s")
    parser.add_argument("--skip-train", action="store_true",
                        help="only evaluate the model already in --out-dir")
    args = parser.parse_args(argv)

    missing = [p for p in (TRAIN_FILE, TEST_FILE, NAMES_FILE) if not (args.ner_dir / p).is_file()]
    if missing:
        print(f"error: NER data not found under {args.ner_dir}: missing "
              + ", ".join(missing) + " (pass --ner-dir)", file=sys.stderr)
        return 2

    args.out_dir.mkdir(parents=True, exist_ok=True)
    model_path = args.out_dir / names.MODEL_PATH.name
    names_path = args.out_dir / names.NAME_TOKENS_PATH.name
    if not args.skip_train:
        name_tokens = arabnamer_tokens(args.ner_dir / NAMES_FILE)
        names_path.write_text("\n".join(name_tokens) + "\n", encoding="utf-8")
        common = common_words(read_conll(args.ner_dir / TRAIN_FILE))
        (args.out_dir / names.COMMON_WORDS_PATH.name).write_text("\n".join(common) + "\n", encoding="utf-8")
    elif not model_path.is_file():
        print(f"error: --skip-train but no model at {model_path}", file=sys.stderr)
        return 2
    name_set = names.load_name_tokens(names_path)
    test = read_conll(args.ner_dir / TEST_FILE)

    if not args.skip_train:
        import pycrfsuite

        started = time.perf_counter()
        train = read_conll(args.ner_dir / TRAIN_FILE)
        extractor = names.FeatureExtractor(name_set)
        trainer = pycrfsuite.Trainer(verbose=False)
        for tokens, labels in train:
            trainer.append(extractor.sequence(tokens), labels)
        trainer.set_params(CRF_PARAMS)
        trainer.train(str(model_path))
        print(f"trained on {len(train)} sentences in {time.perf_counter() - started:.1f}s; "
              f"{len(name_set)} name tokens; model {model_path.stat().st_size / 1e6:.2f} MB")

    scores = evaluate_anercorp(model_path, test, name_set)
    for key, label in (("crf", "CRF best path"), ("shipped", "as shipped (person_spans decoding)")):
        precision, recall, f1 = scores[key]
        print(f"ANERcorp test PERS, {label}: P={precision:.3f} R={recall:.3f} F1={f1:.3f}")

    if args.dev_dir is not None:
        if model_path.resolve() != names.MODEL_PATH.resolve():
            print("note: dev coverage uses the shipped model in builder/resources/ner/")
        dev = evaluate_dev(args.dev_dir)
        print(f"dev person speakers: {dev['speakers']}, name found in text: {dev['found_in_text']}, "
              f"touched by a span: {dev['touched']}, whole name covered: {dev['covered']}")
        for line in dev["missed"]:
            print("  missed:", line)
        for line in dev["partial"]:
            print("  partial:", line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
