"""Stories (builder/stories.py): wire copies grouped, splits by story, repeated quotes counted.

Small corpora of made-up articles (random Arabic words, seeded), built offline: copies of one
story share a story_id and a split, different stories stay apart, splits do not move when the
corpus grows, and DEDUP keeps one row per repeated quote.
"""

from __future__ import annotations

import csv
import gzip
import json
import random
from pathlib import Path

import datasets
import pytest

from builder.publish import split_of
from builder.runner import RunConfig, build
from builder.stories import LINK_QUOTE_WORDS, Stories, date_key, shingle_hashes

WORDS = ("الحكومة الوزير البرلمان المدينة الشركة المشروع الاقتصاد الميزانية الانتخابات المعارضة الجيش "
         "الحدود المفاوضات الاتفاق الرئيس اللجنة التقرير المستشفى المدرسة الجامعة الطلاب العمال الأسعار "
         "السوق النفط الغاز الكهرباء المياه الطرق الزراعة الفلاحين الصيد السياحة الفنادق المطار الميناء "
         "القطار الشرطة المحكمة القاضي المحامي الصحفيين الإعلام الثقافة المسرح السينما الرياضة الفريق "
         "المباراة الملعب الجمهور أعلن أكد أشار أوضح كشف نفى طالب دعا رفض وافق قرر افتتح زار استقبل "
         "التقى ناقش بحث وقع أطلق يوم أمس اليوم غدا الأسبوع الشهر العام الماضي المقبل الجديد الأول "
         "الثاني الكبير الصغير الوطني الدولي المحلي العربي الأوروبي الأمريكي في من إلى على عن مع بعد "
         "قبل خلال حول بين أمام ضد نحو لدى منذ حتى ثلاثة أربعة خمسة عشرة مئة ألف مليون").split()
SHARED_REAL = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real"
PAIRS = Path(__file__).resolve().parent / "data" / "story_pairs.csv"


def sentences(seed: int, n: int = 12) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(10, 16))) + "." for _ in range(n)]


def body(seed: int, *, quote: str | None = None, n: int = 12, speaker: str = "وزير الخارجية أحمد بن علي") -> str:
    """A made-up article; with quote, a paragraph where the speaker says it."""
    paragraphs = sentences(seed, n)
    if quote:
        paragraphs.insert(1, f"وقال {speaker}: «{quote}».")
    return "\n".join(paragraphs)


def write_corpus(raw: Path, articles: list[dict]) -> Path:
    raw.mkdir(parents=True, exist_ok=True)
    with open(raw / "articles.jsonl", "w", encoding="utf-8") as handle:
        for article in articles:
            handle.write(json.dumps({"title": "عنوان", **article}, ensure_ascii=False) + "\n")
    return raw


def built(tmp_path: Path, articles: list[dict], name: str = "out", **options) -> tuple[dict, dict]:
    """{article_id: article row}, {article_id: [quote rows]} of a build of articles."""
    raw = write_corpus(tmp_path / f"raw-{name}", articles)
    out = tmp_path / name
    build(RunConfig(raw=raw, out=out, workers=1, quiet=True, **options))
    rows, quotes = {}, {}
    for split, dataset in datasets.load_from_disk(str(out / "articles")).items():
        for row in dataset:
            rows[row["article_id"]] = {**row, "split": split}
    for split, dataset in datasets.load_from_disk(str(out / "quotes")).items():
        for row in dataset:
            quotes.setdefault(row["article_id"], []).append({**row, "split": split})
    return rows, quotes


QUOTE = "إن الحكومة لن تتراجع عن الإصلاحات مهما كانت الضغوط"
OTHER_QUOTE = "نحن نرفض هذا القرار رفضا قاطعا ولن نقبل به أبدا"


def copy_with(text: str, *, prefix: str = "", suffix: str = "", drop_last: int = 0) -> str:
    """A wire copy: the outlet's own lede or sign-off, its last paragraphs cut."""
    paragraphs = text.split("\n")
    if drop_last:
        paragraphs = paragraphs[:-drop_last]
    return "\n".join(p for p in (prefix, *paragraphs, suffix) if p)


# --- grouping -------------------------------------------------------------------------------------

