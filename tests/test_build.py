"""End-to-end: raw/ to out/ through the runner and the CLI, offline.

The sample is built once per session; tests that need another corpus write it under tmp_path.
Builds run in this process (WORKERS=1) unless a test is about the pool or the command line.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys

import datasets
import pytest

from builder import pipeline, publish as publish_module, sharded
from builder.attribute import ROW_FIELDS
from builder.errors import BuildError, ContractError, SchemaError
from builder.evaluate import load_gold_dir, score
from builder.gold import gold_quote, gold_stem
from builder.publish import SPLITS, speaker_rows, split_of
from builder.runner import RunConfig, publish_command, run_stage_command
from schemas import CONFIGS, QUOTE_FEATURES, SCHEMAS, to_table

from conftest import (OFFLINE, REPO, SAMPLE_ID, SAMPLE_QUOTE_COUNT, SAMPLE_RAW, digests, needs_dev_corpus, run_build,
                      run_cli)


def all_rows(dataset_dict) -> list[dict]:
    return sorted((row for split in dataset_dict.values() for row in split), key=lambda row: row["quote_id"])


def sample_body() -> str:
    """The sample article without its section and title lines."""
    lines = (SAMPLE_RAW / f"{SAMPLE_ID}.txt").read_text(encoding="utf-8").split("\n")
    return "\n".join(lines[3:])


# --- what a build publishes ----------------------------------------------------------------

def test_quotes_have_all_splits_and_the_sample_quotes(sample_out):
    quotes = datasets.load_from_disk(str(sample_out / "quotes"))
    articles = datasets.load_from_disk(str(sample_out / "articles"))
    assert tuple(quotes) == SPLITS
    assert quotes["train"].features == QUOTE_FEATURES
    texts = {row["article_id"]: row["text"] for split in articles.values() for row in split}
    rows = all_rows(quotes)
    assert len(rows) == SAMPLE_QUOTE_COUNT
    for row in rows:
        assert texts[row["article_id"]][row["quote_start"]:row["quote_end"]] == row["quote"]
        assert row["quote_id"] == f"{row['article_id']}:{row['quote_start']}"
        assert split_of(row["article_id"]) in quotes and row in list(quotes[split_of(row["article_id"])])


def test_hub_folder_loads_offline_with_the_same_rows(sample_out, tmp_path):
    from_hub = datasets.load_dataset(str(sample_out / "hub"), "quotes", cache_dir=str(tmp_path))
    assert all_rows(from_hub) == all_rows(datasets.load_from_disk(str(sample_out / "quotes")))
    assert "dataset_info" not in (sample_out / "hub" / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("config, splits", [("articles", SPLITS), ("speakers", ("train",))])
def test_articles_and_speakers_configs_load(sample_out, tmp_path, config, splits):
    on_disk = datasets.load_from_disk(str(sample_out / config))
    assert tuple(on_disk) == splits
    assert all(split.features == CONFIGS[config] for split in on_disk.values())
    n_rows = sum(len(split) for split in on_disk.values())
    if n_rows:  # the hub loader refuses a config without rows, so the card leaves those out
        from_hub = datasets.load_dataset(str(sample_out / "hub"), config, cache_dir=str(tmp_path))
        assert sum(len(split) for split in from_hub.values()) == n_rows


def test_articles_hold_text_spans_and_source(sample_out):
    articles = datasets.load_from_disk(str(sample_out / "articles"))
    (article,) = [row for split in articles.values() for row in split]
    assert article["article_id"] == SAMPLE_ID and article["source_path"] == f"{SAMPLE_ID}.txt"
    assert article["section"] == "الامنية" and article["title"].startswith("تقرير أميركي")
    assert article["paragraphs"] and all(set(span) == {"start", "end"} for span in article["sentences"])
    assert all(0 <= p["start"] < p["end"] <= len(article["text"]) for p in article["paragraphs"])


def test_manifest_accounts_for_every_input_and_output(sample_out):
    manifest = json.loads((sample_out / "manifest.json").read_text(encoding="utf-8"))
    counts = manifest["counts"]
    assert counts["inputs"] == counts["published"] + counts["rejected"] == 1
    assert manifest["outputs"] == digests(sample_out, skip=("manifest.json",))
    sample_digest = hashlib.sha256((SAMPLE_RAW / f"{SAMPLE_ID}.txt").read_bytes()).hexdigest()
    inputs = manifest["inputs"]
    listed = sample_out / inputs["list"]
    assert [json.loads(line) for line in listed.read_text(encoding="utf-8").splitlines()] == \
        [{"path": f"{SAMPLE_ID}.txt", "sha256": sample_digest}]
    assert inputs["files"] == 1 and inputs["sha256"] == hashlib.sha256(listed.read_bytes()).hexdigest()
    assert set(manifest["config"]) >= {"raw", "workers", "min_confidence"} and manifest["rule_versions"]


def test_stage_shards_are_keyed_by_article_id(sample_out):
    for stage in ("ingest", "segment", "detect", "attribute"):
        lines = (sample_out / "stages" / stage / "shard-00000.jsonl").read_text(encoding="utf-8").splitlines()
        assert [json.loads(line)["article_id"] for line in lines] == [SAMPLE_ID]


def test_rebuild_is_byte_identical(sample_out, tmp_path):
    run_build(SAMPLE_RAW, tmp_path / "again")
    assert digests(tmp_path / "again") == digests(sample_out)


def test_workers_do_not_change_the_output(tmp_path):
    raw = tmp_path / "raw"
    for folder in ("a", "b", "c/d"):  # the same article under three ids, enough for several pool tasks
        (raw / folder).mkdir(parents=True)
        shutil.copy(SAMPLE_RAW / f"{SAMPLE_ID}.txt", raw / folder / "article.txt")
    lines = [json.dumps({"id": f"j{n}", "text": sample_body(), "licence": "CC-BY-4.0"}, ensure_ascii=False)
             for n in range(5)]
    (raw / "more.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    run_build(raw, tmp_path / "one", workers=1, chunk_size=2)
    summary = run_build(raw, tmp_path / "two", workers=2, chunk_size=2)
    assert summary.done == 8
    assert digests(tmp_path / "one", skip=("manifest.json",)) == digests(tmp_path / "two", skip=("manifest.json",))


# --- bad input: rejected with a reason, never a failed build --------------------------------

BAD_INPUTS = [  # (source_path, source_line, article_id, reason)
    ("empty.txt", None, "empty", "empty"),
    ("feed.jsonl", 2, None, "bad_json"),
    ("feed.jsonl", 4, "dup", "duplicate_id"),
    ("feed.jsonl", 5, None, "no_id"),
]


@pytest.fixture(scope="module")
def bad_build(tmp_path_factory):
    raw = tmp_path_factory.mktemp("bad") / "raw"
    raw.mkdir()
    shutil.copy(SAMPLE_RAW / f"{SAMPLE_ID}.txt", raw / "good.txt")
    (raw / "empty.txt").write_bytes(b"")
    feed = [json.dumps({"id": "dup", "text": sample_body(), "licence": "<script>alert(1)</script>"}, ensure_ascii=False),
            '{"id": "broken", "text": ',
            json.dumps({"id": "other", "text": "قال المتحدث: «نحن مستعدون للحوار الآن».", "source": "وكالة"},
                       ensure_ascii=False),
            json.dumps({"id": "dup", "text": "نص آخر"}, ensure_ascii=False),
            json.dumps({"text": "لا معرف"}, ensure_ascii=False)]
    (raw / "feed.jsonl").write_text("\n".join(feed) + "\n", encoding="utf-8")
    out = raw.parent / "out"
    summary = run_build(raw, out)
    return out, summary


@pytest.mark.parametrize("source_path, source_line, article_id, reason", BAD_INPUTS)
def test_bad_inputs_become_rejects(bad_build, source_path, source_line, article_id, reason):
    out, _summary = bad_build
    rejects = [json.loads(line) for line in (out / "rejects.jsonl").read_text(encoding="utf-8").splitlines()]
    matching = [r for r in rejects if (r["source_path"], r["source_line"], r["reason"]) == (source_path, source_line, reason)]
    assert len(matching) == 1
    assert matching[0]["article_id"] == article_id and matching[0]["stage"] == "ingest" and matching[0]["message"]


def test_bad_inputs_leave_the_build_whole(bad_build):
    out, summary = bad_build
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["counts"]
    assert (manifest["inputs"], manifest["published"], manifest["rejected"]) == (7, 3, len(BAD_INPUTS))
    assert summary.articles_in == 7 and sum(summary.rejected.values()) == len(BAD_INPUTS)
    rejects = (out / "rejects.jsonl").read_text(encoding="utf-8").splitlines()
    assert rejects == sorted(rejects, key=lambda line: (json.loads(line)["source_path"], json.loads(line)["source_line"] or 0))
    card = (out / "hub" / "README.md").read_text(encoding="utf-8")
    assert "<script>" not in card and "&lt;script&gt;" in card


def test_an_exception_in_a_stage_rejects_only_that_article(tmp_path, monkeypatch):
    real_detect = pipeline.STAGE_FUNCTIONS["detect"]

    def detect_failing_on_b(article, segments):
        if article["article_id"] == "b":
            raise ValueError("boom")
        return real_detect(article, segments)

    monkeypatch.setitem(pipeline.STAGE_FUNCTIONS, "detect", detect_failing_on_b)
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("a", "b"):
        shutil.copy(SAMPLE_RAW / f"{SAMPLE_ID}.txt", raw / f"{name}.txt")
    summary = run_build(raw, tmp_path / "out")
    (reject,) = [json.loads(line) for line in (tmp_path / "out" / "rejects.jsonl").read_text(encoding="utf-8").splitlines()]
    assert (reject["article_id"], reject["stage"], reject["reason"]) == ("b", "detect", "stage_error")
    assert "ValueError: boom" in reject["message"] and summary.done == 1


@pytest.mark.parametrize("files", [None, {}, {"blank.jsonl": "\n\n"}, {"notes.md": "no articles"}],
                         ids=["missing", "empty", "only-blank-jsonl", "no-article-files"])
def test_missing_or_empty_raw_exits_2_with_a_message(tmp_path, files):
    raw = tmp_path / "raw"
    if files is not None:
        raw.mkdir()
        for name, content in files.items():
            (raw / name).write_text(content)
    result = run_cli("build", "--raw", str(raw), "--out", str(tmp_path / "out"), "--workers", "1")
    assert result.returncode == 2
    assert "RAW" in result.stderr.decode() and "Traceback" not in result.stderr.decode()
    assert not (tmp_path / "out").exists()


# --- atomic output --------------------------------------------------------------------------

def _break_publish(monkeypatch):
    def failing_save(*args, **kwargs):
        raise RuntimeError("disk full, say")
    monkeypatch.setattr(publish_module, "_save", failing_save)


def _break_offsets(monkeypatch):
    real_attribute = pipeline.STAGE_FUNCTIONS["attribute"]

    def attribute_off_by_one(article, segments, detected):
        result = real_attribute(article, segments, detected)
        for row in result["quotes"]:
            row["quote_end"] += 1
        return result
    monkeypatch.setitem(pipeline.STAGE_FUNCTIONS, "attribute", attribute_off_by_one)


@pytest.mark.parametrize("break_build, error", [(_break_publish, RuntimeError), (_break_offsets, ContractError)],
                         ids=["publish-fails", "row-breaks-contract"])
def test_a_failed_build_keeps_the_previous_out(sample_copy, monkeypatch, break_build, error):
    before = digests(sample_copy)
    break_build(monkeypatch)
    with pytest.raises(error):
        run_build(SAMPLE_RAW, sample_copy)
    assert digests(sample_copy) == before
    assert sorted(path.name for path in sample_copy.parent.iterdir()) == [".out.lock", "out"]


def test_a_build_killed_during_the_swap_or_before_is_recovered(sample_out, tmp_path):
    # Killed between the two final renames: OUT gone, the previous one kept aside.
    shutil.copytree(sample_out, tmp_path / ".out.previous")
    (tmp_path / ".out.building").mkdir()  # and a half-written work folder of an older run
    (tmp_path / ".out.building" / "partial").write_text("x")
    run_stage_command("segment", RunConfig(out=tmp_path / "out", workers=1, quiet=True))
    assert sorted(path.name for path in tmp_path.iterdir()) == [".out.lock", "out"]
    assert digests(tmp_path / "out") == digests(sample_out)


def test_out_that_is_not_a_build_is_never_replaced(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(BuildError, match="refusing"):
        run_build(SAMPLE_RAW, tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"


# --- publish options and single stages ------------------------------------------------------

@pytest.mark.parametrize("threshold", [0.0, 0.5, 0.8, 1.0])
def test_min_confidence_leaves_out_weaker_quotes(sample_out, sample_copy, threshold):
    every_row = all_rows(datasets.load_from_disk(str(sample_out / "quotes")))
    summary = publish_command(RunConfig(out=sample_copy, min_confidence=threshold, quiet=True))
    kept = all_rows(datasets.load_from_disk(str(sample_copy / "quotes")))
    assert kept == [row for row in every_row if row["confidence"] >= threshold]
    counts = json.loads((sample_copy / "manifest.json").read_text(encoding="utf-8"))["counts"]
    assert counts["quotes_below_min_confidence"] == summary.quotes_below_min_confidence == len(every_row) - len(kept)


def test_stages_rerun_alone_give_the_same_dataset(sample_out, sample_copy):
    for stage in ("ingest", "segment", "detect", "attribute"):
        summary = run_stage_command(stage, RunConfig(out=sample_copy, raw=SAMPLE_RAW, workers=1, quiet=True))
        assert (summary.articles_in, summary.done) == (1, 1)
    publish_command(RunConfig(out=sample_copy, workers=1, quiet=True))
    assert digests(sample_copy, skip=("manifest.json",)) == digests(sample_out, skip=("manifest.json",))


def test_publish_refuses_stages_out_of_step(sample_copy, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("one", "two"):
        shutil.copy(SAMPLE_RAW / f"{SAMPLE_ID}.txt", raw / f"{name}.txt")
    run_stage_command("ingest", RunConfig(out=sample_copy, raw=raw, workers=1, quiet=True))
    with pytest.raises(BuildError, match="out of step"):
        publish_command(RunConfig(out=sample_copy, quiet=True))


@pytest.mark.parametrize("stage, missing", [("segment", None), ("detect", "segment"), ("attribute", "segment")])
def test_a_stage_needs_the_stages_before_it(tmp_path, stage, missing):
    out = tmp_path / "out"
    run_stage_command("ingest", RunConfig(out=out, raw=SAMPLE_RAW, workers=1, quiet=True))
    if missing is None:
        assert run_stage_command(stage, RunConfig(out=out, workers=1, quiet=True)).done == 1
    else:
        with pytest.raises(BuildError, match=f"stages/{missing}"):
            run_stage_command(stage, RunConfig(out=out, workers=1, quiet=True))


# --- schemas and aggregation ----------------------------------------------------------------

# Columns publish adds to attribute's rows (builder/stories.py, builder/identity.py).
PUBLISH_FIELDS = ("story_id", "n_copies", "first_article_id", "speaker_id")


def test_quote_schema_is_the_row_contract():
    assert tuple(QUOTE_FEATURES) == ROW_FIELDS + PUBLISH_FIELDS


def _quote_row(**changes) -> dict:
    row = dict.fromkeys(ROW_FIELDS + PUBLISH_FIELDS)
    row.update(article_id="a", quote_id="a:0", quote="x", quote_start=0, quote_end=1, mark_style="curly",
               speaker_type="unknown", speaker_gender="unknown", paragraph_index=0, sentence_index=0,
               attribution_rule="unknown/1", confidence=0.5, story_id="a", n_copies=1, first_article_id="a")
    row.update(changes)
    return row


@pytest.mark.parametrize("row, column", [
    (_quote_row(quote_start="zero"), "quote_start"),
    (_quote_row(confidence="high"), "confidence"),
    (_quote_row(speaker=3), "speaker"),
    (_quote_row(quote=None), "quote"),
    ({k: v for k, v in _quote_row().items() if k != "cue"}, "cue"),
    ({**_quote_row(), "extra": 1}, "extra"),
])
def test_schema_errors_name_the_column(row, column):
    with pytest.raises(SchemaError, match=column):
        to_table("quotes", [row])


def test_schemas_are_the_features():
    """publish writes with the Arrow schemas alone (not importing datasets): they must be the Features'."""
    assert all(SCHEMAS[config].equals(CONFIGS[config].arrow_schema, check_metadata=True) for config in CONFIGS)


