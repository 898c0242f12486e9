"""Golden tests on whole articles: the seed article, three Jawhara FM articles, the dev corpus.

1. The seed article (raw/000_7bb7ae16394dc573.txt): its ten quotes in order, one case per quote
   with the speaker a careful reader gives it (Austin, not the addressee العباسي; Stroul; the
   anonymous State Department official; the inspector general's report as a document ...).
2. Three Jawhara FM articles with their gold files, copied unchanged into tests/data/jawharafm/
   (ANT Corpus, Apache-2.0: see tests/data/NOTICE). Each is built with builder.ingest and
   builder.pipeline.process_article and scored with builder.evaluate:
   - floors on detection F1, speaker accuracy and end-to-end F1 of the three together, read from
     the recorded figures in tests/quality_floors.json (entry "jawharafm"), never set by hand;
   - every quote / speaker / cue / addressee span satisfies text[start:end] == value;
   - a snapshot, tests/data/jawharafm/expected/<stem>.jsonl, of every field of every row. Any
     difference fails: a new, dropped or changed row, another rule, offset,
     confidence. The failure says which gold quotes moved (regressions against gold, and other
     changes) and shows the diff. After reviewing a change, rewrite the snapshots on purpose with

         make snapshot

     (UPDATE_GOLDEN=1 pytest -k snapshot: it prints what changed, writes the files and records the
     Jawhara figures; commit them with the change).
3. The dev corpus (../shared/corpus/dev, 35 articles; skipped when ../shared is absent), scored as
   `make eval` does: every article ingested and run through the per-article stages, all its quotes
   kept (MIN_CONFIDENCE 0), articles without quotes counted as predicting none, builder.evaluate
   against the gold folder. Floors on detection F1, speaker accuracy and end-to-end F1: the figures
   recorded in tests/quality_floors.json (entry "dev") by `make floors` (`make eval` that records),
   so a change that lowers any of them fails until it is recorded on purpose. The figures are printed.

Only the Jawhara FM articles may be copied into this repository; the other dev articles
(CC BY-NC-SA / research use) are read from ../shared only.
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path

import pytest

import builder
from builder.errors import ContractError
from builder.evaluate import format_report, load_gold_dir, match_article, score, speaker_ok
from builder.gold import gold_stem
from builder.ingest import Rejected, Source, ingest_source, iter_sources
from builder.pipeline import process_article
from builder.publish import check_row

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "raw" / "000_7bb7ae16394dc573.txt"
JAWHARA = Path(__file__).resolve().parent / "data" / "jawharafm"
EXPECTED = JAWHARA / "expected"
SHARED = Path(__file__).resolve().parents[2] / "shared"
DEV = SHARED / "corpus" / "dev"
UPDATE = os.environ.get("UPDATE_GOLDEN", "") not in ("", "0")

# The recorded figures the quality floors are read from (builder.evaluate.record_floors writes them).
FLOORS_FILE = Path(__file__).resolve().parent / "quality_floors.json"


def recorded_floors(name: str) -> dict[str, float]:
    """{detection_f1, speaker_accuracy, end_to_end_f1} recorded under name in tests/quality_floors.json."""
    return json.loads(FLOORS_FILE.read_text(encoding="utf-8"))[name]


def below_floors(report, name: str) -> list[str]:
    """The figures of the report under those recorded (to the 4 places they are recorded with)."""
    from builder.evaluate import floors_of

    now, floors = floors_of(report), recorded_floors(name)
    return [f"{figure} {now[figure]:.4f} < recorded {floor:.4f}" for figure, floor in sorted(floors.items())
            if now[figure] < floor]


def ingest_file(path: Path) -> dict:
    """The article record of one .txt file, as a build of its folder ingests it."""
    return ingest_source(Source(path.name, None, path.read_bytes()))


def span_errors(rows: list[dict], text: str) -> list[str]:
    """Every span of the rows that does not point at its value in text (publish's own check)."""
    errors = []
    for row in rows:
        try:
            check_row(row, {"article_id": row["article_id"], "text": text})
        except ContractError as error:
            errors.append(str(error))
    return errors


def short(text: str | None, limit: int = 60) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# --- 1. the seed article ----------------------------------------------------------------------

AUSTIN, ABBASI, STROUL = "لويد اوستن", "ثابت محمد العباسي", "دانا سترول"
OFFICIAL, MCFARLANE = "مسؤول في الخارجية الأميركية", "ماثيو ماكفارلين"

# (the exact words between the marks, what the row must say). Keys: speaker (equal), speaker_in
# (contained in the speaker), speaker_type, speaker_gender, addressee_in (contained in the
# addressee; without it the addressee must be null). Nine pass at present. A case the builder gets
# wrong keeps the right expectation and gets marks=pytest.mark.xfail(strict=True, reason=...).
SEED_QUOTES = [
    pytest.param(
        "نحن نقر بان مهمتنا العسكرية ستشهد تغييرا في الوقت الذي تشهد قواتكم بناء قدراتها، مباحثاتنا ستكون جزءا "
        "من الخطوة التالية في شراكتنا الدفاعية الستراتيجية",
        {"speaker": AUSTIN, "speaker_type": "person", "speaker_gender": "male", "addressee_in": "العباسي"},
        id="01-austin-to-his-counterpart-al-abbasi"),
    pytest.param(
        "في الوقت الذي يعتبر من المهم جدا الحفاظ على الانتصارات التي حققتها القوات العراقية والأميركية، فانه من "
        "المهم أيضا الان تعزيز العلاقات والمضي قدما بالتعاون بيننا وبين الولايات المتحدة.",
        {"speaker": ABBASI, "speaker_type": "person", "speaker_gender": "male"},
        id="02-al-abbasi"),
    pytest.param(
        "نحن متحمسون جدا ولن نغادر واشنطن بدون تحقيق نجاح",
        {"speaker": ABBASI, "speaker_type": "person", "speaker_gender": "male"},
        id="03-al-abbasi-adds"),
    pytest.param(
        "أعتقد انه من المنصف القول انه خلال العقود القادمة في المستقبل فإن تواجد القوات الأميركية في العراق لن "
        "يكون على حاله الذي نعيشه اليوم",
        {"speaker": STROUL, "speaker_type": "person", "speaker_gender": "female"},
        id="04-stroul-subject-first"),
    pytest.param(
        "نحن مهتمون بإقامة علاقة دفاع مستمرة ضمن شراكة ستراتيجية، أي ليست علاقة مقتصرة على الدفاع فقط. سنشهد "
        "شراكة ستراتيجية حكومية شاملة على مدى سنوات وسنوات عديدة قادمة",
        {"speaker": STROUL, "speaker_type": "person", "speaker_gender": "female"},
        id="05-stroul"),
    pytest.param(
        "هذا مثال قوي جدا ويرمز الى ان العراقيين يرغبون بالمنتجات الأميركية، ويريدون نشاطا تجاريا أميركيا في "
        "بلدهم حتى لو كان ذلك من خلال منح وكالة او امتياز. نود الاستمرار بتوسيع نشاطنا في مجال الطاقة، وخصوصا "
        "مساعدة العراقيين في بناء اكتفائهم الذاتي في قطاع الطاقة. وهناك تركيز على إيجاد سبل لمواصلة تشغيل "
        "الشباب العراقيين",
        {"speaker": OFFICIAL, "speaker_type": "anonymous"},
        id="06-anonymous-state-department-official"),
    pytest.param(
        "انا ما زلت اعتقد بان عودة ظهور داعش هو خطر كبير. وان فكرهم ما يزال موجودا، وما يزال التنظيم يشكل "
        "تهديدا في سعيه لإعادة بناء قدرته وامكانيته لتنفيذ هجمات، ويظهر من جديد كتهديد كبير للناس",
        {"speaker": MCFARLANE, "speaker_type": "person", "speaker_gender": "male"},
        id="07-mcfarlane-subject-first"),
    pytest.param(
        "نحن في الواقع نعمل معهم الان لتحسين المنصات التي لديهم وادخالها في العمليات",
        {"speaker": MCFARLANE, "speaker_type": "person", "speaker_gender": "male"},
        id="08-general-mcfarlane"),
    pytest.param(
        "لم يتم جلب متطوعين جدد للجهاز منذ تشرين الثاني عام 2018",
        {"speaker_in": "المفتش العام", "speaker_type": "document"},
        id="09-inspector-general-report",
        marks=pytest.mark.xfail(strict=True, reason=(
            "the learned ranker (speaker/2) prefers McFarlane, quoted in the paragraph before, over the "
            "report that opens this sentence with «مشيرا»: on train/ + dev/ the previous source wins "
            "such participle quotes more often than not (make cv); the hand rules alone get it right"))),
    pytest.param(
        "لهذا السبب ان هذا الحوار حيوي جدا. علينا ان نعمل مع العراقيين وفقا لصورة شاملة تتخللها جميع هذه الأمور "
        "الأمنية والدفاعية، بالإضافة الى نظرتهم بخصوص قدراتهم",
        {"speaker": STROUL, "speaker_type": "person", "speaker_gender": "female"},
        id="10-stroul-again"),
]


@pytest.fixture(scope="module")
def seed():
    """(article record, quote rows of builder.extract on its body)."""
    article = ingest_file(SEED)
    rows = builder.extract(article["text"], title=article["title"], article_id=article["article_id"])
    return article, rows


def test_seed_has_its_ten_quotes_in_order(seed):
    _article, rows = seed
    assert [row["quote"] for row in rows] == [param.values[0] for param in SEED_QUOTES]


def test_seed_spans_point_into_the_body(seed):
    article, rows = seed
    assert span_errors(rows, article["text"]) == []


@pytest.mark.parametrize("quote, expected", SEED_QUOTES)
def test_seed_quote_speaker(seed, quote, expected):
    _article, rows = seed
    found = [row for row in rows if row["quote"] == quote]
    assert found, f"quote not extracted: «{short(quote)}»; got {[short(row['quote'], 30) for row in rows]}"
    row = found[0]
    described = (f"«{short(quote)}»: speaker={row['speaker']!r} type={row['speaker_type']} "
                 f"gender={row['speaker_gender']} addressee={row['addressee']!r} rule={row['attribution_rule']}")
    if "speaker" in expected:
        assert row["speaker"] == expected["speaker"], described
    if "speaker_in" in expected:
        assert expected["speaker_in"] in (row["speaker"] or ""), described
    assert row["speaker_type"] == expected["speaker_type"], described
    if "speaker_gender" in expected:
        assert row["speaker_gender"] == expected["speaker_gender"], described
    if "addressee_in" in expected:
        assert expected["addressee_in"] in (row["addressee"] or ""), described
        assert expected["addressee_in"] not in (row["speaker"] or ""), described  # the hearer is not the speaker
    else:
        assert row["addressee"] is None, described


# --- 2. the Jawhara FM articles ---------------------------------------------------------------

JAWHARA_STEMS = ("067_jawharafm", "069_jawharafm", "070_jawharafm")

# The articles of the snapshot: the Jawhara FM ones (only their text may be copied into tests/data).
SNAPSHOT_STEMS = JAWHARA_STEMS


@pytest.fixture(scope="module")
def jawhara():
    """stem -> {article, rows, gold, report} for each Jawhara FM article, built once."""
    built = {}
    for stem in SNAPSHOT_STEMS:
        article = ingest_file(JAWHARA / f"{stem}.txt")
        rows = process_article(article)["attributed"]["quotes"]
        gold_path = JAWHARA / f"{stem}.json"
        gold = json.loads(gold_path.read_text(encoding="utf-8")) if gold_path.is_file() else None
        built[stem] = {"article": article, "rows": rows, "gold": gold,
                       "report": score({stem: rows}, {stem: gold}) if gold else None}
    return built


def test_jawhara_gold_files_load_as_a_gold_folder():
    gold = load_gold_dir(JAWHARA)
    assert sorted(gold) == list(JAWHARA_STEMS)


def test_jawhara_scores_stay_at_their_recorded_figures(jawhara):
    from builder.evaluate import record_floors

    report = score({stem: jawhara[stem]["rows"] for stem in JAWHARA_STEMS},
                   {stem: jawhara[stem]["gold"] for stem in JAWHARA_STEMS})
    if UPDATE:
        print(f"recorded for jawharafm: {record_floors(FLOORS_FILE, 'jawharafm', report)}")
        return
    below = below_floors(report, "jawharafm")
    assert below == [], "\n".join(below) + "\n" + format_report(report) + \
        "\nIf the change is right, record the figures on purpose: make snapshot"


@pytest.mark.parametrize("stem", JAWHARA_STEMS)
def test_jawhara_spans_point_into_the_text(jawhara, stem):
    built = jawhara[stem]
    assert built["rows"], f"{stem}: no quotes extracted"
    assert span_errors(built["rows"], built["article"]["text"]) == []


def snapshot_lines(rows: list[dict]) -> list[str]:
    """One JSON line per row, every field, keys sorted: any change of any row shows."""
    return [json.dumps(row, ensure_ascii=False, sort_keys=True) for row in rows]


def gold_status(rows: list[dict], gold_quotes: list[dict]) -> dict[int, tuple[str, dict]]:
    """gold index -> ("right" or "wrong speaker", the row matched to it); unmatched gold quotes absent."""
    status = {}
    for p, g, _overlap in match_article(rows, gold_quotes):
        status[g] = ("right" if speaker_ok(rows[p].get("speaker"), gold_quotes[g]) else "wrong speaker", rows[p])
    return status


def describe(status: tuple[str, dict] | None) -> str:
    if status is None:
        return "missed"
    verdict, row = status
    return f"{verdict} (speaker={row.get('speaker')!r}, rule={row.get('attribution_rule')})"


def compare_with_gold(before: list[dict], now: list[dict], gold_quotes: list[dict]) -> tuple[list[str], list[str]]:
    """(regressions, other changes), one line per gold quote whose status changed."""
    old, new = gold_status(before, gold_quotes), gold_status(now, gold_quotes)
    rank = {None: 0, "wrong speaker": 1, "right": 2}
    regressions, changes = [], []
    for g, quote in enumerate(gold_quotes):
        was, is_now = old.get(g), new.get(g)
        if describe(was) == describe(is_now):
            continue
        line = (f"gold quote {g} «{short(quote['quote'])}» (gold speaker {quote.get('speaker')!r}): "
                f"{describe(was)} -> {describe(is_now)}")
        if rank[is_now[0] if is_now else None] < rank[was[0] if was else None]:
            regressions.append(line)
        else:
            changes.append(line)
    return regressions, changes


@pytest.mark.parametrize("stem", SNAPSHOT_STEMS)
def test_jawhara_snapshot(jawhara, stem):
    """Every field of every row as the snapshot has it; any difference fails (make snapshot)."""
    path = EXPECTED / f"{stem}.jsonl"
    current = snapshot_lines(jawhara[stem]["rows"])
    expected = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    if expected == current:
        return
    message = snapshot_message(stem, path, expected, current, jawhara[stem]["gold"])
    if UPDATE:
        print(message)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(line + "\n" for line in current), encoding="utf-8")
        return
    pytest.fail(message if path.exists() else f"{path.relative_to(REPO)} is missing: write it with make snapshot",
                pytrace=False)


