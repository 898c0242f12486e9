"""The hand rules of detect: how a candidate is tied to a speech cue, whether it reads like a name,
a title, a term or speech. Their verdicts are features of the learned decision (features.py);
`classify` chains them into the rule-based verdict, itself one feature.
"""

from __future__ import annotations


from builder.cues import cue_table, lookup as cue_lookup
from builder.detect.candidates import left_edge, right_edge
from builder.detect.context import ArticleIndex
from builder.detect.lexicon import COLONS, cue_of, fkey, in_list, is_cue, word_lists
from builder.marks import mark_table
from builder.text import WORD, fold_key, words


def without_parentheticals(text: str, clause: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """The clause's words but those of a phrase set off by two commas («وشدد X، في كلمة له خلال
    افتتاح الجلسة، على أن “…”»): a circumstance between subject and complementizer does not push
    the verb out of reach. The last phrase before the end is never dropped (nothing closes it)."""
    limit = word_lists()["parenthetical_max_words"]
    after_comma = [k + 1 for k in range(len(clause) - 1)
                   if "،" in text[clause[k][2]:clause[k + 1][1]] or "," in text[clause[k][2]:clause[k + 1][1]]]
    dropped: set[int] = set()
    for first, end in zip(after_comma, after_comma[1:]):
        if end - first <= limit:
            dropped.update(range(first, end))
    return [word for k, word in enumerate(clause) if k not in dropped]


def cue_tie(text: str, quote: dict, paragraph: tuple[int, int], article: ArticleIndex) -> str | None:
    """How a speech cue ties the span to a source, or None.

    colon: «قال: “…”»; standalone: the paragraph is only the quote (a quoted utterance on
    its own line); complementizer_inside: the words open with «إن/أن» («أكد …، "ان وفد
    الصندوق …"»), which only follows a verb of saying; cue_before: a speech verb or nominal
    cue a few words before the mark in the same sentence («اعتبر الاتفاق “…”», «حذر من تحويل
    الحادثة إلى “…”», «بالقول لهم عبر تويتر “…”»), or a participle right before it («قائلا
    “…”»); reported_clause: the mark sits in a clause opened by a complementizer after a cue
    («قالت لـCNN إنها تريد أن تنتظر “…”»), not cut off by a new clause «، و…»; cue_after: a
    cue right after the closing mark («“…”، قال الوزير», «“…”... هتافات ترددت»).
    """
    rules = word_lists()
    left = left_edge(quote)
    right = right_edge(quote)
    j = left - 1
    while j >= paragraph[0] and text[j].isspace():
        j -= 1
    if j >= paragraph[0] and text[j] in COLONS:
        return "colon"
    if WORD.search(text, paragraph[0], left) is None and WORD.search(text, right, paragraph[1]) is None:
        return "standalone"
    first = words(text, quote["start"], min(quote["end"], quote["start"] + 20))[:1]
    if first and first[0][1] == quote["start"] and fold_key(first[0][0]) in rules["complementizers"]:
        return "complementizer_inside"
    before = words(text, article.clause_start(left, paragraph[0]), left)
    for i in range(len(before) - 1, -1, -1):
        key = fold_key(before[i][0])
        if key in rules["complementizers"] and article.enclosing(before[i][1]) is None:
            # «إنّ» written with its hamza below only follows a verb of saying, however long the subject.
            reach = rules["reported_inna_window_words"] if before[i][0].lstrip("وف").startswith("إ") else rules["reported_cue_window_words"]
            if any(is_cue(w) for w, _, _ in without_parentheticals(text, before[:i])[-reach:]):
                return "reported_clause"
        elif key[:1] in ("و", "ف") and fkey(before[i][0])[1:] not in rules["function"] and i > 0 and text[before[i - 1][2]:before[i][1]].strip(" \"“”«»″") in ("،", ","):
            break  # «…، واستدعى …»: a new clause, no longer the reported one
    window = before[-rules["cue_window_words"]:]
    for k, (word, _, _) in enumerate(window):
        cue = cue_of(word)
        if cue is not None and (cue.kind in ("verb", "nominal") or len(window) - k <= 2):
            return "cue_before"
    after = words(text, right, min(paragraph[1], right + 60))[:3]
    if after and not text[right:after[0][1]].strip(" ،,.…"):
        for word, _, _ in after[:2]:
            if cue_of(word) is not None:
                return "cue_after"
    return None


def speech_like(content_words: list[tuple[str, int, int]]) -> bool:
    """Worded like speech: holds a particle, pronoun or preposition (a name or term does not)."""
    rules = word_lists()
    return any(fkey(w) in rules["function"] for w, _, _ in content_words)


def name_like(content_words: list[tuple[str, int, int]]) -> bool:
    """Few words and no particle, pronoun or preposition: could be a bare name."""
    rules = word_lists()
    if not content_words or len(content_words) > rules["name_like_max_words"]:
        return False
    return not any(fkey(w) in rules["function"] for w, _, _ in content_words)


# Verbs of the anonymity clause («عدم ذكر اسمه», «عدم الكشف عن هويته», «عدم نشر اسمه»).
_ANONYMITY_VERBS = frozenset(("ذكر", "نشر", "كشف", "الكشف", "عن", "عدم"))


def naming_before(text: str, quote: dict, lo: int) -> str | None:
    """'strong' / 'weak' when a naming word stands within two words before the mark."""
    rules = word_lists()
    left = left_edge(quote)
    three_before = words(text, max(lo, left - 80), left)[-3:]
    if len(three_before) == 3 and fkey(three_before[0][0]) in _ANONYMITY_VERBS:
        # «طالبا عدم ذكر اسمه “…”», «فضل عدم الكشف عن اسمه: “…”»: «اسمه» ends an anonymity
        # clause, it names nothing (checked before the colon: «اسم» is also a title word)
        return None
    previous = words(text, max(lo, left - 60), left)[-2:]
    if previous and any(c in COLONS for c in text[previous[-1][2]:left]):
        # «كتب على حسابه: “…”»: a colon introduces words, except after a title word («تحت عنوان: “…”»)
        return "strong" if in_list(previous[-1][0], rules["title_words"]) else None
    if any(in_list(w, rules["naming"]) for w, _, _ in previous):
        return "strong"
    if any(in_list(w, rules["weak_naming"]) for w, _, _ in previous):
        return "weak"
    return None


def glued_word(text: str, left: int, lo: int) -> str:
    """The letters written right against the opening mark («لـ“…”» -> «ل»), or ''."""
    start = left
    while start > lo and not text[start - 1].isspace() and text[start - 1] not in mark_table():
        start -= 1
    return text[start:left].replace("ـ", "")


def relative_naming(text: str, quote: dict, lo: int) -> bool:
    """«ما يعرف بـ“…”», «من وصفتهم بـ“…”»: a label given by a naming verb."""
    rules = word_lists()
    left = left_edge(quote)
    glued = glued_word(text, left, lo)
    previous = words(text, max(lo, left - 50), left)
    if glued in rules["glued_b"]:
        previous = previous[:-1] if previous and previous[-1][2] == left else previous
    elif previous and fold_key(previous[-1][0]) in rules["glued_b"]:
        previous = previous[:-1]
    else:
        return False
    return len(previous) >= 2 and fold_key(previous[-2][0]) in rules["relatives"]


def speaker_after(text: str, quote: dict, hi: int) -> bool:
    """The span is followed at once (no comma) by a colon, a speech verb or a complementizer."""
    rules = word_lists()
    right = right_edge(quote)
    j = right
    while j < hi and text[j] == " ":
        j += 1
    if j < hi and text[j] in COLONS:
        return True
    following = words(text, j, min(hi, j + 30))[:1]
    if not following or following[0][1] != j:
        return False
    word = following[0][0]
    if fold_key(word) in rules["speaker_followers"]:
        return True
    cue = cue_lookup(word)
    key = fold_key(word)
    if cue is None or (key not in cue_table() and key[0] in "وف"):
        return False  # «“…” وقال»: a new clause, not the span's own verb
    return cue.kind in ("verb", "participle") and not cue.weak


def whole_clause_in_marks(text: str, quote: dict, paragraph: tuple[int, int]) -> bool:
    """«أن “…”.»: the complementizer stands right before the opening mark and the sentence ends at
    the closing one, so the marks hold the clause «أن» opens; a name in marks has the clause run
    on after it («إن “عملية الفجر” مستمرة»)."""
    if quote["open_pos"] is None or quote["close_pos"] is None:
        return False
    before = words(text, max(paragraph[0], quote["open_pos"] - 30), quote["open_pos"])[-1:]
    if not before or text[before[0][2]:quote["open_pos"]].strip() or fold_key(before[0][0]) not in word_lists()["complementizers"]:
        return False
    after = text[quote["close_pos"] + 1:paragraph[1]].lstrip(" ")
    return after == "" or after[0] in ".!?؟…"


def narration_goes_on(text: str, quote: dict, hi: int) -> bool:
    """A word follows the closing mark with no punctuation: «منها: “لوك أويل” الروسية و…».

    Speech introduced by a colon ends its clause; a name-like item after a colon that the
    sentence runs on after is an entry of a list of names.
    """
    if quote["close_pos"] is None:
        return False
    j = quote["close_pos"] + 1
    while j < hi and text[j] == " ":
        j += 1
    return j < hi and text[j].isalnum() and j > quote["close_pos"] + 1


def person_head_before(text: str, quote: dict, lo: int, hi: int) -> bool:
    """A title, role or kinship noun a few words before, and the narration going on after.

    «الرئيسة الليتوانية “…” إنها», «المغني “…” عن», «بطفله الرضيع “…”، الذي»: the span is a
    person's name in apposition. When a speech verb stands right before the title («قال
    الرئيس “…”»), the span may be the words said: then only a word running on with no comma
    («كشف المغني “…” عن») makes it a name.
    """
    rules = word_lists()
    left, right = left_edge(quote), right_edge(quote)
    j = right
    while j < hi and text[j] == " ":
        j += 1
    if j >= hi or not (text[j].isalnum() or text[j] in "،,"):
        return False
    previous = words(text, max(lo, left - 100), left)[-5:]
    if previous and text[previous[-1][2]:left].strip() not in ("", "ـ"):
        return False  # punctuation between the last word and the mark
    for h in range(len(previous) - 1, max(-1, len(previous) - 5), -1):
        word = previous[h][0]
        if in_list(word, rules["person_heads"]):
            spoken = h > 0 and cue_of(previous[h - 1][0]) is not None
            return text[j].isalnum() or not spoken
        key = fold_key(word)
        if key in rules["complementizers"] or cue_lookup(word) is not None or fkey(word) in rules["function"] and key not in ("في", "لدي"):
            return False
    return False


_UNKNOWN = object()


def classify(text: str, quote: dict, paragraph: tuple[int, int], article: ArticleIndex, tie=_UNKNOWN) -> str | None:
    """None when the candidate is a quote, else the reason it is not (rules in detect_rules.json).

    Only the first few words are read: every rule below tells short spans apart, so a long
    paired quote is settled without looking at the narration around it.
    """
    rules = word_lists()
    limit = max(rules["name_max_words"], rules["min_words_without_cue"]) + 1
    content_words = words(text, quote["start"], quote["end"])[:limit]  # a slice of the article's words
    n_words = len(content_words)  # capped at limit
    if n_words == 0:
        return "empty"
    if is_crosshead(text, quote, paragraph, article):
        return "crosshead"
    rule = quote["candidate"]
    if n_words == limit and rule != "unclosed":
        return None  # long enough to be speech whether or not a cue is near; no name is this long
    if tie is _UNKNOWN:  # the features pass the tie they computed
        tie = cue_tie(text, quote, paragraph, article)
    if rule == "unclosed" and tie is None:
        return "unclosed_without_cue"
    if rule == "unopened" and n_words < rules["min_words_unopened"]:
        return "stray_closing_mark"
    left = left_edge(quote)
    if tie == "reported_clause" and n_words >= rules["min_words_with_cue"] and whole_clause_in_marks(text, quote, paragraph):
        return None  # «وأعلن الجيش أن “العملية حققت أهدافها”.»: a complementizer's clause, no name
    if n_words <= rules["name_max_words"]:
        naming = naming_before(text, quote, paragraph[0])
        if (naming == "strong" and tie != "complementizer_inside") or (naming == "weak" and tie in (None, "cue_before", "cue_after") and not speech_like(content_words)):
            return "named_thing"
        if in_list(content_words[0][0], rules["name_heads"]) and not speech_like(content_words):
            return "named_thing"
        if relative_naming(text, quote, paragraph[0]):
            return "label"
    if n_words <= rules["name_like_max_words"] and name_like(content_words):
        if glued_word(text, left, paragraph[0]) in rules["addressee"]:
            return "addressee_name"
        if tie != "colon" and speaker_after(text, quote, paragraph[1]):
            return "speaker_name"
        if tie == "colon" and narration_goes_on(text, quote, paragraph[1]):
            return "list_item"
        if tie != "colon" and person_head_before(text, quote, paragraph[0], paragraph[1]):
            return "person_name"
    if n_words < rules["min_words_with_cue"]:
        return None if one_word_utterance(text, quote, tie, paragraph) else "single_word"
    if n_words < rules["min_words_without_cue"] and tie is None:
        if not (n_words >= rules["min_words_speech_like"] and speech_like(content_words)):
            return "term_without_cue"
    return None


def one_word_utterance(text: str, quote: dict, tie: str | None, paragraph: tuple[int, int]) -> bool:
    """A one-word whole utterance («بالقول لهم عبر تويتر “شكرا”.»): tied, ends its sentence,
    and not a definite noun or a word glued to a preposition (those are terms: «بـ“المجحف”»)."""
    if tie is None or quote["close_pos"] is None or quote["open_pos"] is None:
        return False
    word = text[quote["start"]:quote["end"]]
    if fold_key(word).startswith("ال") or glued_word(text, quote["open_pos"], paragraph[0]):
        return False
    j = quote["close_pos"] + 1
    while j < paragraph[1] and text[j] == " ":
        j += 1
    return j >= paragraph[1] or text[j] in ".!?؟"


def is_crosshead(text: str, quote: dict, paragraph: tuple[int, int], article: ArticleIndex) -> bool:
    """A paragraph that is only a quote repeating words quoted elsewhere in the article."""
    if WORD.search(text, paragraph[0], quote["start"]) or WORD.search(text, quote["end"], paragraph[1]):
        return False
    return article.repeated_elsewhere(quote)