@pytest.mark.parametrize("first, second, same_story", [
    # a reprint with the outlet's dateline and sign-off
    (body(1), copy_with(body(1), prefix="تونس (وكالات) -", suffix="المصدر: وكالة الأنباء."), True),
    # a reprint cut short (its last two paragraphs dropped)
    (body(2), copy_with(body(2), drop_last=2), True),
    # spelled differently: hamza forms, ى/ي, diacritics and punctuation are folded
    (body(3), body(3).replace("أ", "ا").replace("ى", "ي").replace(".", "،"), True),
    # two different articles on the same topics, same vocabulary
    (body(4), body(5), False),
    # half of one article pasted into another
    (body(6), "\n".join(sentences(6)[:4] + sentences(7)[4:]), False),
    # two different articles holding the same long quote: one story
    (body(8, quote=QUOTE), body(9, quote=QUOTE), True),
    # ... but not a short one (fewer than LINK_QUOTE_WORDS words)
    (body(10, quote="لن نتراجع أبدا"), body(11, quote="لن نتراجع أبدا"), False),
    # two-line briefs from one template are not grouped by their few shingles
    ("أعلنت الوزارة اليوم عن فتح باب الترشح.", "أعلنت الوزارة اليوم عن غلق باب الترشح.", False),
])
def test_copies_share_a_story_and_others_do_not(first, second, same_story):
    stories = Stories()
    for article_id, text in (("a", first), ("b", second)):
        quote = QUOTE if QUOTE in text else "لن نتراجع أبدا" if "لن نتراجع أبدا" in text else None
        rows = [{"quote": quote, "speaker": "أحمد بن علي", "speaker_type": "person", "speaker_role": None,
                 "quote_start": text.index(quote)}] if quote else []
        stories.add(article_id, None, text, rows)
    stories.finish()
    assert (stories.story_id("a") == stories.story_id("b")) is same_story
    assert stories.stats.stories == (1 if same_story else 2)


def test_quote_link_needs_six_words():
    assert LINK_QUOTE_WORDS == 6
    assert len(QUOTE.split()) >= LINK_QUOTE_WORDS


@pytest.mark.parametrize("date, key", [
    ("2017-01-20T21:43:00+01:00", "2017-01-20T20:43:00"),
    ("2015-05-17", "2015-05-17T00:00:00"),
    ("17/05/2015", "2015-05-17T00:00:00"),
    ("17/05/2015 10:30", "2015-05-17T10:30:00"),
    ("Wed, 04 Mar 2015 10:00:00 +0200", "2015-03-04T08:00:00"),
    ("", "~"), (None, "~"), ("قبل ساعتين", "~"), ("31/02/2015", "~"),
])
def test_date_key_reads_the_dates_news_sites_write(date, key):
    assert date_key(date) == key


def test_story_id_is_the_earliest_article_by_date_then_id():
    stories = Stories()
    text = body(20)
    for article_id, date in (("z-first", "2015-01-01"), ("a-later", "2016-01-01"), ("b-undated", None)):
        stories.add(article_id, date, copy_with(text, suffix=article_id), [])
    stories.finish()
    assert {stories.story_id(a) for a in ("z-first", "a-later", "b-undated")} == {"z-first"}


@pytest.mark.parametrize("text, n_shingles", [
    ("", 0), ("قال", 1), ("قال الوزير إن الأمر", 4),  # fewer words than a shingle: the words
    ("قال الوزير إن الأمر انتهى", 1), ("قال الوزير إن الأمر انتهى اليوم", 2),
    ("قال الوزير إن الأمر انتهى. قال الوزير إن الأمر انتهى.", 5),  # repeated shingles count once
])
def test_shingles_are_five_word_windows(text, n_shingles):
    assert len(shingle_hashes(text)) == n_shingles


def test_shingles_ignore_spelling_variants():
    assert (shingle_hashes("قالَ الوزيرُ إنّ الأمر انتهى.") == shingle_hashes("قال الوزير ان الامر انتهي")).all()


# --- builds ---------------------------------------------------------------------------------------

