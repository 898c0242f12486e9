"""Corpus-wide speaker identities (builder/identity.py): what merges, what stays apart, and ids
that do not change from one build of the same input to the next."""

from __future__ import annotations

import pytest

from builder import identity
from builder.identity import SpeakerStats, names_match, resolve


def _row(speaker, article_id="a", speaker_type="person", speaker_role=None, n=0):
    return {"article_id": article_id, "speaker": speaker, "speaker_type": speaker_type, "speaker_role": speaker_role,
            "quote_id": f"{article_id}:{n}"}


def _identities(counts: dict[str, int | tuple[int, str]]):
    """Identities resolved over speaker strings with those quote counts (and types), one article a quote."""
    stats = {}
    for name, value in counts.items():
        n, kind = value if isinstance(value, tuple) else (value, "person")
        stats[name] = SpeakerStats()
        for k in range(n):
            stats[name].add(kind)
    return resolve(stats)


def _same(identities, a: str, b: str) -> bool:
    ea, eb = identities.entries[a], identities.entries[b]
    return ea.speaker_id is not None and ea.speaker_id == eb.speaker_id


@pytest.mark.parametrize("a, b", [
    ("دونالد ترامب", "دونالد ترمب"),
    ("بنيامين نتانياهو", "بنيامين نتنياهو"),
    ("فلاديمير بوتين", "فلاديمير بوتن"),
    ("مولود جاويش أوغلو", "مولود تشاوش أوغلو"),
    ("الخارجية الأميركية", "الخارجية الأمريكية"),
    ("أنطونيو غوتيريش", "أنطونيو جوتيريش"),
    ("عبد الله الثاني", "عبدالله الثاني"),
    ("أحمد أبو الغيط", "احمد ابو الغيط"),
    ("إيمانويل ماكرون", "ايمانويل ماكرون"),
    ("محمود عباس", "محمود عبّاس"),
    ("بنيامين نتنياهو", "بنيامين نتنياهـو"),
])
def test_spelling_variants_are_one_name(a, b):
    assert names_match(a, b)


@pytest.mark.parametrize("a, b", [
    ("حسن نصر الله", "حسين نصر الله"),   # two given names, not two spellings
    ("سعد الحريري", "سعيد الحريري"),
    ("كمال أحمد", "جمال أحمد"),
    ("محمد علي", "محمد علي الحوثي"),       # not the same length: a short form, decided by dominance
    ("دونالد ترامب", "إيفانكا ترامب"),
    ("علي خامنئي", "علي لاريجاني"),
    ("مارك كارني", "مارك غارنو"),        # one skeleton, too many letters apart
    ("عبد العزيز كبراوي", "عبد العزيز جباري"),
])
def test_different_names_do_not_match(a, b):
    assert not names_match(a, b)


@pytest.mark.parametrize("counts, a, b", [
    # a surname alone, with the one full name that dominates it
    ({"دونالد ترامب": 50, "ترامب": 20, "إيفانكا ترامب": 2}, "ترامب", "دونالد ترامب"),
    ({"رجب طيب أردوغان": 30, "أردوغان": 10}, "أردوغان", "رجب طيب أردوغان"),
    # the surname alone, spelled as one of the full name's spellings spells it
    ({"دونالد ترامب": 50, "دونالد ترمب": 9, "ترمب": 5}, "ترمب", "دونالد ترامب"),
    # a name without its «بن ...» chain
    ({"محمد بن سلمان بن عبد العزيز": 10, "محمد بن سلمان": 40}, "محمد بن سلمان", "محمد بن سلمان بن عبد العزيز"),
    # a middle name left out, or the first one
    ({"رجب طيب أردوغان": 30, "رجب أردوغان": 3}, "رجب أردوغان", "رجب طيب أردوغان"),
    ({"محمد جواد ظريف": 30, "جواد ظريف": 9}, "جواد ظريف", "محمد جواد ظريف"),
    # written with or without a space inside
    ({"حسن نصر الله": 30, "حسن نصرالله": 20}, "حسن نصر الله", "حسن نصرالله"),
    ({"شي جين بينغ": 30, "شي جينبينغ": 20}, "شي جين بينغ", "شي جينبينغ"),
    # the king with and without his family name
    ({"سلمان بن عبد العزيز": 48, "سلمان بن عبدالعزيز آل سعود": 41, "محمد بن سلمان بن عبد العزيز": 30},
     "سلمان بن عبد العزيز", "سلمان بن عبدالعزيز آل سعود"),
    # aliases of agencies and bodies, from builder/resources/identities.json
    ({"وكالة فرانس برس": (20, "organization"), "وكالة الصحافة الفرنسية": (5, "organization")},
     "وكالة فرانس برس", "وكالة الصحافة الفرنسية"),
    ({"رويترز": (20, "organization"), "وكالة رويترز": (5, "organization")}, "رويترز", "وكالة رويترز"),
    ({"وزارة الخارجية الأمريكية": (5, "organization"), "الخارجية الأميركية": (9, "organization")},
     "وزارة الخارجية الأمريكية", "الخارجية الأميركية"),
    # a body's name without its head noun, when that name is a speaker too
    ({"حركة الجهاد الإسلامي": (5, "organization"), "الجهاد الإسلامي": (7, "organization")},
     "حركة الجهاد الإسلامي", "الجهاد الإسلامي"),
])
def test_these_merge(counts, a, b):
    assert _same(_identities(counts), a, b)


