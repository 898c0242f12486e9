"""The one runner: RAW to stage shards to the published dataset, in parallel over articles.

Where things run is kept apart from what is computed: the per-article work is `_process_task`, a
pure function of a batch of input units, mapped in input order by an engine (builder/engines: this
process when WORKERS=1, a local process pool, or a Dask cluster), so the output is the same
whatever the engine and WORKERS are. The main process alone reads RAW and writes files, and it
alone sees every article_id, so it rejects duplicates in input order.

Memory stays flat in the corpus size: RAW is streamed, few tasks are in flight, shards are written
as they complete, the input files' hashes (taken from the bytes as they are read: RAW is read
once) go to a list on disk, and the article_ids seen so far
live in an on-disk index. A build killed part-way leaves its finished shards in the work folder
(`.<out>.building`); the next build of the same inputs with the same code resumes after them (see
`_resume_point`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import sys
import threading
import traceback
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Callable, Iterable, Iterator

from builder import store
from builder.budget import DEFAULT_ARTICLE_TIMEOUT, ArticleTimeout, article_budget
from builder.engines import ordered_map as engine_map
from builder.errors import BuildError
from builder.ingest import Rejected, Source, ingest_source, iter_input_files, iter_input_states, iter_sources
from builder.store import STAGES

# Articles per pool task: small enough to balance two workers on a few dozen articles, large
# enough that pickling a task costs little next to processing it.
CHUNK_SIZE = 16
# ... and no more input bytes than this per task (a task of large articles is pickled whole).
CHUNK_BYTES = 8 * 1024 * 1024
# Reasons of the rejects that are the code's fault, not the input's: each keeps its traceback
# (OUT/errors.jsonl) and makes the build exit with ERRORS_EXIT_CODE.
ERROR_REASONS = ("stage_error", "worker_died")
# A worker killed by the main process past its task's deadline was stuck where the article budget
# could not interrupt it (inside one C call); this much on top of the budgets of its articles.
DEADLINE_GRACE = 30.0


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
    report_articles: int | None = None  # article pages in OUT/report; None: builder.report's default
    dedup: bool = False  # publish one row per repeated quote (builder/stories.py)
    quiet: bool = False
    shard_size: int = store.SHARD_SIZE
    shard_bytes: int = store.SHARD_BYTES
    chunk_size: int = CHUNK_SIZE
    engine: str = "local"  # builder.engines: local or dask
    scheduler: str | None = None  # a Dask scheduler's address; None: $DASK_SCHEDULER, else a LocalCluster
    columns: object = None  # builder.sources.Columns naming the id and text columns; None: id and text
    resume: bool = True  # build: resume from the finished shards of a killed build of the same inputs
    article_timeout: float | None = DEFAULT_ARTICLE_TIMEOUT  # seconds per article (builder.budget); None: no limit


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
    errors_file: str = "errors.jsonl"  # where the tracebacks of the errors are, for the closing lines

    @classmethod
    def of_publish(cls, command: str, report, out: Path | None = None) -> "Summary":
        """The summary of a command that ended with publish (a PublishReport)."""
        return cls(command, report.inputs, report.published, report.rejected_by_reason, report.quotes,
                   report.quotes_below_min_confidence, report.speakers,
                   str(Path(out) / "errors.jsonl") if out is not None else "errors.jsonl")

    @property
    def errors(self) -> int:
        """Articles lost to a bug (a stage raised, a worker died), not to their input."""
        return sum(self.rejected[reason] for reason in ERROR_REASONS)

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
        if self.errors:
            lines.append(f"error: {self.errors} article{'s' if self.errors != 1 else ''} hit a bug in the builder "
                         f"({', '.join(f'{reason} {self.rejected[reason]}' for reason in ERROR_REASONS if self.rejected[reason])}); "
                         f"tracebacks in {self.errors_file}. The other articles are published.")
        return "\n".join(lines)


def build(config: RunConfig) -> Summary:
    """RAW through every stage into a new OUT, which replaces the old one only on success."""
    from builder.publish import publish

    raw = checked_raw(config.raw)
    check_resources()
    with store.replacing(config.out, start_from_current=False, keep_work=config.resume) as work:
        with _importing_publish_libraries(config.workers > 1):
            _run_from_raw(raw, work, STAGES, config, resume=config.resume)
        report = publish(work, workers=config.workers, min_confidence=config.min_confidence,
                         report_articles=config.report_articles, dedup=config.dedup)
    return Summary.of_publish("build", report, config.out)


@contextmanager
def _importing_publish_libraries(meanwhile: bool) -> Iterator[None]:
    """Import the libraries publish needs on a thread while the block (the stages) runs, if meanwhile.

    They take about 0.4 s, which the main process would spend after the stages, though it mostly
    waits while worker processes run them: for the forkserver to load the stages, then for the
    workers (with one worker the stages run in this process, and the thread would only compete
    with them). Joined when the block ends, so publish finds them imported. The stages' code in
    the main process imports none of these libraries: the two threads meet only on
    standard-library modules, whose imports Python's module locks serialize.
    """
    if not meanwhile:
        yield
        return
    thread = threading.Thread(target=_import_publish_libraries, name="publish-imports", daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join()


def _import_publish_libraries() -> None:
    import pyarrow as pa
    import pyarrow.compute  # noqa: F401  (the report)
    import pyarrow.parquet  # noqa: F401
    import yaml  # noqa: F401  (the dataset card)

    pa.array([])  # pyarrow imports pandas on its first conversion from Python objects


def run_stage_command(stage: str, config: RunConfig) -> Summary:
    """One stage over OUT: ingest reads RAW, the others the shards of the stages before them."""
    raw = checked_raw(config.raw) if stage == "ingest" else None
    check_resources()
    with store.replacing(config.out, start_from_current=True) as work:
        if stage == "ingest":
            return _run_from_raw(raw, work, ("ingest",), config)
        return _run_from_shards(stage, work, config)


def publish_command(config: RunConfig) -> Summary:
    """Publish alone: the datasets, hub folder, rejects and manifest from OUT's stage shards."""
    from builder.publish import publish

    with store.replacing(config.out, start_from_current=True) as work:
        report = publish(work, workers=config.workers, min_confidence=config.min_confidence,
                         report_articles=config.report_articles, dedup=config.dedup)
    return Summary.of_publish("publish", report, config.out)