def corpus(n_stories: int, *, first_seed: int = 100, year: int = 2015, shared_quotes: bool = True) -> list[dict]:
    """n_stories stories, every third one with two wire copies, quoting QUOTE or OTHER_QUOTE
    (shared_quotes), or each its own quote."""
    articles = []
    for story in range(n_stories):
        seed = first_seed + story
        quote = (QUOTE, OTHER_QUOTE, None)[story % 3] if shared_quotes else sentences(seed + 10_000, 1)[0][:-1]
        text = body(seed, quote=quote)
        articles.append({"id": f"{year}/story-{seed}", "text": text, "date": f"{year}-01-{story % 28 + 1:02d}"})
        if story % 3 == 0:
            for copy in range(2):
                articles.append({"id": f"{year}/story-{seed}-copy-{copy}", "date": f"{year}-02-01",
                                 "text": copy_with(text, prefix=f"({('أ ف ب', 'رويترز')[copy]}) -")})
    return articles


def test_copies_land_in_one_split_with_their_story_id(tmp_path):
    articles, quotes = built(tmp_path, corpus(12, first_seed=200, shared_quotes=False))
    for article_id, row in articles.items():
        original = article_id.split("-copy-")[0]
        assert row["story_id"] == original, article_id
        assert row["split"] == split_of(original) == articles[original]["split"]
        for quote in quotes.get(article_id, []):
            assert (quote["story_id"], quote["split"]) == (row["story_id"], row["split"])


def test_n_copies_and_first_article_id(tmp_path):
    _articles, quotes = built(tmp_path, corpus(6, first_seed=300))
    rows = [row for article_rows in quotes.values() for row in article_rows]
    # QUOTE is said in stories 0 and 3 (each with two copies): six articles, the first on January 1st.
    said = [row for row in rows if row["quote"] == QUOTE]
    assert len(said) == 6 and {row["n_copies"] for row in said} == {6}
    assert {row["first_article_id"] for row in said} == {"2015/story-300"}
    # OTHER_QUOTE in stories 1 and 4, no copies: two articles, and they are one story (same long quote).
    other = [row for row in rows if row["quote"] == OTHER_QUOTE]
    assert {row["n_copies"] for row in other} == {2} and len({row["story_id"] for row in other}) == 1


@pytest.mark.parametrize("speakers, n_copies", [
    # one source, written two ways (with and without hamza): one identity
    (("وزير الخارجية أحمد بن علي", "وزير الخارجية احمد بن علي"), [2, 2]),
    # two sources saying the same words: each quote is its own
    (("وزير الخارجية أحمد بن علي", "وزير الداخلية سعيد الخالدي"), [1, 1]),
    # an unnamed source in two articles: its speaker_id is scoped to its article, the copy still counts
    (("مصدر مسؤول", "مصدر مسؤول"), [2, 2]),
])
def test_n_copies_counts_one_speaker_identity(tmp_path, speakers, n_copies):
    articles = [{"id": f"a{n}", "date": "2015-01-0" + str(n + 1), "text": body(900 + n, quote=QUOTE, speaker=speaker)}
                for n, speaker in enumerate(speakers)]
    _articles, quotes = built(tmp_path, articles)
    assert [quotes[f"a{n}"][0]["n_copies"] for n in range(2)] == n_copies
    assert quotes["a1"][0]["first_article_id"] == ("a0" if n_copies[1] == 2 else "a1")


@pytest.mark.parametrize("dedup", [False, True])
def test_dedup_keeps_one_row_per_repeated_quote(tmp_path, dedup):
    _articles, quotes = built(tmp_path, corpus(6, first_seed=400), dedup=dedup)
    rows = [row for article_rows in quotes.values() for row in article_rows]
    said = [row for row in rows if row["quote"] == QUOTE]
    if dedup:
        assert len(said) == 1 and said[0]["article_id"] == said[0]["first_article_id"] == "2015/story-400"
        assert said[0]["n_copies"] == 6  # still says how many articles held it
    else:
        assert len(said) == 6
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["config"]["dedup"] is dedup
    # Five copies of QUOTE, one of OTHER_QUOTE.
    assert manifest["counts"]["quotes_left_out_by_dedup"] == (6 if dedup else 0)


