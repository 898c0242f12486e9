"""`make bench`: the build's throughput against the I/O floor, its memory, and its parallel speedup.

    python -m builder.bench [--mb 50] [--big-mb 200] [--keep DIR] [--profile N] [--large-quotes 1000,4000,16000] [--large-only]

Generates real-like `.txt` articles into a temporary folder (never committed): paragraphs of the
dev corpus (`../shared/corpus/dev/articles`, when present) and of `raw/` recombined, in runs of
consecutive paragraphs so quotes keep their attributions, with every number changed. Then it runs,
on the same corpus:

- `make build` as users run it (a subprocess; everything it writes counts): MB/s and articles/s;
- the floor: read every file, one regex for quote marks, write the text as parquet;
- their ratio, and the ratio of a build of the same corpus with its quote marks removed (what
  everything but detection and attribution costs);
- the peak RSS of the build (the sum over its process tree, sampled) at the small and at the
  big corpus size; and the speedup of WORKERS=2 over WORKERS=1;
- one large article (1k, 4k and 16k quotes: `large_article`) through ingest, the stages and its
  report page, and the ratio t(16k) / t(4k), about 4 when per-article work is linear.

Figures are printed, never asserted: targets are checked by a reader, not by the test suite.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEV_ARTICLES = REPO_ROOT.parent / "shared" / "corpus" / "dev" / "articles"
SAMPLE_RAW = REPO_ROOT / "raw"
MB = 1_000_000
TARGETS = {"ratio": 0.3, "speedup": 1.5, "rss_growth": 1.25, "large_ratio": 5.0}
# The quote marks the floor looks for: one regex, as the issue defines the floor.
QUOTE_MARKS = re.compile("[\"«»“”„‟″‘’‚‹›]")
_DIGITS = re.compile(r"[0-9]+|[٠-٩]+")
_SECTIONS = ("سياسة", "اقتصاد", "الامنية", "دولي", "محليات", "رياضة")
ARTICLES_PER_FOLDER = 1000


# --- the corpus ---------------------------------------------------------------------------------

@dataclass
class _Source:
    section: str
    title: str
    paragraphs: list[str]


def _read_sources(folders: list[Path]) -> list[_Source]:
    """Section, title and body paragraphs of every .txt article in the folders (the ingest layout)."""
    sources = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.txt")):
            lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
            rest = [line.strip() for line in lines[1:] if line.strip()]
            if len(rest) >= 2:
                sources.append(_Source(lines[0].strip(), rest[0], rest[1:]))
    if not sources:
        raise SystemExit(f"bench: no articles to recombine under {', '.join(map(str, folders))}")
    return sources


def _renumber(text: str, rng: random.Random) -> str:
    """Every run of digits replaced by random digits of the same length and script."""
    def swap(match: re.Match) -> str:
        run = match.group()
        zero = "0" if run[0] in "0123456789" else "٠"
        digits = [chr(ord(zero) + rng.randrange(10)) for _ in run]
        if len(run) > 1 and run[0] != zero:
            digits[0] = chr(ord(zero) + rng.randrange(1, 10))
        return "".join(digits)
    return _DIGITS.sub(swap, text)


def _article(sources: list[_Source], rng: random.Random) -> str:
    """One article: a title and runs of consecutive paragraphs, 1200-4500 characters of body."""
    first = rng.choice(sources)
    paragraphs: list[str] = []
    target = rng.randrange(1200, 4500)
    source = first
    while sum(map(len, paragraphs)) < target and len(paragraphs) < 40:
        start = rng.randrange(len(source.paragraphs))
        paragraphs += source.paragraphs[start: start + rng.randrange(2, 7)]
        source = rng.choice(sources)
    section = first.section or rng.choice(_SECTIONS)
    body = "\n\n".join(_renumber(paragraph, rng) for paragraph in paragraphs)
    return f"{section}\n\n{_renumber(first.title, rng)}\n\n{body}\n"


def generate_corpus(dest: Path, size_bytes: int, *, seed: int = 4, start: int = 0,
                    sources: list[_Source] | None = None) -> tuple[int, int]:
    """Write .txt articles under dest until it holds size_bytes; (articles, bytes) written.

    Articles are numbered from `start`, so a bigger corpus can be the smaller one plus more.
    """
    sources = sources or _read_sources([DEV_ARTICLES, SAMPLE_RAW])
    rng = random.Random(seed * 1_000_003 + start)
    written = count = 0
    while written < size_bytes:
        number = start + count
        folder = dest / rng.choice(_SECTIONS) / f"{number // ARTICLES_PER_FOLDER:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        data = _article(sources, rng).encode("utf-8")
        (folder / f"{number:07d}.txt").write_bytes(data)
        written += len(data)
        count += 1
    return count, written


def grow_corpus(small: Path, big: Path, size_bytes: int, *, seed: int = 4) -> tuple[int, int]:
    """big = small's articles (hard links, or copies) plus new ones up to size_bytes in total."""
    count = written = 0
    for path in sorted(small.rglob("*.txt")):
        target = big / path.relative_to(small)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)
        count += 1
        written += path.stat().st_size
    more, more_bytes = generate_corpus(big, size_bytes - written, seed=seed, start=count)
    return count + more, written + more_bytes