def test_saved_configs_are_what_save_to_disk_writes(tmp_path):
    """sharded.save_config writes a DatasetDict folder without datasets: byte for byte what
    save_to_disk writes, with a split of more than one record batch and a split with no rows."""
    from datasets.table import InMemoryTable

    sizes = {"train": 1500, "validation": 0, "test": 3}
    tables = {split: to_table("quotes", [_quote_row(article_id=f"a{n}", quote_id=f"a{n}:0") for n in range(size)])
              for split, size in sizes.items()}
    writers = {split: sharded.SplitWriter(tmp_path / "ours", "quotes", split, SCHEMAS["quotes"]) for split in sizes}
    for split, table in tables.items():
        writers[split].write(table)
    sharded.save_config(tmp_path / "ours", "quotes", writers)
    info = datasets.DatasetInfo(features=QUOTE_FEATURES)
    datasets.DatasetDict({
        split: datasets.Dataset(InMemoryTable(table), info=info, split=split, fingerprint=writers[split].fingerprint)
        for split, table in tables.items()
    }).save_to_disk(str(tmp_path / "theirs"), num_shards=dict.fromkeys(sizes, 1))
    assert digests(tmp_path / "ours" / "quotes") == digests(tmp_path / "theirs")


def test_many_small_writes_make_few_parquet_row_groups(tmp_path, monkeypatch):
    """The parquet writer keeps every row group's metadata until the file closes: rows are gathered
    into row groups of PARQUET_ROW_GROUP_BYTES, not one per write (one per stage shard)."""
    import pyarrow.parquet as pq

    table = to_table("quotes", [_quote_row(article_id=f"a{n}", quote_id=f"a{n}:0") for n in range(20)])
    monkeypatch.setattr(sharded, "PARQUET_ROW_GROUP_BYTES", table.nbytes * 10)
    writer = sharded.SplitWriter(tmp_path, "quotes", "train", SCHEMAS["quotes"])
    for _ in range(35):
        writer.write(table)
    writer.close()
    parquet = pq.ParquetFile(next((tmp_path / "hub" / "data" / "quotes").glob("*.parquet")))
    assert parquet.metadata.num_row_groups == 4  # three full groups of ten writes, then the last five
    assert parquet.read().num_rows == 35 * 20