def test_splits_do_not_move_when_the_corpus_grows(tmp_path):
    old = corpus(30, first_seed=500, year=2015)
    before, _ = built(tmp_path, old, name="before")
    # A year later: new stories, and new copies of old stories (dated later than their originals).
    grown = old + corpus(30, first_seed=600, year=2016) + [
        {"id": f"2016/reprint-{n}", "date": "2016-06-01", "text": copy_with(old[n]["text"], suffix="(وكالات)")}
        for n in range(0, len(old), 5)]
    after, _ = built(tmp_path, list(reversed(grown)), name="after")  # input order does not matter either
    for article_id, row in before.items():
        assert (after[article_id]["story_id"], after[article_id]["split"]) == (row["story_id"], row["split"])
    for n in range(0, len(old), 5):
        assert after[f"2016/reprint-{n}"]["story_id"] == before[old[n]["id"]]["story_id"]


def test_card_report_and_manifest_count_stories(tmp_path):
    built(tmp_path, corpus(6, first_seed=700))
    out = tmp_path / "out"
    counts = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["counts"]["stories"]
    assert counts["stories"] == 4 and counts["stories_with_copies"] == 2  # stories 0 and 3 are one, via QUOTE
    card = (out / "hub" / "README.md").read_text(encoding="utf-8")
    index = (out / "report" / "index.html").read_text(encoding="utf-8")
    assert "Stories" in card and "story_id" in card
    assert "القصص" in index


# --- the labelled sample --------------------------------------------------------------------------

def test_labelled_pairs_hold_ids_and_labels_only():
    with open(PAIRS, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 100
    assert set(rows[0]) == {"article_a", "article_b", "jaccard", "copy"}
    assert {row["copy"] for row in rows} <= {"yes", "no"}


@pytest.mark.parametrize("story_of, expected", [
    ({"a": "s1", "b": "s1", "c": "s2", "d": "s2"}, {"copies_together": 1, "others_together": 1, "precision": 0.5}),
    ({"a": "s1", "b": "s2", "c": "s3", "d": "s4"}, {"copies_apart": 1, "others_apart": 1, "precision": None}),
    ({"a": "s1", "b": "s1", "c": "s3"}, {"copies_together": 1, "missing": 1, "precision": 1.0, "recall": 1.0}),
])
def test_pair_agreement_counts_grouped_and_apart_pairs(story_of, expected):
    from builder.stories import pair_agreement

    pairs = [{"article_a": "a", "article_b": "b", "copy": "yes"}, {"article_a": "c", "article_b": "d", "copy": "no"}]
    counts = pair_agreement(story_of, pairs)
    assert {key: counts[key] for key in expected} == expected


def test_stories_command_reads_a_build(tmp_path):
    import subprocess
    import sys

    built(tmp_path, corpus(3, first_seed=800))
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("article_a,article_b,jaccard,copy\n2015/story-800,2015/story-800-copy-0,0.9,yes\n"
                     "2015/story-800,2015/story-801,0.1,no\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "builder.stories", str(tmp_path / "out"), str(pairs)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) | {} == {"copies_together": 1, "copies_apart": 0, "others_together": 0,
                                               "others_apart": 1, "missing": 0, "precision": 1.0, "recall": 1.0}


@pytest.mark.skipif(not SHARED_REAL.is_dir(), reason="../shared/corpus/real is absent")
def test_labelled_pairs_similarities_are_what_the_builder_estimates():
    """The similarities of the labelled sample are the builder's own: a change to the shingles or
    the MinHash that moves them makes the README's precision and recall stale."""
    import numpy as np

    from builder.ingest import normalize_text
    from builder.stories import NUM_PERM, sketch_article

    with open(PAIRS, encoding="utf-8") as handle:
        pairs = list(csv.DictReader(handle))
    wanted = {pair[side] for pair in pairs for side in ("article_a", "article_b")}
    signatures = {}
    for path in sorted(SHARED_REAL.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                if record["id"] in wanted:
                    sketch = sketch_article(record["id"], None, normalize_text(record["text"]), [])
                    signatures[record["id"]] = np.frombuffer(sketch[2], dtype=np.uint32)
    for pair in pairs:
        a, b = signatures[pair["article_a"]], signatures[pair["article_b"]]
        assert abs(np.count_nonzero(a == b) / NUM_PERM - float(pair["jaccard"])) < 0.02, pair