def check_resources() -> None:
    """Stop before any work when a resource file the stages need is missing, naming it: a worker
    would otherwise fail every article on it, one stage_error at a time."""
    from builder.resources import missing

    absent = missing()
    if absent:
        raise BuildError(f"resource file{'s' if len(absent) > 1 else ''} missing: {', '.join(absent)}; reinstall the "
                         f"builder (the name recogniser's files can be rebuilt with `make names`)")


def checked_raw(raw: Path | None) -> Path:
    """RAW as a folder holding at least one article file, or a BuildError saying what is wrong."""
    if raw is None:
        raise BuildError("no RAW folder given (--raw)")
    raw = Path(raw)
    if not raw.is_dir():
        raise BuildError(f"RAW folder {raw} does not exist" if not raw.exists() else f"RAW {raw} is not a folder")
    if next(iter_input_files(raw), None) is None:
        raise BuildError(f"RAW folder {raw} holds no article files (*.txt, *.jsonl, *.jsonl.gz, *.parquet, "
                         f"or *.arrow as written by save_to_disk)")
    return raw


# --- the main process: tasks out, outcomes back in order, shards written -----------------------

def _run_from_raw(raw: Path, work: Path, stages: tuple[str, ...], config: RunConfig, *,
                  resume: bool = False) -> Summary:
    """Ingest RAW (and run the later stages in memory) into the stage shards under work.

    resume: keep the shards a killed build of the same inputs finished, and skip their inputs.
    """
    finished = _resume_point(work, raw, _input_states_sha256(raw), stages, config) if resume else 0
    # The input list is streamed to disk as RAW is read (never held: millions of files), first in
    # the work folder's root, where the stage writer's fresh ingest folder does not remove it.
    listing_path = work / (store.INPUT_LIST_FILE + store.PARTIAL)
    listing_path.unlink(missing_ok=True)  # left by a killed build
    with store.InputList(listing_path) as listing:
        read_to_end: list[bool] = []
        summary = _run_units(raw, work, stages, config, finished, listing, read_to_end)
    if not read_to_end:  # the input list would miss files: never publish it
        raise RuntimeError("RAW was not read to its end, yet every task is done")
    if not summary.articles_in and not finished:
        raise BuildError(f"RAW folder {raw} holds no articles (only empty *.jsonl files)")
    inputs = listing.summary()
    ingest_dir = store.stage_dir(work, "ingest")
    os.replace(listing_path, ingest_dir / store.INPUT_LIST_FILE)
    summary_path = ingest_dir / store.INPUTS_FILE
    summary_path.unlink(missing_ok=True)  # written already if a resumed build was killed while publishing
    store.write_json(summary_path, {"raw": str(raw), **inputs})
    return summary