def large_article(quotes: int, *, one_paragraph: bool = False, seed: int = 4, sources: list[_Source] | None = None) -> str:
    """One `.txt` article holding about `quotes` quotes: the paragraphs of the sources that quote
    someone, each source's in their order (so quotes keep their cues and speakers), numbers
    changed, until the article holds that many quotes (counted by the detect stage on each
    paragraph alone). The shape that makes per-article work quadratic if any step scans all the
    quotes of the article for each quote. one_paragraph: the whole body on one line."""
    from builder.pipeline import run_stage

    sources = sources or _read_sources([DEV_ARTICLES, SAMPLE_RAW])
    rng = random.Random(seed)

    def quotes_in(paragraph: str) -> int:
        article = {"article_id": "p", "title": "", "text": paragraph}
        return len(run_stage("detect", article, {"segment": run_stage("segment", article, {})})["quotes"])

    quoted = []
    for source in sources:
        counted = [(paragraph, quotes_in(paragraph)) for paragraph in source.paragraphs if QUOTE_MARKS.search(paragraph)]
        if any(n for _p, n in counted):
            quoted.append([(paragraph, n) for paragraph, n in counted if n])
    paragraphs: list[str] = []
    found = 0
    while found < quotes:
        for paragraph, n in rng.choice(quoted):
            paragraphs.append(_renumber(paragraph, rng))
            found += n
    body = (" " if one_paragraph else "\n\n").join(paragraphs)
    return f"{rng.choice(_SECTIONS)}\n\nمقال طويل من {quotes} اقتباس\n\n{body}\n"


def without_quote_marks(source: Path, dest: Path) -> None:
    """dest = source's articles with every quotation mark the builder knows removed: the same
    text with nothing to detect or attribute, to time everything in a build but those two."""
    from builder.marks import any_mark

    marks = any_mark()
    for path in sorted(source.rglob("*.txt")):
        target = dest / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(marks.sub("", path.read_text(encoding="utf-8")), encoding="utf-8")


def corpus_size(folder: Path) -> tuple[int, int]:
    """(articles, bytes) of the .txt files under folder."""
    sizes = [path.stat().st_size for path in folder.rglob("*.txt")]
    return len(sizes), sum(sizes)


# --- the floor ----------------------------------------------------------------------------------

def floor(corpus: Path, out: Path) -> float:
    """Seconds to read every article, find its quote marks with one regex and write the texts
    (with their mark counts) as parquet, a row group every ARTICLES_PER_FOLDER articles."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([("path", pa.string()), ("text", pa.string()), ("marks", pa.int64())])
    start = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    with pq.ParquetWriter(str(out), schema) as writer:
        rows: dict[str, list] = {"path": [], "text": [], "marks": []}
        for folder, dirs, files in os.walk(corpus):
            dirs.sort()
            for name in sorted(files):
                path = os.path.join(folder, name)
                with open(path, "rb") as handle:
                    text = handle.read().decode("utf-8")
                rows["path"].append(path)
                rows["text"].append(text)
                rows["marks"].append(len(QUOTE_MARKS.findall(text)))
                if len(rows["path"]) >= ARTICLES_PER_FOLDER:
                    writer.write_table(pa.table(rows, schema=schema))
                    rows = {"path": [], "text": [], "marks": []}
        if rows["path"]:
            writer.write_table(pa.table(rows, schema=schema))
    return time.perf_counter() - start


# --- a build as users run it, its time and memory -----------------------------------------------

@dataclass
class Run:
    seconds: float
    peak_rss: int  # bytes: the largest sum of RSS over the build's process tree, sampled
    peak_rss_main: int  # bytes: the largest RSS of a single process of the tree

    def rate(self, size_bytes: int, articles: int) -> str:
        return f"{size_bytes / MB / self.seconds:6.2f} MB/s, {articles / self.seconds:7.1f} articles/s"


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    stat = handle.read()
            except OSError:
                continue
            ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
            tree.setdefault(ppid, []).append(int(entry))
    return tree


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _tree_rss(root: int) -> tuple[int, int]:
    tree = _children()
    stack, total, largest = [root], 0, 0
    while stack:
        pid = stack.pop()
        rss = _rss(pid)
        total += rss
        largest = max(largest, rss)
        stack.extend(tree.get(pid, ()))
    return total, largest


def make(target: str, **variables) -> Run:
    """`make <target> VAR=value ...` in the repository, timed, its process tree's RSS sampled."""
    import threading

    command = ["make", "--no-print-directory", target, *(f"{name}={value}" for name, value in variables.items())]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    peak = [0, 0]
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            total, largest = _tree_rss(process.pid)
            peak[0], peak[1] = max(peak[0], total), max(peak[1], largest)
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if process.returncode:
        raise SystemExit(f"bench: `{' '.join(command)}` failed ({process.returncode}):\n{stderr.decode()[-3000:]}")
    return Run(seconds, peak[0], peak[1])