@pytest.mark.parametrize("counts, a, b", [
    # no full name dominates the surname: it stays on its own
    ({"محمود عباس": 10, "عباس عراقجي": 2, "هادي عباس": 9, "عباس": 5}, "عباس", "محمود عباس"),
    # too few quotes of the full name to say
    ({"جو بايدن": 2, "بايدن": 30}, "بايدن", "جو بايدن"),
    # a person is not the body of the same word
    ({"يوسف الجزيرة": 30, "الجزيرة": (10, "organization")}, "الجزيرة", "يوسف الجزيرة"),
    # two given names
    ({"حسن نصر الله": 30, "حسين نصر الله": 3}, "حسن نصر الله", "حسين نصر الله"),
    # «حزب الله» is no «الله»
    ({"حزب الله": (30, "organization"), "الله": (2, "unknown")}, "حزب الله", "الله"),
    # after «بن» the rest of a chain is the father, not a short form of the son
    ({"محمد بن سلمان بن عبد العزيز": 50, "سلمان بن عبد العزيز": 9}, "سلمان بن عبد العزيز", "محمد بن سلمان بن عبد العزيز"),
    # one word has too few letters to tell a spelling from another word
    ({"جون كيري": 50, "كيري": 10, "غير": 5}, "غير", "كيري"),
    ({"عبد الفتاح السيسي": 50, "السيسي": 10, "أليس": 5}, "أليس", "السيسي"),
    # a particle that ends an attribution error is no surname
    ({"محمد بن سلمان أو": 5, "أو": 3}, "أو", "محمد بن سلمان أو"),
    # a study is not the statement of the one body of the article (see the issuer tests)
])
def test_these_stay_apart(counts, a, b):
    assert not _same(_identities(counts), a, b)


@pytest.mark.parametrize("name, generic", [
    ("البيان", True), ("الوكالة", True), ("الشركة", True), ("الوزارة", True), ("مراسل", True),
    ("المصدر", True), ("مصادر مطلعة", True), ("الرئيس", True), ("الرئيس الأمريكي", True),
    ("وزير الخارجية الأميركي", True), ("المتحدث باسم الوزارة", True), ("وزارة الصحة", True), ("الحكومة", True),
    ("دونالد ترامب", False), ("البيت الأبيض", False), ("الخارجية الأمريكية", False), ("رويترز", False),
    ("حماس", False), ("الأمم المتحدة", False), ("وزارة الصحة الفلسطينية", False), ("محمد", False),
])
def test_generic_sources(name, generic):
    assert identity.is_generic(name) is generic


def test_generic_sources_stay_inside_their_article():
    identities = _identities({"البيان": (30, "document"), "الوكالة": (20, "organization"), "مراسل": 5})
    ids = {identities.assign(article, [_row(name, article, "organization")])[0].speaker_id
           for article in ("a", "b") for name in ("البيان", "الوكالة", "مراسل")}
    assert len(ids) == 6
    assigned = identities.assign("a", [_row("البيان", "a", "document")])[0]
    assert assigned.generic and assigned.speaker_id == identities.assign("a", [_row("البيان", "a", "document")])[0].speaker_id


@pytest.mark.parametrize("rows, generic_index, named_index", [
    # «وقالت وكالة رويترز ... وأضافت الوكالة»
    ([_row("وكالة رويترز", speaker_type="organization"), _row("الوكالة", speaker_type="organization")], 1, 0),
    # the kind comes from the aliases: «رويترز» is an agency
    ([_row("رويترز", speaker_type="organization"), _row("الوكالة", speaker_type="organization")], 1, 0),
    # a statement speaks for the one body of the article
    ([_row("الخارجية الأمريكية", speaker_type="organization"), _row("البيان", speaker_type="document")], 1, 0),
    # a bare title for the one person of the article with that role
    ([_row("دونالد ترامب", speaker_role="الرئيس الأمريكي"), _row("الرئيس")], 1, 0),
])
def test_a_generic_mention_takes_the_identity_the_article_names(rows, generic_index, named_index):
    identities = _identities({"وكالة رويترز": (9, "organization"), "رويترز": (9, "organization"),
                              "الوكالة": (9, "organization"), "الخارجية الأمريكية": (9, "organization"),
                              "البيان": (9, "document"), "دونالد ترامب": 9, "الرئيس": 9})
    assigned = identities.assign("a", rows)
    assert assigned[generic_index].speaker_id == assigned[named_index].speaker_id
    assert not assigned[generic_index].generic


