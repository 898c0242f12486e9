"""The one runner: RAW to stage shards to the published dataset, in parallel over articles.

Where things run is kept apart from what is computed: the per-article work is `_process_task`, a
pure function of a batch of input units, mapped in input order over a process pool (or in this
process when WORKERS=1), so the output is the same whatever WORKERS is. The main process alone
writes files, and it alone sees every article_id, so it rejects duplicates in input order.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import os
import sys
from collections import Counter, deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Callable, Iterable, Iterator

from builder import store
from builder.errors import BuildError
from builder.ingest import Rejected, Source, ingest_source, input_digests, iter_input_files, iter_sources
from builder.pipeline import run_stage
from builder.store import STAGES

# Articles per pool task: small enough to balance two workers on a few dozen articles, large
# enough that pickling a task costs little next to processing it.
CHUNK_SIZE = 16


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass
class RunConfig:
    """What a command runs on and how; RAW is only needed by build and ingest."""

    out: Path
    raw: Path | None = None
    workers: int = field(default_factory=default_workers)
    min_confidence: float = 0.0
    quiet: bool = False
    shard_size: int = store.SHARD_SIZE
    chunk_size: int = CHUNK_SIZE


@dataclass
class Summary:
    """What a command did, for the closing lines on the terminal."""

    command: str
    articles_in: int
    done: int
    rejected: Counter
    quotes: int | None = None
    quotes_below_min_confidence: int = 0
    speakers: int | None = None

    @classmethod
    def of_publish(cls, command: str, report) -> "Summary":
        """The summary of a command that ended with publish (a PublishReport)."""
        return cls(command, report.inputs, report.published, report.rejected_by_reason, report.quotes,
                   report.quotes_below_min_confidence, report.speakers)

    def format(self) -> str:
        reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(self.rejected.items()))
        rejected = sum(self.rejected.values())
        lines = [f"{self.command}: {self.articles_in} articles in, "
                 f"{self.done} {'published' if self.quotes is not None else 'done'}, "
                 f"{rejected} rejected" + (f" ({reasons})" if reasons else "")]
        if self.quotes is not None:
            lines.append(f"quotes: {self.quotes}" + (f" ({self.quotes_below_min_confidence} below "
                                                     f"MIN_CONFIDENCE left out)" if self.quotes_below_min_confidence else ""))
        if self.speakers is not None:
            lines.append(f"speakers: {self.speakers}")
        if self.articles_in and not self.done:
            lines.append("warning: every article was rejected; see rejects.jsonl")
        return "\n".join(lines)


def build(config: RunConfig) -> Summary:
    """RAW through every stage into a new OUT, which replaces the old one only on success."""
    from builder.publish import publish

    raw = checked_raw(config.raw)
    with store.replacing(config.out, start_from_current=False) as work:
        _run_from_raw(raw, work, STAGES, config)
        report = publish(work, workers=config.workers, min_confidence=config.min_confidence)
    return Summary.of_publish("build", report)


def run_stage_command(stage: str, config: RunConfig) -> Summary:
    """One stage over OUT: ingest reads RAW, the others the shards of the stages before them."""
    raw = checked_raw(config.raw) if stage == "ingest" else None
    with store.replacing(config.out, start_from_current=True) as work:
        if stage == "ingest":
            return _run_from_raw(raw, work, ("ingest",), config)
        return _run_from_shards(stage, work, config)


def publish_command(config: RunConfig) -> Summary:
    """Publish alone: the datasets, hub folder, rejects and manifest from OUT's stage shards."""
    from builder.publish import publish

    with store.replacing(config.out, start_from_current=True) as work:
        report = publish(work, workers=config.workers, min_confidence=config.min_confidence)
    return Summary.of_publish("publish", report)


def checked_raw(raw: Path | None) -> Path:
    """RAW as a folder holding at least one article file, or a BuildError saying what is wrong."""
    if raw is None:
        raise BuildError("no RAW folder given (--raw)")
    raw = Path(raw)
    if not raw.is_dir():
        raise BuildError(f"RAW folder {raw} does not exist" if not raw.exists() else f"RAW {raw} is not a folder")
    if next(iter_input_files(raw), None) is None:
        raise BuildError(f"RAW folder {raw} holds no *.txt or *.jsonl articles")
    return raw