def test_a_build_never_imports_datasets(tmp_path):
    """Importing datasets takes longer than building a small corpus: a build writes with pyarrow alone."""
    code = ("import sys; from pathlib import Path; from builder.runner import RunConfig, build; "
            f"build(RunConfig(raw=Path({str(SAMPLE_RAW)!r}), out=Path({str(tmp_path / 'out')!r}), quiet=True)); "
            "print(sorted(name for name in sys.modules if name.split('.')[0] == 'datasets'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, env=OFFLINE, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().strip() == "[]"


@pytest.mark.parametrize("changes, field", [
    ({"quote_end": 2}, "quote"),
    ({"speaker_mention": "y", "speaker_start": 0, "speaker_end": 1}, "speaker_mention"),
    ({"cue": "x"}, "cue"),  # a cue without offsets
    ({"quote_id": "a:5"}, "quote_id"),
    ({"confidence": 1.5}, "confidence"),
])
def test_rows_breaking_the_contract_fail_loudly(changes, field):
    with pytest.raises(ContractError, match=field):
        publish_module.check_row(_quote_row(**changes), {"article_id": "a", "text": "xyz"})


def test_speakers_are_one_row_per_identity():
    rows = [_quote_row(speaker="أحمد علي", speaker_type="person", speaker_role="وزير", article_id="b"),
            _quote_row(speaker="احمد علي", speaker_type="person", speaker_gender="male"),
            _quote_row(speaker="احمد علي", speaker_type="group"),
            _quote_row(speaker="مصدر أمني", speaker_type="anonymous"),
            _quote_row(speaker="مصدر أمني", speaker_type="anonymous", article_id="b"),
            _quote_row(speaker=None)]
    speakers = speaker_rows(rows)
    without_ids = [{k: v for k, v in row.items() if k != "speaker_id"} for row in speakers]
    assert sorted(without_ids, key=lambda row: (-row["n_quotes"], row["article_ids"])) == [
        {"speaker": "احمد علي", "variants": ["أحمد علي", "احمد علي"], "speaker_type": "person", "generic": False,
         "roles": ["وزير"], "genders": ["male"], "n_quotes": 3, "n_articles": 2, "article_ids": ["a", "b"]},
        # an unnamed source is someone else in each article
        {"speaker": "مصدر أمني", "variants": ["مصدر أمني"], "speaker_type": "anonymous", "generic": True,
         "roles": [], "genders": [], "n_quotes": 1, "n_articles": 1, "article_ids": ["a"]},
        {"speaker": "مصدر أمني", "variants": ["مصدر أمني"], "speaker_type": "anonymous", "generic": True,
         "roles": [], "genders": [], "n_quotes": 1, "n_articles": 1, "article_ids": ["b"]},
    ]
    assert len({row["speaker_id"] for row in speakers}) == 3


def test_splits_are_stable_and_about_80_10_10():
    counts = {split: 0 for split in SPLITS}
    for n in range(5000):
        counts[split_of(f"article-{n}")] += 1
    assert split_of("x/y") == split_of("x/y")
    assert abs(counts["train"] - 4000) < 150 and abs(counts["validation"] - 500) < 100


# --- the command line -----------------------------------------------------------------------

def test_extract_prints_quote_rows_as_json_lines():
    result = run_cli("extract", stdin=sample_body().encode("utf-8"))
    assert result.returncode == 0, result.stderr.decode()
    rows = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]
    assert len(rows) == SAMPLE_QUOTE_COUNT and all(set(row) == set(ROW_FIELDS) for row in rows)
    assert rows[0]["quote"] in result.stdout.decode("utf-8")  # not \u-escaped


