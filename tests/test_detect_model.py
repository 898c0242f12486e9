"""The learned quote-or-not decision of detect (builder/detect/model.py).

Short sentences written for these tests: what the shipped model must take for a quote and what it
must set aside (names, titles, terms, scare quotes, stray marks), then the model's own contract:
fitted deterministically from train/, shipped as the same bytes, swapped by cross-validation.
"""

from pathlib import Path

import pytest

from builder import learning
from builder.annotated import available, load_split
from builder.detect import detect
from builder.detect import model as detect_model
from builder.segment import segment


def run(text):
    article = {"article_id": "t", "text": text}
    return detect(article, segment(article))


def quotes_of(text):
    return [text[q["start"]:q["end"]] for q in run(text)["quotes"]]


@pytest.mark.parametrize("text, expected", [
    # speech after a speech verb and a colon
    ("وقال وزير الخارجية: «لن نقبل بأي تدخل في شؤوننا الداخلية».", ["لن نقبل بأي تدخل في شؤوننا الداخلية"]),
    ("وأضافت: \"نحن نعمل ليل نهار من أجل المرضى\".", ["نحن نعمل ليل نهار من أجل المرضى"]),
    # a reported clause after «إن»
    ("وقال المتحدث إن \"الحكومة ستعلن خطتها الأسبوع المقبل\".", ["الحكومة ستعلن خطتها الأسبوع المقبل"]),
    # the cue after the quote
    ("«سنواصل العمل حتى تحقيق أهدافنا كاملة»، قال القائد.", ["سنواصل العمل حتى تحقيق أهدافنا كاملة"]),
    # a quote after a title with no name («وقال المتحدث باسم الشرطة “...”»)
    ("وقال المتحدث باسم الشرطة “تم توقيف ثلاثة أشخاص بعد الحادث”.", ["تم توقيف ثلاثة أشخاص بعد الحادث"]),
    # never closed: runs to the end of its paragraph
    ("وقال: «لن نتراجع عن موقفنا مهما حدث\nوغادر المكان.", ["لن نتراجع عن موقفنا مهما حدث"]),
    # the name of a newspaper, a channel, an outlet spoken to
    ("ونشرت صحيفة «الأنباء» تقريرا عن الحادث.", []),
    ("وقال مصدر أمني لـ«النهار» إن الهجوم أحبط.", []),
    ("وذكرت وكالة \"رويترز\" أن المحادثات انتهت.", []),
    # a film title, a hashtag, an operation's name
    ("وعرض فيلم \"الطريق إلى البيت\" في المهرجان.", []),
    ("وانتشر وسم \"أنقذوا المدينة\" على نطاق واسع.", []),
    ("وأعلن الجيش انتهاء عملية \"الفجر الجديد\" في الشمال.", []),
    # a party, an organisation, a foreign brand
    ("ويتنافس حزب «العدالة والتنمية» مع حزب «الشعب الجمهوري».", []),
    ("وأطلقت الشركة هاتف \"جالكسي إس\" الجديد.", []),
    # a single word in scare quotes
    ("وطالب المحتجون بـ\"الإصلاح\".", []),
    ("ووصف التقرير الوضع بأنه \"كارثي\".", []),
    # a person's name in marks before its verb
    ("وقالت الوزيرة \"سارة المحمد\" إن الخطة جاهزة.", []),
    # a stray closing mark with no speech before it
    ("وانتهت المباراة بالتعادل الإيجابي بين الفريقين\" وسط حضور كبير.", []),
])
def test_model_tells_quotes_from_names_and_terms(text, expected):
    assert quotes_of(text) == expected


def test_accepted_quotes_name_the_model_and_its_probability():
    result = run("وقال: «لن نقبل بأي تدخل في شؤوننا». ونشرت صحيفة «الأنباء» الخبر.")
    shipped = learning.model("detect")
    [quote] = result["quotes"]
    assert quote["detect_rule"] == shipped.version == detect_model.VERSION
    assert quote["probability"] >= shipped.meta["threshold"]
    [rejected] = result["rejected"]
    assert rejected["probability"] < shipped.meta["threshold"] and rejected["reason"] == "named_thing"


def test_cross_validation_swaps_the_model():
    text = "وقال الوزير «لن نقبل بأي تدخل في شؤوننا»."  # no colon: speech_colon/1 stays out of it
    always_no = learning.LinearModel("detect", "detect-test/0", -50.0, {}, {"threshold": 0.5})
    with learning.using({"detect": always_no}):
        result = run(text)
    assert result["quotes"] == [] and result["rejected"][0]["reason"] == "model"
    assert quotes_of(text) == ["لن نقبل بأي تدخل في شؤوننا"]


needs_train = pytest.mark.skipif(not available("train"), reason="the annotated train/ corpus is absent (../shared)")


@needs_train
def test_shipped_model_is_fitted_from_train_byte_identically():
    shipped = Path(str(learning.model_path("detect"))).read_text(encoding="utf-8")
    assert detect_model.fit(load_split("train")).to_json() == shipped


@needs_train
def test_training_examples_label_candidates_by_gold_overlap():
    item = load_split("train")[0]
    examples = detect_model.training_examples(item)
    assert examples and {label for _, label in examples} <= {0, 1}
    assert sum(label for _, label in examples) <= len(item.gold)
    for features, _ in examples:
        assert any(key.startswith("rule=") for key in features) and any(key.startswith("len=") for key in features)
