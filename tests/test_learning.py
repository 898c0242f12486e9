"""The learned models: fitting is deterministic, the shipped JSON is what `make train` writes,
cross-validation folds keep outlets whole, and the ranker's rows say which model chose them."""

import pytest

import builder
from builder import annotated, learning
from builder.annotated import Annotated, outlet_of
from builder.folds import outlet_folds

needs_corpus = pytest.mark.skipif(not annotated.available("train"), reason=f"the annotated corpus is absent ({annotated.CORPUS})")

EXAMPLES = [({"cue_before": 1.0, "words=2": 1.0}, 1), ({"words=1": 1.0}, 0), ({"cue_before": 1.0}, 1),
            ({"words=2": 1.0, "stop": 1.0}, 0), ({"cue_before": 1.0, "stop": 1.0}, 1), ({"stop": 1.0}, 0)]


def test_fitting_twice_gives_the_same_bytes():
    first = learning.fit_logistic("toy", "toy/1", EXAMPLES).to_json()
    assert learning.fit_logistic("toy", "toy/1", EXAMPLES).to_json() == first


def test_json_round_trip_scores_the_same():
    model = learning.fit_logistic("toy", "toy/1", EXAMPLES)
    again = learning.LinearModel.from_json(model.to_json())
    for features, _label in EXAMPLES:
        assert again.score(features) == pytest.approx(model.score(features))
    assert model.probability({"cue_before": 1.0}) > 0.5 > model.probability({"stop": 1.0})


def test_fitting_needs_both_labels():
    with pytest.raises(ValueError, match="both labels"):
        learning.fit_logistic("toy", "toy/1", [({"a": 1.0}, 1)])


def test_using_swaps_a_model_only_inside_the_block():
    shipped = learning.model("speaker")
    toy = learning.fit_logistic("speaker", "speaker/toy", EXAMPLES)
    with learning.using({"speaker": toy}):
        assert learning.model("speaker") is toy
    assert learning.model("speaker") is shipped


def test_rows_name_the_model_that_chose_the_speaker():
    row = builder.extract("وقال الوزير كمال الهاشمي “سنفتح الطريق أمام الشاحنات غدا”.")[0]
    assert row["attribution_rule"].startswith(learning.model("speaker").version + "+")
    assert 0.0 <= row["confidence"] <= 1.0


@pytest.mark.parametrize("stem, outlet", [("101_3alyoum", "3alyoum"), ("067_jawharafm", "jawharafm"), ("plain", "plain")])
def test_outlet_of(stem, outlet):
    assert outlet_of(stem) == outlet


def test_folds_keep_outlets_whole_and_balance_quotes():
    items = [Annotated({"article_id": f"{i:03d}_{outlet}"}, [{}] * quotes, outlet, "train")
             for i, (outlet, quotes) in enumerate([("a", 9), ("a", 1), ("b", 5), ("c", 5), ("d", 4), ("e", 3), ("f", 2)])]
    folds = outlet_folds(items, 3)
    assert sorted(item.article_id for fold in folds for item in fold) == sorted(item.article_id for item in items)
    for fold in folds:
        for outlet in {item.outlet for item in fold}:
            assert all(item.outlet != outlet for other in folds if other is not fold for item in other)
    assert outlet_folds(items, 3) == folds  # deterministic
    assert max(sum(len(i.gold) for i in f) for f in folds) - min(sum(len(i.gold) for i in f) for f in folds) <= 4


@needs_corpus
def test_shipped_speaker_model_is_what_make_train_writes(tmp_path):
    from builder.train import main

    assert main(["--out", str(tmp_path)]) == 0
    for written in tmp_path.glob("*.json"):
        shipped = learning.model_path(written.stem).read_text(encoding="utf-8")
        assert written.read_text(encoding="utf-8") == shipped, f"{written.name} differs: run `make train`"


def test_error_kinds_count_what_is_left_wrong():
    from builder.cv import error_kinds

    gold = [{"quote": "سنفتح الطريق أمام الشاحنات غدا", "speaker": "كمال الهاشمي", "type": "person", "pattern": "before"},
            {"quote": "الأعمال ستنتهي خلال شهر", "speaker": "كمال الهاشمي", "type": "person", "pattern": "carryover"},
            {"quote": "بشكل قاطع", "speaker": "الوزارة", "type": "organization", "pattern": "before"}]
    rows = [{"quote": gold[0]["quote"], "speaker": "كمال الهاشمي", "attribution_rule": "speaker/2+verb_first/1"},
            {"quote": gold[1]["quote"], "speaker": "سامر نعمان", "attribution_rule": "speaker/2+previous_source"},
            {"quote": "الخطوط الحمراء", "speaker": None, "attribution_rule": "unknown/1"}]
    kinds = error_kinds({"001_x": rows}, [Annotated({"article_id": "001_x"}, gold, "x", "train")])
    assert kinds["wrong speaker, gold type"] == {"person": 1}
    assert kinds["wrong speaker, gold pattern"] == {"carryover": 1}
    assert kinds["wrong speaker, chosen by"] == {"previous_source": 1}
    assert kinds["detection"] == {"spurious": 1, "missed, 3 words or fewer": 1}
