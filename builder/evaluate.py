"""Score predicted quotes against gold annotations.

Implements "How a prediction is scored" in the corpus GUIDELINES.md: folding, token
overlap, one-to-one greedy matching at overlap >= 0.8, detection P/R/F1, speaker and
canonical accuracy over matched quotes, and end-to-end P/R/F1.
"""

from __future__ import annotations

import json
import unicodedata
from functools import lru_cache
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

MATCH_THRESHOLD = 0.8
ERROR_QUOTE_CHARS = 80
NO_RULE = "(none)"
NO_TYPE = "(none)"

# Harakat, Quranic annotation marks and superscript alef; tatweel is a stretching glyph.
_DIACRITIC_RANGES = ((0x064B, 0x065F), (0x0670, 0x0670), (0x06D6, 0x06ED), (0x0640, 0x0640))
_LETTER_FOLDS = {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"}
# The guideline names punctuation (P*), spaces (Z*) and control characters; C* also covers
# format characters such as RLM/LRM and ZWNJ, which are invisible and so must not glue words.
# Symbols (S*: $ + ® ° ...) are deliberately NOT separators: the guideline does not list
# them, and since gold and predicted quotes come from the same article text, both sides
# keep the same symbols anyway, so the literal reading costs nothing and stays reproducible.
_SEPARATOR_CATEGORIES = ("P", "Z", "C")


class _FoldTable(dict):
    """str.translate table, filled lazily so the whole Unicode range need not be built."""

    def __missing__(self, codepoint: int) -> str | None:
        char = chr(codepoint)
        if any(low <= codepoint <= high for low, high in _DIACRITIC_RANGES):
            folded: str | None = None
        elif char in _LETTER_FOLDS:
            folded = _LETTER_FOLDS[char]
        elif unicodedata.category(char)[0] in _SEPARATOR_CATEGORIES:
            folded = " "
        else:
            folded = char
        self[codepoint] = folded
        return folded


_FOLD_TABLE = _FoldTable()


@lru_cache(maxsize=65_536)  # the ranker folds every candidate name of every quote
def fold(s: str | None) -> str:
    """Fold a string for comparison (GUIDELINES: "Folding"); None folds to ""."""
    if not s:
        return ""
    # NFKC first: it turns presentation forms (ﻷ, ﺓ) into the letters folded below.
    translated = unicodedata.normalize("NFKC", s).translate(_FOLD_TABLE)
    return " ".join(translated.split())


def tokens(s: str | None) -> list[str]:
    """The space-separated pieces of the folded string."""
    return fold(s).split()


def _shared_count(a: Counter, b: Counter) -> int:
    """Size of the multiset intersection, without building a new Counter."""
    if len(a) > len(b):
        a, b = b, a
    return sum(min(n, b[token]) for token, n in a.items() if token in b)


def overlap(a_tokens: list[str], b_tokens: list[str]) -> float:
    """Shared tokens (with multiplicity) / token count of the longer list; 0 if either is empty."""
    if not a_tokens or not b_tokens:
        return 0.0
    return _shared_count(Counter(a_tokens), Counter(b_tokens)) / max(len(a_tokens), len(b_tokens))


def _match_token_lists(
    pred_tokens: list[list[str]], gold_tokens: list[list[str]]
) -> list[tuple[int, int, float]]:
    """Greedy one-to-one matching on pre-tokenized quotes."""
    gold_counts = [(Counter(toks), len(toks)) for toks in gold_tokens]
    candidates: list[tuple[float, int, int]] = []
    for p, toks in enumerate(pred_tokens):
        if not toks:
            continue
        pred_count, pred_len = Counter(toks), len(toks)
        for g, (gold_count, gold_len) in enumerate(gold_counts):
            # Shared <= shorter length, so a length ratio under the threshold cannot match.
            if not gold_len or min(pred_len, gold_len) < MATCH_THRESHOLD * max(pred_len, gold_len):
                continue
            shared = _shared_count(pred_count, gold_count)
            # Integer division is correctly rounded, so e.g. 4/5 == 0.8 exactly: >= is inclusive.
            score = shared / max(pred_len, gold_len)
            if score >= MATCH_THRESHOLD:
                candidates.append((score, p, g))
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    used_pred: set[int] = set()
    used_gold: set[int] = set()
    pairs = []
    for score, p, g in candidates:
        if p not in used_pred and g not in used_gold:
            used_pred.add(p)
            used_gold.add(g)
            pairs.append((p, g, score))
    return pairs


def match_article(pred: list[dict], gold: list[dict]) -> list[tuple[int, int, float]]:
    """Match one article's predicted and gold quotes.

    Returns (pred index, gold index, overlap) for pairs with overlap >= 0.8, one-to-one,
    chosen greedily by highest overlap, ties by lower pred index then lower gold index;
    the list is in that choice order.
    """
    return _match_token_lists(
        [tokens(q.get("quote")) for q in pred], [tokens(q.get("quote")) for q in gold]
    )


# Speaker names and aliases repeat across quotes, so their folded forms are cached.
_fold_name = lru_cache(maxsize=65536)(fold)


def speaker_ok(pred_speaker: str | None, gold_quote: Mapping[str, Any]) -> bool:
    """Predicted speaker, folded, equals the gold speaker or an alias, folded.

    A null gold speaker accepts only a null or empty prediction.
    """
    predicted = _fold_name(pred_speaker)
    if gold_quote.get("speaker") is None:
        return predicted == ""
    accepted = {_fold_name(gold_quote["speaker"])}
    accepted.update(_fold_name(alias) for alias in gold_quote.get("aliases") or [])
    accepted.discard("")  # an empty alias must not accept a missing speaker
    return predicted in accepted


def canonical_ok(pred_speaker: str | None, gold_quote: Mapping[str, Any]) -> bool:
    """Predicted speaker, folded, equals the gold canonical speaker itself, folded."""
    predicted = _fold_name(pred_speaker)
    if gold_quote.get("speaker") is None:
        return predicted == ""
    return predicted != "" and predicted == _fold_name(gold_quote["speaker"])


@dataclass
class TypeBreakdown:
    """Per gold speaker type: how many gold quotes were found and correctly attributed."""

    n_gold: int = 0
    n_matched: int = 0
    n_speaker_correct: int = 0
    accuracy: float = 0.0


@dataclass
class RuleBreakdown:
    """Per predicted attribution rule: how many predictions matched and got the speaker."""

    n_predicted: int = 0
    n_matched: int = 0
    n_speaker_correct: int = 0
    precision: float = 0.0
    accuracy: float = 0.0


@dataclass
class ScoreError:
    """One missed, spurious or wrongly attributed quote."""

    kind: str  # "missed" | "spurious" | "wrong_speaker"
    article: str
    quote: str
    gold_speaker: str | None
    predicted_speaker: str | None
    predicted_rule: str | None


@dataclass
class EvalReport:
    """All figures of one scoring run; ratios with a zero denominator are 0.0."""

    detection_precision: float
    detection_recall: float
    detection_f1: float
    speaker_accuracy: float
    canonical_accuracy: float
    e2e_precision: float
    e2e_recall: float
    e2e_f1: float
    n_gold: int
    n_predicted: int
    n_matched: int
    n_speaker_correct: int
    n_canonical_correct: int
    n_gold_articles: int
    missing_articles: list[str] = field(default_factory=list)
    ignored_articles: list[str] = field(default_factory=list)
    by_gold_type: dict[str, TypeBreakdown] = field(default_factory=dict)
    by_rule: dict[str, RuleBreakdown] = field(default_factory=dict)
    errors: list[ScoreError] = field(default_factory=list)

    @property
    def n_ignored_articles(self) -> int:
        """Predicted articles without a gold file (not scored)."""
        return len(self.ignored_articles)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of every field."""
        result = asdict(self)
        result["n_ignored_articles"] = self.n_ignored_articles
        return result


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _shorten(text: str | None, limit: int = ERROR_QUOTE_CHARS) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def group_by_article(rows: Iterable[Mapping[str, Any]], key: str = "article_id") -> dict[str, list[dict]]:
    """Group flat predicted rows (e.g. all dataset splits pooled) by their article id."""
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row[key], []).append(dict(row))
    return grouped


def score(predictions: Mapping[str, list[dict]], gold: Mapping[str, Mapping[str, Any]]) -> EvalReport:
    """Score predicted quote rows per article against parsed gold files.

    Gold articles absent from `predictions` count all their quotes as missed; predicted
    articles without gold are ignored and listed in `ignored_articles`.
    """
    n_gold = n_predicted = n_matched = n_speaker_correct = n_canonical_correct = 0
    by_type: dict[str, TypeBreakdown] = {}
    by_rule: dict[str, RuleBreakdown] = {}
    errors: list[ScoreError] = []

    for article in sorted(gold):
        gold_quotes = gold[article].get("quotes") or []
        pred_quotes = predictions.get(article) or []
        n_gold += len(gold_quotes)
        n_predicted += len(pred_quotes)
        for quote in gold_quotes:
            by_type.setdefault(quote.get("type") or NO_TYPE, TypeBreakdown()).n_gold += 1
        for row in pred_quotes:
            by_rule.setdefault(row.get("attribution_rule") or NO_RULE, RuleBreakdown()).n_predicted += 1

        pairs = match_article(pred_quotes, gold_quotes)
        matched_pred = {p for p, _, _ in pairs}
        matched_gold = {g for _, g, _ in pairs}
        for p, g, _ in sorted(pairs, key=lambda pair: pair[1]):
            row, quote = pred_quotes[p], gold_quotes[g]
            rule = row.get("attribution_rule") or NO_RULE
            type_row = by_type[quote.get("type") or NO_TYPE]
            rule_row = by_rule[rule]
            n_matched += 1
            type_row.n_matched += 1
            rule_row.n_matched += 1
            if speaker_ok(row.get("speaker"), quote):
                n_speaker_correct += 1
                type_row.n_speaker_correct += 1
                rule_row.n_speaker_correct += 1
            else:
                errors.append(ScoreError("wrong_speaker", article, _shorten(quote.get("quote")),
                                         quote.get("speaker"), row.get("speaker"), rule))
            if canonical_ok(row.get("speaker"), quote):
                n_canonical_correct += 1
        for g, quote in enumerate(gold_quotes):
            if g not in matched_gold:
                errors.append(ScoreError("missed", article, _shorten(quote.get("quote")),
                                         quote.get("speaker"), None, None))
        for p, row in enumerate(pred_quotes):
            if p not in matched_pred:
                errors.append(ScoreError("spurious", article, _shorten(row.get("quote")), None,
                                         row.get("speaker"), row.get("attribution_rule") or NO_RULE))

    for type_row in by_type.values():
        type_row.accuracy = _ratio(type_row.n_speaker_correct, type_row.n_matched)
    for rule_row in by_rule.values():
        rule_row.precision = _ratio(rule_row.n_matched, rule_row.n_predicted)
        rule_row.accuracy = _ratio(rule_row.n_speaker_correct, rule_row.n_matched)

    precision, recall = _ratio(n_matched, n_predicted), _ratio(n_matched, n_gold)
    e2e_precision, e2e_recall = _ratio(n_speaker_correct, n_predicted), _ratio(n_speaker_correct, n_gold)
    return EvalReport(
        detection_precision=precision,
        detection_recall=recall,
        detection_f1=_f1(precision, recall),
        speaker_accuracy=_ratio(n_speaker_correct, n_matched),
        canonical_accuracy=_ratio(n_canonical_correct, n_matched),
        e2e_precision=e2e_precision,
        e2e_recall=e2e_recall,
        e2e_f1=_f1(e2e_precision, e2e_recall),
        n_gold=n_gold,
        n_predicted=n_predicted,
        n_matched=n_matched,
        n_speaker_correct=n_speaker_correct,
        n_canonical_correct=n_canonical_correct,
        n_gold_articles=len(gold),
        missing_articles=sorted(a for a in gold if a not in predictions),
        ignored_articles=sorted(a for a in predictions if a not in gold),
        by_gold_type=dict(sorted(by_type.items())),
        by_rule=dict(sorted(by_rule.items())),
        errors=errors,
    )


def format_report(report: EvalReport) -> str:
    """Plain-text report: headline figures, the two breakdown tables, then one error per line."""
    r = report
    lines = [
        f"detection P={r.detection_precision:.3f} R={r.detection_recall:.3f} F1={r.detection_f1:.3f}",
        f"speaker accuracy={r.speaker_accuracy:.3f} (canonical {r.canonical_accuracy:.3f})",
        f"end-to-end P={r.e2e_precision:.3f} R={r.e2e_recall:.3f} F1={r.e2e_f1:.3f}",
        f"quotes: {r.n_gold} gold, {r.n_predicted} predicted, {r.n_matched} matched, "
        f"{r.n_speaker_correct} with the right speaker",
        f"articles: {r.n_gold_articles} gold, {len(r.missing_articles)} missing from predictions, "
        f"{r.n_ignored_articles} predicted without gold (ignored)",
        "",
        "by gold speaker type",
        f"  {'type':<16}{'gold':>6}{'matched':>9}{'speaker-ok':>12}{'accuracy':>10}",
    ]
    for name, t in r.by_gold_type.items():
        lines.append(f"  {name:<16}{t.n_gold:>6}{t.n_matched:>9}{t.n_speaker_correct:>12}{t.accuracy:>10.3f}")
    lines += [
        "",
        "by predicted attribution rule",
        f"  {'rule':<24}{'predicted':>10}{'matched':>9}{'speaker-ok':>12}{'precision':>11}{'accuracy':>10}",
    ]
    for name, rr in r.by_rule.items():
        lines.append(f"  {name:<24}{rr.n_predicted:>10}{rr.n_matched:>9}{rr.n_speaker_correct:>12}"
                     f"{rr.precision:>11.3f}{rr.accuracy:>10.3f}")
    lines += ["", f"errors ({len(r.errors)})"]
    for e in r.errors:
        lines.append(f"  {e.kind:<14}{e.article:<20} gold={e.gold_speaker or '-'} | "
                     f"pred={e.predicted_speaker or '-'} | rule={e.predicted_rule or '-'} | {e.quote}")
    return "\n".join(lines)


_GOLD_QUOTE_KEYS = ("quote", "speaker", "aliases", "type")


def load_gold_dir(path: str | Path) -> dict[str, dict]:
    """Read every *.json gold file in `path`, keyed by file stem.

    Raises ValueError naming the file on bad JSON, missing keys, or an "article" field
    that differs from the file stem.
    """
    directory = Path(path)
    if not directory.is_dir():
        raise FileNotFoundError(f"gold directory not found: {directory}")
    files = sorted(directory.glob("*.json"))
    if not files:
        raise ValueError(f"no *.json gold files in {directory}")
    gold: dict[str, dict] = {}
    for file in files:
        try:
            doc = json.loads(file.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{file}: invalid JSON: {exc}") from exc
        if not isinstance(doc, dict) or not isinstance(doc.get("quotes"), list) or "article" not in doc:
            raise ValueError(f"{file}: expected an object with 'article' and a 'quotes' list")
        if doc["article"] != file.stem:
            raise ValueError(f"{file}: 'article' is {doc['article']!r} but the file stem is {file.stem!r}")
        for i, quote in enumerate(doc["quotes"]):
            missing = [k for k in _GOLD_QUOTE_KEYS if not isinstance(quote, dict) or k not in quote]
            if missing:
                raise ValueError(f"{file}: quote {i} lacks {', '.join(missing)}")
        gold[file.stem] = doc
    return gold


# --- recorded figures: the floors the test suite holds the builder to ----------------------------

FLOOR_FIGURES = {"detection_f1": "detection_f1", "speaker_accuracy": "speaker_accuracy", "end_to_end_f1": "e2e_f1"}


def floors_of(report: EvalReport) -> dict[str, float]:
    """The figures recorded as floors: {detection_f1, speaker_accuracy, end_to_end_f1}, to 4 places."""
    return {name: round(float(getattr(report, attribute)), 4) for name, attribute in FLOOR_FIGURES.items()}


def record_floors(path: Path, name: str, report: EvalReport) -> dict[str, float]:
    """Write the report's figures under `name` into the floors file (a JSON object of
    {name: {detection_f1, speaker_accuracy, end_to_end_f1}}), keeping the other entries."""
    import json

    path = Path(path)
    recorded = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    recorded[name] = floors_of(report)
    path.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return recorded[name]
