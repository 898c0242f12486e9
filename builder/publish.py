"""Stage 5, publish: the stage shards of OUT aggregated into the datasets users load.

Writes OUT/quotes, OUT/articles, OUT/speakers (DatasetDicts saved with save_to_disk), OUT/hub
(parquet and a dataset card), OUT/rejects.jsonl and OUT/manifest.json. Every quote row is checked
against its article text first: a row that breaks the contract is a bug and stops the build.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from builder import __version__, store
from builder.errors import BuildError, ContractError
from builder.resources import versions
from builder.store import STAGES
from builder.text import fold_phrase

SPLITS = ("train", "validation", "test")
# Speakers are counted over the whole corpus, so that config has a single split.
SPEAKER_SPLIT = "train"
CONFIG_NAMES = ("quotes", "articles", "speakers")
PUBLISHED = (*CONFIG_NAMES, "hub", "rejects.jsonl", "manifest.json")
# (string field, start field, end field) of every span a quote row points into its article text.
ROW_SPANS = (("quote", "quote_start", "quote_end"), ("speaker_mention", "speaker_start", "speaker_end"),
             ("cue", "cue_start", "cue_end"), ("addressee", "addressee_start", "addressee_end"))
TOP_SPEAKERS = 10
OUT_OF_STEP = "the stage shards are out of step; rerun the stages after ingest"


def split_of(article_id: str) -> str:
    """train / validation / test (80 / 10 / 10) from a hash of the article_id, stable across builds."""
    bucket = int(hashlib.sha1(article_id.encode("utf-8")).hexdigest(), 16) % 100
    return "train" if bucket < 80 else "validation" if bucket < 90 else "test"


@dataclass
class PublishReport:
    """Counts and statistics of one publish, for the summary, the manifest and the card."""

    inputs: int = 0
    published: int = 0
    rejected_by_reason: Counter = field(default_factory=Counter)
    rejected_by_stage: Counter = field(default_factory=Counter)
    quotes: int = 0
    quotes_below_min_confidence: int = 0
    speakers: int = 0
    min_confidence: float = 0.0
    split_sizes: dict = field(default_factory=dict)  # config -> split -> rows
    quotes_by_type: Counter = field(default_factory=Counter)
    quotes_by_rule: Counter = field(default_factory=Counter)
    licences: Counter = field(default_factory=Counter)  # licence as written -> articles
    top_speakers: list = field(default_factory=list)  # (speaker, speaker_type, n_quotes)

    @property
    def rejected(self) -> int:
        return sum(self.rejected_by_reason.values())

    def counts(self) -> dict:
        return {"inputs": self.inputs, "published": self.published, "rejected": self.rejected,
                "rejected_by_reason": dict(sorted(self.rejected_by_reason.items())),
                "rejected_by_stage": dict(sorted(self.rejected_by_stage.items())),
                "quotes": self.quotes, "quotes_below_min_confidence": self.quotes_below_min_confidence,
                "speakers": self.speakers, "splits": self.split_sizes}


@dataclass
class Corpus:
    """Published rows per config and split, gathered from the shards in input order."""

    rows: dict = field(default_factory=lambda: {config: {split: [] for split in SPLITS} for config in CONFIG_NAMES})
    rejects: list = field(default_factory=list)


def publish(out: Path, *, workers: int | None, min_confidence: float = 0.0) -> PublishReport:
    """Everything users load, written into out from out/stages."""
    from builder.card import dataset_card

    out = Path(out)
    for name in PUBLISHED:  # a hard-linked copy of the previous OUT: remove, never overwrite
        path = out / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    inputs = _read_inputs(out)
    report = PublishReport(min_confidence=min_confidence)
    corpus = _collect(out, min_confidence, report)
    hub_files = _save(out, corpus, report)
    (out / "hub" / "README.md").write_text(dataset_card(report, hub_files), encoding="utf-8")
    store.write_jsonl(out / "rejects.jsonl", sorted(corpus.rejects, key=_reject_order))
    store.write_json(out / "manifest.json", {
        "builder": {"name": "arabic-quotes-builder", "version": __version__},
        "config": {"raw": inputs["raw"], "workers": workers, "min_confidence": min_confidence},
        "rule_versions": versions(),
        "counts": report.counts(),
        "inputs": inputs["files"],
        "outputs": _digests(out),
    })
    return report


def _collect(out: Path, min_confidence: float, report: PublishReport) -> Corpus:
    """Rows of every config, with the accounting check: each input published or rejected, once."""
    indices = store.shard_indices(out, "ingest")
    for stage in STAGES[1:]:
        if store.shard_indices(out, stage) != indices:
            raise BuildError(f"the {stage} shards do not match the ingest shards: rerun `{stage}`")
    corpus = Corpus()
    out_of_step: list[str] = []
    for shard in indices:
        rejects = [r for stage in STAGES for r in store.read_jsonl(store.rejects_path(out, stage, shard))]
        rejected_later = {r["article_id"] for r in rejects if r["stage"] != "ingest"}
        outputs = {stage: {r["article_id"]: r for r in store.read_jsonl(store.shard_path(out, stage, shard))}
                   for stage in STAGES[1:]}
        ingested = list(store.read_jsonl(store.shard_path(out, "ingest", shard)))
        report.inputs += len(ingested) + sum(r["stage"] == "ingest" for r in rejects)
        for article in ingested:
            article_id = article["article_id"]
            published = all(article_id in records for records in outputs.values())
            if published == (article_id in rejected_later):
                out_of_step.append(article_id)
            elif published:
                _add_article(corpus, report, article, *(outputs[stage][article_id] for stage in STAGES[1:]),
                             min_confidence=min_confidence)
        out_of_step += sorted(set(outputs["attribute"]) - {a["article_id"] for a in ingested})
        corpus.rejects += rejects
    if out_of_step:
        raise BuildError(f"{len(out_of_step)} articles (first {out_of_step[0]!r}) are not exactly once published "
                         f"or rejected: {OUT_OF_STEP}")
    for reject in corpus.rejects:
        report.rejected_by_reason[reject["reason"]] += 1
        report.rejected_by_stage[reject["stage"]] += 1
    report.published = sum(len(rows) for rows in corpus.rows["articles"].values())
    if report.inputs != report.published + report.rejected:
        raise BuildError(f"{report.inputs} inputs but {report.published} published and {report.rejected} "
                         f"rejected: {OUT_OF_STEP}")
    all_quotes = [row for split in SPLITS for row in corpus.rows["quotes"][split]]
    corpus.rows["speakers"] = {SPEAKER_SPLIT: speaker_rows(all_quotes)}
    report.quotes = len(all_quotes)
    report.speakers = len(corpus.rows["speakers"][SPEAKER_SPLIT])
    report.quotes_by_type = Counter(row["speaker_type"] for row in all_quotes)
    report.quotes_by_rule = Counter(row["attribution_rule"] for row in all_quotes)
    report.top_speakers = [(row["speaker"], row["speaker_type"], row["n_quotes"])
                           for row in corpus.rows["speakers"][SPEAKER_SPLIT][:TOP_SPEAKERS]]
    report.split_sizes = {config: {split: len(rows) for split, rows in splits.items()}
                          for config, splits in corpus.rows.items()}
    return corpus


def _add_article(corpus: Corpus, report: PublishReport, article: dict, segments: dict, detected: dict,
                 attributed: dict, *, min_confidence: float) -> None:
    split = split_of(article["article_id"])
    corpus.rows["articles"][split].append({
        **article,
        "paragraphs": [{"start": start, "end": end} for start, end in segments["paragraphs"]],
        "sentences": [{"start": start, "end": end} for start, end, _paragraph in segments["sentences"]],
        "anomalies": [{"kind": a.get("kind"), "pos": a.get("pos"), "mark": a.get("mark")}
                      for a in detected.get("anomalies", [])],
    })
    report.licences[article.get("licence") or ""] += 1
    for row in attributed["quotes"]:
        check_row(row, article)
        if row["confidence"] < min_confidence:
            report.quotes_below_min_confidence += 1
        else:
            corpus.rows["quotes"][split].append(row)


def check_row(row: dict, article: dict) -> None:
    """Raise ContractError when a quote row does not point into its article as the contract says."""
    text, quote_id = article["text"], row.get("quote_id")
    if row.get("article_id") != article["article_id"] or quote_id != f"{article['article_id']}:{row.get('quote_start')}":
        raise ContractError(f"quote {quote_id!r} of article {article['article_id']!r}: article_id or quote_id is wrong")
    for value_field, start_field, end_field in ROW_SPANS:
        value, start, end = row.get(value_field), row.get(start_field), row.get(end_field)
        if value_field != "quote" and value is None and start is None and end is None:
            continue
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start <= end <= len(text)
                and text[start:end] == value):
            found = text[start:end] if isinstance(start, int) and isinstance(end, int) else None
            raise ContractError(f"quote {quote_id!r}: {value_field}={value!r} but "
                                f"text[{start_field}:{end_field}] = text[{start}:{end}] is {found!r}")
    confidence = row.get("confidence")
    if not isinstance(confidence, (int, float)) or not 0 <= confidence <= 1:
        raise ContractError(f"quote {quote_id!r}: confidence {confidence!r} is not a number in [0, 1]")


def speaker_rows(quotes: Iterable[dict]) -> list[dict]:
    """One row per canonical speaker of the corpus; names merge when their folded forms are equal."""
    groups: dict[str, list[dict]] = {}
    for row in quotes:
        if row["speaker"]:
            groups.setdefault(fold_phrase(row["speaker"]) or row["speaker"], []).append(row)
    rows = [{
        "speaker": _most_common(row["speaker"] for row in group),
        "speaker_type": _most_common(row["speaker_type"] for row in group),
        "roles": sorted({row["speaker_role"] for row in group if row["speaker_role"]}),
        "genders": sorted({row["speaker_gender"] for row in group if row["speaker_gender"] not in (None, "unknown")}),
        "n_quotes": len(group),
        "article_ids": sorted({row["article_id"] for row in group}),
    } for group in groups.values()]
    return sorted(rows, key=lambda row: (-row["n_quotes"], row["speaker"]))


def _most_common(values: Iterable[str]) -> str:
    """The most frequent value; ties go to the smallest, so the choice never depends on order."""
    counts = Counter(values)
    return min(counts, key=lambda value: (-counts[value], value))


def _save(out: Path, corpus: Corpus, report: PublishReport) -> dict[str, list[tuple[str, str]]]:
    """save_to_disk every config and write its hub parquet; (split, path) of each hub file by config.

    Empty splits are saved with one (empty) shard, which load_from_disk needs; they are left out of
    the hub folder, whose loader refuses a split with no rows.
    """
    import datasets
    from datasets.table import InMemoryTable

    from schemas import CONFIGS, to_table

    datasets.disable_progress_bars()
    hub_files: dict[str, list[tuple[str, str]]] = {}
    for config, splits in corpus.rows.items():
        info = datasets.DatasetInfo(features=CONFIGS[config])
        dataset_dict = datasets.DatasetDict({
            split: datasets.Dataset(InMemoryTable(to_table(config, rows)), info=info, split=split)
            for split, rows in splits.items()})
        dataset_dict.save_to_disk(str(out / config), num_shards={split: 1 for split, rows in splits.items() if not rows})
        hub_files[config] = []
        for split, dataset in dataset_dict.items():
            if len(dataset):
                relative = f"data/{config}/{split}-00000-of-00001.parquet"
                (out / "hub" / relative).parent.mkdir(parents=True, exist_ok=True)
                dataset.to_parquet(str(out / "hub" / relative))
                hub_files[config].append((split, relative))
    return hub_files


def _read_inputs(out: Path) -> dict:
    path = store.stage_dir(out, "ingest") / store.INPUTS_FILE
    if not path.is_file():
        raise BuildError(f"{path} is missing: rerun the `ingest` stage")
    return json.loads(path.read_text(encoding="utf-8"))


def _digests(out: Path) -> dict[str, str]:
    """sha256 of every file under out (but the manifest itself), by relative path."""
    digests = {}
    for path in sorted(out.rglob("*")):
        if path.is_file() and path != out / "manifest.json":
            with path.open("rb") as handle:
                digests[path.relative_to(out).as_posix()] = hashlib.file_digest(handle, "sha256").hexdigest()
    return digests


def _reject_order(reject: dict) -> tuple:
    return (reject["source_path"] or "", reject["source_line"] or 0, STAGES.index(reject["stage"]),
            reject["article_id"] or "", reject["reason"])
