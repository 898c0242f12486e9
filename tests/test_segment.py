"""Tests for builder.segment: paragraphs and sentences as offsets, never cut inside a quote."""

import pytest

from builder.segment import segment, sentence_spans


def sentences_of(text):
    segments = segment({"article_id": "t", "text": text})
    return [text[s:e] for s, e, _p in segments["sentences"]]


@pytest.mark.parametrize("text, expected", [
    ("وصل الوفد. وبدأ الاجتماع.", ["وصل الوفد.", "وبدأ الاجتماع."]),
    ("هل انتهى؟ نعم! انتهى…  ثم غادر", ["هل انتهى؟", "نعم!", "انتهى…", "ثم غادر"]),
    # a paired quote that holds full stops stays whole with its attribution
    ("وقال: «الوضع صعب. لكننا سنتجاوزه». ثم غادر.", ["وقال: «الوضع صعب. لكننا سنتجاوزه».", "ثم غادر."]),
    # a closing mark glued to the stop belongs to the sentence that ends
    ("وقال إن الأمر “انتهى”. وغادر", ["وقال إن الأمر “انتهى”.", "وغادر"]),
    ("وقال: \"انتهى الأمر.\" وغادر", ["وقال: \"انتهى الأمر.\"", "وغادر"]),
    # newlines always split: sentences never cross paragraphs
    ("السطر الأول بلا نقطة\nالسطر الثاني.", ["السطر الأول بلا نقطة", "السطر الثاني."]),
    # a decimal point or a stop glued to a word is not a sentence end
    ("بلغ النمو 2.5 في المئة.والباقي", ["بلغ النمو 2.5 في المئة.والباقي"]),
])
def test_sentences(text, expected):
    assert sentences_of(text) == expected


def test_offsets_and_paragraph_indexes():
    text = "أول. ثان\n\nثالث.   رابع"
    segments = segment({"article_id": "t", "text": text})
    assert [text[a:b] for a, b in segments["paragraphs"]] == ["أول. ثان", "ثالث.", "رابع"]
    assert [(text[s:e], p) for s, e, p in segments["sentences"]] == [("أول.", 0), ("ثان", 0), ("ثالث.", 1), ("رابع", 2)]
    for s, e, p in segments["sentences"]:
        lo, hi = segments["paragraphs"][p]
        assert lo <= s < e <= hi
        assert text[s:e] == text[s:e].strip()


def test_sentence_spans_skip_protected_spans():
    text = "قال «أ. ب» ثم. انتهى"
    open_pos, close_pos = text.index("«"), text.index("»")
    spans = sentence_spans(text, 0, len(text), [(open_pos, close_pos + 1)])
    assert [text[a:b] for a, b in spans] == ["قال «أ. ب» ثم.", "انتهى"]


def test_empty_text():
    assert segment({"article_id": "t", "text": ""}) == {"article_id": "t", "paragraphs": [], "sentences": []}


@pytest.mark.parametrize(
    "text, expected",
    [
        # initials and abbreviations do not end a sentence
        ("وقال د. سمير العلي إن الوضع مستقر. وأضاف أنه متفائل.", ["وقال د. سمير العلي إن الوضع مستقر.", "وأضاف أنه متفائل."]),
        ("وكتب المغني جي.آر. على حسابه أنه سعيد. ثم غادر.", ["وكتب المغني جي.آر. على حسابه أنه سعيد.", "ثم غادر."]),
    ],
)
def test_abbreviations_do_not_split(text, expected):
    article = {"article_id": "t", "text": text}
    assert [text[s:e] for s, e, _p in segment(article)["sentences"]] == expected
