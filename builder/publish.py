"""Stage 5, publish: the stage shards of OUT aggregated into the datasets users load.

Writes OUT/quotes, OUT/articles, OUT/speakers (DatasetDicts saved with save_to_disk), OUT/hub
(parquet and a dataset card), OUT/rejects.jsonl, OUT/report (the review site, builder/report.py)
and OUT/manifest.json. Every quote row is checked
against its article text first: a row that breaks the contract is a bug and stops the build.

Publish streams: it reads the stage shards one at a time and appends their rows to parquet and
Arrow shards as it goes (builder/sharded.py); the speakers, grouped over the whole corpus, and the
rejects, sorted, go through external sorts. Memory does not grow with the corpus.

Before that, builder/identity.py reads the attribute shards once for the corpus-wide speaker
identities (aggregates per speaker string), and each quote row gets its `speaker_id` as its
article is published; the speakers config has one row per `speaker_id`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from builder import __version__, identity, sharded, store
from builder.errors import BuildError, ContractError
from builder.stories import LINK_QUOTE_WORDS, Stories, StoryStats, quote_key, sketch_shard
from builder.resources import versions
from builder.store import STAGES

SPLITS = ("train", "validation", "test")
# Speakers are counted over the whole corpus, so that config has a single split.
SPEAKER_SPLIT = "train"
CONFIG_NAMES = ("quotes", "articles", "speakers")
PUBLISHED = (*CONFIG_NAMES, "hub", "rejects.jsonl", "errors.jsonl", "report", "manifest.json")
# (string field, start field, end field) of every span a quote row points into its article text.
ROW_SPANS = (("quote", "quote_start", "quote_end"), ("speaker_mention", "speaker_start", "speaker_end"),
             ("cue", "cue_start", "cue_end"), ("addressee", "addressee_start", "addressee_end"))
TOP_SPEAKERS = 10
OUT_OF_STEP = "the stage shards are out of step; rerun the stages after ingest"


def split_of(story_id: str) -> str:
    """train / validation / test (80 / 10 / 10) from a hash of the story_id (builder/stories.py:
    the article_id of the story's earliest article), so that every copy of a story lands in the
    same split, stable across builds."""
    bucket = int(hashlib.sha1(story_id.encode("utf-8")).hexdigest(), 16) % 100
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
    quotes_left_out_by_dedup: int = 0
    speakers: int = 0
    min_confidence: float = 0.0
    split_sizes: dict = field(default_factory=dict)  # config -> split -> rows
    quotes_by_type: Counter = field(default_factory=Counter)
    quotes_by_rule: Counter = field(default_factory=Counter)
    licences: Counter = field(default_factory=Counter)  # licence as written -> articles
    sources: Counter = field(default_factory=Counter)  # (source, licence) as written -> articles
    speakers_by_type: Counter = field(default_factory=Counter)  # speaker_type -> canonical speakers
    mean_confidence: float | None = None
    top_speakers: list = field(default_factory=list)  # (speaker, speaker_type, n_quotes)
    stories: StoryStats = field(default_factory=StoryStats)
    errors: int = 0  # rejects that are the builder's fault (runner.ERROR_REASONS), in OUT/errors.jsonl

    @property
    def rejected(self) -> int:
        return sum(self.rejected_by_reason.values())

    def merge(self, part: "PublishReport") -> None:
        """Add the counts of one shard's report (its Counters and whole numbers) to these."""
        for name in self.__dataclass_fields__:
            value = getattr(part, name)
            if isinstance(value, Counter):
                getattr(self, name).update(value)
            elif type(value) is int:
                setattr(self, name, getattr(self, name) + value)

    def counts(self) -> dict:
        return {"inputs": self.inputs, "published": self.published, "rejected": self.rejected,
                "rejected_by_reason": dict(sorted(self.rejected_by_reason.items())),
                "rejected_by_stage": dict(sorted(self.rejected_by_stage.items())),
                "errors": self.errors,
                "quotes": self.quotes, "quotes_below_min_confidence": self.quotes_below_min_confidence,
                "quotes_left_out_by_dedup": self.quotes_left_out_by_dedup,
                "speakers": self.speakers, "splits": self.split_sizes, "stories": self.stories.counts()}


# Scratch space of publish (external sort runs), removed when it is done.
SCRATCH = ".publish-scratch"
# Speaker spill records: [speaker_id, speaker, speaker_type, speaker_role, speaker_gender, article_id,
# preferred name (None: the group's most common speaker), generic].
_SPILL_FIELDS = ("speaker", "speaker_type", "speaker_role", "speaker_gender", "article_id", "preferred", "generic")
SPEAKER_BATCH = 10_000  # speaker rows per table written


class Corpus:
    """Where the shards' rows go, in input order: the config writers (parquet and Arrow shards),
    and external sorters for the rejects and the speakers' quotes."""

    def __init__(self, out: Path):
        from schemas import SCHEMAS

        self.out = Path(out)
        self.scratch = self.out / SCRATCH
        shutil.rmtree(self.scratch, ignore_errors=True)
        self.writers = {config: {split: sharded.SplitWriter(self.out, config, split, SCHEMAS[config]) for split in splits}
                        for config, splits in (("quotes", SPLITS), ("articles", SPLITS), ("speakers", (SPEAKER_SPLIT,)))}
        self.rejects = sharded.ExternalSorter(self.scratch, "rejects", _reject_order)
        self.speaker_quotes = sharded.ExternalSorter(self.scratch, "speaker-quotes", lambda record: record[0])
        self.confidences = _ExactSum()
        self.repeated_quote_rows = 0
        # Folded long quotes of train (a set) and of test (a list): how many test quotes a model
        # trained on train has seen word for word.
        self.train_quotes: set[bytes] = set()
        self.test_quotes: list[bytes] = []
        # sha256 of the files publish read (the stage shards) or wrote (the datasets, rejects), hashed
        # as they went by, for the manifest: it then reads back only the small files (report, card).
        self.file_digests: dict[Path, str] = {}

    def add(self, part: "ShardPart", report: "PublishReport") -> None:
        """One shard's part, in shard order."""
        report.merge(part.report)
        self.file_digests.update(part.file_digests)
        self.repeated_quote_rows += part.repeated_quote_rows
        self.train_quotes.update(part.long_quotes["train"])
        self.test_quotes += part.long_quotes["test"]
        for reject in part.rejects:
            self.rejects.add(reject)
        self.speaker_quotes.extend(part.speaker_quotes)
        for confidence in part.confidences:
            self.confidences.add(confidence)
        for (config, split), table in part.tables.items():
            self.writers[config][split].write(table)

    def leakage(self) -> tuple[int, int]:
        """(test quotes of LINK_QUOTE_WORDS folded words or more, how many of them are train quotes)."""
        return len(self.test_quotes), sum(key in self.train_quotes for key in self.test_quotes)

    def close(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)


@dataclass
class ShardPart:
    """What one stage shard contributes to publish, computed on its own (in a worker): its Arrow
    tables per (config, split), its counts, rejects, and the speaker records of its quotes."""

    report: "PublishReport"
    rows: dict = field(default_factory=lambda: {config: {split: [] for split in SPLITS}
                                                for config in CONFIG_NAMES if config != "speakers"})
    tables: dict = field(default_factory=dict)
    rejects: list = field(default_factory=list)
    speaker_quotes: list = field(default_factory=list)
    confidences: list = field(default_factory=list)
    out_of_step: list = field(default_factory=list)
    file_digests: dict = field(default_factory=dict)  # stage file -> sha256, hashed as it was read
    repeated_quote_rows: int = 0
    long_quotes: dict = field(default_factory=lambda: {"train": [], "test": []})

    def finish(self) -> "ShardPart":
        """Rows to Arrow tables (checked against the Features), quotes counted; rows dropped."""
        from schemas import to_table

        for config, splits in self.rows.items():
            for split, rows in splits.items():
                if config == "quotes":
                    for row in rows:
                        self.report.quotes_by_type[row["speaker_type"]] += 1
                        self.report.quotes_by_rule[row["attribution_rule"]] += 1
                        self.confidences.append(row["confidence"])
                        self.repeated_quote_rows += row["n_copies"] > 1
                        if split in self.long_quotes:
                            key, n_words = quote_key(row["quote"])
                            if n_words >= LINK_QUOTE_WORDS:
                                self.long_quotes[split].append(key)
                if rows:
                    self.tables[config, split] = to_table(config, rows)
        self.rows = {}
        return self


class _ExactSum:
    """A float sum that does not depend on the order of its terms (Shewchuk's, as math.fsum)."""

    def __init__(self):
        self.partials: list[float] = []
        self.count = 0

    def add(self, x: float) -> None:
        self.count += 1
        partials = []
        for y in self.partials:
            if abs(x) < abs(y):
                x, y = y, x
            hi = x + y
            lo = y - (hi - x)
            if lo:
                partials.append(lo)
            x = hi
        partials.append(x)
        self.partials = partials

    @property
    def value(self) -> float:
        import math

        return math.fsum(self.partials)


def publish(out: Path, *, workers: int | None, min_confidence: float = 0.0,
            report_articles: int | None = None, dedup: bool = False) -> PublishReport:
    """Everything users load, written into out from out/stages, and the review site OUT/report
    (article pages for the first report_articles articles by id; None: the report's default);
    with dedup, one row per repeated quote (its first, builder/stories.py)."""
    from builder.card import dataset_card
    from builder.report import DEFAULT_MAX_ARTICLES, write_report

    report_articles = DEFAULT_MAX_ARTICLES if report_articles is None else report_articles

    out = Path(out)
    for name in PUBLISHED:  # a hard-linked copy of the previous OUT: remove, never overwrite
        path = out / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    inputs = _read_inputs(out)
    report = PublishReport(min_confidence=min_confidence)
    identities = identity.resolve(identity.collect(out, min_confidence))
    corpus = _collect(out, min_confidence, report, identities, dedup=dedup, workers=workers)
    hub_files = _save(out, corpus, report)
    store.checkpoint("publish")  # test hook: BUILDER_KILL_AT=publish kills the build here
    (out / "hub").mkdir(exist_ok=True)  # no parquet when every article was rejected
    (out / "hub" / "README.md").write_text(dataset_card(report, hub_files), encoding="utf-8")
    report.errors = _write_rejects(out, corpus.rejects.sorted(), corpus.file_digests)
    corpus.close()
    for writers in corpus.writers.values():
        for writer in writers.values():
            corpus.file_digests.update(writer.file_digests)
    corpus.file_digests[store.stage_dir(out, "ingest") / store.INPUT_LIST_FILE] = inputs["sha256"]
    write_report(out, max_articles=report_articles, counts=report.counts())
    store.write_json(out / "manifest.json", {
        "builder": {"name": "arabic-quotes-builder", "version": __version__},
        "config": {"raw": inputs["raw"], "workers": workers, "min_confidence": min_confidence,
                   "report_articles": report_articles, "dedup": dedup},
        "rule_versions": versions(),
        "counts": report.counts(),
        "inputs": {"files": inputs["files"], "sha256": inputs["sha256"],
                   "list": f"{store.STAGES_DIR}/ingest/{store.INPUT_LIST_FILE}"},
        "outputs": _digests(out, corpus.file_digests),
    })
    return report


def _collect(out: Path, min_confidence: float, report: PublishReport, identities: identity.Identities, *,
             dedup: bool = False, workers: int | None = None) -> Corpus:
    """Rows of every config, with the accounting check: each input published or rejected, once.

    First the stories (builder/stories.py), in a pass of their own over the shards, since an
    article's split depends on its story, and a quote's n_copies on the whole corpus.

    Shard by shard: each is read and turned into Arrow tables on its own (`_read_shard`), and
    written in shard order. (Reading shards on a pool of processes would halve this step on two
    cores, but each worker holds a shard and its own imports: the build's peak memory on 200 MB
    of articles went from 445 MB to 1015 MB. So it stays in this process.)
    """
    indices = store.shard_indices(out, "ingest")
    for stage in STAGES[1:]:
        if store.shard_indices(out, stage) != indices:
            raise BuildError(f"the {stage} shards do not match the ingest shards: rerun `{stage}`")
    stories = _group_stories(out, indices, min_confidence, workers, identities)
    corpus = Corpus(out)
    out_of_step: list[str] = []
    for part in map(_read_shard, ((out, shard, min_confidence, stories, dedup, identities) for shard in indices)):
        out_of_step += part.out_of_step
        corpus.add(part, report)
    if out_of_step:
        raise BuildError(f"{len(out_of_step)} articles (first {out_of_step[0]!r}) are not exactly once published "
                         f"or rejected: {OUT_OF_STEP}")
    report.published = sum(writer.rows for writer in corpus.writers["articles"].values())
    if report.inputs != report.published + report.rejected:
        raise BuildError(f"{report.inputs} inputs but {report.published} published and {report.rejected} "
                         f"rejected: {OUT_OF_STEP}")
    _write_speakers(corpus, report)
    report.quotes = corpus.confidences.count
    if report.quotes:
        report.mean_confidence = corpus.confidences.value / report.quotes
    report.split_sizes = {config: {split: writer.rows for split, writer in writers.items()}
                          for config, writers in corpus.writers.items()}
    report.stories = stories.stats
    report.stories.dedup = dedup
    report.stories.dedup_dropped = report.quotes_left_out_by_dedup
    report.stories.repeated_quote_rows = corpus.repeated_quote_rows
    report.stories.test_quotes_6w, report.stories.test_quotes_6w_in_train = corpus.leakage()
    return corpus


def _group_stories(out: Path, indices: list[int], min_confidence: float, workers: int | None,
                   identities: identity.Identities | None = None) -> Stories:
    """The stories of the published articles (those attribute kept): each shard's articles
    sketched on the workers (shingles, MinHash, quote keys), then added to the LSH index here in
    shard order, so the stories do not depend on the number of workers."""
    from builder.engines.local import ordered_map

    stories = Stories(identities=identities)
    tasks = ((out, shard, min_confidence) for shard in indices)
    for sketches in ordered_map(sketch_shard, tasks, workers or 1):
        for sketch in sketches:
            stories.add_sketch(*sketch)
    return stories.finish()


def _read_shard(task: tuple[Path, int, float, Stories, bool, identity.Identities]) -> ShardPart:
    """The part of one stage shard: its published rows as tables, its rejects, its counts."""
    out, shard, min_confidence, stories, dedup, identities = task
    part = ShardPart(PublishReport(min_confidence=min_confidence))
    report = part.report
    digests = part.file_digests
    rejects = [r for stage in STAGES for r in store.read_jsonl(store.rejects_path(out, stage, shard), digests)]
    rejected_later = {r["article_id"] for r in rejects if r["stage"] != "ingest"}
    outputs = {stage: {r["article_id"]: r for r in store.read_jsonl(store.shard_path(out, stage, shard), digests)}
               for stage in STAGES[1:]}
    ingested: set[str] = set()
    report.inputs += sum(r["stage"] == "ingest" for r in rejects)
    for article in store.read_jsonl(store.shard_path(out, "ingest", shard), digests):  # one article's text at a time
        article_id = article["article_id"]
        ingested.add(article_id)
        report.inputs += 1
        published = all(article_id in records for records in outputs.values())
        if published == (article_id in rejected_later):
            part.out_of_step.append(article_id)
        elif published:
            _add_article(part, report, article, *(outputs[stage][article_id] for stage in STAGES[1:]),
                         min_confidence=min_confidence, stories=stories, dedup=dedup, identities=identities)
    part.out_of_step += sorted(set(outputs["attribute"]) - ingested)
    for reject in rejects:
        report.rejected_by_reason[reject["reason"]] += 1
        report.rejected_by_stage[reject["stage"]] += 1
    part.rejects = rejects
    return part.finish()


def _write_speakers(corpus: Corpus, report: PublishReport) -> None:
    """The speakers config from the spilled quotes: grouped by speaker_id, then ordered by
    (-n_quotes, speaker, speaker_id), both through external sorts, written SPEAKER_BATCH rows at a time."""
    from schemas import to_table

    # Rows go to a file as they are made; only (-n_quotes, speaker, where the row is) is sorted.
    ordered = sharded.ExternalSorter(corpus.scratch, "speakers", lambda record: (record[0], record[1], record[2]))
    corpus.scratch.mkdir(parents=True, exist_ok=True)
    rows_path = corpus.scratch / "speaker-rows.jsonl"
    with open(rows_path, "xb") as rows_file:
        for speaker_id, group in sharded.grouped(corpus.speaker_quotes.sorted(), lambda record: record[0]):
            row = _speaker_row(speaker_id, (dict(zip(_SPILL_FIELDS, record[1:])) for record in group))
            ordered.add([-row["n_quotes"], row["speaker"], speaker_id, rows_file.tell()])
            rows_file.write(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")
    writer = corpus.writers["speakers"][SPEAKER_SPLIT]
    batch: list[dict] = []
    rows_file = open(rows_path, "rb")
    for _n, _speaker, _id, offset in ordered.sorted():
        rows_file.seek(offset)
        row = json.loads(rows_file.readline())
        report.speakers += 1
        report.speakers_by_type[row["speaker_type"]] += 1
        if len(report.top_speakers) < TOP_SPEAKERS:
            report.top_speakers.append((row["speaker"], row["speaker_type"], row["n_quotes"]))
        batch.append(row)
        if len(batch) >= SPEAKER_BATCH:
            writer.write(to_table("speakers", batch))
            batch = []
    writer.write(to_table("speakers", batch))
    rows_file.close()


def _add_article(corpus: "ShardPart", report: PublishReport, article: dict, segments: dict, detected: dict,
                 attributed: dict, *, min_confidence: float, stories: Stories, dedup: bool = False,
                 identities: identity.Identities) -> None:
    story_id = stories.story_id(article["article_id"])
    split = split_of(story_id)
    corpus.rows["articles"][split].append({
        **article,
        "story_id": story_id,
        "paragraphs": [{"start": start, "end": end} for start, end in segments["paragraphs"]],
        "sentences": [{"start": start, "end": end} for start, end, _paragraph in segments["sentences"]],
        "anomalies": [{"kind": a.get("kind"), "pos": a.get("pos"), "mark": a.get("mark")}
                      for a in detected.get("anomalies", [])],
    })
    report.licences[article.get("licence") or ""] += 1
    report.sources[(article.get("source") or "", article.get("licence") or "")] += 1
    kept = []
    for row in attributed["quotes"]:
        check_row(row, article)
        if row["confidence"] < min_confidence:
            report.quotes_below_min_confidence += 1
        else:
            kept.append(row)
    # Identities are assigned over every published row of the article, before DEDUP, so that a
    # row's speaker_id does not depend on DEDUP (a generic source takes its issuer from the article).
    for row, assigned in zip(kept, identities.assign(article["article_id"], kept)):
        n_copies, first_article_id, first = stories.copies(row, assigned)
        if dedup and not first:
            report.quotes_left_out_by_dedup += 1
            continue
        row = with_speaker_id({**row, "story_id": story_id, "n_copies": n_copies, "first_article_id": first_article_id},
                              assigned)
        corpus.rows["quotes"][split].append(row)
        if assigned is not None:
            corpus.speaker_quotes.append([assigned.speaker_id] + [row[name] for name in _SPILL_FIELDS[:5]]
                                         + [None if assigned.generic else assigned.preferred, assigned.generic])


def with_speaker_id(row: dict, assigned: "identity.Assigned | None") -> dict:
    """The quote row with its corpus-wide speaker_id (None without a speaker)."""
    return {**row, "speaker_id": assigned.speaker_id if assigned else None}


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
    """The speakers config in memory, for quote rows of whole articles (the reference the
    streamed one is tested against): identities resolved over these rows alone, one row per
    speaker_id."""
    quotes = list(quotes)
    by_article: dict[str, list[dict]] = {}
    for row in quotes:
        by_article.setdefault(row["article_id"], []).append(row)
    stats: dict[str, identity.SpeakerStats] = {}
    for rows in by_article.values():
        identity.add_rows(stats, rows)
    identities = identity.resolve(stats)
    groups: dict[str, list[dict]] = {}
    for article_id, rows in by_article.items():
        for row, assigned in zip(rows, identities.assign(article_id, rows)):
            if assigned is not None:
                groups.setdefault(assigned.speaker_id, []).append(
                    {**row, "preferred": None if assigned.generic else assigned.preferred, "generic": assigned.generic})
    rows = [_speaker_row(speaker_id, group) for speaker_id, group in groups.items()]
    return sorted(rows, key=lambda row: (-row["n_quotes"], row["speaker"], row["speaker_id"]))


def _speaker_row(speaker_id: str, group: Iterable[dict]) -> dict:
    """The speakers row of the quotes of one identity, in one pass."""
    speakers, types, roles, genders, article_ids = Counter(), Counter(), set(), set(), set()
    n_quotes, preferred, generic = 0, None, False
    for row in group:
        n_quotes += 1
        speakers[row["speaker"]] += 1
        types[row["speaker_type"]] += 1
        if row["speaker_role"]:
            roles.add(row["speaker_role"])
        if row["speaker_gender"] not in (None, "unknown"):
            genders.add(row["speaker_gender"])
        article_ids.add(row["article_id"])
        preferred = preferred or row["preferred"]
        generic = generic or row["generic"]
    return {"speaker_id": speaker_id, "speaker": preferred or _most_common(speakers), "variants": sorted(speakers),
            "speaker_type": _most_common(types), "generic": generic, "roles": sorted(roles),
            "genders": sorted(genders), "n_quotes": n_quotes, "n_articles": len(article_ids),
            "article_ids": sorted(article_ids)}


def _most_common(values: Iterable[str] | Counter) -> str:
    """The most frequent value; ties go to the smallest, so the choice never depends on order."""
    counts = values if isinstance(values, Counter) else Counter(values)
    return min(counts, key=lambda value: (-counts[value], value))


def _save(out: Path, corpus: Corpus, report: PublishReport) -> dict[str, list[tuple[str, str]]]:
    """Finish every config: OUT/<config> loads with load_from_disk; (split, data_files pattern) of
    each config's splits with rows in the hub folder, whose loader refuses a split with no rows.

    An empty split is saved with one (empty) data file, which load_from_disk needs.
    """
    hub_files: dict[str, list[tuple[str, str]]] = {}
    for config, writers in corpus.writers.items():
        patterns = sharded.save_config(out, config, writers)
        hub_files[config] = [(split, pattern) for split, pattern in patterns.items() if pattern]
    return hub_files


def _read_inputs(out: Path) -> dict:
    """RAW, the number of input files and the sha256 of their list, as ingest recorded them."""
    directory = store.stage_dir(out, "ingest")
    for path in (directory / store.INPUTS_FILE, directory / store.INPUT_LIST_FILE):
        if not path.is_file():  # also an OUT of an older builder, which kept the list in inputs.json
            raise BuildError(f"{path} is missing: rerun the `ingest` stage")
    return json.loads((directory / store.INPUTS_FILE).read_text(encoding="utf-8"))


def _digests(out: Path, known: dict[Path, str] | None = None) -> dict[str, str]:
    """sha256 of every file under out (but the manifest itself), by relative path; the files in
    known were hashed as publish read or wrote them, and only the others are read here."""
    known = known or {}
    digests = {}
    for path in sorted(out.rglob("*")):
        if path.is_file() and path != out / "manifest.json" and path != out / store.RESUME_FILE:
            digest = known.get(path)
            if digest is None:
                with path.open("rb") as handle:
                    digest = hashlib.file_digest(handle, "sha256").hexdigest()
            digests[path.relative_to(out).as_posix()] = digest
    return digests


def _write_rejects(out: Path, rejects: Iterable[dict], digests: dict[Path, str]) -> int:
    """OUT/rejects.jsonl (every reject, without tracebacks) and OUT/errors.jsonl (the rejects that
    are bugs, runner.ERROR_REASONS, each with its traceback), in one pass, hashed as they are
    written (into digests); the number of errors."""
    from builder.runner import ERROR_REASONS

    errors = 0
    reject_file = sharded.HashingFile(str(out / "rejects.jsonl"))
    error_file = sharded.HashingFile(str(out / "errors.jsonl"))
    try:
        for reject in rejects:
            if reject["reason"] in ERROR_REASONS:
                errors += 1
                error_file.write((store.dumps({**reject, "traceback": reject.get("traceback")}) + "\n").encode())
            reject_file.write((store.dumps({key: value for key, value in reject.items() if key != "traceback"})
                               + "\n").encode())
    finally:
        reject_file.close()
        error_file.close()
    digests[out / "rejects.jsonl"] = reject_file.hexdigest()
    digests[out / "errors.jsonl"] = error_file.hexdigest()
    return errors


def _reject_order(reject: dict) -> tuple:
    return (reject["source_path"] or "", reject["source_line"] or 0, STAGES.index(reject["stage"]),
            reject["article_id"] or "", reject["reason"])
