"""No article stalls a build, no bug passes silently: the article budget, stuck and dead workers,
stage errors with their tracebacks, workers proving their code, missing resources."""

from __future__ import annotations

import json
import os
import shutil
import textwrap
import time
from pathlib import Path

import pytest

from builder import budget, pipeline, resources, runner
from builder.engines.local import WorkerError, ordered_map as local_map
from builder.errors import BuildError
from builder.names import load_common_words, load_name_tokens
from builder.report import Span, markup
from conftest import OFFLINE, SAMPLE, run_build, run_cli


def write_articles(raw: Path, names: list[str]) -> Path:
    raw.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(SAMPLE, raw / f"{name}.txt")
    return raw


# --- the budget itself ----------------------------------------------------------------------------

def test_the_budget_interrupts_a_sleep_in_the_main_thread():
    start = time.monotonic()
    with pytest.raises(budget.ArticleTimeout):
        with budget.article_budget(0.2):
            time.sleep(30)
    assert time.monotonic() - start < 5


def test_the_budget_interrupts_python_code_in_another_thread():
    import threading

    caught = []

    def spin() -> None:
        try:
            with budget.article_budget(0.2):
                while True:
                    pass
        except budget.ArticleTimeout:
            caught.append(True)

    thread = threading.Thread(target=spin)
    thread.start()
    thread.join(10)
    assert caught == [True] and not thread.is_alive()


@pytest.mark.parametrize("seconds", [None, 0, 5])
def test_the_budget_leaves_quick_work_alone(seconds):
    with budget.article_budget(seconds):
        total = sum(range(1000))
    time.sleep(0.05)  # no alarm left behind
    assert total == 499500


def test_the_budget_is_not_caught_by_a_stage_catching_exceptions():
    with pytest.raises(budget.ArticleTimeout):
        with budget.article_budget(0.1):
            try:
                time.sleep(10)
            except Exception:  # what a stage may do: never swallows the budget
                pytest.fail("ArticleTimeout was caught as an Exception")


# --- the local pool: stuck, dead and failing workers -----------------------------------------------

def test_the_pool_kills_a_task_past_its_deadline_and_goes_on():
    # time.sleep(item) in a worker: 60 s is stuck, the others are quick.
    results = list(local_map(time.sleep, [0.01, 60, 0.01, 0.02, 0.01], 2,
                             deadline=lambda item: 2.0, lost=lambda item, reason: (item, reason)))
    assert results == [None, (60, "timeout"), None, None, None]


def test_the_pool_replaces_a_worker_that_dies():
    # os._exit(item) in a worker: it dies without answering.
    results = list(local_map(os._exit, [3, 4], 2, lost=lambda item, reason: (item, reason)))
    assert results == [(3, "worker_died"), (4, "worker_died")]


def test_a_task_raising_in_a_worker_fails_the_map_with_its_traceback():
    with pytest.raises(WorkerError, match="ValueError"):
        list(local_map(int, ["1", "x", "3"], 2))


