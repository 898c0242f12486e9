"""Tests for builder.evaluate: folding, overlap, matching, speaker checks, scoring."""

import json
from pathlib import Path

import pytest

from builder.evaluate import (
    canonical_ok,
    fold,
    format_report,
    group_by_article,
    load_gold_dir,
    match_article,
    overlap,
    score,
    speaker_ok,
    tokens,
)

GOLD_DIR = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "dev" / "gold"


def gold_quote(quote, speaker="وليد المعلم", aliases=("المعلم",), type_="person"):
    return {"quote": quote, "speaker": speaker, "aliases": list(aliases), "type": type_,
            "cue": "قال", "pattern": "before"}


def pred_row(quote, speaker="وليد المعلم", rule="before_cue"):
    return {"quote": quote, "speaker": speaker, "attribution_rule": rule}


# --- fold / tokens ---------------------------------------------------------------

@pytest.mark.parametrize("raw, folded", [
    ("أحمد", "احمد"),
    ("إسرائيل", "اسراييل"),                     # both إ and ئ fold
    ("آخر", "اخر"),
    ("ٱلله", "الله"),
    ("مستشفى", "مستشفي"),
    ("الحكومة", "الحكومه"),
    ("مؤتمر", "موتمر"),
    ("رئيس", "رييس"),
    ("تطوّر خطأً تاريخيًا", "تطور خطا تاريخيا"),   # shadda, fathatan, hamza on alef
    ("مُحَمَّدٌ", "محمد"),                          # damma, fatha, shadda, dammatan
    ("القرآن", "القران"),                           # madda on alef
    ("قـــال", "قال"),                              # tatweel
    ("«جريمة كراهية»", "جريمه كراهيه"),
    ("“داعش”", "داعش"),
    ("قال، إن", "قال ان"),
    ("انتهى.الخبر", "انتهي الخبر"),                 # punctuation splits glued words
    ("نعم؛ لا؟ ربما!", "نعم لا ربما"),
    ("  كلمة\n\tأخرى\u00a0هنا  ", "كلمه اخري هنا"),  # newline, tab, no-break space
    ("واشنطن\u200fقال", "واشنطن قال"),             # RLM (format char, category Cf)
    ("ﻻ", "لا"),                                    # NFKC presentation-form ligature
    ("ﺍﻟﺴﻼﻡ", "السلام"),                            # NFKC presentation forms
    ("20 $ + 5%", "20 $ + 5"),                      # symbols kept, % is punctuation
    ("", ""),
    (None, ""),
    ("«»،.", ""),
])
def test_fold(raw, folded):
    assert fold(raw) == folded


@pytest.mark.parametrize("raw, expected", [
    ("قال: «لن نتراجع»", ["قال", "لن", "نتراجع"]),
    ("  ", []),
    ("a  b", ["a", "b"]),
])
def test_tokens(raw, expected):
    assert tokens(raw) == expected


# --- overlap ---------------------------------------------------------------------

@pytest.mark.parametrize("a, b, expected", [
    ("a b c", "a b c", 1.0),
    ("a b c d", "a b c d e", 0.8),         # divided by the longer one
    ("a b c d e", "a b c d", 0.8),         # symmetric
    ("a a b", "a b b", 2 / 3),             # multiset: one a and one b shared
    ("a a a", "a", 1 / 3),
    ("a b", "c d", 0.0),
    ("", "a", 0.0),
    ("a", "", 0.0),
    ("", "", 0.0),
])
def test_overlap(a, b, expected):
    assert overlap(a.split(), b.split()) == pytest.approx(expected)


# --- matching ---------------------------------------------------------------------