def output_bytes(out: Path) -> int:
    return sum(path.stat().st_size for path in out.rglob("*") if path.is_file())


# --- where the time goes --------------------------------------------------------------------------

def profile(corpus: Path, articles: int, top: int) -> None:
    """Per-stage wall time over the first `articles` articles (in this process), then the
    functions that dominate, by own time, under cProfile."""
    import cProfile
    import io
    import pstats

    from builder.ingest import ingest_source, iter_sources
    from builder.pipeline import ARTICLE_STAGES, run_stage

    units = [unit for _, unit in zip(range(articles), iter_sources(corpus))]
    size = sum(len(unit.payload) for unit in units)
    run_stage("attribute", *_warm())  # lexicons and the name model load once, outside the figures
    seconds = dict.fromkeys(("ingest", *ARTICLE_STAGES), 0.0)

    def run_all(timed: bool) -> None:
        for unit in units:
            t0 = time.perf_counter()
            article = ingest_source(unit)
            if timed:
                seconds["ingest"] += time.perf_counter() - t0
            outputs: dict = {}
            for stage in ARTICLE_STAGES:
                t0 = time.perf_counter()
                outputs[stage] = run_stage(stage, article, outputs)
                if timed:
                    seconds[stage] += time.perf_counter() - t0

    run_all(True)
    total = sum(seconds.values())
    print(f"\nwhere the time goes, per stage ({len(units)} articles, {size / MB:.1f} MB, one process, "
          f"{size / MB / total:.2f} MB/s):")
    for stage, spent in seconds.items():
        print(f"  {stage:<10} {spent:7.2f} s  {100 * spent / total:5.1f} %  {size / MB / spent if spent else 0:8.2f} MB/s")
    profiler = cProfile.Profile()
    profiler.runcall(run_all, False)
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumtime").print_stats(r"builder/", top)
    print("\n".join(line for line in stream.getvalue().splitlines()
                    if line.strip() and not line.startswith(("   Ordered by", "   List reduced"))))


def large_article_seconds(text: str, folder: Path) -> tuple[float, int, dict[str, float]]:
    """(seconds, quotes, seconds by step) of one article's whole per-article work, in this
    process: ingest from a `.txt` file, the per-article stages, and its report page."""
    from builder.ingest import ingest_source, iter_sources
    from builder.pipeline import ARTICLE_STAGES, run_stage
    from builder.report import article_page

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "large.txt").write_text(text, encoding="utf-8")
    unit = next(iter_sources(folder))
    steps: dict[str, float] = {}
    start = time.perf_counter()
    article = ingest_source(unit)
    steps["ingest"] = time.perf_counter() - start
    outputs: dict = {}
    for stage in ARTICLE_STAGES:
        t0 = time.perf_counter()
        outputs[stage] = run_stage(stage, article, outputs)
        steps[stage] = time.perf_counter() - t0
    quotes = outputs["attribute"]["quotes"]
    t0 = time.perf_counter()
    article_page({**article, "paragraphs": [{"start": s, "end": e} for s, e in outputs["segment"]["paragraphs"]],
                  "quotes": quotes})
    steps["report page"] = time.perf_counter() - t0
    return time.perf_counter() - start, len(quotes), steps