@pytest.mark.parametrize("token", [None, "hf_dummySecretToken1234567890"])
def test_push_fails_fast_offline_without_showing_the_token(sample_out, token):
    env = {key: value for key, value in OFFLINE.items() if key != "HF_TOKEN"}
    if token:
        env["HF_TOKEN"] = token
    result = run_cli("push", "--hub-repo", "someone/arabic-quotes", "--out", str(sample_out), env=env)
    output = result.stdout.decode() + result.stderr.decode()
    assert result.returncode == 2
    assert "offline" in output and len(result.stderr.decode().strip().splitlines()) == 1
    assert token is None or token not in output


def test_push_reads_the_token_from_hf_token_only(sample_out, tmp_path):
    env = {key: value for key, value in OFFLINE.items() if key not in ("HF_TOKEN", "HF_HUB_OFFLINE")}
    env["HF_HOME"] = str(tmp_path)  # no token saved by a login either
    result = run_cli("push", "--hub-repo", "someone/arabic-quotes", "--out", str(sample_out), env=env)
    assert result.returncode == 2 and "HF_TOKEN" in result.stderr.decode()


def test_push_needs_an_owner_slash_name_repo(sample_out):
    result = run_cli("push", "--hub-repo", "no-slash", "--out", str(sample_out))
    assert result.returncode == 2 and "owner/name" in result.stderr.decode()


