"""RAW is read once: a build opens each input file once, and the sha256 of every file in its input
list (OUT/stages/ingest/inputs.jsonl) is taken from the bytes as ingest reads them, not in a pass
of its own (builder/sources.py). Resuming on changed inputs: tests/test_scale.py.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from builder import store
from builder.ingest import iter_input_digests, iter_sources
from conftest import OFFLINE, REPO, SAMPLE, run_build

# A build in a process of its own (WORKERS=1: the stages run there too), counting through an
# audit hook every file it opens under RAW; the counts go to argv[3] as JSON.
COUNT_OPENS = """
import json, os, sys
from collections import Counter
from pathlib import Path
from builder.runner import RunConfig, build

raw, out, report = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
prefix = raw.rstrip("/") + "/"
opened = Counter()

def hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.fsdecode(args[0])
        if path.startswith(prefix):
            opened[path[len(prefix):]] += 1

sys.addaudithook(hook)
build(RunConfig(raw=Path(raw), out=out, workers=1, quiet=True, shard_size=4, chunk_size=2))
report.write_text(json.dumps(opened), encoding="utf-8")
"""


def _body() -> str:
    return "\n".join(SAMPLE.read_text(encoding="utf-8").split("\n")[3:])


def _jsonl_lines(prefix: str, count: int) -> bytes:
    lines = [json.dumps({"id": f"{prefix}{n}", "text": _body() if n % 2 else "نص بلا اقتباس."}, ensure_ascii=False)
             for n in range(count)]
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    """Every format ingest reads line by line or whole: .txt, .jsonl, .jsonl.gz, and a truncated
    .jsonl.gz (read up to where it breaks: the rest of it must still reach its digest)."""
    raw = tmp_path_factory.mktemp("read-once") / "raw"
    (raw / "a" / "b").mkdir(parents=True)
    (raw / "a" / "one.txt").write_bytes(SAMPLE.read_bytes())
    (raw / "a" / "b" / "two.txt").write_text("قسم\nعنوان\nقال الوزير: «نص قصير».\n", encoding="utf-8")
    (raw / "feed.jsonl").write_bytes(_jsonl_lines("j", 9))
    (raw / "feed2.jsonl.gz").write_bytes(gzip.compress(_jsonl_lines("g", 7)))
    whole = gzip.compress(_jsonl_lines("t", 40))
    (raw / "zz-truncated.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    return raw


def _file_digests(raw: Path) -> list[dict]:
    return [{"path": rel, "sha256": hashlib.sha256((raw / rel).read_bytes()).hexdigest()}
            for rel in ("a/b/two.txt", "a/one.txt", "feed.jsonl", "feed2.jsonl.gz", "zz-truncated.jsonl.gz")]


def test_a_build_opens_each_input_file_once(raw, tmp_path):
    report = tmp_path / "opened.json"
    result = subprocess.run([sys.executable, "-c", COUNT_OPENS, str(raw), str(tmp_path / "out"), str(report)],
                            cwd=REPO, env=OFFLINE, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    opened = json.loads(report.read_text(encoding="utf-8"))
    assert opened == {"a/b/two.txt": 1, "a/one.txt": 1, "feed.jsonl": 1, "feed2.jsonl.gz": 1, "zz-truncated.jsonl.gz": 1}
    listed = store.read_jsonl(store.stage_dir(tmp_path / "out", "ingest") / store.INPUT_LIST_FILE)
    assert list(listed) == _file_digests(raw)  # each file's own sha256, the truncated one whole


def test_the_input_list_is_the_files_digests_in_raws_order(raw, tmp_path):
    """The digests taken while reading equal a separate hash of each file (iter_input_digests), for
    every format: tables too, which pyarrow reads by seeking (hashed as they are opened)."""
    mixed = tmp_path / "raw"
    (mixed / "tables").mkdir(parents=True)
    for path in raw.rglob("*"):
        if path.is_file():
            (mixed / path.relative_to(raw)).parent.mkdir(parents=True, exist_ok=True)
            (mixed / path.relative_to(raw)).write_bytes(path.read_bytes())
    rows = [{"id": f"p{n}", "text": _body(), "title": f"عنوان {n}"} for n in range(6)]
    pq.write_table(pa.Table.from_pylist(rows), mixed / "tables" / "feed.parquet", row_group_size=2)
    with pa.OSFile(str(mixed / "tables" / "feed.arrow"), "wb") as sink:
        with pa.ipc.new_stream(sink, pa.Table.from_pylist(rows).schema) as writer:
            writer.write_table(pa.Table.from_pylist([{**row, "id": f"r{n}"} for n, row in enumerate(rows)]))
    run_build(mixed, tmp_path / "out", shard_size=4, chunk_size=2)
    listed = list(store.read_jsonl(store.stage_dir(tmp_path / "out", "ingest") / store.INPUT_LIST_FILE))
    expected = [{"path": rel, "sha256": digest} for rel, digest in iter_input_digests(mixed)]
    assert listed == expected and len(listed) == 7
    summary = json.loads((store.stage_dir(tmp_path / "out", "ingest") / store.INPUTS_FILE).read_text(encoding="utf-8"))
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    list_bytes = (store.stage_dir(tmp_path / "out", "ingest") / store.INPUT_LIST_FILE).read_bytes()
    assert summary["files"] == manifest["inputs"]["files"] == 7
    assert summary["sha256"] == manifest["inputs"]["sha256"] == hashlib.sha256(list_bytes).hexdigest()


def test_digests_come_only_from_files_read_to_their_end(raw):
    """iter_sources hands a file's digest over once the file is read, in RAW's order; a reader
    that stops early gets none for the file it stopped in."""
    seen: list = []
    units = iter_sources(raw, digests=lambda rel, sha256: seen.append((rel, sha256)))
    for unit in units:
        if getattr(unit, "path", None) == "feed.jsonl":
            break
    units.close()
    assert seen == [(entry["path"], entry["sha256"]) for entry in _file_digests(raw)[:2]]