@pytest.mark.parametrize("preds, golds, expected_pairs", [
    # exact match
    (["a b c"], ["a b c"], {(0, 0)}),
    # threshold inclusive: 4/5 == 0.8 matches, 3/4 == 0.75 does not
    (["a b c d"], ["a b c d e"], {(0, 0)}),
    (["a b c"], ["a b c d"], set()),
    # one-to-one: two identical predictions, one gold -> only the first is matched
    (["a b c d e", "a b c d e"], ["a b c d e"], {(0, 0)}),
    # greedy by highest overlap: pred 0 matches gold 0 at 0.8 and gold 1 at 1.0, pred 1
    # matches only gold 1 (0.8); greedy gives pred 0 -> gold 1, leaving pred 1 unmatched
    # even though a two-pair matching exists
    (["a b c d e", "b c d e y"], ["a b c d q", "a b c d e"], {(0, 1)}),
    # order of the lists does not matter, each finds its best partner
    (["x y z w", "a b c d"], ["a b c d", "x y z w"], {(0, 1), (1, 0)}),
    # folding applies before matching
    (["«إن الأمر خطير»"], ["ان الامر خطير"], {(0, 0)}),
    # empty quotes never match
    ([""], [""], set()),
])
def test_match_article(preds, golds, expected_pairs):
    pairs = match_article([{"quote": q} for q in preds], [{"quote": q} for q in golds])
    assert {(p, g) for p, g, _ in pairs} == expected_pairs
    assert len({p for p, _, _ in pairs}) == len(pairs) == len({g for _, g, _ in pairs})
    assert all(ov >= 0.8 for _, _, ov in pairs)


def test_match_ties_break_by_index():
    pairs = match_article([{"quote": "a b"}, {"quote": "a b"}], [{"quote": "a b"}, {"quote": "a b"}])
    assert pairs == [(0, 0, 1.0), (1, 1, 1.0)]


def test_match_returns_highest_overlap_first():
    pairs = match_article([{"quote": "a b c d x"}, {"quote": "p q r"}],
                          [{"quote": "a b c d e"}, {"quote": "p q r"}])
    assert pairs == [(1, 1, 1.0), (0, 0, 0.8)]


# --- speaker checks ---------------------------------------------------------------

@pytest.mark.parametrize("predicted, gold_speaker, aliases, ok, canonical", [
    ("وليد المعلم", "وليد المعلم", ["المعلم"], True, True),
    ("المعلم", "وليد المعلم", ["المعلم"], True, False),          # alias
    ("«وليد المعلّم»", "وليد المعلم", ["المعلم"], True, True),   # folded
    ("الوزير المعلم", "وليد المعلم", ["المعلم"], False, False),
    (None, "وليد المعلم", ["المعلم"], False, False),
    ("", "وليد المعلم", [""], False, False),                     # empty alias accepts nothing
    ("منظمة إيباك", "إيباك", ["منظمة ايباك"], True, False),
    (None, None, [], True, True),                                # null gold accepts null
    ("", None, [], True, True),                                  # ... or empty
    ("مصدر", None, [], False, False),
])
def test_speaker_ok_and_canonical_ok(predicted, gold_speaker, aliases, ok, canonical):
    quote = gold_quote("x", speaker=gold_speaker, aliases=aliases)
    assert speaker_ok(predicted, quote) is ok
    assert canonical_ok(predicted, quote) is canonical


# --- score ------------------------------------------------------------------------

GOLD = {
    "001_a": {"article": "001_a", "quotes": [
        gold_quote("المشكلة ليست في المعارضة نفسها"),
        gold_quote("الحرب على الإرهاب مستمرة", speaker="مصدر أمني", aliases=[], type_="anonymous"),
    ]},
    "002_b": {"article": "002_b", "quotes": [
        gold_quote("نرفض هذا الاتفاق رفضا قاطعا", speaker="وزارة الخارجية", aliases=["الوزارة"],
                   type_="document"),
    ]},
}


def test_perfect_prediction_scores_one_everywhere():
    predictions = {a: [pred_row(q["quote"], q["speaker"]) for q in doc["quotes"]] for a, doc in GOLD.items()}
    report = score(predictions, GOLD)
    for figure in ("detection_precision", "detection_recall", "detection_f1", "speaker_accuracy",
                   "canonical_accuracy", "e2e_precision", "e2e_recall", "e2e_f1"):
        assert getattr(report, figure) == 1.0, figure
    assert (report.n_gold, report.n_predicted, report.n_matched) == (3, 3, 3)
    assert report.errors == []
    assert all(t.accuracy == 1.0 for t in report.by_gold_type.values())


