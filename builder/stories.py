"""Stories: the wire copies of one article grouped, and the copies of every quote counted.

Outlets reprint the same agency story, and the same statement travels from article to article.
Publish runs this corpus-level step before it writes a row (builder/publish.py):

- Every published article's body is cut into words, folded as names are (builder.text.fold_key:
  diacritics, tatweel, hamza forms, ى/ي, ة/ه; punctuation is not a word), and into shingles of
  SHINGLE_WORDS consecutive words; a MinHash of them (datasketch, fixed seed, so every build
  gives the same signatures) goes through a MinHash LSH index (datasketch), and two articles whose
  estimated Jaccard similarity is THRESHOLD or more are copies. Two articles that hold the same quote of LINK_QUOTE_WORDS words or more (folded) are
  one story too: the same statement, reported twice, is the same story for anyone who would
  train on one and test on the other.
- A story is a connected group of copies; its `story_id` is the article_id of its earliest
  article (by `date`, then by article_id; articles without a readable date come after dated
  ones). Splits are a hash of story_id, so all copies land in one split.
- A quote's copies: the articles in which the same quote (folded) appears for the same speaker
  (speaker_key: its speaker_id, or the folded string for a generic source), counted as
  `n_copies`, the earliest of them `first_article_id`; with DEDUP only the first row of each
  such quote is published.

Why the splits stay stable as the corpus grows: copies are pairs of articles, decided by the two
articles alone (their MinHash signatures and quotes), so adding articles only adds pairs. A story
never splits; it only gains articles or merges with another story. Its id changes only when the
article it gains is earlier than its earliest one, or when a new article bridges two stories (the
merged story takes the earlier id, and the later story's articles may change split). In a corpus
that grows with new articles, old stories keep their ids and their splits (tests/test_stories.py).

Work and memory: the per-article part (reading the shards, shingles, MinHash, quote keys) runs on
the workers, a shard per task (sketch_shard); the main process keeps, per article, its id, date
key, signature (NUM_PERM 32-bit values) and its entries in the LSH index's bands, and per distinct
quote a few numbers: about 11 KB per article, most of it the index's (datasketch keeps a set per
band key), some 0.8 GB for the 72,000 articles of the real corpus.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache

import numpy as np

from builder.evaluate import fold
from builder.text import WORD, fold_key

# Recorded in the manifest with the parameters below (StoryStats.counts).
RULE_VERSION = "stories/1"
SHINGLE_WORDS = 5
NUM_PERM = 128
SEED = 1
# Estimated Jaccard similarity of the shingle sets at which two articles are copies: chosen on 100
# labelled candidate pairs of the real corpus (tests/data/story_pairs.csv; README, "Stories and
# repeated quotes"): precision 0.97 and recall 0.74 there, where 0.3 gives 0.92 and 0.89, 0.5 gives
# 1.00 and 0.60. Below it are mostly the articles of one template (the weather, the n-th relief
# flight) and different articles on one event.
THRESHOLD = 0.4
# The LSH bands (datasketch picks them for THRESHOLD) weigh a missed pair four times a false
# candidate, since every candidate is checked against THRESHOLD: 31 bands of 3 rows, which find a
# pair at 0.4 with probability 0.87, at 0.5 with 0.98.
LSH_WEIGHTS = (0.2, 0.8)
# A quote this long (folded words) shared by two articles makes them one story.
LINK_QUOTE_WORDS = 6
# Articles with fewer shingles than this are grouped by their quotes only: a two-line brief shares
# most of its few shingles with any other brief of the same template.
MIN_SHINGLES = 10
_NO_DATE = "~"  # sorts after every ISO date
_DAY_FIRST = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2}))?")
# Weights of the words of a shingle (FNV prime powers): a shingle's hash is a weighted sum of its
# words' crc32, computed for all shingles of an article at once in numpy.
_WEIGHTS = np.array([pow(0x01000193, i, 1 << 32) for i in range(SHINGLE_WORDS)], dtype=np.uint32)


def date_key(date: str | None) -> str:
    """A sortable UTC timestamp (YYYY-MM-DDTHH:MM:SS) from the formats news sites write
    (ISO 8601, RFC 2822 «Wed, 04 Mar 2015 10:00:00 +0200», day-first «17/05/2015»); "~" when
    there is no readable date, which sorts after every date."""
    text = (date or "").strip()
    if not text:
        return _NO_DATE
    moment = None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        match = _DAY_FIRST.match(text)
        try:
            if match:
                day, month, year, hour, minute = match.groups()
                moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0))
            else:
                moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return _NO_DATE
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


class _WordHashes(dict):
    """word -> crc32 of the folded word, filled as words come. A plain dict lookup (in C) for the
    words seen before, which are nearly all of them: twice as fast as an lru_cache. Emptied when
    it holds MAX_CACHED_WORDS, so it stays a few tens of MB whatever the corpus."""

    def __missing__(self, word: str) -> int:
        if len(self) >= MAX_CACHED_WORDS:
            self.clear()
        value = self[word] = zlib.crc32(fold_key(word).encode("utf-8"))
        return value


MAX_CACHED_WORDS = 300_000
_word_hashes = _WordHashes()


def shingle_hashes(text: str) -> np.ndarray:
    """The distinct 32-bit hashes of the SHINGLE_WORDS-word shingles of the folded words of text."""
    words = WORD.findall(text)
    hashes = np.fromiter(map(_word_hashes.__getitem__, words), dtype=np.uint32, count=len(words))
    n = len(hashes) - SHINGLE_WORDS + 1
    if n < 1:  # fewer words than a shingle: the words themselves
        return np.unique(hashes)
    shingles = hashes[:n] * _WEIGHTS[0]  # a weighted sum of the words' hashes, wrapping at 2**32
    for offset in range(1, SHINGLE_WORDS):
        shingles += hashes[offset:offset + n] * _WEIGHTS[offset]
    return np.unique(shingles)


def quote_key(quote: str) -> tuple[bytes, int]:
    """(8-byte key of the folded quote, its number of folded words)."""
    folded = fold(quote)
    return hashlib.blake2b(folded.encode("utf-8"), digest_size=8).digest(), len(folded.split())


def speaker_key(speaker: str | None, assigned=None) -> bytes:
    """Whose quote it is, for counting copies: its speaker_id (builder/identity.py: spellings and
    short forms of one source merged) when publish gives one, else the folded speaker string;
    b"" without a speaker. A generic source («مصدر مسؤول», «البيان») has an id scoped to its
    article, and the same unnamed official in two reprints of one dispatch would never be the
    same: for those, the folded string."""
    if not speaker:
        return b""
    if assigned is not None and not assigned.generic:
        return assigned.speaker_id.encode("ascii")
    return b"~" + fold(speaker).encode("utf-8")


@dataclass
class StoryStats:
    """What the card, the report and the manifest say about stories and repeated quotes."""

    stories: int = 0
    stories_with_copies: int = 0  # stories of two articles or more
    articles_in_copies: int = 0  # articles of those stories
    largest_story: int = 0
    repeated_quotes: int = 0  # distinct (quote, speaker) in two articles or more
    repeated_quote_rows: int = 0  # quote rows of those
    dedup: bool = False
    dedup_dropped: int = 0  # rows left out by DEDUP
    test_quotes_6w: int = 0  # test quotes of six folded words or more ...
    test_quotes_6w_in_train: int = 0  # ... whose folded text is also a train quote

    def counts(self) -> dict:
        return {"rule": RULE_VERSION, "shingle_words": SHINGLE_WORDS, "num_perm": NUM_PERM, "threshold": THRESHOLD,
                "link_quote_words": LINK_QUOTE_WORDS,
                **{name: getattr(self, name) for name in self.__dataclass_fields__}}


@dataclass(slots=True)
class _Quote:
    """A (quote, speaker) seen in the corpus: how many articles, and its first row."""

    articles: int
    last_article: int  # index of the last article counted (rows of one article count once)
    first_article: int
    first_start: int  # quote_start of its first row in the first article


@lru_cache(maxsize=1)
def _template():
    """The MinHash every article's is a copy of: its permutations drawn once, from SEED; fed the
    shingle hashes as they are (hashfunc=int), which the affine32 scheme mixes first."""
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme="affine32", hashfunc=int)


def sketch_article(article_id: str, date: str | None, text: str, quotes: list[dict]) -> tuple:
    """What grouping needs of one article, computed on its own (in a worker): (article_id, date
    key, MinHash signature as bytes or None when the body has fewer than MIN_SHINGLES shingles,
    [(folded quote key, its number of words, speaker key, quote_start)] of its published quotes)."""
    shingles = shingle_hashes(text)
    signature = None
    if len(shingles) >= MIN_SHINGLES:
        sketch = _template().copy()
        sketch.update_batch(shingles.tolist())
        signature = sketch.hashvalues.tobytes()
    return (article_id, date_key(date), signature,
            [(*quote_key(row["quote"]), row["speaker"], row["speaker_type"], row["speaker_role"], row["quote_start"])
             for row in quotes])


def sketch_shard(task: tuple) -> list[tuple]:
    """sketch_article of every article of one stage shard that attribute kept, in shard order,
    with its quotes of confidence >= min_confidence; task = (out, shard, min_confidence)."""
    from builder import store

    out, shard, min_confidence = task
    quotes = {record["article_id"]: [row for row in record["quotes"] if row["confidence"] >= min_confidence]
              for record in store.read_jsonl(store.shard_path(out, "attribute", shard))}
    return [sketch_article(article["article_id"], article.get("date"), article["text"], quotes[article["article_id"]])
            for article in store.read_jsonl(store.shard_path(out, "ingest", shard))
            if article["article_id"] in quotes]


class Stories:
    """The story of every article and the copies of every quote: add() (or add_sketch()) every
    published article in input order, then finish()."""

    def __init__(self, *, threshold: float = THRESHOLD, identities=None):
        """identities: builder.identity.Identities, whose speaker_id tells whose a quote is; None:
        the folded speaker string does."""
        from datasketch import MinHashLSH

        self.threshold, self.identities = threshold, identities
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM, weights=LSH_WEIGHTS)
        self.article_ids: list[str] = []
        self.order: list[tuple[str, str]] = []  # (date key, article_id): "earliest" means smallest
        self._index: dict[str, int] = {}
        self._signatures: list[np.ndarray | None] = []  # by article index
        self._parent: list[int] = []
        self._quote_articles: dict[bytes, int] = {}  # folded long quote -> first article holding it
        self._quotes: dict[bytes, _Quote] = {}  # (quote, speaker) -> its copies
        self._story_ids: list[str] | None = None
        self.stats = StoryStats()

    def add(self, article_id: str, date: str | None, text: str, quotes: list[dict]) -> None:
        """One published article: its body and its published quote rows (quote, speaker, quote_start)."""
        self.add_sketch(*sketch_article(article_id, date, text, quotes))

    def add_sketch(self, article_id: str, date: str, signature: bytes | None, quotes: list[tuple]) -> None:
        """One published article as sketch_article gave it."""
        index = len(self.article_ids)
        self._index[article_id] = index
        self.article_ids.append(article_id)
        self.order.append((date, article_id))
        self._parent.append(index)
        hashvalues = None if signature is None else np.frombuffer(signature, dtype=np.uint32)
        self._signatures.append(hashvalues)
        if hashvalues is not None:
            sketch = _template().copy()
            sketch.hashvalues = hashvalues
            for other in self._lsh.query(sketch):
                if self._jaccard(hashvalues, self._signatures[other]) >= self.threshold:
                    self._union(index, other)
            self._lsh.insert(index, sketch, check_duplication=False)
        rows = [{"speaker": speaker, "speaker_type": kind, "speaker_role": role}
                for _key, _n, speaker, kind, role, _start in quotes]
        for (key, n_words, speaker, _kind, _role, quote_start), assigned in zip(quotes, self.assign(article_id, rows)):
            if n_words >= LINK_QUOTE_WORDS:
                first = self._quote_articles.setdefault(key, index)
                if first != index:
                    self._union(index, first)
            self._count_copy(key + b"\0" + speaker_key(speaker, assigned), index, quote_start)

    def assign(self, article_id: str, rows: list[dict]) -> list:
        """The speaker identities of an article's published quote rows (Nones without identities)."""
        return self.identities.assign(article_id, rows) if self.identities is not None else [None] * len(rows)

    @staticmethod
    def _jaccard(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.count_nonzero(a == b)) / len(a)

    def _count_copy(self, key: bytes, index: int, quote_start: int) -> None:
        seen = self._quotes.get(key)
        if seen is None:
            self._quotes[key] = _Quote(1, index, index, quote_start)
            return
        if seen.last_article != index:
            seen.articles += 1
            seen.last_article = index
            if self.order[index] < self.order[seen.first_article]:
                seen.first_article, seen.first_start = index, quote_start

    def _find(self, index: int) -> int:
        parent = self._parent
        root = index
        while parent[root] != root:
            root = parent[root]
        while parent[index] != root:
            parent[index], index = root, parent[index]
        return root

    def _union(self, a: int, b: int) -> None:
        a, b = self._find(a), self._find(b)
        if a != b:
            self._parent[max(a, b)] = min(a, b)

    def finish(self) -> "Stories":
        """Give every story its id (its earliest article's) and count stories and repeated quotes;
        the LSH index and the signatures are dropped."""
        self._lsh = self._signatures = self._quote_articles = None
        roots = [self._find(index) for index in range(len(self.article_ids))]
        earliest: dict[int, int] = {}
        sizes: dict[int, int] = {}
        for index, root in enumerate(roots):
            sizes[root] = sizes.get(root, 0) + 1
            if root not in earliest or self.order[index] < self.order[earliest[root]]:
                earliest[root] = index
        self._story_ids = [self.article_ids[earliest[root]] for root in roots]
        self._parent = []
        stats = self.stats
        stats.stories = len(sizes)
        stats.stories_with_copies = sum(size > 1 for size in sizes.values())
        stats.articles_in_copies = sum(size for size in sizes.values() if size > 1)
        stats.largest_story = max(sizes.values(), default=0)
        stats.repeated_quotes = sum(seen.articles > 1 for seen in self._quotes.values())
        return self

    def story_id(self, article_id: str) -> str:
        return self._story_ids[self._index[article_id]]

    def copies(self, row: dict, assigned=None) -> tuple[int, str, bool]:
        """(n_copies, first_article_id, whether this row is the quote's first row) of a quote row
        and its speaker identity (one of assign()'s)."""
        seen = self._quotes[quote_key(row["quote"])[0] + b"\0" + speaker_key(row["speaker"], assigned)]
        first_id = self.article_ids[seen.first_article]
        return seen.articles, first_id, (row["article_id"] == first_id and row["quote_start"] == seen.first_start)