@pytest.mark.parametrize("args, message", [
    (["build", "--workers", "0"], "--workers"),
    (["build", "--min-confidence", "2"], "--min-confidence"),
    (["frobnicate"], "build"),  # names the valid commands
])
def test_config_errors_exit_2_and_name_the_choices(args, message):
    result = run_cli(*args)
    assert result.returncode == 2 and message in result.stderr.decode()


def test_export_gold_writes_files_the_scorer_reads(sample_out, tmp_path):
    """The exported gold holds the build's quotes and speakers, and the scorer reads it: the build
    damaged on purpose (one quote dropped, one speaker changed) scores exactly that damage."""
    result = run_cli("export-gold", str(sample_out), str(tmp_path / "gold"))
    assert result.returncode == 0, result.stderr.decode()
    gold = load_gold_dir(tmp_path / "gold")
    rows = sorted(all_rows(datasets.load_from_disk(str(sample_out / "quotes"))), key=lambda row: row["quote_start"])
    assert list(gold) == [gold_stem(SAMPLE_ID)]
    assert [(quote["quote"], quote["speaker"]) for quote in gold[SAMPLE_ID]["quotes"]] == \
        [(row["quote"], row["speaker"]) for row in rows]
    assert len(rows) == SAMPLE_QUOTE_COUNT and all(row["speaker"] for row in rows)
    damaged = [dict(rows[1], speaker="متحدث مختلق للاختبار"), *rows[2:]]
    report = score({SAMPLE_ID: damaged}, gold)
    n = len(rows)
    assert (report.n_gold, report.n_predicted, report.n_matched) == (n, n - 1, n - 1)
    assert report.detection_precision == 1.0 and report.detection_recall == pytest.approx((n - 1) / n)
    assert report.speaker_accuracy == pytest.approx((n - 2) / (n - 1))