def snapshot_message(stem: str, path: Path, expected: list[str], current: list[str], gold: dict | None) -> str:
    """What changed: the gold quotes that moved (when the article has gold) and the row diff."""
    regressions, changes = ([], []) if gold is None else compare_with_gold(
        [json.loads(line) for line in expected], [json.loads(line) for line in current], gold["quotes"])
    diff = "\n".join(difflib.unified_diff(expected, current, fromfile=str(path.relative_to(REPO)),
                                          tofile="current output", lineterm="", n=0))
    return "\n".join(
        [f"{stem}: the rows differ from their snapshot ({len(expected)} rows recorded, {len(current)} now)."]
        + ([f"Regressions against gold ({len(regressions)}):"] + [f"  {line}" for line in regressions]
           if regressions else [])
        + ([f"Changes against gold ({len(changes)}):"] + [f"  {line}" for line in changes] if changes else [])
        + ["Rows (- snapshot, + now):", diff,
           "If the change is right, rewrite the snapshots on purpose: make snapshot"])


def test_a_changed_row_fails_the_snapshot_and_says_what_moved(jawhara, tmp_path):
    """The snapshot test fails on a change gold does not see (a confidence), and names a gold
    regression when there is one."""
    stem = JAWHARA_STEMS[0]
    rows = jawhara[stem]["rows"]
    recorded = snapshot_lines(rows)
    nudged = [dict(rows[0], confidence=rows[0]["confidence"] / 2)] + rows[1:]
    assert snapshot_lines(nudged) != recorded
    message = snapshot_message(stem, EXPECTED / f"{stem}.jsonl", recorded, snapshot_lines(nudged), jawhara[stem]["gold"])
    assert "Regressions" not in message and '"confidence"' in message
    dropped = snapshot_message(stem, EXPECTED / f"{stem}.jsonl", recorded, snapshot_lines(rows[1:]), jawhara[stem]["gold"])
    assert "Regressions against gold (1)" in dropped and "-> missed" in dropped


