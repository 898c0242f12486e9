"""Tests for builder.marks: flanking roles, pairing within and across mark families, nesting,
and paragraph spans. Sentences are written for these tests."""

import pytest

from builder.marks import classify, pair_paragraph, paragraph_spans, scan


def roles(text):
    return [(m.char, m.role) for m in scan(text, 0, len(text))]


def pair_texts(text):
    pairs, unclosed, unopened = pair_paragraph(text, 0, len(text))
    return ([text[p.start:p.end] for p in pairs if not p.nested],
            [m.pos for m in unclosed], [m.pos for m in unopened])


# --- flanking ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("قال «نعم» أمس", [("«", "open"), ("»", "close")]),
    # reversed guillemets: flanking decides, not the glyph
    ("قال »نعم« أمس", [("»", "open"), ("«", "close")]),
    # ” used as an opener
    ("وقال ”نحن هنا“.", [("”", "open"), ("“", "close")]),
    # a mark after a colon opens, even with spaces on both sides or in the closer's shape
    ("ويختم قائلا:» إن الأمر انتهى».", [("»", "open"), ("»", "close")]),
    ("وقال: \" الأمر انتهى \"", [("\"", "open"), ("\"", "either")]),
    # a mark before a stop or comma closes, even with a space before it
    ("وقال « الأمر انتهى «.", [("«", "open"), ("«", "close")]),
    ("هتفوا \"فزنا!\"، ثم غادروا", [("\"", "open"), ("\"", "close")]),
    # a proclitic glued to the opening mark
    ("وتحدث لـ\"الإذاعة\" أمس", [("\"", "open"), ("\"", "close")]),
    ("ونشر و“تويتر” معا", [("“", "open"), ("”", "close")]),
    # a mark after a complementizer opens, even glued to it: no clause ends on «إن»
    ("وأضاف، إن\" البرلمان سيراقب الحكومة\".", [("\"", "open"), ("\"", "close")]),
    ("وأكد أن” الحكومة ماضية”.", [("”", "open"), ("”", "close")]),
    # a mark standing apart after a speech verb opens, whatever its shape
    ("وأضاف يقول ” الصبر مفتاح الفرج", [("”", "open")]),
    # ... but after another word it keeps its shape's role
    ("انتهى الأمر ” الصبر مفتاح الفرج", [("”", "close")]),
    # word on both sides: straight marks cannot tell
    ("كلمة\"كلمة", [("\"", "either")]),
])
def test_flanking_roles(text, expected):
    assert roles(text) == expected


def test_classify_respects_paragraph_bounds():
    text = "أ «ب» ج"
    assert classify(text, 2, 2, len(text)) == "open"


# --- pairing ----------------------------------------------------------------------------

@pytest.mark.parametrize("text, pairs, n_unclosed, n_unopened", [
    ("قال «نحن هنا» وغادر", ["نحن هنا"], 0, 0),
    # two straight-mark quotes in one paragraph alternate
    ("قال \"نحن هنا\"، وأضاف \"لن نغادر\".", ["نحن هنا", "لن نغادر"], 0, 0),
    # straight marks with spaces on both sides still alternate
    ("قال \" نحن هنا \" وأضاف \" لن نغادر \"", [" نحن هنا ", " لن نغادر "], 0, 0),
    # a nested pair stays inside its host and is not listed on its own
    ("قال «إن ما يسمى “الخطة” فشل» أمس", ["إن ما يسمى “الخطة” فشل"], 0, 0),
    # nested pair of the same straight family, glued closer («"الأب "سعيد"الا»)
    ("قال: \"طلب الأب \"سعيد\"الا ان العائلة رفضت", ["سعيد"], 1, 0),
    # mixed families: “…″ and "…“ are one quote each
    ("من طراز “سيسنا 172″ إن الرحلة تأخرت", ["سيسنا 172"], 0, 0),
    ("وقال إنه \"لن يتراجع عن قراره“. ثم غادر", ["لن يتراجع عن قراره"], 0, 0),
    # an opener never closed and a closer never opened, same family
    ("قال «نحن هنا", [], 1, 0),
    ("نحن هنا» قال الوزير", [], 0, 1),
])
def test_pairing(text, pairs, n_unclosed, n_unopened):
    got_pairs, unclosed, unopened = pair_texts(text)
    assert got_pairs == pairs
    assert len(unclosed) == n_unclosed
    assert len(unopened) == n_unopened


def test_pair_offsets_point_at_marks():
    text = "وقال الوزير: «الأزمة عميقة» ثم غادر"
    pairs, _, _ = pair_paragraph(text, 0, len(text))
    (pair,) = pairs
    assert text[pair.open_pos] == "«" and text[pair.close_pos] == "»"
    assert (pair.start, pair.end) == (pair.open_pos + 1, pair.close_pos)


def test_mixed_pair_is_flagged():
    text = "قال \"الأمر انتهى“ وغادر"
    pairs, _, _ = pair_paragraph(text, 0, len(text))
    assert pairs[0].flags == ["mixed_marks"]


def test_pairing_within_a_slice_of_the_text():
    text = "«أول»\nوقال: «ثان» ثم «ثالث"
    lo = text.index("\n") + 1
    pairs, unclosed, unopened = pair_paragraph(text, lo, len(text))
    assert [text[p.start:p.end] for p in pairs] == ["ثان"]
    assert [m.pos for m in unclosed] == [text.rindex("«")]
    assert unopened == []


# --- paragraphs -------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("سطر أول\nسطر ثان", ["سطر أول", "سطر ثان"]),
    ("سطر أول\n\n  \nسطر ثان", ["سطر أول", "سطر ثان"]),
    # three spaces or more inside a line: a paragraph break that scraping flattened
    ("انتهى الاجتماع.   وقال الوزير إن الجلسة مثمرة.", ["انتهى الاجتماع.", "وقال الوزير إن الجلسة مثمرة."]),
    ("وقال: \"انتهى.\"   وغادر", ["وقال: \"انتهى.\"", "وغادر"]),
    ("أكثر من  50 شخصا", ["أكثر من  50 شخصا"]),  # two spaces are a typo, not a break
    ("وقال:  «   كلام بمسافات   »", ["وقال:  «   كلام بمسافات   »"]),  # padding, no sentence end before it
    ("", []),
])
def test_paragraph_spans(text, expected):
    spans = paragraph_spans(text)
    assert [text[a:b] for a, b in spans] == expected