def _run_units(raw: Path, work: Path, stages: tuple[str, ...], config: RunConfig, finished: int,
               listing: store.InputList, read_to_end: list) -> Summary:
    """RAW's units (after those of the `finished` shards) through the stages into the shards;
    every file's sha256, taken from the bytes as they are read, into listing (RAW is read once)."""
    def units() -> Iterator:
        for unit in iter_sources(raw, config.columns, digests=listing.add):
            # Rejected is an exception whose pickling loses its fields: turn it into data before
            # it travels to a worker.
            yield _listing_reject(unit) if isinstance(unit, Rejected) else unit
        read_to_end.append(True)

    # The units of the finished shards are read too (for their files' digests), not processed.
    remaining = islice(units(), store.units_in_shards(work, finished), None)
    tasks = ((shard, stages, chunk, config.article_timeout)
             for shard, chunk in _chunks(remaining, config, first_shard=finished))
    with _IdIndex(work / _ID_INDEX) as ids:
        for shard in range(finished):
            for article in store.read_jsonl(store.shard_path(work, "ingest", shard)):
                ids.first_use(article["article_id"], _where(article))

        def reject_duplicates(outcome: dict) -> dict:
            article = outcome.get("article")
            if article is None:
                return outcome
            first = ids.first_use(article["article_id"], _where(article))
            if first is None:
                return outcome
            return _rejected(article, "ingest", "duplicate_id",
                             f"article_id {article['article_id']!r} is already used by {first}")

        return _write_outcomes(work, stages, tasks, config, stages[-1], reject_duplicates, keep_below=finished)


_ID_INDEX = ".article_ids.sqlite"