def test_gold_comparison_tells_regressions_from_changes():
    """How a snapshot failure sorts what moved against gold, on made-up rows."""
    gold = [{"quote": "كلمات القول الأول هنا تماما", "speaker": "فتحي الخراط", "aliases": ["الخراط"]},
            {"quote": "كلمات القول الثاني هنا تماما", "speaker": "فتحي الخراط", "aliases": ["الخراط"]}]

    def row(quote, speaker, rule="verb_first/1"):
        return {"quote": quote, "speaker": speaker, "speaker_type": "person", "attribution_rule": rule}

    right = [row(gold[0]["quote"], "فتحي الخراط"), row(gold[1]["quote"], None, "unknown/1")]
    # Another accepted name, another rule, a fix and a new spurious row: changes, no regression.
    better = [row(gold[0]["quote"], "الخراط", "carryover/1"), row(gold[1]["quote"], "الخراط"), row("شيء آخر", None)]
    regressions, changes = compare_with_gold(right, better, gold)
    assert regressions == [] and len(changes) == 2
    # The right speaker lost, and a quote no longer found: regressions.
    worse = [row(gold[0]["quote"], "مصدر")]
    regressions, changes = compare_with_gold(better, worse, gold)
    assert len(regressions) == 2 and changes == []
    assert "right (speaker='الخراط'" in regressions[0] and "-> wrong speaker" in regressions[0]
    assert regressions[1].endswith("-> missed")