@pytest.mark.parametrize("rows", [
    # two agencies: «الوكالة» could be either
    [_row("رويترز", speaker_type="organization"), _row("وكالة الأناضول", speaker_type="organization"),
     _row("الوكالة", speaker_type="organization")],
    # an unnamed source is nobody named
    [_row("دونالد ترامب", speaker_role="الرئيس الأمريكي"), _row("مصدر مطلع", speaker_type="anonymous")],
    # the reporter is not the agency
    [_row("رويترز", speaker_type="organization"), _row("مراسل")],
    # a ministry's spokeswoman is not the ministry: a body's noun looks at names, not roles
    [_row("هيذر نويرت", speaker_role="المتحدثة باسم وزارة الخارجية"), _row("الوزارة", speaker_type="organization")],
    # a study may come from anyone
    [_row("الخارجية الأمريكية", speaker_type="organization"), _row("دراسة", speaker_type="document")],
    # a body's noun stands for a name it heads, not one it ends
    [_row("مكتب محاسبة الحكومة", speaker_type="organization"), _row("الحكومة", speaker_type="organization")],
])
def test_a_generic_mention_stays_generic_when_the_article_does_not_say_who(rows):
    identities = _identities({"رويترز": (9, "organization"), "وكالة الأناضول": (9, "organization"),
                              "الوكالة": (9, "organization"), "دونالد ترامب": 9, "مصدر مطلع": (9, "anonymous"),
                              "مراسل": 9, "هيذر نويرت": 9, "الوزارة": (9, "organization"),
                              "الخارجية الأمريكية": (9, "organization"), "دراسة": (9, "document"),
                              "مكتب محاسبة الحكومة": (9, "organization"), "الحكومة": (9, "organization")})
    assigned = identities.assign("a", rows)
    assert assigned[-1].generic and assigned[-1].speaker_id not in {a.speaker_id for a in assigned[:-1]}


def test_two_muhammads_with_different_roles_stay_apart():
    identities = _identities({"محمد": 20, "مُحمد": 2, "محمد علي": 3})
    assert identities.entries["مُحمد"].scope == "role"
    doctor = identities.assign("a", [_row("محمد", "a", speaker_role="الطبيب")])[0]
    minister = identities.assign("b", [_row("محمد", "b", speaker_role="وزير الصحة")])[0]
    doctor_again = identities.assign("c", [_row("محمد", "c", speaker_role="الطبيب")])[0]
    no_role = [identities.assign(article, [_row("محمد", article)])[0] for article in ("d", "e")]
    assert doctor.speaker_id != minister.speaker_id
    assert doctor.speaker_id == doctor_again.speaker_id
    assert no_role[0].speaker_id != no_role[1].speaker_id


def test_preferred_name_is_the_most_quoted_full_form():
    identities = _identities({"دونالد ترامب": 50, "دونالد ترمب": 10, "ترامب": 80})
    assert {identities.entries[n].preferred for n in ("دونالد ترامب", "دونالد ترمب", "ترامب")} == {"دونالد ترامب"}


def test_ids_do_not_depend_on_the_order_of_the_corpus():
    counts = {"دونالد ترامب": 50, "دونالد ترمب": 10, "ترامب": 80, "البيان": (5, "document"), "محمد": 3,
              "وكالة فرانس برس": (7, "organization"), "فرانس برس": (9, "organization")}
    first = _identities(counts)
    second = _identities(dict(reversed(list(counts.items()))))
    assert first.entries == second.entries
    rows = [_row("ترامب"), _row("البيان", speaker_type="document"), _row("محمد", speaker_role="المدرب")]
    assert first.assign("x", rows) == second.assign("x", rows)
    assert first.entries["ترامب"].speaker_id.startswith("spk-") and len(first.entries["ترامب"].speaker_id) == 16


# --- in a build ----------------------------------------------------------------------------------

