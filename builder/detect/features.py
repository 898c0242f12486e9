"""Features of a candidate span, read by the learned decision (model.py).

The hand rules' verdicts (rules.py) are features, with what a reader of Arabic news looks at
around a marked span: its length, the marks (style, a missing one), a speech cue before or after
and how far, the words written against the marks, punctuation inside and around, whether the span
fills its paragraph, and how much of it looks like a name, a number or foreign script.

Every feature reads the span and a few words around it: the cost is linear in the text.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from builder.detect.candidates import left_edge, right_edge
from builder.detect.context import ArticleIndex
from builder.detect.lexicon import COLONS, cue_of, fkey, in_list, word_lists
from builder.detect import rules
from builder.names import load_common_words, load_name_tokens, normalize
from builder.text import WORD, fold_key, words

Features = dict[str, float]

# Words read inside a span: enough for every rule (names, terms, first person) on short spans;
# a long span is settled by its length.
_INSIDE_WORDS = 40
# Words read before the opening mark and after the closing one.
_CONTEXT_WORDS = 3
# A cue this many words before the mark (same clause) or after it counts as near.
_CUE_REACH = 12
# Pronouns and verb endings of the first and second person: people speaking, not naming.
_FIRST_SECOND = frozenset(fkey(w) for w in (
    "أنا", "نحن", "أنت", "أنتم", "إني", "إنني", "إننا", "أنني", "أننا", "لنا", "لدينا", "علينا", "منا",
    "عندنا", "لي", "لك", "لكم", "بنا", "معنا", "نفسي", "إنك", "إنكم", "أنك"))
_CLITICS = ("و", "ف", "ب", "ل")
_TITLE_WORDS = frozenset(fold_key(w) for w in ("عنوان", "شعار", "وسم", "هاشتاغ", "هاشتاق", "هاشتاج"))
TITLE_BEFORE = "title_word_before"
# First-person pronouns: in the narration (outside marks) they show a column in the author's own
# voice, where sayings and imagined retorts in marks are not reported speech.
_FIRST_PERSON = frozenset(fkey(w) for w in (
    "أنا", "نحن", "لي", "لنا", "إنني", "أنني", "إننا", "أننا", "إني", "أني", "لدي", "لدينا", "عندي", "عندنا",
    "بنا", "معي", "معنا", "مني", "منا", "نفسي", "أقول", "نقول", "كنت", "كنا"))
# Words that make the speech before a mark imagined or habitual, not reported: «لو», «إذا», «عندما».
_HYPOTHETICAL = frozenset(fkey(w) for w in (
    "لو", "إذا", "إذ", "عندما", "حين", "حينما", "كلما", "لكي", "كي", "ربما", "قد", "يجب", "يمكن", "أن"))


_normalized = lru_cache(maxsize=1 << 16)(normalize)


@cache
def _name_tokens() -> frozenset[str]:
    return load_name_tokens()


@cache
def _common_words() -> frozenset[str]:
    return load_common_words()


@lru_cache(maxsize=1 << 16)
def _bare(word: str) -> str:
    """Folded word without a leading conjunction or preposition and the article: a context key."""
    key = fold_key(word)
    if len(key) > 3 and key[0] in _CLITICS:
        key = key[1:]
    if len(key) > 4 and key.startswith("ال"):
        key = key[2:]
    return key


def _bucket(n: int, edges: tuple[int, ...]) -> str:
    for edge in edges:
        if n <= edge:
            return str(edge)
    return f">{edges[-1]}"


def _punct(chars: str) -> str:
    """The punctuation class of the characters between a mark and the next word."""
    chars = chars.strip()
    if not chars:
        return "none"
    first = chars[0]
    if first in COLONS:
        return "colon"
    if first in "،,":
        return "comma"
    if first in ".":
        return "stop"
    if first in "!?؟":
        return "exclaim"
    if first in "؛;":
        return "semicolon"
    if first in "(）)":
        return "paren"
    if first in "-–—":
        return "dash"
    return "other"


def features(text: str, quote: dict, paragraph: tuple[int, int], article: ArticleIndex) -> Features:
    """Named features of one candidate span (values 1.0 unless a count)."""
    lo, hi = paragraph
    f: Features = {}
    content = words(text, quote["start"], quote["end"])[:_INSIDE_WORDS]  # a slice of the article's words
    n = len(content)
    f["len=" + _bucket(n, (0, 1, 2, 3, 4, 5, 7, 10, 15, 25))] = 1.0
    f["kind=" + quote["candidate"]] = 1.0
    for flag in quote["flags"]:
        f["flag=" + flag] = 1.0

    # the hand rules
    tie = rules.cue_tie(text, quote, paragraph, article)
    verdict = rules.classify(text, quote, paragraph, article, tie)
    f["rule=" + (verdict or "quote")] = 1.0
    f[f"rule={verdict or 'quote'}&len={_bucket(n, (1, 2, 4, 7))}"] = 1.0
    f["tie=" + (tie or "none")] = 1.0
    f[f"tie={tie or 'none'}&len={_bucket(n, (1, 2, 4, 7))}"] = 1.0
    if n == 0:
        return f
    naming = rules.naming_before(text, quote, lo)
    if naming:
        f["naming=" + naming] = 1.0
    # «بعنوان», «تحت عنوان», «شعار», «وسم»: a title follows, however much it reads like speech
    # (not «اسم»: «المتحدث باسم الشرطة “…”» is a spokesman speaking)
    if any(in_list(w, _TITLE_WORDS) for w, _, _ in words(text, max(lo, left_edge(quote) - 40), left_edge(quote))[-2:]):
        f[TITLE_BEFORE] = 1.0
    speech = rules.speech_like(content)
    if speech:
        f["speech_like"] = 1.0
    if rules.name_like(content):
        f["name_like"] = 1.0
    if in_list(content[0][0], word_lists()["name_heads"]):
        f["name_head"] = 1.0
    if rules.relative_naming(text, quote, lo):
        f["relative_naming"] = 1.0
    if rules.speaker_after(text, quote, hi):
        f["speaker_after"] = 1.0
    if rules.whole_clause_in_marks(text, quote, paragraph):
        f["whole_clause_after_an"] = 1.0
    if rules.narration_goes_on(text, quote, hi):
        f["narration_goes_on"] = 1.0
    if rules.person_head_before(text, quote, lo, hi):
        f["person_head_before"] = 1.0
    if rules.one_word_utterance(text, quote, tie, paragraph):
        f["one_word_utterance"] = 1.0
    glued = rules.glued_word(text, left_edge(quote), lo)
    if glued:
        f["glued=" + glued] = 1.0

    # inside the marks: what each word is, looked up once per word (see _inside_word)
    lists = word_lists()
    (function, named, first_person, digits, latin, defined, known, tanween, accusative,
     cues_inside) = map(sum, zip(*[_inside_word(w) for w, _, _ in content]))
    f["function_share"] = function / n
    f["name_share"] = named / n
    f["definite_share"] = defined / n
    # Words ANERcorp never has inside a person name are ordinary vocabulary; a span of words outside
    # it is a name, a brand or a transliteration («جالكسي أس6», «فيفث إلمنت»).
    f["common_share"] = known / n
    if known == 0:
        f["no_common_word"] = 1.0
    if tanween:
        f["tanween_fath"] = 1.0
    # an indefinite word in the accusative («تحقيقا شاملا», «خطأ تاريخيا»): the case a verb's
    # object or a description takes, which names and titles rarely end in
    if accusative:
        f["accusative_ending"] = 1.0
    if n <= 3:
        f[f"short&function={min(function, 1)}"] = 1.0
        f[f"short&names={named}"] = 1.0
    if first_person:
        f["first_second_person"] = 1.0
    if digits:
        f["digits"] = digits / n
    if latin:
        f["latin"] = latin / n
    inner = text[quote["start"]:quote["end"]]
    if any(c in inner for c in "؟?!"):
        f["inner_question_or_exclaim"] = 1.0
    if any(c in inner for c in ".:"):
        f["inner_stop"] = 1.0
    if any(c in inner for c in "،,"):
        f["inner_comma"] = 1.0
    if inner[-1:] in ".!?؟…":
        f["ends_with_stop"] = 1.0
    if cues_inside:
        f["cue_inside"] = 1.0
    f["first=" + _bare(content[0][0])] = 1.0
    # the shape of the first and last words: a preposition or a verb prefix opens worded speech
    # («بأدلة», «لأفعال», «تم»); names and terms are nouns
    first, last = fold_key(content[0][0]), fold_key(content[-1][0])
    f["first_prefix=" + first[:2]] = 1.0
    f["first_suffix=" + first[-2:]] = 1.0
    f["last_suffix=" + last[-2:]] = 1.0
    if n > 1:
        f["last=" + _bare(content[-1][0])] = 1.0
    left, right = left_edge(quote), right_edge(quote)

    # around the marks
    clause = article.clause_start(left, lo)
    before = words(text, max(clause, left - 200), left)[-_CUE_REACH:]
    after = words(text, right, min(hi, right + 200))[:_CUE_REACH]
    before_gap = text[before[-1][2]:left] if before else text[lo:left]
    after_gap = text[right:after[0][1]] if after else text[right:hi]
    f["punct_before=" + _punct(before_gap[::-1])] = 1.0
    f["punct_after=" + _punct(after_gap)] = 1.0
    if not before and WORD.search(text, lo, left) is None:
        f["starts_paragraph"] = 1.0
    if WORD.search(text, right, hi) is None:
        f["ends_paragraph"] = 1.0
    for k, (word, _, _) in enumerate(reversed(before[-_CONTEXT_WORDS:]), 1):
        f[f"w-{k}={_bare(word)}"] = 1.0
    for k, (word, _, _) in enumerate(after[:_CONTEXT_WORDS], 1):
        f[f"w+{k}={_bare(word)}"] = 1.0
    for distance, (word, _, _) in enumerate(reversed(before), 1):
        cue = cue_of(word)
        if cue is not None:
            f[f"cue_before={cue.kind}@{_bucket(distance, (1, 2, 4, 8))}"] = 1.0
            f["cue_before_lemma=" + cue.lemma] = 1.0
            if cue.weak:
                f["cue_before_weak"] = 1.0
            between = before[len(before) - distance + 1:]
            if (cue.kind == "verb" and distance <= 5 and not before_gap.strip()
                    and not any(fkey(w) in lists["function"] or fold_key(w)[:1] in ("ب", "ل") for w, _, _ in between)):
                # «وقال الطبيب منير ياسين “…”»: a speech verb, its subject, then the marks: the
                # span is what the verb says
                f["verb_subject_span"] = 1.0
            break
    for distance, (word, _, _) in enumerate(reversed(before), 1):
        cue = cue_of(word)
        if cue is not None and not cue.weak and cue.kind in ("verb", "participle"):
            # the speech verb itself, past a weaker verb nearer the mark («وقالت إنها تريد أن ترى “…”»)
            f["speech_verb_before@" + _bucket(distance, (2, 4, 8))] = 1.0
            break
    for distance, (word, _, _) in enumerate(after, 1):
        cue = cue_of(word)
        if cue is not None:
            f[f"cue_after={cue.kind}@{_bucket(distance, (1, 2, 4, 8))}"] = 1.0
            f["cue_after_lemma=" + cue.lemma] = 1.0
            break
    if before and fold_key(before[-1][0]) in lists["complementizers"] and not before_gap.strip():
        f["complementizer_before"] = 1.0
    voice = _first_person_rate(text, article)
    if voice >= 5:  # per thousand words of narration: a column in its author's voice
        f["article_first_person=" + _bucket(voice, (10,))] = 1.0
    if any(fkey(w) in _FIRST_PERSON for w, _, _ in before):
        f["first_person_before"] = 1.0
    cue_at = next((k for k in range(len(before) - 1, -1, -1) if cue_of(before[k][0]) is not None), None)
    if cue_at is not None:
        cue_word = fold_key(before[cue_at][0]).lstrip("وف")
        if cue_of(before[cue_at][0]).kind == "verb" and cue_word[:1] in ("ي", "ت", "ا", "ن"):
            f["cue_before_imperfect"] = 1.0
        if any(fkey(w) in _HYPOTHETICAL for w, _, _ in before[max(0, cue_at - 3):cue_at]):
            f["hypothetical_before_cue"] = 1.0
    if fold_key(content[0][0]).startswith(("ال", "وال", "بال", "لل")):
        f["first_definite"] = 1.0
    # «“…” و“…”»: an item of a coordinated list of marked spans (names, terms)
    if after_gap.strip() == "" and after and fold_key(after[0][0]) == "و" or _glued_and_mark(text, right, hi):
        f["list_next"] = 1.0
    if glued in ("و", "و ") or (before and fold_key(before[-1][0]) == "و" and not before_gap.strip()):
        f["list_prev"] = 1.0
    return f


@lru_cache(maxsize=1 << 16)
def _inside_word(word: str) -> tuple[bool, ...]:
    """What one word inside the marks counts towards, as features() sums them over the span:
    (function word, listed name, first or second person, digits, Latin, definite, common word,
    tanween fath, accusative ending, speech cue). News repeats its words: each is read once."""
    key = fold_key(word)
    norm = _normalized(word)
    common = _common_words()
    return (fkey(word) in word_lists()["function"],
            norm in _name_tokens() and norm not in common,
            fkey(word) in _FIRST_SECOND,
            any(c.isdigit() for c in word),
            word.isascii() and word.isalpha(),
            key.startswith(("ال", "وال", "بال", "لل")),
            _known(word, common),
            word.endswith(("اً", "ًا")),
            len(key) >= 4 and key.endswith("ا") and not key.startswith("ال"),
            cue_of(word) is not None)


def _first_person_rate(text: str, article: ArticleIndex) -> int:
    """First-person pronouns outside the candidates per thousand words of the article (one regex
    pass; words counted by the spaces between them)."""
    rate = getattr(article, "first_person_rate", None)
    if rate is None:
        first = sum(article.enclosing(match.start()) is None for match in _first_person_pattern().finditer(text))
        n_words = text.count(" ") + text.count("\n") + 1
        rate = article.first_person_rate = (1000 * first) // n_words
    return rate


@cache
def _first_person_pattern() -> re.Pattern:
    """The first-person words as written: any alef form where the folded key has ا."""
    forms = sorted(_FIRST_PERSON, key=lambda form: (-len(form), form))
    alternatives = "|".join("".join("[اأإآ]" if c == "ا" else re.escape(c) for c in form) for form in forms)
    return re.compile(r"(?<!\w)(?:" + alternatives + r")(?!\w)")


@lru_cache(maxsize=1 << 16)
def _known_key(key: str, common: frozenset[str]) -> bool:
    if key in common:
        return True
    for clitic in ("وال", "بال", "لل", "ال", "و", "ف", "ب", "ل"):
        if key.startswith(clitic) and len(key) - len(clitic) >= 2 and key[len(clitic):] in common:
            return True
    return False


def _known(word: str, common: frozenset[str]) -> bool:
    """The word, up to a proclitic, is in the list of common words."""
    return _known_key(_normalized(word), common)


def _glued_and_mark(text: str, right: int, hi: int) -> bool:
    """A و written against the next opening mark: «“…” و“…”»."""
    j = right
    while j < hi and text[j] == " ":
        j += 1
    return j + 1 < hi and text[j] == "و" and not text[j + 1].isalnum() and not text[j + 1].isspace()