# --- 3. the dev corpus -------------------------------------------------------------------------

# Detection is decided by a model fitted on train/ alone since detect-model/1: dev/ (the articles the
# hand rules were tuned on) scores what an unseen corpus scores, not the 0.99 of the tuned rules.
# The floors are the figures recorded in tests/quality_floors.json ("dev", `make floors`).
needs_dev_corpus = pytest.mark.skipif(not (DEV / "articles").is_dir() or not (DEV / "gold").is_dir(),
                                      reason=f"the dev corpus is absent ({DEV})")


@pytest.fixture(scope="module")
def dev_build():
    """(articles by gold stem, predicted rows by gold stem, rejects) of the dev articles."""
    articles, predictions, rejects = {}, {}, []
    for unit in iter_sources(DEV / "articles"):
        try:
            if isinstance(unit, Rejected):
                raise unit
            article = ingest_source(unit)
        except Rejected as error:
            rejects.append(f"{getattr(unit, 'path', '?')}: {error.reason} {error.message}")
            continue
        stem = gold_stem(article["article_id"])
        articles[stem] = article
        predictions[stem] = process_article(article)["attributed"]["quotes"]
    return articles, predictions, rejects


@needs_dev_corpus
def test_dev_corpus_scores_stay_above_their_floors(dev_build, capsys):
    _articles, predictions, rejects = dev_build
    report = score(predictions, load_gold_dir(DEV / "gold"))
    headline = "\n".join(format_report(report).split("\n")[:4])
    with capsys.disabled():
        print(f"\n[dev corpus, {report.n_gold_articles} articles] " + headline.replace("\n", "\n  "))
    details = format_report(report)
    assert rejects == [], details
    assert report.n_gold_articles == 35 and report.missing_articles == [], details
    below = below_floors(report, "dev")
    assert below == [], "\n".join(below) + "\nIf the change is right, record the figures on purpose: make floors\n" + details


@needs_dev_corpus
def test_dev_corpus_spans_point_into_the_text(dev_build):
    articles, predictions, _rejects = dev_build
    errors = [error for stem, rows in predictions.items() for error in span_errors(rows, articles[stem]["text"])]
    assert errors == []