ARTICLES = [
    ("w1", "وقال الرئيس الأمريكي دونالد ترامب “سنرى ما يحدث في الأيام المقبلة”. وأضاف ترامب “لن نتراجع عن قرارنا”."),
    ("w2", "وقال دونالد ترمب للصحفيين “الأمر واضح للجميع ولا يحتاج إلى شرح”."),
    ("w3", "وقالت الشركة في بيان “سنواصل الاستثمار في مشاريع جديدة هذا العام”."),
    ("w4", "وقالت الشركة في بيان “الأرباح ارتفعت بقوة خلال الربع الأول من العام”."),
    ("w5", "وقال مصدر مطلع “لا اتفاق حتى الآن بين الطرفين في هذه المرحلة”."),
    ("w6", "وقال مصدر مطلع “الاتفاق قريب جدا وسيعلن خلال أيام قليلة”."),
]


def _build(tmp_path, name: str, articles, **options):
    import json

    from builder.runner import RunConfig, build

    raw = tmp_path / f"raw-{name}"
    raw.mkdir()
    (raw / "feed.jsonl").write_text("".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n"
                                            for i, t in articles), encoding="utf-8")
    out = tmp_path / f"out-{name}"
    build(RunConfig(raw=raw, out=out, quiet=True, workers=1, **options))
    import pyarrow.dataset as ds

    quotes = ds.dataset(str(out / "hub" / "data" / "quotes"), format="parquet").to_table().to_pylist()
    speakers = ds.dataset(str(out / "hub" / "data" / "speakers"), format="parquet").to_table().to_pylist()
    return {row["quote_id"]: row for row in quotes}, speakers


def test_a_build_gives_one_id_per_source_and_the_same_ids_when_rebuilt(tmp_path):
    quotes, speakers = _build(tmp_path, "a", ARTICLES)
    by_speaker = {}
    for row in quotes.values():
        by_speaker.setdefault((row["article_id"], row["speaker"]), set()).add(row["speaker_id"])
    ids = {key: next(iter(value)) for key, value in by_speaker.items()}
    trump = ids["w1", "دونالد ترامب"]
    assert ids["w2", "دونالد ترمب"] == trump
    assert ids["w3", "الشركة"] != ids["w4", "الشركة"]
    assert ids["w5", "مصدر مطلع"] != ids["w6", "مصدر مطلع"]
    row = next(row for row in speakers if row["speaker_id"] == trump)
    assert row["speaker"] == "دونالد ترامب" and "دونالد ترمب" in row["variants"] and not row["generic"]
    assert row["n_articles"] == 2 and row["article_ids"] == ["w1", "w2"]
    generic = [row for row in speakers if {"مصدر مطلع", "الشركة"} & set(row["variants"])]
    assert len(generic) == 4 and all(row["generic"] and row["n_articles"] == 1 for row in generic)
    # rebuilt, in another order and other shards: the same ids
    again, speakers_again = _build(tmp_path, "b", list(reversed(ARTICLES)), shard_size=2)
    assert {key: row["speaker_id"] for key, row in again.items()} == {key: row["speaker_id"] for key, row in quotes.items()}
    assert sorted(r["speaker_id"] for r in speakers_again) == sorted(r["speaker_id"] for r in speakers)


# --- make identity ---------------------------------------------------------------------------------

def test_the_labelled_sample_is_well_formed():
    from builder.identity_eval import read_sample

    sample = read_sample()
    assert len(sample) == 300
    labels = {label for label, _key in sample.values()}
    assert labels <= {"entity", "generic", "not_name"} and {"entity", "generic"} <= labels


def test_identity_scores_count_pairs_and_generic_strings():
    from builder.identity_eval import score

    sample = {"دونالد ترامب": ("entity", "trump"), "ترمب": ("entity", "trump"), "ترامب": ("entity", "trump"),
              "بوتين": ("entity", "putin"), "البيان": ("generic", ""), "الوكالة": ("generic", "")}
    quotes = [{"article_id": "a", "speaker": "دونالد ترامب", "speaker_id": "T"},
              {"article_id": "b", "speaker": "ترمب", "speaker_id": "T"},
              {"article_id": "c", "speaker": "ترامب", "speaker_id": "X"},   # missed: 2 pairs
              {"article_id": "c", "speaker": "بوتين", "speaker_id": "X"},   # wrong: 1 pair
              {"article_id": "a", "speaker": "البيان", "speaker_id": "G1"},
              {"article_id": "b", "speaker": "البيان", "speaker_id": "G1"},  # one id over two articles: leaked
              {"article_id": "a", "speaker": "الوكالة", "speaker_id": "T"}]  # the issuer named in the article
    speakers = {"T": {"generic": False, "n_articles": 2}, "X": {"generic": False, "n_articles": 1},
                "G1": {"generic": True, "n_articles": 2}}
    result = score(quotes, speakers, sample)
    assert result["pairs"] == {"true": 1, "false": 1, "missed": 2}
    assert result["precision"] == 0.5 and result["recall"] == 1 / 3
    assert result["generic_kept"] == 0.5 and result["leaked_generic"] == ["البيان"]