# --- the main process: tasks out, outcomes back in order, shards written -----------------------

def _run_from_raw(raw: Path, work: Path, stages: tuple[str, ...], config: RunConfig) -> Summary:
    """Ingest RAW (and run the later stages in memory) into the stage shards under work."""
    # Rejected is an exception whose pickling loses its fields: turn it into data before it
    # travels to a worker.
    units = (_listing_reject(unit) if isinstance(unit, Rejected) else unit for unit in iter_sources(raw))
    tasks = ((shard, stages, chunk) for shard, chunk in _chunks(units, config))
    seen: dict[str, str] = {}  # article_id -> the input that used it first

    def reject_duplicates(outcome: dict) -> dict:
        article = outcome["records"].get("ingest")
        if article is None:
            return outcome
        if article["article_id"] not in seen:
            seen[article["article_id"]] = _where(article)
            return outcome
        return _rejected(article, "ingest", "duplicate_id",
                         f"article_id {article['article_id']!r} is already used by {seen[article['article_id']]}")

    summary = _write_outcomes(work, stages, tasks, config, stages[-1], reject_duplicates)
    if not summary.articles_in:
        raise BuildError(f"RAW folder {raw} holds no articles (only empty *.jsonl files)")
    store.write_json(store.stage_dir(work, "ingest") / store.INPUTS_FILE,
                     {"raw": str(raw), "files": input_digests(raw)})
    return summary


def _run_from_shards(stage: str, work: Path, config: RunConfig) -> Summary:
    """Rerun one per-article stage from the stored outputs of the stages before it."""
    earlier = STAGES[: STAGES.index(stage)]
    indices = store.shard_indices(work, "ingest")
    for name in earlier[1:]:
        if store.shard_indices(work, name) != indices:
            raise BuildError(f"the {name} shards do not match the ingest shards: rerun `{name}` first")

    def tasks() -> Iterator[tuple[int, tuple[str, ...], list]]:
        for shard in indices:
            outputs = {name: {r["article_id"]: r for r in store.read_jsonl(store.shard_path(work, name, shard))}
                       for name in earlier[1:]}
            units = [(article, {name: outputs[name][article["article_id"]] for name in outputs})
                     for article in store.read_jsonl(store.shard_path(work, "ingest", shard))
                     if all(article["article_id"] in records for records in outputs.values())]
            # An empty task still opens the shard, so every stage keeps a file per shard index.
            for chunk in list(_batched(units, config.chunk_size)) or [[]]:
                yield shard, (stage,), chunk

    return _write_outcomes(work, (stage,), tasks(), config, stage)


def _write_outcomes(work: Path, stages: tuple[str, ...], tasks: Iterable, config: RunConfig, last_stage: str,
                    check: Callable[[dict], dict] = lambda outcome: outcome) -> Summary:
    """Map tasks over the pool, write their outcomes in input order, and count them."""
    from tqdm import tqdm

    articles_in = done = 0
    rejected: Counter = Counter()
    progress = tqdm(desc=stages[-1] if len(stages) == 1 else "build", unit=" articles", file=sys.stderr,
                    disable=config.quiet or not sys.stderr.isatty())
    with store.StageWriter(work, stages) as writer, progress:
        for shard, outcomes in ordered_map(_process_task, tasks, config.workers):
            for outcome in map(check, outcomes):
                writer.write(shard, outcome)
                articles_in += 1
                done += last_stage in outcome["records"]
                if outcome["reject"] is not None:
                    rejected[outcome["reject"]["reason"]] += 1
            progress.update(len(outcomes))
    return Summary(last_stage, articles_in, done, rejected)