# --- the labelled sample ----------------------------------------------------------------------------

PAIRS = "tests/data/story_pairs.csv"


def pair_agreement(story_of: dict[str, str], pairs: list[dict]) -> dict:
    """How a build's stories agree with labelled pairs (article_a, article_b, copy = yes/no):
    counts of copies grouped and apart, non-copies grouped and apart, precision and recall;
    pairs with an article the build does not hold are counted as missing."""
    counts = {"copies_together": 0, "copies_apart": 0, "others_together": 0, "others_apart": 0, "missing": 0}
    for pair in pairs:
        if pair["article_a"] not in story_of or pair["article_b"] not in story_of:
            counts["missing"] += 1
            continue
        together = story_of[pair["article_a"]] == story_of[pair["article_b"]]
        kind = "copies" if pair["copy"] == "yes" else "others"
        counts[f"{kind}_{'together' if together else 'apart'}"] += 1
    grouped = counts["copies_together"] + counts["others_together"]
    copies = counts["copies_together"] + counts["copies_apart"]
    counts["precision"] = round(counts["copies_together"] / grouped, 3) if grouped else None
    counts["recall"] = round(counts["copies_together"] / copies, 3) if copies else None
    return counts


def main(argv: list[str] | None = None) -> int:
    """`python -m builder.stories OUT [PAIRS]`: the grouping of a build against the labelled pairs."""
    import argparse
    import csv
    import json
    from pathlib import Path

    import pyarrow.dataset as ds

    parser = argparse.ArgumentParser(prog="python -m builder.stories", description=main.__doc__)
    parser.add_argument("out", type=Path, help="a build's output folder")
    parser.add_argument("pairs", type=Path, nargs="?", default=Path(__file__).resolve().parents[1] / PAIRS,
                        help=f"labelled pairs, CSV (default: {PAIRS})")
    args = parser.parse_args(argv)
    articles = args.out / "hub" / "data" / "articles"
    if not articles.is_dir():
        parser.error(f"{articles} does not exist: build first (make build OUT={args.out})")
    story_of = {}
    for batch in ds.dataset(str(articles), format="parquet").to_batches(columns=["article_id", "story_id"]):
        story_of.update(zip(batch.column("article_id").to_pylist(), batch.column("story_id").to_pylist()))
    with open(args.pairs, encoding="utf-8", newline="") as handle:
        print(json.dumps(pair_agreement(story_of, list(csv.DictReader(handle))), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