def test_missing_article_counts_as_missed_and_extra_article_is_ignored():
    predictions = {
        "001_a": [pred_row(q["quote"], q["speaker"]) for q in GOLD["001_a"]["quotes"]],
        "999_nogold": [pred_row("كلام لا يقيّم")],
    }
    report = score(predictions, GOLD)
    assert (report.n_gold, report.n_predicted, report.n_matched) == (3, 2, 2)
    assert report.detection_precision == 1.0
    assert report.detection_recall == pytest.approx(2 / 3)
    assert report.missing_articles == ["002_b"]
    assert report.ignored_articles == ["999_nogold"] and report.n_ignored_articles == 1
    assert [(e.kind, e.article) for e in report.errors] == [("missed", "002_b")]
    assert report.by_gold_type["document"].n_gold == 1
    assert report.by_gold_type["document"].n_matched == 0


def test_mixed_prediction_counts_and_breakdowns():
    predictions = {
        "001_a": [
            pred_row("المشكلة ليست في المعارضة نفسها", "المعلم", rule="before_cue"),  # alias: ok
            pred_row("الحرب على الإرهاب مستمرة", "وليد المعلم", rule="carryover"),   # wrong speaker
            pred_row("جملة لا وجود لها في الذهب", "أحد", rule="carryover"),          # spurious
        ],
        "002_b": [pred_row("نرفض هذا الاتفاق رفضا قاطعا", "الوزارة", rule=None)],      # alias: ok
    }
    report = score(predictions, GOLD)
    assert (report.n_gold, report.n_predicted, report.n_matched) == (3, 4, 3)
    assert report.detection_precision == pytest.approx(3 / 4)
    assert report.detection_recall == 1.0
    assert report.detection_f1 == pytest.approx(2 * 0.75 / 1.75)
    assert report.speaker_accuracy == pytest.approx(2 / 3)
    assert report.canonical_accuracy == 0.0
    assert report.e2e_precision == pytest.approx(2 / 4)
    assert report.e2e_recall == pytest.approx(2 / 3)
    assert report.e2e_f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))

    anonymous = report.by_gold_type["anonymous"]
    assert (anonymous.n_gold, anonymous.n_matched, anonymous.n_speaker_correct, anonymous.accuracy) == (1, 1, 0, 0.0)
    carryover = report.by_rule["carryover"]
    assert (carryover.n_predicted, carryover.n_matched, carryover.n_speaker_correct) == (2, 1, 0)
    assert report.by_rule["(none)"].n_speaker_correct == 1

    kinds = sorted((e.kind, e.gold_speaker, e.predicted_speaker, e.predicted_rule) for e in report.errors)
    assert kinds == [("spurious", None, "أحد", "carryover"),
                     ("wrong_speaker", "مصدر أمني", "وليد المعلم", "carryover")]


def test_empty_predictions_score_zero():
    report = score({}, GOLD)
    assert report.detection_f1 == report.speaker_accuracy == report.e2e_f1 == 0.0
    assert [e.kind for e in report.errors] == ["missed"] * 3


def test_error_quote_is_shortened():
    long_quote = " ".join(["كلمة"] * 60)
    report = score({"x": [pred_row(long_quote)]}, {"x": {"article": "x", "quotes": []}})
    assert len(report.errors[0].quote) <= 80


def test_group_by_article_pools_rows():
    rows = [{"article_id": "a", "quote": "1"}, {"article_id": "b", "quote": "2"}, {"article_id": "a", "quote": "3"}]
    assert {k: [r["quote"] for r in v] for k, v in group_by_article(rows).items()} == {"a": ["1", "3"], "b": ["2"]}


