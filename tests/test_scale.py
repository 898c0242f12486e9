"""Scale: every input format streamed, outputs in shards, resumed builds, the pipeline's short cuts.

Builds run in this process (WORKERS=1) on small corpora written under tmp_path; shard sizes and
sort runs are made tiny so several shards and runs happen. No timing is asserted here: the
figures are `make bench`'s.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from builder import pipeline, runner, sharded, store
from builder.ingest import iter_input_files, iter_sources
from builder.publish import _reject_order, speaker_rows
from builder.sources import Columns, walk
from conftest import digests, run_build

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "raw" / "000_7bb7ae16394dc573.txt"
OFFLINE = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}

# Short articles, most with a quote, one without any mark, one with only a name in marks.
BODIES = [
    "وقال وزير الخارجية أحمد علي للصحفيين: «نحن مستعدون للحوار مع الجميع». وأضاف أن الوفد سيصل غدا.",
    "أعلنت الحكومة خطة جديدة للنقل العام في العاصمة تشمل خطوط حافلات إضافية.",
    "قالت الناطقة باسم الوزارة سارة محمود إن «الاجتماع كان مثمرا جدا وسيتواصل الأسبوع المقبل».",
    "نشر تنظيم «داعش» بيانا على الإنترنت دون أن يتبناه أحد.",
    "“لن نتراجع عن مطالبنا”، قال رئيس النقابة خالد يوسف في مؤتمر صحفي عقده أمس.",
]


def article_rows(n: int = 12) -> list[dict]:
    return [{"id": f"a{k:03d}", "text": BODIES[k % len(BODIES)] + f"\nفقرة رقم {k}.", "title": f"عنوان {k}",
             "source": "وكالة"} for k in range(n)]


def all_rows(path: Path) -> list[dict]:
    dataset_dict = datasets.load_from_disk(str(path))
    return sorted((row for split in dataset_dict.values() for row in split),
                  key=lambda row: row.get("quote_id") or row.get("article_id") or row["speaker"])


def published(out: Path) -> tuple[list[dict], list[dict]]:
    """(quote rows, article rows without the columns that name the input file)."""
    articles = [{k: v for k, v in row.items() if k not in ("source_path", "source_line")}
                for row in all_rows(out / "articles")]
    return all_rows(out / "quotes"), articles


# --- input formats --------------------------------------------------------------------------------

def write_jsonl(folder: Path, rows: list[dict], name: str = "feed.jsonl") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    opener = gzip.open if name.endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def write_parquet(folder: Path, rows: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), folder / "feed.parquet", row_group_size=5)


def write_saved_dataset(folder: Path, rows: list[dict]) -> None:
    datasets.Dataset.from_list(rows).save_to_disk(str(folder / "saved"), num_shards=3)


def write_saved_dataset_dict(folder: Path, rows: list[dict]) -> None:
    datasets.DatasetDict({"part1": datasets.Dataset.from_list(rows[:5]),
                          "part2": datasets.Dataset.from_list(rows[5:])}).save_to_disk(str(folder / "saved"))


WRITERS = {"jsonl.gz": lambda folder, rows: write_jsonl(folder, rows, "feed.jsonl.gz"), "parquet": write_parquet,
           "save_to_disk": write_saved_dataset, "save_to_disk-dict": write_saved_dataset_dict}


@pytest.fixture(scope="module")
def jsonl_build(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("jsonl") / "raw"
    write_jsonl(raw, article_rows())
    run_build(raw, raw.parent / "out")
    return raw.parent / "out"


@pytest.mark.parametrize("kind", WRITERS)
def test_every_format_publishes_the_same_rows_as_jsonl(kind, tmp_path, jsonl_build):
    raw = tmp_path / "raw"
    WRITERS[kind](raw, article_rows())
    summary = run_build(raw, tmp_path / "out")
    assert (summary.articles_in, summary.done) == (12, 12)
    assert published(tmp_path / "out") == published(jsonl_build)
    lines = {}
    for row in all_rows(tmp_path / "out" / "articles"):
        lines.setdefault(row["source_path"], []).append(row["source_line"])
    assert all(sorted(numbers) == list(range(1, len(numbers) + 1)) for numbers in lines.values())  # rows, 1-based


@pytest.mark.parametrize("kind", ["jsonl", "parquet", "save_to_disk"])
def test_other_column_names_by_option(kind, tmp_path, jsonl_build):
    rows = [{"doc_id": row["id"], "body": row["text"], "title": row["title"], "source": row["source"]}
            for row in article_rows()]
    raw = tmp_path / "raw"
    (WRITERS.get(kind) or write_jsonl)(raw, rows)
    run_build(raw, tmp_path / "out", columns=Columns(id="doc_id", text="body"))
    assert published(tmp_path / "out") == published(jsonl_build)


def test_a_table_without_the_text_column_is_one_reject(tmp_path):
    raw = tmp_path / "raw"
    write_parquet(raw, [{"id": "x", "content": BODIES[0]}])
    shutil.copy(SAMPLE, raw / "good.txt")
    run_build(raw, tmp_path / "out")
    rejects = [json.loads(line) for line in (tmp_path / "out" / "rejects.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(r["source_path"], r["reason"]) for r in rejects] == [("feed.parquet", "missing_column")]
    assert "--text-column" in rejects[0]["message"]


def test_a_truncated_gzip_keeps_what_was_read_and_rejects_the_rest(tmp_path):
    raw = tmp_path / "raw"
    path = write_jsonl(raw, article_rows(400), "feed.jsonl.gz")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    units = list(iter_sources(raw))
    good = [unit for unit in units if not isinstance(unit, Exception)]
    (bad,) = [unit for unit in units if isinstance(unit, Exception)]
    assert good and [unit.line for unit in good] == list(range(1, len(good) + 1))
    assert bad.reason == "unreadable" and bad.line == len(good) + 1
    run_build(raw, tmp_path / "out")
    counts = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))["counts"]
    assert counts["published"] == len(good) and counts["rejected_by_reason"] == {"unreadable": 1}


def test_a_saved_dataset_is_read_through_its_data_files_only(tmp_path):
    raw = tmp_path / "raw"
    write_saved_dataset(raw, article_rows())
    shutil.copy(next((raw / "saved").glob("data-*.arrow")), raw / "saved" / "cache-stray.arrow")
    assert [rel for _, rel in iter_input_files(raw)] == [f"saved/data-{k:05d}-of-00003.arrow" for k in range(3)]


def test_the_walk_lists_files_in_sorted_path_order(tmp_path):
    for rel in ("a/b/c.txt", "a/b.txt", "a-b.txt", "a.txt", "b/feed.jsonl.gz", "b/x.parquet", "notes.md", "z/y.jsonl"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    (tmp_path / "a" / "link").symlink_to(tmp_path / "z")  # a link to a folder is not followed, as rglob
    expected = [path.relative_to(tmp_path).as_posix() for path in sorted(tmp_path.rglob("*"))
                if path.is_file() and not path.name.endswith(".md")]
    assert [rel for _, rel in walk(tmp_path)] == expected


@pytest.mark.parametrize("kind", ["txt", "jsonl.gz", "parquet"])
def test_reading_is_streamed(kind, tmp_path):
    """The first unit comes before the reader has gone through the corpus; Python memory while
    going through all of it stays a fraction of its size."""
    import tracemalloc

    raw = tmp_path / "raw"
    rows = [{"id": f"r{k}", "text": BODIES[k % len(BODIES)] * 4} for k in range(5000)]  # ~4 MB
    if kind == "txt":
        for number, row in enumerate(rows):  # the walk holds one folder's listing at a time
            (raw / f"{number // 100:03d}").mkdir(parents=True, exist_ok=True)
            (raw / f"{number // 100:03d}" / f"{row['id']}.txt").write_text(f"\nعنوان\n{row['text']}\n", encoding="utf-8")
    else:
        WRITERS[kind](raw, rows)
    size = sum(len(row["text"].encode("utf-8")) for row in rows)  # what a reader holding it all would hold
    tracemalloc.start()
    count = 0
    for count, _unit in enumerate(iter_sources(raw), start=1):
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == len(rows)
    assert peak < size / 4, f"{peak} bytes traced for {size} bytes of input"


# --- sharded outputs ------------------------------------------------------------------------------

@pytest.fixture
def tiny_shards(monkeypatch):
    monkeypatch.setattr(sharded, "MAX_SHARD_BYTES", 2000)
    monkeypatch.setattr(sharded, "RUN_SIZE", 3)


def test_outputs_in_many_shards_load_as_one(tiny_shards, tmp_path, jsonl_build):
    raw = tmp_path / "raw"
    write_jsonl(raw, article_rows())
    run_build(raw, tmp_path / "out", shard_size=4)
    out = tmp_path / "out"
    assert len(list((out / "hub" / "data" / "articles").glob("train-*.parquet"))) > 1
    assert len(json.loads((out / "articles" / "train" / "state.json").read_text())["_data_files"]) > 1
    for config in ("quotes", "articles", "speakers"):
        assert all_rows(out / config) == all_rows(jsonl_build / config)
        from_hub = datasets.load_dataset(str(out / "hub"), config, cache_dir=str(tmp_path / "cache"))
        assert sorted(map(json.dumps, (row for split in from_hub.values() for row in split))) == \
            sorted(map(json.dumps, all_rows(jsonl_build / config)))
    run_build(raw, tmp_path / "again", shard_size=4)
    assert digests(tmp_path / "again") == digests(out)


@pytest.mark.parametrize("fan_in", [2, 3, 128])
def test_external_sort_is_a_stable_sort(tmp_path, monkeypatch, fan_in):
    monkeypatch.setattr(sharded, "MAX_FAN_IN", fan_in)  # 2, 3: runs are merged in several passes
    records = [{"k": k % 7, "n": n} for n, k in enumerate(range(100, 0, -1))]
    sorter = sharded.ExternalSorter(tmp_path, "t", lambda record: record["k"], run_size=9)
    sorter.extend(records)
    assert len(sorter.runs) == 11
    assert list(sorter.sorted()) == sorted(records, key=lambda record: record["k"])
    assert not list(tmp_path.iterdir())


def test_speakers_and_rejects_through_external_sorts_match_the_in_memory_ones(tiny_shards, tmp_path):
    raw = tmp_path / "raw"
    rows = article_rows(30) + [{"id": "a001", "text": "مكرر"}, {"text": "بلا معرف"}, "not json"]
    write_jsonl(raw, rows[:-1])
    with open(raw / "feed.jsonl", "a", encoding="utf-8") as handle:
        handle.write("{broken\n")
    run_build(raw, tmp_path / "out", shard_size=4)
    quotes = all_rows(tmp_path / "out" / "quotes")
    speakers = datasets.load_from_disk(str(tmp_path / "out" / "speakers"))["train"].to_list()
    assert speakers == speaker_rows(quotes)
    lines = (tmp_path / "out" / "rejects.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3 and lines == sorted(lines, key=lambda line: _reject_order(json.loads(line)))


# --- killed builds resume -----------------------------------------------------------------------

KILL_AFTER_SHARDS = """
import os, signal, sys
from pathlib import Path
from builder import store
from builder.runner import RunConfig, build