def large_article_line(sizes: tuple[int, ...] = (1000, 4000, 16000), root: Path | None = None) -> float:
    """Print the time of one article's work at each size (quotes in one article), in two shapes
    (the sources' paragraphs, and the whole body in one paragraph, where every quote shares one
    block of the report page), and return the larger ratio of the last two times: about 4 when
    per-article work is linear in the article's size."""
    from builder.pipeline import run_stage

    run_stage("attribute", *_warm())
    root = root or Path(tempfile.mkdtemp(prefix="builder-bench-large-"))
    ratios = []
    try:
        for one_paragraph in (False, True):
            shape = "in one paragraph" if one_paragraph else "in the sources' paragraphs"
            print(f"one large article, {shape} (ingest, stages and its report page, one process):", flush=True)
            times = []
            for quotes in sizes:
                text = large_article(quotes, one_paragraph=one_paragraph)
                seconds, found, steps = large_article_seconds(text, root / f"{quotes}-{one_paragraph}")
                times.append(seconds)
                detail = ", ".join(f"{name} {spent:.2f}" for name, spent in steps.items())
                print(f"  {found:6d} quotes, {len(text.encode()) / MB:5.1f} MB: {seconds:7.2f} s  ({detail})", flush=True)
            ratios.append(times[-1] / times[-2])
            print(f"  ratio t({sizes[-1]:,}) / t({sizes[-2]:,}): {ratios[-1]:.2f}   "
                  f"[<= {TARGETS['large_ratio']}]  {'ok' if ratios[-1] <= TARGETS['large_ratio'] else 'ABOVE TARGET'}",
                  flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return max(ratios)


def _warm() -> tuple[dict, dict]:
    from builder.pipeline import ARTICLE_STAGES, run_stage

    article = {"article_id": "warm", "title": "", "text": "وقال الوزير أحمد علي للصحفيين: «نحن مستعدون للحوار»."}
    outputs: dict = {}
    for stage in ARTICLE_STAGES[:-1]:
        outputs[stage] = run_stage(stage, article, outputs)
    return article, outputs


# --- the run ------------------------------------------------------------------------------------

def _mb(size: int) -> str:
    return f"{size / MB:,.0f} MB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m builder.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=50, help="size of the corpus (default: 50 MB)")
    parser.add_argument("--big-mb", type=float, default=200, help="size of the corpus for the memory figure (default: 200 MB)")
    parser.add_argument("--keep", type=Path, default=None, help="generate into this folder and keep it (default: a temporary one)")
    parser.add_argument("--profile", type=int, default=300, metavar="N",
                        help="profile the per-article stages on N articles (default: 300; 0: no profile)")
    parser.add_argument("--top", type=int, default=25, help="functions listed by the profile (default: 25)")
    parser.add_argument("--large-quotes", default="1000,4000,16000", metavar="N,N,N",
                        help="quotes in the one large article timed at each size (default: 1000,4000,16000; "
                             "'' to skip); the ratio of the last two times is printed")
    parser.add_argument("--large-only", action="store_true", help="only the large-article line")
    args = parser.parse_args(argv)
    large_sizes = tuple(int(n) for n in args.large_quotes.split(",") if n.strip())
    if args.large_only:
        if len(large_sizes) < 2:
            parser.error("--large-only needs two sizes or more in --large-quotes")
        large_article_line(large_sizes)
        return 0
    from builder.runner import default_workers

    workers = default_workers()
    root = args.keep or Path(tempfile.mkdtemp(prefix="builder-bench-"))
    try:
        small, big = root / f"corpus-{args.mb:g}mb", root / f"corpus-{args.big_mb:g}mb"
        print(f"bench: generating {args.mb:g} MB and {args.big_mb:g} MB of .txt articles under {root} ...", flush=True)
        n_small, size_small = generate_corpus(small, int(args.mb * MB)) if not small.is_dir() else corpus_size(small)
        n_big, size_big = (grow_corpus(small, big, int(args.big_mb * MB)) if not big.is_dir() else corpus_size(big))
        print(f"  {small.name}: {n_small} articles, {_mb(size_small)}; {big.name}: {n_big} articles, {_mb(size_big)}")

        # The best of two runs: the first also pays for loading pyarrow's code.
        floor_small = min(floor(small, root / "floor" / f"small-{n}.parquet") for n in range(2))
        floor_big = min(floor(big, root / "floor" / f"big-{n}.parquet") for n in range(2))
        shutil.rmtree(root / "floor")
        print(f"floor (read + one regex for quote marks + parquet write), one process, best of two:\n"
              f"  {args.mb:g} MB: {floor_small:6.2f} s  {size_small / MB / floor_small:6.1f} MB/s\n"
              f"  {args.big_mb:g} MB: {floor_big:6.2f} s  {size_big / MB / floor_big:6.1f} MB/s", flush=True)

        print(f"make build (WORKERS empty: all {workers} cores) ...", flush=True)
        default_small = make("build", RAW=small, OUT=root / "out-default")
        written = output_bytes(root / "out-default")
        print(f"  {args.mb:g} MB: {default_small.seconds:6.1f} s  {default_small.rate(size_small, n_small)}  "
              f"(wrote {_mb(written)}), peak RSS {_mb(default_small.peak_rss)} (largest process "
              f"{_mb(default_small.peak_rss_main)})", flush=True)
        publish_alone = make("publish", OUT=root / "out-default")
        print(f"  of which publish (rerun alone with `make publish`): {publish_alone.seconds:.1f} s", flush=True)
        shutil.rmtree(root / "out-default")
        default_big = make("build", RAW=big, OUT=root / "out-big")
        print(f"  {args.big_mb:g} MB: {default_big.seconds:6.1f} s  {default_big.rate(size_big, n_big)}, "
              f"peak RSS {_mb(default_big.peak_rss)} (largest process {_mb(default_big.peak_rss_main)})", flush=True)
        shutil.rmtree(root / "out-big")

        # What the ratio could be if detecting and attributing quotes cost nothing: reading,
        # normalizing, segmenting and writing the stages, the datasets, the hub copy and the report.
        bare_corpus = root / f"corpus-{args.mb:g}mb-no-marks"
        without_quote_marks(small, bare_corpus)
        bare = make("build", RAW=bare_corpus, OUT=root / "out-bare")
        print(f"make build on the same corpus with every quote mark removed (nothing to detect or attribute):\n"
              f"  {args.mb:g} MB: {bare.seconds:6.1f} s  {bare.rate(size_small, n_small)}  "
              f"ratio to the floor {floor_small / bare.seconds:.3f}", flush=True)
        shutil.rmtree(root / "out-bare")
        shutil.rmtree(bare_corpus)

        print("make build WORKERS=1 and WORKERS=2 ...", flush=True)
        one = make("build", RAW=small, OUT=root / "out-1", WORKERS=1)
        print(f"  WORKERS=1: {one.seconds:6.1f} s  {one.rate(size_small, n_small)}", flush=True)
        shutil.rmtree(root / "out-1")
        two = default_small if workers == 2 else make("build", RAW=small, OUT=root / "out-2", WORKERS=2)
        print(f"  WORKERS=2: {two.seconds:6.1f} s  {two.rate(size_small, n_small)}"
              + ("  (the run above)" if workers == 2 else ""), flush=True)
        shutil.rmtree(root / "out-2", ignore_errors=True)

        ratio = floor_small / default_small.seconds
        speedup = one.seconds / two.seconds
        growth = default_big.peak_rss / default_small.peak_rss
        print("\nfigures (targets in brackets):")
        print(f"  throughput of make build, {args.mb:g} MB:   {default_small.rate(size_small, n_small)}")
        print(f"  throughput of make build, {args.big_mb:g} MB:  {default_big.rate(size_big, n_big)}")
        print(f"  floor, {args.mb:g} MB:                      {size_small / MB / floor_small:6.2f} MB/s")
        print(f"  ratio build / floor:                 {ratio:6.3f}   [>= {TARGETS['ratio']}]  "
              f"{'ok' if ratio >= TARGETS['ratio'] else 'BELOW TARGET'}")
        print(f"  ratio at {args.big_mb:g} MB:                    {floor_big / default_big.seconds:6.3f}")
        print(f"  ratio without quote marks:           {floor_small / bare.seconds:6.3f}   "
              f"(the build with nothing to detect or attribute)")
        print(f"  peak RSS, {args.mb:g} MB / {args.big_mb:g} MB:          {_mb(default_small.peak_rss)} / "
              f"{_mb(default_big.peak_rss)} = {growth:.3f}x   [< {TARGETS['rss_growth']}x]  "
              f"{'ok' if growth < TARGETS['rss_growth'] else 'ABOVE TARGET'}")
        print(f"  speedup WORKERS=2 over WORKERS=1:    {speedup:6.2f}x   [>= {TARGETS['speedup']}x]  "
              f"{'ok' if speedup >= TARGETS['speedup'] else 'BELOW TARGET'}")
        if len(large_sizes) >= 2:
            print()
            large_article_line(large_sizes, root / "large")
        if args.profile:
            profile(small, args.profile, args.top)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
