"""`make bench-real`: the build's speed and memory on the real corpus, against its floor.

    python -m builder.bench_real [--raw ../shared/corpus/real] [--workers N] [--profile 300]

Builds the real corpus (`../shared/corpus/real`: JSONL.gz files of unannotated articles) with
`make build` as users run it, into a temporary folder, and prints:

- its throughput: MB/s (of the uncompressed JSONL) and articles/s;
- the floor over the same files (gzip read, `json.loads` per line, one quote-mark regex over the
  text, one parquet write, in one process: the least any build must do) and the build's ratio to it;
- the peak RSS of the build (the sum over its process tree, sampled);
- where the time goes: the per-article stages over the first articles, under cProfile.

Skips with a message (exit 0) when the corpus is absent. Figures are printed, never asserted.
`make bench` keeps its own generated corpus.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import tempfile
import time
from pathlib import Path

from builder.bench import MB, QUOTE_MARKS, REPO_ROOT, make, profile

REAL_CORPUS = REPO_ROOT.parent / "shared" / "corpus" / "real"
TARGETS = {"ratio": 0.1, "peak_rss": 2_000 * MB}
ROWS_PER_GROUP = 1000


def corpus_files(corpus: Path) -> list[Path]:
    """The JSONL(.gz) files of the corpus, in the order the builder reads them."""
    return sorted(path for pattern in ("*.jsonl", "*.jsonl.gz") for path in corpus.rglob(pattern))


def floor(corpus: Path, out: Path) -> tuple[float, int, int]:
    """(seconds, articles, uncompressed bytes) of the bare pass over the corpus: read each file
    (gunzipped), json.loads each line, one quote-mark regex over its text, and write the texts
    with their mark counts as one parquet file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([("id", pa.string()), ("text", pa.string()), ("marks", pa.int64())])
    articles = size = 0
    start = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    with pq.ParquetWriter(str(out), schema) as writer:
        rows: dict[str, list] = {"id": [], "text": [], "marks": []}
        for path in corpus_files(corpus):
            opener = gzip.open if path.suffix == ".gz" else open
            with opener(path, "rb") as handle:
                for line in handle:
                    size += len(line)
                    if not line.strip():
                        continue
                    record = json.loads(line)
                    text = record.get("text") or ""
                    rows["id"].append(str(record.get("id")))
                    rows["text"].append(text)
                    rows["marks"].append(len(QUOTE_MARKS.findall(text)))
                    articles += 1
                    if len(rows["id"]) >= ROWS_PER_GROUP:
                        writer.write_table(pa.table(rows, schema=schema))
                        rows = {"id": [], "text": [], "marks": []}
        if rows["id"]:
            writer.write_table(pa.table(rows, schema=schema))
    return time.perf_counter() - start, articles, size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m builder.bench_real", description=__doc__.split("\n\n")[0])
    parser.add_argument("--raw", type=Path, default=REAL_CORPUS,
                        help=f"the corpus to build (default: {REAL_CORPUS})")
    parser.add_argument("--workers", default="", help="WORKERS for make build (default: empty, every core)")
    parser.add_argument("--profile", type=int, default=300, metavar="N",
                        help="profile the per-article stages on the first N articles (default: 300; 0: none)")
    parser.add_argument("--top", type=int, default=25, help="functions listed by the profile (default: 25)")
    args = parser.parse_args(argv)
    corpus = args.raw.resolve()
    if not corpus.is_dir() or not corpus_files(corpus):
        print(f"bench-real: skipped, no real corpus at {corpus} (JSONL or JSONL.gz files; "
              f"`make bench-real BENCH_REAL_ARGS=\"--raw DIR\"` names another)")
        return 0
    root = Path(tempfile.mkdtemp(prefix="builder-bench-real-"))
    try:
        print(f"bench-real: {corpus} ({len(corpus_files(corpus))} files)", flush=True)
        # The best of two: the first run also pays for loading pyarrow and for a cold page cache.
        runs = [floor(corpus, root / f"floor-{n}.parquet") for n in range(2)]
        floor_seconds, articles, size = min(runs)
        print(f"floor (gzip read + json.loads + one quote-mark regex + parquet write), one process, best of two:\n"
              f"  {floor_seconds:6.2f} s  {size / MB / floor_seconds:6.1f} MB/s  "
              f"({articles:,} articles, {size / MB:,.0f} MB of JSONL)", flush=True)
        for path in root.glob("floor-*.parquet"):
            path.unlink()

        workers = args.workers or "every core"
        print(f"make build RAW={corpus} (WORKERS: {workers}) ...", flush=True)
        run = make("build", RAW=corpus, OUT=root / "out", **({"WORKERS": args.workers} if args.workers else {}))
        manifest = json.loads((root / "out" / "manifest.json").read_text(encoding="utf-8"))
        counts = manifest["counts"]
        shutil.rmtree(root / "out")
        ratio = floor_seconds / run.seconds
        print(f"  {run.seconds:6.1f} s  {run.rate(size, counts['inputs'])}; {counts['published']:,} published, "
              f"{counts['rejected']:,} rejected, {counts['quotes']:,} quotes")
        print("\nfigures (targets in brackets):")
        print(f"  throughput of make build:   {run.rate(size, counts['inputs'])}")
        print(f"  floor:                      {size / MB / floor_seconds:6.2f} MB/s")
        print(f"  ratio build / floor:        {ratio:6.3f}   [>= {TARGETS['ratio']}]  "
              f"{'ok' if ratio >= TARGETS['ratio'] else 'BELOW TARGET'}")
        print(f"  peak RSS of the build:      {run.peak_rss / MB:,.0f} MB (largest process "
              f"{run.peak_rss_main / MB:,.0f} MB)   [<= {TARGETS['peak_rss'] / MB:,.0f} MB]  "
              f"{'ok' if run.peak_rss <= TARGETS['peak_rss'] else 'ABOVE TARGET'}", flush=True)
        if args.profile:
            profile(corpus, args.profile, args.top)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