class _IdIndex:
    """article_id -> where it was first used, on disk (SQLite), so memory stays flat on any corpus.

    It lives in the work folder only while the shards are written; a resumed build refills it from
    the finished ingest shards.
    """

    def __init__(self, path: Path):
        self.path = path
        path.unlink(missing_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("CREATE TABLE ids (id TEXT PRIMARY KEY, place TEXT NOT NULL) WITHOUT ROWID")
        self.db.execute("BEGIN")

    def first_use(self, article_id: str, place: str) -> str | None:
        """None if article_id is new (and now recorded), else where it was first used."""
        if self.db.execute("INSERT OR IGNORE INTO ids VALUES (?, ?)", (article_id, place)).rowcount:
            return None
        return self.db.execute("SELECT place FROM ids WHERE id = ?", (article_id,)).fetchone()[0]

    def __enter__(self) -> "_IdIndex":
        return self

    def __exit__(self, *exc) -> None:
        self.db.close()
        self.path.unlink(missing_ok=True)


def _input_states_sha256(raw: Path) -> str:
    """sha256 of the list of RAW's files with their size, mtime and ctime (nothing is read): the
    same list means the same inputs, as make and rsync judge it."""
    digest = hashlib.sha256()
    for rel, state in iter_input_states(raw):
        digest.update((store.dumps([rel, state]) + "\n").encode("utf-8", errors="surrogatepass"))
    return digest.hexdigest()


def _resume_point(work: Path, raw: Path, input_states: str, stages: tuple[str, ...], config: RunConfig) -> int:
    """How many shards of the work folder a build may keep: those a killed build finished, when it
    built the same inputs (RAW, the sha256 of the list of its files with their size, mtime and
    ctime: a file rewritten since, even to the same size and mtime, changes it; the id and text
    columns) with the same code and shard size. Anything else in the work folder is removed, and
    this build's key recorded.
    """
    key = {"raw": str(raw), "input_states": input_states,
           "columns": config.columns.as_dict() if config.columns is not None else None,
           "shard_size": config.shard_size, "shard_bytes": config.shard_bytes, "stages": list(stages),
           "code": _code_digest()}
    path = work / store.RESUME_FILE
    try:
        if json.loads(path.read_text(encoding="utf-8")) == key:
            return store.finished_shards(work, stages)
    except (OSError, ValueError):
        pass
    for child in work.iterdir():
        shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    temporary = path.with_name(path.name + store.PARTIAL)
    temporary.write_text(json.dumps(key, sort_keys=True), encoding="utf-8")
    os.replace(temporary, path)
    return 0


def _code_digest() -> str:
    """sha256 of the builder's code and data files as this process loaded them (at its import of
    this module): a resumed build never mixes shards of two versions, and workers prove with it
    that they run the same code as the main process (WorkerProof)."""
    return _LOADED_CODE_DIGEST


def _digest_code_files() -> str:
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for folder in ("builder", "schemas"):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


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
                yield shard, (stage,), chunk, config.article_timeout

    return _write_outcomes(work, (stage,), tasks(), config, stage)


def _write_outcomes(work: Path, stages: tuple[str, ...], tasks: Iterable, config: RunConfig, last_stage: str,
                    check: Callable[[dict], dict] = lambda outcome: outcome, keep_below: int = 0) -> Summary:
    """Map tasks over the engine, write their outcomes in input order, and count them."""
    from tqdm import tqdm

    articles_in = done = 0
    rejected: Counter = Counter()
    progress = tqdm(desc=stages[-1] if len(stages) == 1 else "build", unit=" articles", file=sys.stderr,
                    disable=config.quiet or not sys.stderr.isatty())
    proven = WorkerProof.of_this_process()
    with store.StageWriter(work, stages, keep_below=keep_below) as writer, progress:
        for shard, outcomes, proof in ordered_map(_process_task, tasks, config):
            if proof is not None:
                proven.check(proof)
            if shard != writer.index:  # also for an empty task: every stage keeps a file per shard
                writer.start_shard(shard)
            for outcome in map(check, outcomes):
                writer.write(shard, outcome)
                articles_in += 1
                done += last_stage in outcome["records"]
                if outcome["reject"] is not None:
                    rejected[outcome["reject"]["reason"]] += 1
            progress.update(len(outcomes))
    return Summary(last_stage, articles_in, done, rejected)


def ordered_map(function: Callable, items: Iterable, config: RunConfig) -> Iterator:
    """function over items on the configured engine and workers, results in input order. A
    worker stuck past its task's deadline (the budgets of its articles and DEADLINE_GRACE) is
    killed, and its task's articles rejected (`_lost_task`)."""
    def deadline(task) -> float | None:
        timeout = task[3] if len(task) > 3 else None
        return len(task[2]) * timeout + DEADLINE_GRACE if timeout else None

    return engine_map(function, items, workers=config.workers, engine=config.engine, scheduler=config.scheduler,
                      deadline=deadline, lost=_lost_task)


def _batched(items: Iterable, size: int) -> Iterator[list]:
    items = iter(items)
    while batch := list(islice(items, size)):
        yield batch


def _chunks(units: Iterable, config: RunConfig, first_shard: int = 0) -> Iterator[tuple[int, list]]:
    """(shard index, chunk) pairs, streamed: a shard ends after shard_size units or once its inputs
    reach shard_bytes, whichever comes first; a chunk (one pool task) after chunk_size units or
    CHUNK_BYTES of input, so a task of large articles stays small in flight too."""
    shard, in_shard, shard_bytes = first_shard, 0, 0
    chunk: list = []
    chunk_bytes = 0
    for unit in units:
        size = len(unit.payload) if isinstance(unit, Source) else 0
        chunk.append(unit)
        chunk_bytes += size
        in_shard += 1
        shard_bytes += size
        shard_full = in_shard >= config.shard_size or shard_bytes >= config.shard_bytes
        if shard_full or len(chunk) >= config.chunk_size or chunk_bytes >= CHUNK_BYTES:
            yield shard, chunk
            chunk, chunk_bytes = [], 0
        if shard_full:
            shard, in_shard, shard_bytes = shard + 1, 0, 0
    if chunk:
        yield shard, chunk


# --- the workers: pure per-article work, every failure turned into a reject --------------------

def _process_task(task: tuple) -> tuple[int, list[dict], dict | None]:
    """(shard, outcomes, proof): the task's articles through its stages, and the proof of the code
    the process runs (WorkerProof), sent with every result: a long-lived Dask worker may serve
    several builds."""
    from builder.pipeline import settle

    settle()  # once per process; a pool worker forks settled (builder._preload)
    shard, stages, units = task[:3]
    timeout = task[3] if len(task) > 3 else None
    outcomes = [_serialized(_process_unit(unit, stages, timeout)) for unit in units]
    return shard, outcomes, WorkerProof.as_sent()


def _serialized(outcome: dict) -> dict:
    """The outcome with its records as the JSON lines the shards hold, made here in the worker (in
    parallel, and cheaper to send back than the records), and the ingested article's id and
    source, which the main process needs to reject duplicates."""
    article = outcome["records"].get("ingest")
    return {"records": {stage: store.dumps(record) for stage, record in outcome["records"].items()},
            "article": None if article is None else {"article_id": article["article_id"],
                                                     "source_path": article["source_path"],
                                                     "source_line": article["source_line"]},
            "reject": outcome["reject"]}


def _process_unit(unit: Source | dict | tuple[dict, dict], stages: tuple[str, ...], timeout: float | None = None) -> dict:
    """{records: {stage: output}, reject: record or None} for one input unit or stored article.

    A unit is a Source from RAW, an outcome already decided while listing RAW, or an ingested
    article with the outputs of the stages before. The outputs of the stages that succeeded are
    kept even when a later one fails, so that stage can be rerun alone once fixed. The whole unit
    runs within the article budget (timeout seconds): past it, the article is rejected `timeout`.
    """
    if isinstance(unit, dict):
        return unit
    progress: dict = {"stage": "ingest", "records": {}, "article": None}
    try:
        with article_budget(timeout):
            return _run_unit(unit, stages, progress)
    except ArticleTimeout:
        where = _innermost_frame(sys.exc_info()[2])
        path, line, article_id = _unit_place(unit, progress["article"])
        return {"records": progress["records"],
                "reject": _reject_record(path, line, article_id, progress["stage"], "timeout",
                                         f"took more than {timeout:g} s (--article-timeout) in {progress['stage']}"
                                         + (f", stopped in {where}" if where else ""))}


def _run_unit(unit: Source | tuple[dict, dict], stages: tuple[str, ...], progress: dict) -> dict:
    # Imported here: the stages load their lexicons and models, which only the process running
    # them needs (the workers, warmed by builder._preload; this one only with one worker).
    from builder.pipeline import run_stage

    records = progress["records"]
    if isinstance(unit, Source):
        try:
            article = ingest_source(unit)
        except Rejected as error:
            return {"records": {}, "reject": _reject_record(unit.path, unit.line, error.article_id, "ingest",
                                                             error.reason, error.message)}
        except Exception as error:  # a bug in ingest must not sink the other articles of the batch
            return {"records": {}, "reject": _error_record(unit.path, unit.line, None, "ingest", error)}
        records["ingest"] = article
        outputs: dict = {}
    else:
        article, outputs = unit
    progress["article"] = article
    for stage in stages:
        if stage == "ingest":
            continue
        progress["stage"] = stage
        try:
            outputs[stage] = records[stage] = run_stage(stage, article, outputs)
        except Exception as error:
            return {"records": dict(records), "reject": _error_record(article["source_path"], article["source_line"],
                                                                       article["article_id"], stage, error)}
    return {"records": dict(records), "reject": None}


def _unit_place(unit, article: dict | None) -> tuple[str | None, int | None, str | None]:
    """(source_path, source_line, article_id) of a unit, as far as it is known."""
    if article is None and isinstance(unit, tuple):
        article = unit[0]
    if article is not None:
        return article["source_path"], article["source_line"], article["article_id"]
    return unit.path, unit.line, None


def _innermost_frame(trace) -> str | None:
    """«builder/attribute.py:1200 in _carry»: where the code was when the budget stopped it."""
    frames = [frame for frame in traceback.extract_tb(trace) if not frame.filename.endswith(f"builder{os.sep}budget.py")]
    if not frames:
        return None
    frame = frames[-1]
    path = Path(frame.filename)
    return f"{path.parent.name}/{path.name}:{frame.lineno} in {frame.name}"


def _lost_task(task: tuple, reason: str) -> tuple[int, list[dict], None]:
    """The outcome of a task whose worker was killed past its deadline (reason `timeout`) or died
    under it (`worker_died`, also an error): every article of it rejected, with what is known."""
    shard, stages, units = task[:3]
    timeout = task[3] if len(task) > 3 else None
    if reason == "timeout":
        message = (f"its worker was still busy {len(units)} x {timeout:g} s (--article-timeout) + {DEADLINE_GRACE:g} s "
                   f"after the task of {len(units)} articles started (stuck where the budget cannot interrupt it); "
                   f"it was killed and replaced")
    else:
        message = f"its worker process died while running a task of {len(units)} articles (crashed, or killed from outside)"
    outcomes = []
    for unit in units:
        if isinstance(unit, dict):
            outcomes.append(_serialized(unit))
            continue
        path, line, article_id = _unit_place(unit, None)
        stage = stages[0] if isinstance(unit, tuple) else "ingest"
        reject = _reject_record(path, line, article_id, stage, reason, message)
        if reason in ERROR_REASONS:
            reject["traceback"] = None
        outcomes.append(_serialized({"records": {}, "reject": reject}))
    return shard, outcomes, None


@dataclass(frozen=True)
class WorkerProof:
    """What code a process runs: the digest of the builder's code as it was when this process
    loaded it, and the versions of the rule lexicons it holds. Every worker sends its own with its
    results (made once per process, so it costs nothing per task); the main process compares it
    with its own and stops the build on a difference (a Dask worker or a forkserver started before
    the code changed would build with the old code)."""

    code: str
    resources: tuple
    pid: int = 0

    @classmethod
    def of_this_process(cls) -> "WorkerProof":
        from builder.learning import versions as model_versions
        from builder.resources import versions

        held = {**versions(), **{f"model {name}": version for name, version in model_versions().items()}}
        return cls(_LOADED_CODE_DIGEST, tuple(sorted(held.items())), os.getpid())

    @classmethod
    def as_sent(cls) -> dict:
        """This process's proof, as it travels with every task's result (made once)."""
        global _PROOF
        if _PROOF is None:
            proof = cls.of_this_process()
            _PROOF = {"code": proof.code, "resources": [list(pair) for pair in proof.resources], "pid": proof.pid}
        return _PROOF

    def check(self, proof: dict) -> None:
        resources = tuple(tuple(pair) for pair in proof["resources"])
        if proof["code"] == self.code and resources == self.resources:
            return
        what = []
        if proof["code"] != self.code:
            what.append(f"code digest {proof['code'][:12]} where this build's is {self.code[:12]}")
        if resources != self.resources:
            theirs, ours = dict(resources), dict(self.resources)
            what.append("rule versions " + ", ".join(f"{name} {theirs.get(name)} (here {ours.get(name)})"
                                                     for name in sorted(set(theirs) | set(ours))
                                                     if theirs.get(name) != ours.get(name)))
        raise BuildError(f"worker process {proof['pid']} runs other code than this build: {'; '.join(what)}. "
                         f"Restart the workers (a Dask cluster: restart its workers with this version installed) "
                         f"and build again.")


_PROOF: dict | None = None


def _listing_reject(error: Rejected) -> dict:
    """The outcome of an input refused while listing RAW (a link out of it)."""
    return {"records": {}, "reject": _reject_record(error.path, getattr(error, "line", None), error.article_id,
                                                     "ingest", error.reason, error.message)}


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _error_record(source_path: str | None, source_line: int | None, article_id: str | None, stage: str,
                  error: BaseException) -> dict:
    """A stage_error reject: the exception in its message, its traceback kept (OUT/errors.jsonl)."""
    record = _reject_record(source_path, source_line, article_id, stage, "stage_error", _describe(error))
    record["traceback"] = "".join(traceback.format_exception(error))
    return record


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


# Computed when this module is imported: in a pool worker that is when the forkserver loaded the
# stages (builder._preload), in a Dask worker when it first ran a task.
_LOADED_CODE_DIGEST = _digest_code_files()