def ordered_map(function: Callable, items: Iterable, workers: int) -> Iterator:
    """function over items on `workers` processes, results in input order, few items in flight.

    Bounding what is in flight keeps memory flat on any corpus size. With one worker, or a single
    item, everything runs in this process.
    """
    items = iter(items)
    head = list(islice(items, 2))
    if workers <= 1 or len(head) < 2:
        yield from map(function, _chain(head, items))
        return
    with ProcessPoolExecutor(workers, mp_context=_pool_context()) as pool:
        pending: deque = deque()
        for item in _chain(head, items):
            pending.append(pool.submit(function, item))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _pool_context() -> multiprocessing.context.BaseContext:
    """forkserver where there is one: workers fork from a clean server process, never from a
    parent that may hold threads (pyarrow's, once datasets is imported), which fork does not
    survive reliably. The server loads the stages and warms their caches once (builder._preload),
    so each worker starts ready. Like any spawned worker, it imports the caller's __main__, which
    must guard its entry point.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", "builder._preload"])
    return context


def _chain(head: list, rest: Iterator) -> Iterator:
    yield from head
    yield from rest


def _batched(items: Iterable, size: int) -> Iterator[list]:
    items = iter(items)
    while batch := list(islice(items, size)):
        yield batch


def _chunks(units: Iterable, config: RunConfig) -> Iterator[tuple[int, list]]:
    """(shard index, chunk) pairs: shards of shard_size units, cut into pool-sized chunks."""
    for shard, units_of_shard in enumerate(_batched(units, config.shard_size)):
        for chunk in _batched(units_of_shard, config.chunk_size):
            yield shard, chunk


# --- the workers: pure per-article work, every failure turned into a reject --------------------

def _process_task(task: tuple[int, tuple[str, ...], list]) -> tuple[int, list[dict]]:
    shard, stages, units = task
    return shard, [_process_unit(unit, stages) for unit in units]


def _process_unit(unit: Source | dict | tuple[dict, dict], stages: tuple[str, ...]) -> dict:
    """{records: {stage: output}, reject: record or None} for one input unit or stored article.

    A unit is a Source from RAW, an outcome already decided while listing RAW, or an ingested
    article with the outputs of the stages before. The outputs of the stages that succeeded are
    kept even when a later one fails, so that stage can be rerun alone once fixed.
    """
    if isinstance(unit, dict):
        return unit
    if isinstance(unit, Source):
        try:
            article = ingest_source(unit)
        except Rejected as error:
            return {"records": {}, "reject": _reject_record(unit.path, unit.line, error.article_id, "ingest",
                                                             error.reason, error.message)}
        except Exception as error:  # a bug in ingest must not sink the other articles of the batch
            return {"records": {}, "reject": _reject_record(unit.path, unit.line, None, "ingest",
                                                             "stage_error", _describe(error))}
        records, outputs = {"ingest": article}, {}
    else:
        article, outputs = unit
        records = {}
    for stage in stages:
        if stage == "ingest":
            continue
        try:
            outputs[stage] = records[stage] = run_stage(stage, article, outputs)
        except Exception as error:
            return {"records": records, "reject": _reject_record(article["source_path"], article["source_line"],
                                                                  article["article_id"], stage, "stage_error",
                                                                  _describe(error))}
    return {"records": records, "reject": None}


def _listing_reject(error: Rejected) -> dict:
    """The outcome of an input refused while listing RAW (a link out of it)."""
    return {"records": {}, "reject": _reject_record(error.path, None, error.article_id, "ingest",
                                                     error.reason, error.message)}


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


def _where(article: dict) -> str:
    line = article.get("source_line")
    return article["source_path"] + (f" line {line}" if line is not None else "")


def _reject_record(source_path: str | None, source_line: int | None, article_id: str | None, stage: str,
                   reason: str, message: str) -> dict:
    return {"source_path": source_path, "source_line": source_line, "article_id": article_id,
            "stage": stage, "reason": reason, "message": message}


def _rejected(article: dict, stage: str, reason: str, message: str) -> dict:
    """The outcome of an article rejected after ingest: no stage output is kept."""
    return {"records": {}, "reject": _reject_record(article["source_path"], article["source_line"],
                                                     article["article_id"], stage, reason, message)}