def test_format_report_and_to_dict():
    predictions = {"001_a": [pred_row("المشكلة ليست في المعارضة نفسها")]}
    report = score(predictions, GOLD)
    text = format_report(report)
    first_lines = text.splitlines()[:3]
    assert first_lines[0] == "detection P=1.000 R=0.333 F1=0.500"
    assert first_lines[1] == "speaker accuracy=1.000 (canonical 1.000)"
    assert first_lines[2].startswith("end-to-end P=1.000 R=0.333 F1=0.500")
    assert "by gold speaker type" in text and "by predicted attribution rule" in text
    assert text.count("missed") == 2
    as_json = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert as_json["n_matched"] == 1 and as_json["by_gold_type"]["person"]["n_gold"] == 1
    assert as_json["errors"][0]["kind"] == "missed"


# --- load_gold_dir ----------------------------------------------------------------

def test_load_gold_dir_reads_by_stem(tmp_path):
    (tmp_path / "001_a.json").write_text(json.dumps(GOLD["001_a"], ensure_ascii=False), encoding="utf-8")
    assert load_gold_dir(tmp_path) == {"001_a": GOLD["001_a"]}


@pytest.mark.parametrize("content, message", [
    ("{not json", "invalid JSON"),
    (json.dumps({"article": "bad"}), "'quotes'"),
    (json.dumps({"article": "bad", "quotes": [{"quote": "x", "speaker": None}]}), "aliases, type"),
    (json.dumps({"article": "other", "quotes": []}), "file stem"),
])
def test_load_gold_dir_names_bad_file(tmp_path, content, message):
    (tmp_path / "bad.json").write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as info:
        load_gold_dir(tmp_path)
    assert "bad.json" in str(info.value)


# --- the real dev gold --------------------------------------------------------------

def test_real_gold_scored_against_damaged_copies_gives_exactly_the_damage():
    """The real gold files (aliases, null speakers, every type) through the scorer, with predictions
    made from them and damaged on purpose: every 5th quote dropped and every 7th given a made-up
    speaker. The figures must be exactly what that damage costs (gold scored against itself could
    only ever give 1.0)."""
    if not GOLD_DIR.is_dir():
        pytest.skip(f"shared corpus not available at {GOLD_DIR}")
    gold = load_gold_dir(GOLD_DIR)
    predictions, total, kept, wrong = {}, 0, 0, 0
    for article, doc in gold.items():
        rows = []
        for number, quote in enumerate(doc["quotes"]):
            total += 1
            if number % 5 == 4:
                continue
            speaker = quote["speaker"]
            if number % 7 == 6:
                speaker, wrong = "متحدث مختلق للاختبار", wrong + 1
            rows.append({"quote": quote["quote"], "speaker": speaker, "article_id": article})
            kept += 1
        predictions[article] = rows
    report = score(predictions, gold)
    assert total > 200 and 0 < wrong < kept < total
    assert (report.n_gold, report.n_predicted, report.n_matched) == (total, kept, kept)
    assert report.detection_precision == 1.0
    assert report.detection_recall == pytest.approx(kept / total)
    assert report.speaker_accuracy == pytest.approx((kept - wrong) / kept)
    assert report.e2e_recall == pytest.approx((kept - wrong) / total)
    assert report.missing_articles == [] and report.ignored_articles == []


def test_record_floors_writes_its_entry_and_keeps_the_others(tmp_path):
    from builder.evaluate import record_floors

    path = tmp_path / "floors.json"
    path.write_text(json.dumps({"cv": {"detection_f1": 0.5, "speaker_accuracy": 0.5, "end_to_end_f1": 0.5}}))
    gold = {"001_a": {"article": "001_a", "quotes": [gold_quote("نحن هنا اليوم"), gold_quote("لن نتراجع أبدا")]}}
    report = score({"001_a": [pred_row("نحن هنا اليوم"), pred_row("لن نتراجع أبدا", speaker="شخص آخر")]}, gold)
    assert record_floors(path, "dev", report) == {"detection_f1": 1.0, "speaker_accuracy": 0.5, "end_to_end_f1": 0.5}
    recorded = json.loads(path.read_text())
    assert sorted(recorded) == ["cv", "dev"] and recorded["cv"]["detection_f1"] == 0.5
