"""Tests for the Arabic person-name recogniser (builder.names).

Sentences are written for these tests (not taken from the dev corpus); the
tables hold only cases the shipped model gets right, so a retrained model
that regresses on them fails here.
"""

from pathlib import Path

import pytest

from builder import names

FULL_NAMES = [
    # Arab names, with a title and a nationality before them.
    ("استقبل رئيس الوزراء العراقي مصطفى الكاظمي في بغداد وفدا أمريكيا.", ["مصطفى الكاظمي"]),
    ("وقال وزير الخارجية السوري وليد المعلم إن دمشق ترفض.", ["وليد المعلم"]),
    ("وقال عبدالله الكعيد إن القرار صائب.", ["عبدالله الكعيد"]),
    ("وصرح الشيخ محمد بن زايد بأن الإمارات تدعم السلام.", ["محمد بن زايد"]),
    ("قال الأمير محمد بن سلمان إن رؤية 2030 تمضي قدما.", ["محمد بن سلمان"]),
    ("قال الدكتور أحمد زويل إن العلم أساس النهضة.", ["أحمد زويل"]),
    ("وتابع سعد الحريري: «لن نتراجع».", ["سعد الحريري"]),
    ("وقال علي بوعباس إن الظاهرة طبيعية.", ["علي بوعباس"]),
    ("وأشار الرئيس التركي رجب طيب أردوغان إلى أن أنقرة لن تقبل.", ["رجب طيب أردوغان"]),
    # Transliterated foreign names.
    ("وقالت دانا سترول، نائبة مساعد وزير الدفاع، إن الحوار مستمر.", ["دانا سترول"]),
    ("وأضاف المتحدث باسم البنتاغون ماثيو ماكفارلين أن القوات باقية.", ["ماثيو ماكفارلين"]),
    ("قال الرئيس الفرنسي إيمانويل ماكرون إن بلاده ستدعم الاتفاق.", ["إيمانويل ماكرون"]),
    ("وقال الرئيس الأمريكي جو بايدن إن الاقتصاد يتعافى.", ["جو بايدن"]),
    ("أكد الأمين العام للأمم المتحدة أنطونيو غوتيريش على أهمية الحوار.", ["أنطونيو غوتيريش"]),
    ("وأوضحت المستشارة الألمانية أنغيلا ميركل أن برلين لن تتراجع.", ["أنغيلا ميركل"]),
    ("قال رئيس الوزراء البريطاني بوريس جونسون إن الحكومة ستتحرك.", ["بوريس جونسون"]),
    ("صرح مدرب المنتخب هيرفي رينارد بأن الفريق جاهز.", ["هيرفي رينارد"]),
    ("وقال مارك زوكربيرغ، مؤسس فيسبوك، إن الشركة ستتغير.", ["مارك زوكربيرغ"]),
    (
        "وقال المتحدث باسم الخارجية الأمريكية نيد برايس للصحفيين إن واشنطن قلقة.",
        ["نيد برايس"],
    ),
    # Two people in one sentence; the addressee word «لنظيره» splits them.
    (
        "وقال وزير الدفاع الأمريكي لويد اوستن لنظيره العراقي ثابت محمد العباسي إن الشراكة مستمرة.",
        ["لويد اوستن", "ثابت محمد العباسي"],
    ),
    (
        "قال وزير الخارجية الروسي سيرغي لافروف لنظيره الأمريكي أنتوني بلينكن إن موسكو مستعدة.",
        ["سيرغي لافروف", "أنتوني بلينكن"],
    ),
    (
        "التقى نتنياهو بالرئيس الروسي فلاديمير بوتين في موسكو.",
        ["نتنياهو", "فلاديمير بوتين"],
    ),
    # A conjunction clitic on the first name is left out of the span, and so
    # is a preposition before a listed name.
    ("ولويد اوستن التقى بالكاظمي أمس.", ["لويد اوستن", "الكاظمي"]),
]

NO_PERSONS = [
    "أعلنت وزارة الخارجية السعودية اليوم عن إطلاق مبادرة جديدة.",  # ministry
    "قالت منظمة الصحة العالمية إن عدد الإصابات ارتفع.",  # organisation
    "وذكرت صحيفة نيويورك تايمز أن المفاوضات فشلت.",  # newspaper
    "أعلن نادي برشلونة تعاقده مع لاعب جديد.",  # club named after a city
    "وأعلنت شركة أرامكو عن أرباح قياسية.",  # company
    "دعت الأمم المتحدة إلى وقف إطلاق النار في اليمن.",
    "ناقش مجلس الأمن الدولي الوضع في سوريا.",
    "وصل الوفد إلى القاهرة ثم توجه إلى عمان.",  # places («عمان» is also a name)
    "تقع مدينة الإسكندرية على البحر المتوسط.",
    "ارتفعت أسعار النفط في الأسواق العالمية.",  # common nouns only
    "ذهب الطلاب إلى المدرسة صباحا.",
    "وشارك في المؤتمر عدد من الخبراء والباحثين.",
    "وبحسب رويترز فإن المحادثات توقفت.",  # news agency after a cue
]