finish, finished = store.StageWriter.finish_shard, []

def finish_then_die(self):
    finish(self)
    if self.index is not None:
        finished.append(self.index)
        if len(finished) == int(sys.argv[3]):
            os.kill(os.getpid(), signal.SIGKILL)  # as the OOM killer or a power cut would

store.StageWriter.finish_shard = finish_then_die
build(RunConfig(raw=Path(sys.argv[1]), out=Path(sys.argv[2]), workers=1, quiet=True, shard_size=int(sys.argv[4]),
                shard_bytes=int(sys.argv[5]), chunk_size=2))
"""


def killed_build(raw: Path, out: Path, after_shards: int, shard_size: int = 3, shard_bytes: int = store.SHARD_BYTES) -> None:
    result = subprocess.run([sys.executable, "-c", KILL_AFTER_SHARDS, str(raw), str(out), str(after_shards),
                             str(shard_size), str(shard_bytes)], cwd=REPO, env=OFFLINE, capture_output=True, timeout=120)
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()


@pytest.fixture
def counted(monkeypatch) -> list:
    """The input units the per-article stages process in this process."""
    seen: list = []
    process = runner._process_unit

    def counting(unit, stages, timeout=None):
        seen.append(unit)
        return process(unit, stages, timeout)

    monkeypatch.setattr(runner, "_process_unit", counting)
    return seen


@pytest.fixture
def resumable_raw(tmp_path) -> Path:
    raw = tmp_path / "raw"
    write_jsonl(raw, article_rows(14) + [{"id": "a002", "text": BODIES[1]}])  # 15 units, 5 shards of 3
    return raw


def test_a_killed_build_resumes_from_its_finished_shards(resumable_raw, tmp_path, counted):
    run_build(resumable_raw, tmp_path / "clean", shard_size=3, chunk_size=2)
    counted.clear()
    killed_build(resumable_raw, tmp_path / "out", after_shards=3)
    work = tmp_path / ".out.building"
    assert not (tmp_path / "out").exists() and (work / store.RESUME_FILE).is_file()
    assert store.finished_shards(work, store.STAGES) == 3
    run_build(resumable_raw, tmp_path / "out", shard_size=3, chunk_size=2)
    assert len(counted) == 15 - 3 * 3  # only the units of the two unfinished shards
    assert digests(tmp_path / "out") == digests(tmp_path / "clean")
    assert sorted(path.name for path in tmp_path.iterdir()) == [".clean.lock", ".out.lock", "clean", "out", "raw"]


def test_a_killed_build_sharded_by_bytes_resumes_after_the_units_of_its_finished_shards(resumable_raw, tmp_path, counted):
    shard_bytes = 450  # two or three of these short articles a shard (200-270 bytes each), as their bytes allow
    run_build(resumable_raw, tmp_path / "clean", shard_size=1000, shard_bytes=shard_bytes, chunk_size=2)
    assert len(store.shard_indices(tmp_path / "clean", "ingest")) >= 5
    counted.clear()
    killed_build(resumable_raw, tmp_path / "out", after_shards=3, shard_size=1000, shard_bytes=shard_bytes)
    work = tmp_path / ".out.building"
    assert store.finished_shards(work, store.STAGES) == 3
    done = store.units_in_shards(work, 3)
    assert 3 < done < 15
    run_build(resumable_raw, tmp_path / "out", shard_size=1000, shard_bytes=shard_bytes, chunk_size=2)
    assert len(counted) == 15 - done
    assert digests(tmp_path / "out") == digests(tmp_path / "clean")


def test_a_duplicate_of_an_article_in_a_finished_shard_is_still_rejected(resumable_raw, tmp_path):
    killed_build(resumable_raw, tmp_path / "out", after_shards=4)  # a002 (unit 3) is in shard 0
    run_build(resumable_raw, tmp_path / "out", shard_size=3, chunk_size=2)
    (reject,) = [json.loads(line) for line in (tmp_path / "out" / "rejects.jsonl").read_text(encoding="utf-8").splitlines()]
    assert (reject["reason"], reject["source_line"]) == ("duplicate_id", 15) and "line 3" in reject["message"]


def _append_an_article(feed: Path) -> None:
    with open(feed, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "new", "text": BODIES[0]}, ensure_ascii=False) + "\n")


def _touch(feed: Path) -> None:
    """The same bytes, a later mtime (a resumed build reads no file before deciding)."""
    info = feed.stat()
    os.utime(feed, ns=(info.st_atime_ns, info.st_mtime_ns + 10**9))


def _rewrite_keeping_size_and_mtime(feed: Path) -> None:
    """Other bytes of the same length, the mtime put back (as `cp -p` or `rsync -t` would): only
    the ctime, which no user call sets, tells."""
    info = feed.stat()
    data = feed.read_bytes()
    changed = data.replace("a000".encode(), "a999".encode(), 1)
    assert changed != data and len(changed) == len(data)
    feed.write_bytes(changed)
    os.utime(feed, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert (feed.stat().st_size, feed.stat().st_mtime_ns) == (info.st_size, info.st_mtime_ns)


@pytest.mark.parametrize("change, units", [(_append_an_article, 16), (_touch, 15),
                                           (_rewrite_keeping_size_and_mtime, 15)])
def test_changed_inputs_are_built_from_scratch(resumable_raw, tmp_path, counted, change, units):
    killed_build(resumable_raw, tmp_path / "out", after_shards=2)
    work = tmp_path / ".out.building"
    assert store.finished_shards(work, store.STAGES) == 2
    change(resumable_raw / "feed.jsonl")
    run_build(resumable_raw, tmp_path / "out", shard_size=3, chunk_size=2)
    assert len(counted) == units  # every unit processed again: no shard of the old bytes kept
    run_build(resumable_raw, tmp_path / "clean", shard_size=3, chunk_size=2)
    assert digests(tmp_path / "out") == digests(tmp_path / "clean")


def test_a_build_killed_while_publishing_redoes_only_publish(resumable_raw, tmp_path, monkeypatch):
    def failing_card(*args, **kwargs):
        raise KeyboardInterrupt  # Ctrl-C while publishing keeps the finished shards
    monkeypatch.setattr("builder.card.dataset_card", failing_card)
    with pytest.raises(KeyboardInterrupt):
        run_build(resumable_raw, tmp_path / "out", shard_size=3, chunk_size=2)
    monkeypatch.undo()
    monkeypatch.setattr(runner, "_process_unit", lambda unit, stages, timeout=None: pytest.fail("a finished shard was redone"))
    run_build(resumable_raw, tmp_path / "out", shard_size=3, chunk_size=2)
    assert (tmp_path / "out" / "quotes").is_dir()
    assert not (tmp_path / "out" / store.RESUME_FILE).exists()


# --- the pipeline's short cuts give what the stages give ---------------------------------------

def _stage_inputs(text: str):
    from builder.detect import detect
    from builder.segment import segment

    article = {"article_id": "x", "title": "", "text": text}
    segments = segment(article)
    return article, segments, detect(article, segments)


# Every case is one where the short cut fires (checked): comparing the stage with itself where it
# does not would prove nothing.
NO_MARK = [BODIES[1], "", "نص بلا علامات.\nوفقرة ثانية.", "أرقام 2024 و(قوسان) - وشرطة: هنا."]
NO_QUOTE = [BODIES[3], "علامة وحيدة « بلا إغلاق", "وصف «الجيش الحر» و«داعش» في التقرير.", 'قال: ""']


@pytest.mark.parametrize("text", NO_MARK)
def test_the_detect_short_cut_fires_without_a_mark_and_gives_what_detect_gives(text):
    from builder.detect import detect

    article, segments, detected = _stage_inputs(text)
    short_cut_of, applies = pipeline.SHORTCUTS["detect"]
    assert short_cut_of is detect and applies(article, {"segment": segments})
    assert pipeline.run_stage("detect", article, {"segment": segments}) == detected


@pytest.mark.parametrize("text", NO_QUOTE)
def test_the_attribute_short_cut_fires_without_a_quote_and_gives_what_attribute_gives(text):
    from builder.attribute import attribute

    article, segments, detected = _stage_inputs(text)
    outputs = {"segment": segments, "detect": detected}
    assert pipeline.SHORTCUTS["attribute"][1](article, outputs)
    assert not pipeline.SHORTCUTS["detect"][1](article, {"segment": segments})  # it has marks
    assert pipeline.run_stage("attribute", article, outputs) == attribute(article, segments, detected)


@pytest.mark.parametrize("text", [BODIES[0], BODIES[2], BODIES[4]])
def test_no_short_cut_fires_on_an_article_with_quotes(text):
    article, segments, detected = _stage_inputs(text)
    assert detected["quotes"]
    assert not pipeline.SHORTCUTS["detect"][1](article, {"segment": segments})
    assert not pipeline.SHORTCUTS["attribute"][1](article, {"segment": segments, "detect": detected})


def test_workers_do_not_change_a_many_shard_build(tmp_path):
    """The pool over several shards, a few tasks in flight, gives the bytes of one process."""
    raw = tmp_path / "raw"
    write_jsonl(raw, article_rows(20))
    shutil.copy(SAMPLE, raw / "sample.txt")
    run_build(raw, tmp_path / "one", workers=1, shard_size=4, chunk_size=3)
    run_build(raw, tmp_path / "two", workers=2, shard_size=4, chunk_size=3)
    assert digests(tmp_path / "one", skip=("manifest.json",)) == digests(tmp_path / "two", skip=("manifest.json",))
