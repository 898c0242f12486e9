"""Bad input as real scrapes have it: every input ends up published or rejected with a reason.

The suite writes its own corpus of bad inputs (`write_bad_corpus`), builds it once, and checks
each class's defined outcome, then the accounting over all of them. The same corpus can be
written for a manual build:

    .venv/bin/python tests/test_bad_input.py /tmp/bad-raw
    make build RAW=/tmp/bad-raw OUT=/tmp/bad-out WORKERS=1
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest

from builder import ingest
from builder.ingest import Rejected, Source, ingest_source, iter_sources
from conftest import digests

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "raw" / "000_7bb7ae16394dc573.txt"

# Paragraphs with one clear quote each, and narration with none.
QUOTE_A = "نحن مستعدون للحوار مع الجميع دون شروط"
QUOTE_B = "هذه خطوة مهمة نحو السلام في المنطقة"
QUOTE_OPEN = "سنواصل العمل من أجل التوصل إلى اتفاق شامل"
PARAGRAPH_A = f"وقال وزير الخارجية كمال الهاشمي للصحفيين: «{QUOTE_A}»."
PARAGRAPH_B = f"وقالت الوزيرة سلمى الخطيب: “{QUOTE_B}”."
FILLER = ("وتشهد المنطقة منذ أشهر توترا متزايدا، في ظل تراجع الأوضاع الاقتصادية وارتفاع الأسعار "
          "في الأسواق المحلية. ") * 8
HUGE_CHARS = 2_500_000  # spaCy refuses more than 1,000,000 by default
INJECTION = '<script>alert("x")</script><img src=x onerror=alert(1)>'
# What an input would do if anything evaluated it: the test checks the file never appears.
EVAL_BAIT = "__import__('pathlib').Path('EVALUATED').touch()"
SECRET = "هذا نص سري خارج المجلد لا يجوز أن يقرأ"
PICKLE_BAIT = b"\x80\x04\x95\x1f\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtins\x94\x8c\x04eval\x94\x93\x94."


def article(*paragraphs: str, section: str = "سياسة", title: str = "عنوان الخبر") -> str:
    """A .txt article: section line, title line, then one paragraph a line."""
    return "\n".join([section, title, "", *paragraphs]) + "\n"


def clean_text(*paragraphs: str) -> str:
    """The `text` ingest makes of these paragraphs."""
    return ingest_source(Source("x.txt", None, article(*paragraphs).encode("utf-8")))["text"]


@dataclass(frozen=True)
class Expect:
    """The outcome of one input unit: published (reason None) or rejected with a reason."""

    reason: str | None = None
    article_id: str | None = None


def write_bad_corpus(raw: Path) -> dict[tuple[str, int | None], Expect]:
    """Write every class of bad input under raw; the expected outcome of each (source_path, line)."""
    raw = Path(raw)
    raw.mkdir(parents=True, exist_ok=True)
    rng = random.Random(5)
    expected: dict[tuple[str, int | None], Expect] = {}

    def put(rel: str, payload: bytes, expect: Expect) -> None:
        path = raw / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(payload)
        expected[_display(rel), None] = expect

    def published(rel: str) -> Expect:
        return Expect(None, _display(rel).removesuffix(".txt").removesuffix(".TXT"))

    def rejected(rel: str, reason: str) -> Expect:
        return Expect(reason, _display(rel).removesuffix(".txt").removesuffix(".TXT"))

    good = article(PARAGRAPH_A, PARAGRAPH_B)
    put("good.txt", SAMPLE.read_bytes(), published("good.txt"))
    # encodings
    put("enc/cp1256.txt", good.encode("cp1256"), published("enc/cp1256.txt"))
    put("enc/cp1256_short.txt", article("قال: «نعم».", title="خبر").encode("cp1256"),
        published("enc/cp1256_short.txt"))
    put("enc/utf16.txt", good.encode("utf-16"), published("enc/utf16.txt"))
    broken = bytearray(good.encode("utf-8"))
    cut = good.encode("utf-8").index(PARAGRAPH_B.encode("utf-8"))  # inside narration, before quote B
    broken[cut:cut] = b"\xff\xfe\xc3("  # two invalid bytes and a truncated sequence
    put("enc/broken_utf8.txt", bytes(broken), published("enc/broken_utf8.txt"))
    # invisible characters that would shift offsets
    put("marks/bom.txt", b"\xef\xbb\xbf" + good.replace(QUOTE_B, "\ufeff" + QUOTE_B).encode("utf-8"),
        published("marks/bom.txt"))
    bidi = PARAGRAPH_A.replace("«", "\u200f«\u200e").replace("»", "\u200e»\u200f")
    put("marks/bidi.txt", article(bidi, "\u202b" + PARAGRAPH_B + "\u202c", "\u2067" + FILLER[:90] + "\u2069").encode(),
        published("marks/bidi.txt"))
    nul = good.encode("utf-8").replace("الهاشمي".encode(), "الها\x00شمي".encode()).replace(b" ", b" \x00", 2)
    put("marks/nul.txt", nul, published("marks/nul.txt"))
    # unclosed and stray marks: recorded as anomalies, the other quotes kept
    put("marks/unclosed.txt", article(PARAGRAPH_A, f"وقال المتحدث باسم الحكومة: «{QUOTE_OPEN}",
                                      "وانتهى الاجتماع دون اتفاق بين الطرفين.", "وغادر الوفد» القاعة بعد ساعة.",
                                      PARAGRAPH_B).encode(), published("marks/unclosed.txt"))
    # nothing to publish
    put("empty.txt", b"", rejected("empty.txt", "empty"))
    put("blank.txt", b" \r\n\n\t\n", rejected("blank.txt", "empty"))
    put("title_only.txt", article(title="عنوان بلا نص").encode(), rejected("title_only.txt", "no_body"))
    put("binary/random.txt", rng.randbytes(4000), rejected("binary/random.txt", "binary"))
    put("binary/controls.txt", bytes(range(1, 32)) * 40, rejected("binary/controls.txt", "binary"))
    put("binary/png.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rng.randbytes(3000), rejected("binary/png.txt", "binary"))
    put("binary/gzip.txt", gzip.compress(good.encode() * 40, mtime=0), rejected("binary/gzip.txt", "binary"))
    put("binary/nuls.txt", b"\x00" * 2000, rejected("binary/nuls.txt", "binary"))
    put("binary/pickle.txt", PICKLE_BAIT * 30, rejected("binary/pickle.txt", "binary"))
    # a huge article: quotes at both ends and in the middle of several million characters
    filler_lines = [FILLER] * (HUGE_CHARS // (len(FILLER) + 1))
    middle = len(filler_lines) // 2
    huge = article(PARAGRAPH_A, *filler_lines[:middle], f"وقال المتحدث باسم الحكومة: «{QUOTE_OPEN}»",
                   *filler_lines[middle:], PARAGRAPH_B)
    put("huge.txt", huge.encode(), published("huge.txt"))
    # the same stem in different folders: distinct articles; the same id twice: the later rejected
    put("a/item.txt", good.encode(), published("a/item.txt"))
    put("b/item.txt", article(PARAGRAPH_B).encode(), published("b/item.txt"))
    put("c/item.TXT", good.encode(), published("c/item.TXT"))
    put("c/item.txt", good.encode(), rejected("c/item.txt", "duplicate_id"))
    # a file name whose bytes are not UTF-8
    put(os.fsdecode(b"names/\xff\xfeitem.txt"), good.encode(), published(os.fsdecode(b"names/\xff\xfeitem.txt")))
    # markup in an article is data, never markup in the card or the review pages
    put("markup.txt", article(f"وقال المتحدث: «{INJECTION} {QUOTE_A}».", title=INJECTION).encode(), published("markup.txt"))
    # links: out of RAW refused unread, in a loop or to nothing unreadable, inside RAW read
    outside = raw.parent / f"{raw.name}-outside"
    outside.mkdir(exist_ok=True)
    (outside / "secret.txt").write_text(article(SECRET), encoding="utf-8")
    (raw / "links").mkdir()
    (raw / "links" / "outside.txt").symlink_to(outside / "secret.txt")
    expected["links/outside.txt", None] = rejected("links/outside.txt", "outside_raw")
    (raw / "links" / "outside.jsonl").symlink_to(outside / "secret.txt")
    expected["links/outside.jsonl", None] = Expect("outside_raw")
    (raw / "links" / "loop.txt").symlink_to(raw / "links" / "loop.txt")
    expected["links/loop.txt", None] = rejected("links/loop.txt", "unreadable")
    (raw / "links" / "dangling.txt").symlink_to(raw / "links" / "missing")
    expected["links/dangling.txt", None] = rejected("links/dangling.txt", "unreadable")
    (raw / "links" / "inside.txt").symlink_to(raw / "good.txt")
    expected["links/inside.txt", None] = published("links/inside.txt")
    os.mkfifo(raw / "fifo.txt")  # reading it would block the build forever
    expected["fifo.txt", None] = rejected("fifo.txt", "not_a_file")
    # JSON lines
    lines: list[tuple[bytes, Expect | None]] = [
        (_json({"id": "j1", "text": f"{PARAGRAPH_A}\n\n{PARAGRAPH_B}", "licence": f"CC-BY-4.0 {INJECTION} | ---"}), Expect(None, "j1")),
        (b'{"id": "j2", "text": ', Expect("bad_json")),
        (_json({"id": "j3"}), Expect("no_text", "j3")),
        (_json({"id": "j4", "text": "  "}), Expect("no_text", "j4")),
        (_json({"text": PARAGRAPH_A}), Expect("no_id")),
        (_json(["a", "list"]), Expect("bad_json")),
        (_json({"id": "j1", "text": PARAGRAPH_B}), Expect("duplicate_id", "j1")),
        (b"   ", None),  # a blank line is not an input
        (b'{"id": "j9", "text": "' + PARAGRAPH_A.encode() + b' \\ud800 ' + PARAGRAPH_B.encode() + b'"}', Expect(None, "j9")),
        (b'{"id": "j10", "text": "' + PARAGRAPH_A.encode() + b'\t\r' + PARAGRAPH_B.encode() + b'"}', Expect(None, "j10")),
        (_json({"id": {"nested": 1}, "text": PARAGRAPH_A}), Expect("no_id")),
        (_json({"id": "j12", "text": PARAGRAPH_A}).replace("الهاشمي".encode(), b"\xff\xfe"), Expect(None, "j12")),
        (_json({"id": "j13", "text": "\x01\x02\x03\x04\x05" * 50}), Expect("binary", "j13")),
        (_json({"id": "j14", "text": "رابط الخبر: https://example.com/1"}), Expect("no_body", "j14")),
        (_json({"id": "j15", "text": f"وقال المسؤول: «{EVAL_BAIT}» في بيان."}), Expect(None, "j15")),
        (_json({"id": "a/item", "text": PARAGRAPH_A}), Expect("duplicate_id", "a/item")),
        (b"[" * 100_000 + b"]" * 100_000, Expect("bad_json")),
        (b"\x00\x00\x00", Expect("bad_json")),
    ]
    with open(raw / "feed.jsonl", "wb") as handle:
        for number, (line, expect) in enumerate(lines, start=1):
            handle.write(line + b"\r\n")
            if expect is not None:
                expected["feed.jsonl", number] = expect
    feed_1256 = [{"id": "w1", "text": PARAGRAPH_A, "title": "عنوان عربي"}, {"id": "w2", "text": PARAGRAPH_B}]
    (raw / "feed_cp1256.jsonl").write_bytes(b"".join(json.dumps(obj, ensure_ascii=False).encode("cp1256") + b"\n"
                                                     for obj in feed_1256))
    expected.update({("feed_cp1256.jsonl", n): Expect(None, obj["id"]) for n, obj in enumerate(feed_1256, start=1)})
    return expected


def _json(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def _display(rel: str) -> str:
    """A path as the builder writes it (file name bytes that are not UTF-8 as \\xNN)."""
    return os.fsencode(rel).decode("utf-8", errors="backslashreplace")


# --- the build of the corpus ------------------------------------------------------------------

@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    from builder.runner import RunConfig, build

    raw = tmp_path_factory.mktemp("bad") / "raw"
    expected = write_bad_corpus(raw)
    out = raw.parent / "out"
    summary = build(RunConfig(raw=raw, out=out, workers=1, quiet=True))
    return raw, out, expected, summary


@pytest.fixture(scope="module")
def published(corpus) -> dict[tuple[str, int | None], dict]:
    import datasets

    _raw, out, _expected, _summary = corpus
    articles = datasets.load_from_disk(str(out / "articles"))
    quotes = datasets.load_from_disk(str(out / "quotes"))
    rows = {}
    for split in articles.values():
        for row in split:
            rows[row["source_path"], row["source_line"]] = {**row, "quotes": []}
    by_id = {row["article_id"]: row for row in rows.values()}
    for split in quotes.values():
        for quote in split:
            by_id[quote["article_id"]]["quotes"].append(quote)
    return rows


@pytest.fixture(scope="module")
def rejects(corpus) -> list[dict]:
    _raw, out, _expected, _summary = corpus
    return [json.loads(line) for line in (out / "rejects.jsonl").read_text(encoding="utf-8").splitlines()]


def test_every_input_is_published_or_rejected_exactly_once(corpus, published, rejects):
    _raw, out, expected, summary = corpus
    rejected = [(r["source_path"], r["source_line"]) for r in rejects]
    assert len(rejected) == len(set(rejected)), "an input rejected twice"
    assert not set(rejected) & set(published), "an input both published and rejected"
    assert set(rejected) | set(published) == set(expected)
    counts = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["counts"]
    n_rejected = sum(1 for e in expected.values() if e.reason)
    assert (counts["inputs"], counts["published"], counts["rejected"]) == (len(expected), len(expected) - n_rejected, n_rejected)
    assert (summary.articles_in, summary.done, sum(summary.rejected.values())) == (counts["inputs"], counts["published"],
                                                                                counts["rejected"])
    assert counts["rejected_by_reason"] == dict(sorted(_count(e.reason for e in expected.values() if e.reason).items()))
    assert f"{counts['inputs']} articles in, {counts['published']} published, {counts['rejected']} rejected" in summary.format()


def _count(values) -> dict:
    counts: dict = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def _expected_ids(corpus) -> list:
    return sorted(corpus[2].items(), key=lambda item: (item[0][0], item[0][1] or 0))


def test_rejects_say_where_what_and_why(corpus, rejects):
    _raw, _out, expected, _summary = corpus
    assert set(rejects[0]) == {"source_path", "source_line", "article_id", "stage", "reason", "message"}
    for reject in rejects:
        expect = expected[reject["source_path"], reject["source_line"]]
        assert (reject["reason"], reject["article_id"], reject["stage"]) == (expect.reason, expect.article_id, "ingest"), reject
        assert reject["message"].strip()


def test_published_articles_keep_their_ids(corpus, published):
    _raw, _out, expected, _summary = corpus
    for where, row in published.items():
        assert row["article_id"] == expected[where].article_id


def test_no_invisible_or_control_character_reaches_a_text(published):
    invisible = set("\ufeff\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c\x00")
    for where, row in published.items():
        for field in ("text", "title", "section"):
            value = row[field]
            assert not invisible & set(value), (where, field)
            assert not [ch for ch in value if unicodedata.category(ch) == "Cc" and ch != "\n"], (where, field)
            assert value == unicodedata.normalize("NFC", value)


def _quote_texts(row: dict) -> list[str]:
    for quote in row["quotes"]:
        assert row["text"][quote["quote_start"]:quote["quote_end"]] == quote["quote"]
    return [quote["quote"] for quote in row["quotes"]]


@pytest.mark.parametrize("where, encoding", [
    (("enc/cp1256.txt", None), "cp1256"),
    (("enc/cp1256_short.txt", None), "cp1256"),
    (("enc/utf16.txt", None), "utf-16"),
    (("feed_cp1256.jsonl", 1), "cp1256"),
    (("good.txt", None), "utf-8"),
    (("marks/bom.txt", None), "utf-8"),
])
def test_encodings_are_decoded_and_recorded(published, where, encoding):
    row = published[where]
    assert row["source_encoding"] == encoding and row["flags"] == []
    if where[0] in ("enc/cp1256.txt", "enc/utf16.txt", "marks/bom.txt"):
        assert row["text"] == clean_text(PARAGRAPH_A, PARAGRAPH_B)
        assert row["title"] == "عنوان الخبر" and row["section"] == "سياسة"
        assert _quote_texts(row) == [QUOTE_A, QUOTE_B]
    if where[0] == "enc/cp1256_short.txt":
        assert row["text"] == "قال: «نعم»." and row["title"] == "خبر"
    if where == ("feed_cp1256.jsonl", 1):
        assert row["text"] == PARAGRAPH_A and row["title"] == "عنوان عربي"


@pytest.mark.parametrize("where", [("marks/bidi.txt", None), ("marks/nul.txt", None), ("marks/bom.txt", None)])
def test_invisible_characters_are_removed_before_offsets(published, where):
    row = published[where]
    assert QUOTE_A in _quote_texts(row) and QUOTE_B in _quote_texts(row)
    if where[0] == "marks/nul.txt":  # a few stray NULs: cleaned, kept, nothing flagged
        assert row["text"] == clean_text(PARAGRAPH_A, PARAGRAPH_B) and row["flags"] == []
    quote_a = next(q for q in row["quotes"] if q["quote"] == QUOTE_A)
    assert row["text"][quote_a["quote_start"] - 1] == "«" and row["text"][quote_a["quote_end"]] == "»"


@pytest.mark.parametrize("where", [("enc/broken_utf8.txt", None), ("feed.jsonl", 9), ("feed.jsonl", 12)])
def test_undecodable_bytes_are_replaced_and_flagged(published, where):
    row = published[where]
    assert row["flags"] == ["replaced_bytes"] and "\ufffd" in row["text"] and row["source_encoding"] == "utf-8"
    assert QUOTE_A in _quote_texts(row)  # the rest of the text is intact, not mojibake
    if where[0] == "enc/broken_utf8.txt":
        assert QUOTE_B in _quote_texts(row) and row["title"] == "عنوان الخبر"


def test_a_raw_tab_or_carriage_return_inside_a_json_string_is_accepted(published):
    assert _quote_texts(published["feed.jsonl", 10]) == [QUOTE_A, QUOTE_B]


def test_unclosed_and_stray_marks_are_anomalies_and_other_quotes_survive(published):
    row = published["marks/unclosed.txt", None]
    text = row["text"]
    kinds = {anomaly["kind"] for anomaly in row["anomalies"]}
    assert {"unclosed_mark", "unopened_mark"} <= kinds
    for anomaly in row["anomalies"]:
        assert text[anomaly["pos"]] == anomaly["mark"]
    unclosed = next(a for a in row["anomalies"] if a["kind"] == "unclosed_mark")
    assert unclosed["pos"] == text.index("«" + QUOTE_OPEN)
    quotes = _quote_texts(row)
    assert QUOTE_A in quotes and QUOTE_B in quotes
    assert QUOTE_OPEN in quotes  # cut where the narration resumes, flagged in mark_style
    assert next(q for q in row["quotes"] if q["quote"] == QUOTE_OPEN)["mark_style"].endswith("_unclosed")


def test_a_huge_article_is_processed_whole(published):
    row = published["huge.txt", None]
    assert len(row["text"]) > HUGE_CHARS * 0.95
    assert _quote_texts(row) == [QUOTE_A, QUOTE_OPEN, QUOTE_B]
    assert len(row["paragraphs"]) == HUGE_CHARS // (len(FILLER) + 1) + 3


def test_the_same_stem_in_two_folders_gives_two_articles(published):
    assert published["a/item.txt", None]["article_id"] == "a/item"
    assert published["b/item.txt", None]["article_id"] == "b/item"
    assert published["a/item.txt", None]["text"] != published["b/item.txt", None]["text"]


def test_a_file_name_that_is_not_utf8_is_kept_with_escapes(published):
    row = published["names/\\xff\\xfeitem.txt", None]
    assert row["article_id"] == "names/\\xff\\xfeitem"


def test_links_out_of_raw_are_never_read(corpus, published, rejects):
    _raw, out, _expected, _summary = corpus
    assert not [name for name in hashed_inputs(out) if name.startswith("links/") and name != "links/inside.txt"]
    assert {r["source_path"]: r["reason"] for r in rejects if r["source_path"].startswith("links/")} == {
        "links/outside.txt": "outside_raw", "links/outside.jsonl": "outside_raw",
        "links/loop.txt": "unreadable", "links/dangling.txt": "unreadable"}
    assert not [row for row in published.values() if SECRET in row["text"]]
    for path in out.rglob("*"):
        if path.is_file() and path.suffix in (".jsonl", ".json", ".md", ".html"):
            assert SECRET not in path.read_text(encoding="utf-8"), path


def hashed_inputs(out: Path) -> dict[str, str]:
    """{path: sha256} of the input list the manifest names, checked against its count and digest."""
    inputs = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["inputs"]
    listed = (out / inputs["list"]).read_bytes()
    assert inputs["sha256"] == hashlib.sha256(listed).hexdigest()
    entries = [json.loads(line) for line in listed.decode("utf-8").splitlines()]
    assert inputs["files"] == len(entries)
    return {entry["path"]: entry["sha256"] for entry in entries}


def test_manifest_hashes_exactly_the_files_read(corpus):
    raw, out, expected, _summary = corpus
    hashed = hashed_inputs(out)
    refused = {"links/outside.txt", "links/outside.jsonl", "links/loop.txt", "links/dangling.txt", "fifo.txt"}
    assert set(hashed) == {path for path, _line in expected} - refused
    assert hashed["good.txt"] == hashlib.sha256(SAMPLE.read_bytes()).hexdigest()


def test_markup_in_articles_is_escaped_wherever_rendered(corpus, published):
    _raw, out, _expected, _summary = corpus
    assert INJECTION in published["markup.txt", None]["text"]  # the data keeps it as written
    rendered = [out / "hub" / "README.md", *sorted((out / "report").rglob("*"))]
    checked = 0
    for path in rendered:
        if path.is_file() and path.suffix in (".md", ".html", ".htm", ".js", ".svg"):
            content = path.read_text(encoding="utf-8")
            assert "<script>alert" not in content and "<img src=x" not in content, path
            checked += 1
    assert checked >= 2


def test_nothing_in_the_input_is_evaluated(corpus, published, tmp_path):
    raw, out, _expected, _summary = corpus
    # The bait is live: run as code, it leaves its file; so its absence below means it stayed data.
    subprocess.run([sys.executable, "-c", EVAL_BAIT], cwd=tmp_path, check=True, timeout=60)
    assert (tmp_path / "EVALUATED").is_file()
    # It went through every stage as text, and is published word for word.
    assert published["feed.jsonl", 15]["text"] == f"وقال المسؤول: «{EVAL_BAIT}» في بيان."
    assert not list(raw.parent.rglob("EVALUATED")) and not (REPO / "EVALUATED").exists()
    assert not (Path.cwd() / "EVALUATED").exists()


def test_a_rebuild_of_bad_input_is_byte_identical(corpus, tmp_path):
    """Also with two workers: the outputs (parquet, datasets, shards, card) do not change."""
    from builder.runner import RunConfig, build

    raw, out, _expected, _summary = corpus
    again = tmp_path / "out"
    build(RunConfig(raw=raw, out=again, workers=2, quiet=True))
    first, second = digests(out), digests(again)
    assert [name for name in first if name.endswith(".parquet")]
    assert first.pop("manifest.json") != second.pop("manifest.json")  # it records WORKERS
    assert first == second
    manifest = json.loads((again / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["outputs"] == {name: digest for name, digest in second.items()}
    assert manifest["builder"]["version"] and manifest["config"]["workers"] == 2


# --- smaller cases, without a build -------------------------------------------------------------

def test_a_file_over_the_size_limit_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setattr(ingest, "MAX_ARTICLE_BYTES", 100)
    (tmp_path / "big.txt").write_bytes(article(FILLER).encode())
    (tmp_path / "small.txt").write_bytes(article("نص.").encode())
    units = list(iter_sources(tmp_path))
    assert isinstance(units[0], Rejected) and units[0].reason == "too_large" and units[0].article_id == "big"
    assert isinstance(units[1], Source)


@pytest.mark.parametrize("column", ["text", "body"], ids=["default-columns", "renamed-columns"])
def test_a_lone_surrogate_in_json_is_replaced_and_the_file_read_on(tmp_path, column):
    from builder.sources import Columns

    lines = [b'{"id": "%d", "%s": "' % (n, column.encode()) + PARAGRAPH_A.encode() + middle + b'"}'
             for n, middle in enumerate([b"", b" \\ud800 ", b""], start=1)]
    (tmp_path / "feed.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    units = list(iter_sources(tmp_path, Columns("id", column)))
    assert [(type(unit).__name__, unit.line) for unit in units] == [("Source", 1), ("Source", 2), ("Source", 3)]
    articles = [ingest_source(unit) for unit in units]
    assert [article["flags"] for article in articles] == [[], ["replaced_bytes"], []]
    assert all(PARAGRAPH_A in article["text"] for article in articles)


@pytest.mark.parametrize("payload, encoding, replaced", [
    ("قال الوزير «نعم».".encode(), "utf-8", False),
    ("قال الوزير «نعم».".encode("cp1256"), "cp1256", False),
    ("نعم".encode("cp1256"), "cp1256", False),
    ("\ufeffقال «نعم».".encode("utf-16-le"), "utf-16", False),
    ("قال «نعم».".encode("utf-32"), "utf-32", False),
    ("قال الوزير «نعم»".encode() + b"\xff", "utf-8", True),
    (b"\xef\xbb\xbf" + "نعم".encode(), "utf-8", False),
])
def test_decode_bytes(payload, encoding, replaced):
    decoded = ingest.decode_bytes(payload)
    assert (decoded.encoding, decoded.replaced) == (encoding, replaced)
    assert "\ufeff" not in decoded.text and ("نعم" in decoded.text)


@pytest.mark.parametrize("text, expected", [
    ("أ\u2028ب\u2029ج\x85د", "أ\nب\nج\nد"),
    ("نص \ud800 هنا", "نص \ufffd هنا"),
    ("\u200f«\u200eنعم\u200f»\u200e", "«نعم»"),
])
def test_normalize_text(text, expected):
    assert ingest.normalize_text(text) == expected


def test_spacy_component_takes_a_huge_doc_once_max_length_is_raised():
    """spaCy refuses texts over nlp.max_length (1,000,000) before any component runs: raise it."""
    import spacy

    import builder.spacy_component  # noqa: F401

    text = "\n".join([PARAGRAPH_A] + [FILLER] * (1_100_000 // len(FILLER)) + [PARAGRAPH_B])
    nlp = spacy.blank("ar")
    nlp.add_pipe("arabic_quotes")
    with pytest.raises(ValueError, match="E088"):
        nlp(text)
    nlp.max_length = len(text) + 1
    doc = nlp(text)
    assert [row["quote"] for row in doc._.quotes] == [QUOTE_A, QUOTE_B]
    assert [row["quote_span"].text for row in doc._.quotes] == [QUOTE_A, QUOTE_B]


# --- security: nothing evaluated, the token never shown ------------------------------------------

UNSAFE_CALLS = r"\b(eval|exec|__import__)\(|pickle\.loads?\(|cPickle|dill\.|marshal\.loads?\(|shelve\.|" \
               r"yaml\.(unsafe_)?load\(|yaml\.Loader|allow_pickle\s*=\s*True|read_pickle|torch\.load|" \
               r"shell\s*=\s*True|os\.system\(|os\.popen\("


def test_no_code_path_can_evaluate_or_unpickle_input():
    import re

    offenders = []
    for folder in ("builder", "schemas"):
        for path in sorted((REPO / folder).rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if re.search(UNSAFE_CALLS, line.split("#")[0]):
                    offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert offenders == []


TOKEN = "hf_NeverShowThisToken0123456789abcdef"


class FakeHub:
    """Stands in for huggingface_hub.HfApi: records the token, optionally fails like the hub."""

    tokens: list = []
    fail: BaseException | None = None

    def __init__(self, token=None, **kwargs):
        FakeHub.tokens.append(token)

    def create_repo(self, *args, **kwargs):
        if FakeHub.fail is not None:
            raise FakeHub.fail

    def upload_folder(self, **kwargs):
        return type("Commit", (), {"oid": "abc123"})()


def _hub_error():
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError

    request = httpx2.Request("POST", "https://huggingface.co/api/repos/create", headers={"authorization": f"Bearer {TOKEN}"})
    return HfHubHTTPError(f"401 Client Error: invalid token {TOKEN}", response=httpx2.Response(401, request=request))


@pytest.mark.parametrize("failure, code", [(None, 0), (_hub_error, 2), (lambda: ConnectionError(f"refused {TOKEN}"), 2)],
                         ids=["pushed", "hub-refuses", "no-network"])
def test_the_hub_token_comes_from_the_environment_and_is_never_shown(tmp_path, monkeypatch, capsys, caplog, failure, code):
    import logging

    import huggingface_hub
    from huggingface_hub import constants

    from builder.cli import main

    (tmp_path / "out" / "hub").mkdir(parents=True)
    (tmp_path / "out" / "hub" / "README.md").write_text("---\n---\n", encoding="utf-8")
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(huggingface_hub, "HfApi", FakeHub)
    monkeypatch.setattr(FakeHub, "tokens", [])
    monkeypatch.setattr(FakeHub, "fail", failure() if failure else None)
    caplog.set_level(logging.DEBUG)
    assert main(["push", "--hub-repo", "someone/quotes", "--out", str(tmp_path / "out")]) == code
    assert FakeHub.tokens == [TOKEN]
    captured = capsys.readouterr()
    assert TOKEN not in captured.out + captured.err + caplog.text
    assert ("pushed" in captured.out) == (code == 0)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


if __name__ == "__main__":
    if len(sys.argv) != 2 or Path(sys.argv[1]).exists():
        sys.exit("usage: python tests/test_bad_input.py NEW_RAW_DIR  (writes the bad-input corpus there)")
    outcomes = write_bad_corpus(Path(sys.argv[1]))
    reasons = _count(e.reason or "published" for e in outcomes.values())
    print(f"wrote {len(outcomes)} inputs to {sys.argv[1]}: " + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())))