def test_the_pool_never_waits_with_nothing_in_flight():
    """Regression: once the results it was waiting for were handed on, the pool waited for more
    without sending the next tasks first, and hung for ever (quick tasks, any build)."""
    import subprocess
    import sys

    script = ("from builder.engines.local import ordered_map\n"
              "if __name__ == '__main__':\n"
              "    for trial in range(20):\n"
              "        items = [n / 1000 for n in range(300)]\n"
              "        assert list(ordered_map(abs, items, 2)) == items\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120, env=OFFLINE)
    assert result.returncode == 0, result.stderr.decode()


def test_the_pool_gives_results_in_input_order():
    items = [0.05, 0.0, 0.03, 0.0, 0.01, 0.0, 0.02]
    assert list(local_map(abs, items, 2)) == items
    assert list(local_map(time.sleep, items, 2)) == [None] * len(items)


# --- the runner: timeout and stage_error rejects ---------------------------------------------------

def test_an_article_past_its_budget_is_rejected_as_timeout_and_the_build_goes_on(tmp_path, monkeypatch):
    real_detect = pipeline.STAGE_FUNCTIONS["detect"]

    def detect_sleeping_on_b(article, segments):
        if article["article_id"] == "b":
            time.sleep(60)
        return real_detect(article, segments)

    pipeline.extract_quotes(SAMPLE.read_text(encoding="utf-8"))  # lexicons and name model loaded outside the budget
    monkeypatch.setitem(pipeline.STAGE_FUNCTIONS, "detect", detect_sleeping_on_b)
    raw = write_articles(tmp_path / "raw", ["a", "b", "c"])
    start = time.monotonic()
    summary = run_build(raw, tmp_path / "out", article_timeout=2)
    assert time.monotonic() - start < 30
    assert summary.done == 2 and summary.rejected == {"timeout": 1} and summary.errors == 0
    (reject,) = [json.loads(line) for line in (tmp_path / "out" / "rejects.jsonl").read_text(encoding="utf-8").splitlines()]
    assert (reject["article_id"], reject["stage"], reject["reason"]) == ("b", "detect", "timeout")
    assert "--article-timeout" in reject["message"] and "detect_sleeping_on_b" in reject["message"]
    assert (tmp_path / "out" / "errors.jsonl").read_text(encoding="utf-8") == ""  # a timeout is not a bug


def test_a_stage_error_keeps_its_traceback_in_errors_jsonl(tmp_path, monkeypatch):
    real_detect = pipeline.STAGE_FUNCTIONS["detect"]

    def detect_failing_on_b(article, segments):
        if article["article_id"] == "b":
            raise ValueError("boom")
        return real_detect(article, segments)

    monkeypatch.setitem(pipeline.STAGE_FUNCTIONS, "detect", detect_failing_on_b)
    raw = write_articles(tmp_path / "raw", ["a", "b"])
    summary = run_build(raw, tmp_path / "out")
    assert summary.errors == 1 and summary.done == 1
    assert "1 article hit a bug" in summary.format() and "errors.jsonl" in summary.format()
    (error,) = [json.loads(line) for line in (tmp_path / "out" / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert (error["article_id"], error["stage"], error["reason"]) == ("b", "detect", "stage_error")
    assert error["traceback"].startswith("Traceback") and "detect_failing_on_b" in error["traceback"]
    assert error["traceback"].rstrip().endswith("ValueError: boom")
    (reject,) = [json.loads(line) for line in (tmp_path / "out" / "rejects.jsonl").read_text(encoding="utf-8").splitlines()]
    assert "traceback" not in reject and reject["message"] == "ValueError: boom"
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["errors"] == 1 and "errors.jsonl" in manifest["outputs"]


# The per-article stages changed in every process of a build run as a command, workers included:
# Python imports sitecustomize at start-up from PYTHONPATH.
HOOK = textwrap.dedent('''
    import os, time
    from builder import pipeline

    _real_detect = pipeline.STAGE_FUNCTIONS["detect"]

    def _detect(article, segments):
        with open(os.environ["HOOK_LOG"], "a") as log:
            log.write(f"{os.getpid()} {article['article_id']}\\n")
        if article["article_id"].startswith("slow"):
            time.sleep(120)
        if article["article_id"].startswith("bad"):
            raise ValueError("boom in " + article["article_id"])
        return _real_detect(article, segments)

    pipeline.STAGE_FUNCTIONS["detect"] = _detect
''')


def hooked_build(tmp_path: Path, names: list[str], *args: str):
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(HOOK, encoding="utf-8")
    raw = write_articles(tmp_path / "raw", names)
    env = {**OFFLINE, "PYTHONPATH": str(hook), "HOOK_LOG": str(tmp_path / "hook.log")}
    result = run_cli("build", "--raw", str(raw), "--out", str(tmp_path / "out"), "--workers", "2", *args,
                     env=env, timeout=300)
    log = [line.split() for line in (tmp_path / "hook.log").read_text().splitlines()]
    return result, log


@pytest.mark.slow
def test_a_worker_past_the_budget_is_replaced_and_the_build_ends(tmp_path):
    names = [f"a{n:02d}" for n in range(12)] + ["slow"] + [f"b{n:02d}" for n in range(12)]
    result, log = hooked_build(tmp_path, names, "--article-timeout", "2")
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    assert "timeout 1" in result.stdout.decode()
    rejects = [json.loads(line) for line in (tmp_path / "out" / "rejects.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(r["article_id"], r["reason"]) for r in rejects] == [("slow", "timeout")]
    pid_of = {article_id: pid for pid, article_id in log}
    slow_worker = pid_of["slow"]
    later = [pid for pid, article_id in log[log.index([slow_worker, "slow"]) + 1:]]
    assert slow_worker not in later  # retired once its task was done, a fresh worker took its place
    assert len({pid for pid, _id in log}) >= 3


@pytest.mark.slow
def test_a_stage_error_in_a_worker_exits_3_and_still_publishes(tmp_path):
    result, _log = hooked_build(tmp_path, ["a", "bad1", "c", "bad2"])
    assert result.returncode == 3, result.stderr.decode()[-3000:]
    assert "2 articles hit a bug" in result.stdout.decode() and "errors.jsonl" in result.stdout.decode()
    errors = [json.loads(line) for line in (tmp_path / "out" / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [e["article_id"] for e in errors] == ["bad1", "bad2"]
    assert all("ValueError: boom in" in e["traceback"] and "sitecustomize.py" in e["traceback"] for e in errors)
    assert (tmp_path / "out" / "quotes").is_dir()  # the good rows are published


# --- workers prove their code --------------------------------------------------------------------

def test_a_worker_running_other_code_stops_the_build(tmp_path, monkeypatch):
    raw = write_articles(tmp_path / "raw", ["a", "b", "c"])
    # The main process believes it runs other code than its workers (forked from the forkserver,
    # which loaded the code from disk).
    monkeypatch.setattr(runner, "_LOADED_CODE_DIGEST", "0" * 64)
    with pytest.raises(BuildError, match="runs other code than this build: code digest .* this build's is 000000000000"):
        run_build(raw, tmp_path / "out", workers=2, chunk_size=1)
    assert not (tmp_path / "out").exists()


def test_a_worker_with_other_rule_versions_is_named():
    proof = runner.WorkerProof("c" * 64, (("cues", "cues/3"), ("rules", "rules/7")), 1)
    with pytest.raises(BuildError, match=r"worker process 42 .* rule versions cues cues/2 \(here cues/3\)"):
        proof.check({"code": "c" * 64, "resources": [["cues", "cues/2"], ["rules", "rules/7"]], "pid": 42})
    proof.check({"code": "c" * 64, "resources": [["cues", "cues/3"], ["rules", "rules/7"]], "pid": 43})


# --- missing resources -----------------------------------------------------------------------------

def test_every_resource_file_is_there():
    assert resources.missing() == []


def test_a_missing_resource_stops_the_build_at_start_up_with_its_path(tmp_path, monkeypatch):
    absent = "/somewhere/builder/resources/ner/name_tokens.txt"
    monkeypatch.setattr(resources, "missing", lambda: [absent])
    with pytest.raises(BuildError, match=f"missing: {absent}"):
        run_build(write_articles(tmp_path / "raw", ["a"]), tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("load", [load_common_words, load_name_tokens])
def test_a_missing_name_list_is_an_error_naming_it_never_an_empty_list(load, tmp_path):
    with pytest.raises(FileNotFoundError, match="absent.txt is missing"):
        load(tmp_path / "absent.txt")


def test_the_command_line_takes_the_article_timeout():
    result = run_cli("build", "--article-timeout", "-1")
    assert result.returncode == 2 and "--article-timeout" in result.stderr.decode()


# --- the report page of a large article ------------------------------------------------------------

def _reference_markup(text: str, spans: list[Span], start: int, end: int) -> str:
    """The first markup: every span tested for every segment (quadratic, obviously right)."""
    from collections import defaultdict

    from builder.report import esc

    covering = sorted((s for s in spans if s.start < s.end and s.start < end and s.end > start),
                      key=lambda s: (s.start, -s.end, s.rank))
    empty = sorted((s for s in spans if s.start == s.end and (start <= s.start < end or s.start == end == len(text))),
                   key=lambda s: (s.start, s.rank))
    if not covering and not empty:
        return esc(text[start:end])
    points = sorted({start, end} | {min(max(p, start), end) for s in covering for p in (s.start, s.end)}
                    | {s.start for s in empty})
    out: list[str] = []
    stack: list[Span] = []
    empty_at: dict = defaultdict(list)
    for span in empty:
        empty_at[span.start].append(span)

    def move_to(active: list[Span], at: int) -> None:
        keep = 0
        while keep < len(stack) and keep < len(active) and stack[keep] is active[keep]:
            keep += 1
        out.extend(span.close() for span in reversed(stack[keep:]))
        out.extend(span.open(first=span.start == at) for span in active[keep:])
        stack[:] = active

    for a, b in zip(points, points[1:]):
        active = [s for s in covering if s.start <= a and s.end >= b]
        if empty_at.get(a):
            move_to([s for s in stack if s in active], a)
            out.extend(s.open(first=True) + s.close() for s in empty_at.pop(a))
        move_to(active, a)
        out.append(esc(text[a:b]))
    move_to([], end)
    for spans_at_end in empty_at.values():
        out.extend(s.open(first=True) + s.close() for s in spans_at_end)
    return "".join(out)


def test_markup_by_a_sweep_is_the_markup_of_every_span_tested_everywhere():
    import random

    rng = random.Random(14)
    for _trial in range(1500):
        size = rng.randrange(1, 50)
        text = "".join(rng.choice("اب <&") for _ in range(size))
        spans = []
        for number in range(rng.randrange(0, 12)):
            begin = rng.randrange(0, size + 1)
            finish = rng.randrange(begin, min(size, begin + rng.randrange(0, 20)) + 1)
            spans.append(Span(begin, finish, rng.choice(["mark", "span"]), (("class", str(number)),),
                              (("id", str(number)),), rank=rng.randrange(4)))
        low = rng.randrange(0, size + 1)
        high = rng.randrange(low, size + 1)
        for bounds in ((0, size), (low, high)):
            assert markup(text, spans, *bounds) == _reference_markup(text, spans, *bounds), (text, spans, bounds)


# --- publish reads no file back to hash it ----------------------------------------------------------

def test_the_manifest_hashes_what_publish_read_or_wrote_without_reading_it_again(tmp_path, monkeypatch):
    import hashlib

    from builder import publish as publish_module
    from conftest import digests

    read_back = []
    real = hashlib.file_digest

    def recording(handle, name):
        read_back.append(Path(handle.name))
        return real(handle, name)

    monkeypatch.setattr(publish_module.hashlib, "file_digest", recording)
    out = tmp_path / "out"
    run_build(write_articles(tmp_path / "raw", ["a", "b", "c"]), out, shard_size=2)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["outputs"] == digests(out, skip=("manifest.json",))
    hashed_as_they_went = [name for name in manifest["outputs"]
                           if name.startswith(("stages/", "hub/data/", "quotes/", "articles/", "speakers/"))
                           and name.endswith((".jsonl", ".parquet", ".arrow"))] + ["rejects.jsonl", "errors.jsonl"]
    assert len(hashed_as_they_went) > 20
    work = tmp_path / ".out.building"  # publish writes there, then it becomes OUT
    read_in_work = {path.relative_to(work).as_posix() for path in read_back if path.is_relative_to(work)}
    assert read_in_work and not read_in_work & set(hashed_as_they_went)  # the report and card are read


def test_shards_are_cut_by_bytes_as_well_and_the_rows_are_the_same(tmp_path):
    from builder import store
    from conftest import digests

    raw = write_articles(tmp_path / "raw", [f"a{n}" for n in range(5)])
    size = SAMPLE.stat().st_size
    run_build(raw, tmp_path / "by-count")
    run_build(raw, tmp_path / "by-bytes", shard_bytes=2 * size)  # two articles a shard
    assert store.shard_indices(tmp_path / "by-count", "ingest") == [0]
    assert store.shard_indices(tmp_path / "by-bytes", "ingest") == [0, 1, 2]
    assert store.units_in_shards(tmp_path / "by-bytes", 2) == 4  # what a resumed build skips

    def published(out: Path) -> dict:
        """Every file but the stage shards and the Arrow files of save_to_disk (whose record batches
        follow the stage shards), and the manifest that hashes them."""
        return {name: digest for name, digest in digests(out, skip=("manifest.json", "state.json")).items()
                if not name.startswith("stages/") and not name.endswith(".arrow")}

    assert published(tmp_path / "by-bytes") == published(tmp_path / "by-count")
    import datasets

    for config in ("quotes", "articles", "speakers"):
        by_count, by_bytes = (datasets.load_from_disk(str(tmp_path / name / config)) for name in ("by-count", "by-bytes"))
        assert {split: by_bytes[split].to_list() for split in by_bytes} == \
            {split: by_count[split].to_list() for split in by_count}