@pytest.mark.parametrize("changes, expected", [
    ({"speaker": "س", "cue": "وأضاف", "cue_start": 3, "attribution_rule": "after_quote/1"}, {"cue": "أضاف", "pattern": "after"}),
    ({"speaker": "س", "cue": "قالت", "cue_start": 0, "quote_start": 6, "quote_end": 9}, {"cue": "قالت", "pattern": "before"}),
    ({"speaker": "س", "attribution_rule": "participle_carryover/1"}, {"pattern": "carryover"}),
    ({"speaker": "س", "attribution_rule": "nearest_previous/1"}, {"pattern": "carryover"}),
    ({"speaker": None, "cue": "وقال", "cue_start": 3}, {"cue": "قال", "pattern": "other"}),
    ({"cue": "وصف"}, {"cue": "وصف"}),  # the و of the root stays
    ({"speaker": "دانا سترول", "speaker_mention": "سترول"}, {"aliases": ["سترول"]}),
    ({"speaker": "سترول", "speaker_mention": "سترول"}, {"aliases": []}),
])
def test_gold_quotes_follow_the_guidelines(changes, expected):
    quote = gold_quote(_quote_row(**changes))
    assert {key: quote[key] for key in expected} == expected
    assert set(quote) == {"quote", "speaker", "aliases", "type", "cue", "pattern"}


@needs_dev_corpus
def test_eval_scores_the_dev_corpus_without_touching_out(tmp_path):
    before = digests(REPO / "out") if (REPO / "out").is_dir() else None
    result = run_cli("eval", "--json", str(tmp_path / "report.json"))
    assert result.returncode == 0, result.stderr.decode()
    assert "detection P=" in result.stdout.decode() and "speaker accuracy=" in result.stdout.decode()
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["n_gold_articles"] == 35 and report["missing_articles"] == []
    assert (digests(REPO / "out") if (REPO / "out").is_dir() else None) == before


def test_eval_without_gold_exits_2(tmp_path):
    result = run_cli("eval", "--raw", str(SAMPLE_RAW), "--gold", str(tmp_path / "nowhere"))
    assert result.returncode == 2 and "gold" in result.stderr.decode()
