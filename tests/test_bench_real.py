"""`make bench-real`'s floor and its skip when the real corpus is absent (figures are never asserted)."""

from __future__ import annotations

import gzip
import json

from builder.bench_real import corpus_files, floor, main


def test_the_floor_reads_every_line_of_the_gzipped_jsonl(tmp_path):
    import pyarrow.parquet as pq

    lines = [json.dumps({"id": f"a{n}", "text": f"وقال الوزير: «نص {n}»"}, ensure_ascii=False) for n in range(5)]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    (tmp_path / "corpus").mkdir()
    with gzip.open(tmp_path / "corpus" / "feed.jsonl.gz", "wb") as handle:
        handle.write(data)
    assert corpus_files(tmp_path / "corpus") == [tmp_path / "corpus" / "feed.jsonl.gz"]
    seconds, articles, size = floor(tmp_path / "corpus", tmp_path / "floor.parquet")
    assert seconds > 0 and (articles, size) == (5, len(data))
    table = pq.read_table(tmp_path / "floor.parquet")
    assert table.num_rows == 5 and table.column("marks").to_pylist() == [2] * 5


def test_without_the_corpus_it_says_so_and_exits_0(tmp_path, capsys):
    assert main(["--raw", str(tmp_path / "absent")]) == 0
    assert "skipped, no real corpus" in capsys.readouterr().out