TITLES_AND_CUES = {"قال", "وقال", "الرئيس", "وزير", "الدفاع", "لنظيره", "الشيخ", "الأمير",
                   "المستشارة", "الدكتور", "المتحدث"}


def span_texts(text):
    return [text[start:end] for start, end in names.person_spans(text)]


@pytest.mark.parametrize("text, expected", FULL_NAMES)
def test_full_names_are_found(text, expected):
    assert span_texts(text) == expected


@pytest.mark.parametrize("text", NO_PERSONS)
def test_no_person_in_sentences_without_one(text):
    assert names.person_spans(text) == []


# Whole articles, whose spans no exact test lists: the invariants must hold on text nobody wrote
# the expected names for (the FULL_NAMES table checks its spans exactly already).
REPO = Path(__file__).resolve().parents[1]
ARTICLES = [REPO / "raw" / "000_7bb7ae16394dc573.txt", *sorted((REPO / "tests" / "data" / "jawharafm").glob("*.txt")),
            *sorted((REPO.parent / "shared" / "corpus" / "dev" / "articles").glob("*.txt"))]


@pytest.mark.parametrize("path", ARTICLES, ids=lambda path: path.stem)
def test_spans_of_whole_articles_are_sorted_trimmed_and_hold_no_title_cue_or_addressee(path):
    text = path.read_text(encoding="utf-8")
    spans = names.person_spans(text)
    assert spans == sorted(spans) and spans, path.name
    assert all(end <= next_start for (_s, end), (next_start, _e) in zip(spans, spans[1:])), "overlapping spans"
    for start, end in spans:
        name = text[start:end]
        assert 0 <= start < end <= len(text)
        assert name == name.strip() and name[-1] not in "،,.:«»\"()", name
        assert not set(name.split()) & TITLES_AND_CUES, name


@pytest.mark.parametrize("text", ["", " ", "\n\n", "...", "،؛؟"])
def test_empty_or_punctuation_only_gives_nothing(text):
    assert names.person_spans(text) == []


def test_surname_mentions_are_linked_to_the_full_name():
    text = (
        "وقال وزير الخارجية الروسي سيرغي لافروف إن موسكو مستعدة.\n"
        "وأضاف لافروف أن المحادثات ستستمر."
    )
    assert span_texts(text) == ["سيرغي لافروف", "لافروف"]


def test_long_text_is_processed_window_by_window():
    sentence = "قال الرئيس الفرنسي إيمانويل ماكرون إن بلاده ستدعم الاتفاق. "
    text = sentence * 2000  # ~120k characters, one line
    spans = names.person_spans(text)
    assert len(spans) == 2000
    assert {text[start:end] for start, end in spans} == {"إيمانويل ماكرون"}


def test_offsets_survive_diacritics_and_tatweel():
    text = "وقالَ الرئيسُ إيمانويل مـاكرون إنّ بلاده ستدعم الاتفاق."
    assert span_texts(text) == ["إيمانويل مـاكرون"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("قال: «مرحبا»، (نعم) ؟", ["قال", ":", "«", "مرحبا", "»", "،", "(", "نعم", ")", "؟"]),
        ("“لويد اوستن”، وزير.", ["“", "لويد", "اوستن", "”", "،", "وزير", "."]),
        ("عام 2021, في 3.5%", ["عام", "2021", ",", "في", "3", ".", "5", "%"]),
        ("مرحبًا بكم؛ شكرًا", ["مرحبًا", "بكم", "؛", "شكرًا"]),
        ("", []),
    ],
)
def test_tokenize_with_offsets(text, expected):
    tokens = names.tokenize_with_offsets(text)
    assert [token for token, _, _ in tokens] == expected
    for token, start, end in tokens:
        assert text[start:end] == token


def test_model_ships_inside_the_package():
    assert names.MODEL_PATH.is_file()
    assert names.MODEL_PATH.stat().st_size < 5_000_000
    assert names.NAME_TOKENS_PATH.is_file()


@pytest.mark.parametrize("skip, expected", [
    ([], ["سعد الحريري", "وليد المعلم"]),
    # The quoted speech is skipped: the name inside it is not tagged, the speaker's still is.
    ([(18, 48)], ["سعد الحريري"]),
    # Overlapping and out-of-order spans count as their union.
    ([(30, 48), (18, 35)], ["سعد الحريري"]),
    # A span that cuts a word in two leaves that word in: «بالوزير» (25-32) is kept.
    ([(18, 28)], ["سعد الحريري", "وليد المعلم"]),
])
def test_tokens_inside_skipped_spans_are_not_tagged(skip, expected):
    text = "قال سعد الحريري: «التقيت بالوزير وليد المعلم أمس»."
    assert text[18:48] == "التقيت بالوزير وليد المعلم أمس"
    assert [text[s:e] for s, e in names.person_spans(text, skip=skip)] == expected
