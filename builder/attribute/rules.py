"""The hand rules of attribution: speech events, their sources, and each quote's rule choice.

The learned attribution (builder.attribute) reads candidates and features from `analyse`;
`attribute` here gives the rows of the rules alone.

How it works, in the order of Arabic news writing:
1. Every speech cue outside the quotes (قال، أضافت، مشيرا، بحسب، قوله ...) is a speech event.
   Its subject is read after the cue (verb first: «وقال X لـY»), else before it (subject
   first: «X، قالت»), else it has none and the source goes on from the previous statement
   (carryover: «وأضاف:», «مشيرا»). Events without a quote count too: «وقال X إن ...» sets
   who «وأضاف: “...”» refers to.
2. A quote takes the nearest event before it in its sentence, else the one right after it
   («“...”، قال X»), else the previous statement's speaker with a low confidence.
3. A person is named canonically by the fullest form of the name in the article, titles
   stripped into speaker_role; «المصدر» refers back to the last unnamed source, «البيان»
   to the body that issued it, «سموه» to the last person named.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from itertools import accumulate
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache

from builder.cues import Cue, lookup as cue_lookup
from builder.people import is_name_not_particle, is_title, merge_spans, name_after_title, title_anchored_spans
from builder.resources import folded_set, load
from builder.text import ARABIC_DIACRITICS, common_key, fold_key, fold_phrase, index_words, is_definite, words

STAGE = "attribute"
ROW_FIELDS = (
    "article_id", "quote_id", "quote", "quote_start", "quote_end", "mark_style",
    "speaker", "speaker_type", "speaker_gender", "speaker_mention", "speaker_start", "speaker_end",
    "speaker_role", "cue", "cue_start", "cue_end", "addressee", "addressee_start", "addressee_end",
    "paragraph_index", "sentence_index", "attribution_rule", "confidence",
)
GENDERS = {"m": "male", "f": "female"}
ARABIC_TANWEEN = re.compile("[\u064b-\u064d]")
# Punctuation between two words that ends a speaker phrase.
_WORD_RUN = re.compile(r"\w+")
_PHRASE_BREAK = re.compile(r"[،,:؛;.!?؟()\[\]«»“”\"„″‘’\n\-–—/]")
# Words that may stand between a cue and its subject without being part of it.
_SKIP_AFTER_CUE = frozenset(fold_key(w) for w in ("أيضا", "ايضا", "كذلك", "بدوره", "بدورها", "مجددا", "سابقا", "سابقًا",
                                                  # «ورد عليه X»: the pronoun object comes before the subject
                                                  "عليه", "عليها", "عليهم", "له", "لها", "لهم"))
# Prepositions that may continue an unnamed source's phrase («مسؤول في الخارجية»).
_PERCENT = re.compile(r"ال?م[ئا]ئ?ة")
_ANONYMOUS_LINKS = frozenset(fold_key(w) for w in ("في", "من", "لدى", "عن", "على"))
_MAX_SUBJECT_WORDS = 9
# A title chain can be long before the name comes («نائب المبعوث الرئاسي الخاص للتحالف الدولي
# لمواجهة تنظيم داعش بريت مكجيرك»).
_MAX_TITLED_WORDS = 16
_MAX_ANONYMOUS_WORDS = 9
_ARABIC_LETTER = re.compile("[\u0621-\u064a]")
_MARKS_IN_NAME = re.compile("[«»“”\"„″‘’()،,:]")
# Words a recogniser sometimes glues to the front of a name: «وكان مارك زوكربيرغ».
_CLAUSE_OPENERS = frozenset(fold_key(w) for w in ("وكان", "كان", "وكانت", "كانت", "لكن", "ولكن", "أما", "وأما", "بينما", "فيما", "وقد", "قد"))
_NEGATIONS = frozenset(fold_key(w) for w in ("لا", "لم", "لن", "لكن", "لكنه", "لكنها", "لذلك", "لقد", "لعل", "لماذا", "لأن", "لان", "لدى", "لها", "له", "لهم"))


@dataclass
class Speaker:
    """A resolved source: the canonical name and where it was named."""

    name: str | None
    kind: str  # person, anonymous, organization, document, group, unknown
    mention: tuple[int, int] | None = None
    role: tuple[int, int] | None = None
    gender: str = "unknown"


@dataclass
class Event:
    """A speech cue and what it says about the source."""

    cue: Cue
    start: int
    end: int
    sentence: int
    speaker: Speaker | None = None
    addressee: tuple[int, int] | None = None
    rule: str = ""
    confidence: float = 0.0


@cache
def _lex() -> dict[str, frozenset[str]]:
    speakers = load("speakers")
    titles_m = frozenset(fold_key(w) for w in speakers["titles"]["m"])
    titles_f = frozenset(fold_key(w) for w in speakers["titles"]["f"])
    return {
        "titles": titles_m | titles_f,
        "titles_f": titles_f,
        "relations": frozenset(fold_key(w) for w in speakers["relations"]["m"] + speakers["relations"]["f"]),
        "relations_f": frozenset(fold_key(w) for w in speakers["relations"]["f"]),
        "role_words": folded_set("speakers", "role_words"),
        "honorifics": folded_set("speakers", "honorifics"),
        "anonymous": folded_set("speakers", "anonymous_heads"),
        "documents": folded_set("speakers", "document_nouns"),
        "organizations": folded_set("speakers", "organization_heads"),
        "groups": folded_set("speakers", "group_heads"),
        "addressees": folded_set("speakers", "addressee_prepositions"),
        "stops": folded_set("speakers", "speaker_stops"),
        "media": folded_set("speakers", "media"),
    }


@cache
def _known_name_tokens() -> frozenset[str]:
    """Arabic given and family names from the name recogniser's list, as folded keys."""
    from builder.names import load_name_tokens

    return frozenset(fold_key(t) for t in load_name_tokens())


@cache
def _rule_table() -> dict[str, tuple[str, float]]:
    """Short rule name -> (versioned name, confidence), from resources/rules.json."""
    table = {}
    for name, spec in load("rules")["rules"].items():
        table[name.split("/")[0]] = (name, float(spec["confidence"]))
    return table


def rule(short_name: str) -> tuple[str, float]:
    """(versioned rule name, confidence) for a rule; an unknown name is a programmer error."""
    try:
        return _rule_table()[short_name]
    except KeyError:
        raise KeyError(f"no attribution rule {short_name!r}; rules are {sorted(_rule_table())}") from None


@cache
def _common_words() -> frozenset[str]:
    """Words the name recogniser's training news never had inside a person name."""
    from builder.names import load_common_words

    return load_common_words()


@lru_cache(maxsize=262_144)  # asked of every word of every candidate phrase
def _common_not_name(word: str) -> bool:
    """A word the training news never had inside a person name, and no name the list knows."""
    return common_key(word) in _common_words() and fold_key(word) not in _known_name_tokens()


def _bare(key: str) -> str:
    """Key without a leading conjunction and definite article: «والمصدر» -> «مصدر»."""
    if len(key) > 3 and key[0] in "وف":
        key = key[1:]
    if len(key) > 3 and key.startswith("ال"):
        key = key[2:]
    return key


def _in(key: str, lexicon: frozenset[str]) -> bool:
    """Lexicon membership allowing a leading و/ف clitic."""
    return key in lexicon or (len(key) > 3 and key[0] in "وف" and key[1:] in lexicon)


@lru_cache(maxsize=65_536)  # called for the head word of every phrase examined
def _kind_of_head(key: str) -> str | None:
    """anonymous / document / organization / group when the word heads such a phrase."""
    lex = _lex()
    if key.isdigit():
        return "group"  # «وقال 18 في المئة ممن شملتهم الدراسة»: a share of people
    if len(key) > 4 and key.endswith("ا") and not key.endswith("يا"):
        key = key[:-1]  # accusative «مصدرا» is still «مصدر»
    for kind, name in (("anonymous", "anonymous"), ("document", "documents"), ("organization", "organizations"), ("group", "groups")):
        lexicon = lex[name]
        if _in(key, lexicon) or _bare(key) in lexicon or ("ال" + _bare(key)) in lexicon:
            return kind
    return None


def _name_closes_definite_role(text: str, phrase, person: tuple[int, int], indefinite_head: bool) -> bool:
    """«القيادي في حركة حماس أسامة حمدان»: a definite role and its complement, then a full name
    ending the phrase, is that person in apposition (an indefinite «مسؤول في شركة ...» is not)."""
    return not indefinite_head and person[1] >= phrase[-1][2] and len(words(text, *person)) >= 2


def _kind_of_two_word_head(phrase) -> str | None:
    """«البيت الأبيض», «الأمم المتحدة»: a head the lexicon lists in two words."""
    if len(phrase) < 2:
        return None
    return _kind_of_head(fold_key(phrase[0][0]) + " " + fold_key(phrase[1][0]))


@lru_cache(maxsize=65_536)
def _is_title(key: str) -> bool:
    titles = _lex()["titles"]
    return _in(key, titles) or ("ال" + _bare(key)) in titles


def _is_addressee_word(key: str) -> bool:
    """«لنظيره», «للصحفيين», «لرويترز», «لـCNN»: a hearer introduced by the preposition ل."""
    if _in(key, _lex()["addressees"]):
        return True
    return key.startswith("ل") and len(key) > 2 and key not in _NEGATIONS and fold_key(key) not in _lex()["stops"]


def _is_sure_addressee(word: str) -> bool:
    """A ل-word that cannot be a name starting with ل («لورا», «لويد»): ل + article («للصحفيين»),
    ل with tatweel («لـCNN»), a pronoun suffix («لنظيره»), or a medium («لرويترز», «لوكالة»)."""
    key = fold_key(word)
    if _in(key, _lex()["addressees"]):
        return True
    if not key.startswith("ل") or len(key) <= 2 or key in _NEGATIONS:
        return False
    rest = key[1:]
    return (word.startswith(("لل", "لـ")) or key.endswith(("ه", "ها", "هم", "هما", "كم")) or rest in _lex()["media"]
            or ("ال" + rest) in _lex()["media"])


def _family_names(text: str, persons) -> set[str]:
    """Folded last words of the names of two words or more: the family names."""
    family = set()
    for start, end in persons:
        name_words = words(text, start, end)
        if len(name_words) >= 2 and not is_definite(name_words[-1][0]) and len(fold_key(name_words[-1][0])) >= 3:
            family.add(fold_key(name_words[-1][0]))
    return family


def _merge_family_mentions(text: str, persons: set[tuple[int, int]],
                           all_words: list[tuple[str, int, int]] | None = None) -> list[tuple[int, int]]:
    """Add every later use of a known person's family name as a mention of them: news names
    «كاني ويست» once, then writes «ويست»; the recogniser misses many of those short uses.
    all_words: the words of the whole text, when the caller already has them."""
    family = _family_names(text, persons)
    if not family:
        return sorted(persons)
    # A span that starts with a family name is that person's short mention running into the
    # narration («كوربين شكك»): a family name is the end of a name, not its start.
    trimmed = set()
    for start, end in persons:
        name_words = words(text, start, end)
        if len(name_words) >= 2 and fold_key(name_words[0][0]) in family and fold_key(name_words[1][0]) not in _known_name_tokens():
            end = name_words[0][2]
        trimmed.add((start, end))
    persons = trimmed
    family = _family_names(text, persons)
    covered = sorted(persons)
    starts = [s for s, _e in covered]
    added = set(persons)
    # The family names, and behind a و/ف clitic: one set look-up per word of the text (a family
    # name has three letters or more, so a clitic form has the four the clitic test asks for).
    forms = family | {clitic + name for name in family for clitic in "وف"}
    for word, start, end in words(text) if all_words is None else all_words:
        key = fold_key(word)
        if key not in forms:
            continue
        index = bisect_left(starts, start + 1) - 1
        if index >= 0 and covered[index][0] <= start < covered[index][1]:
            continue  # already inside a name
        if key not in family:
            start += 1  # «وويست» -> «ويست»
        added.add((start, end))
    return merge_spans(sorted(added))


_INITIAL = re.compile(r"\w{1,3}(?=\.)")


def _word_start(text: str, end: int) -> int:
    start = end
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    return start


class ArticleContext:
    """Per-article lookups: words outside quotes, person spans, sentences."""

    def __init__(self, text: str, segments: dict, quotes: list[dict], person_spans: list[tuple[int, int]],
                 name_marks: frozenset[int] = frozenset(), all_words: list[tuple[str, int, int]] | None = None):
        self.text = text
        # Marks around names («الحذيفي», "وايمو") do not end a speaker phrase.
        self.name_marks = name_marks
        self.sentences = segments["sentences"]
        self.quote_extents = [
            (q["open_pos"] if q["open_pos"] is not None else q["start"],
             q["close_pos"] + 1 if q["close_pos"] is not None else q["end"]) for q in quotes
        ]
        self.quote_opens = [a for a, _b in self.quote_extents]
        self._max_end_upto = list(accumulate((b for _a, b in self.quote_extents), max))
        trimmed = {span for span in (self._trim_titles(s, e) for s, e in person_spans) if span is not None}
        self.persons = sorted(_merge_family_mentions(text, trimmed, all_words))
        self.person_starts = [s for s, _e in self.persons]
        self.person_start_set = frozenset(self.person_starts)
        self.words = self._words_outside_quotes()
        self.word_index = {w[1]: i for i, w in enumerate(self.words)}
        self.word_starts = [w[1] for w in self.words]
        self.sentence_starts = [s for s, _e, _p in self.sentences]

    def _words_outside_quotes(self) -> list[tuple[str, int, int]]:
        """Words of the narration: every gap between quotes, in one pass over the text."""
        found = []
        position = 0
        for start, end in sorted(self.quote_extents):
            if start > position:
                found.extend(words(self.text, position, start))
            position = max(position, end)
        found.extend(words(self.text, position))
        return found

    def quote_open_after(self, pos: int) -> int | None:
        """Where the first quote opening at or after pos starts."""
        index = bisect_left(self.quote_opens, pos)
        return self.quote_opens[index] if index < len(self.quote_opens) else None

    def last_quote_end_before(self, pos: int) -> int:
        """The furthest end of a quote that ends at or before pos (0 if none)."""
        index = bisect_left(self.quote_opens, pos)
        if index and self._max_end_upto[index - 1] <= pos:
            return self._max_end_upto[index - 1]
        return max((b for _a, b in self.quote_extents[:index] if b <= pos), default=0)

    def _trim_titles(self, start: int, end: int) -> tuple[int, int] | None:
        """A person span without leading titles («الرئيس جو بايدن» -> «جو بايدن») and
        without a hearer the recogniser glued on («بويتشنكو لرويترز» -> «بويتشنكو»)."""
        all_words = _largest_piece(self.text, words(self.text, start, end))
        span_words = _drop_title_chain(all_words)
        if all_words and _is_title(fold_key(all_words[0][0])) and span_words == all_words[-1:] and is_definite(span_words[0][0]):
            return None  # «الإعلامي السعودي»: a title and its adjective, no name
        while span_words and fold_key(span_words[0][0]) in _CLAUSE_OPENERS:
            span_words = span_words[1:]
        for i, (word, word_start, _e) in enumerate(span_words):
            if i and not _can_continue_name(span_words, i):
                span_words = span_words[:i]
                break
        if len(span_words) > 3 and not any(fold_key(w) in _NAME_LINKS for w, _s, _e in span_words):
            span_words = span_words[:3]  # four-word spans are the recogniser running on («جاستن ترودو تذرّع ترامب»)
        if not span_words:
            return None
        return span_words[0][1], span_words[-1][2]

    def sentence_of(self, pos: int) -> int:
        lo, hi = 0, len(self.sentence_starts) - 1
        best = 0
        while lo <= hi:
            mid = (lo + hi) // 2
            if self.sentence_starts[mid] <= pos:
                best, lo = mid, mid + 1
            else:
                hi = mid - 1
        return best

    def person_at(self, start: int, end: int) -> tuple[int, int] | None:
        """The first person span overlapping text[start:end]."""
        index = bisect_left(self.person_starts, start)
        # Spans do not overlap each other, so only the one before `start` can reach into it.
        for span in self.persons[max(0, index - 1):index + 3]:
            if span[0] < end and start < span[1]:
                return span
        return None

    def words_between(self, start: int, end: int) -> list[tuple[str, int, int]]:
        """Words (outside quotes) starting in [start, end)."""
        return self.words[bisect_left(self.word_starts, start):bisect_left(self.word_starts, end)]

    def name_starts_at(self, pos: int) -> bool:
        """A person span starts at this word («لويد اوستن»), not after a clitic ل («لنظيره»)."""
        return pos in self.person_start_set

    def gap_breaks(self, left_end: int, right_start: int) -> bool:
        """Punctuation or a quote mark between two words ends a phrase (marks around a name do
        not, nor the dot between initials: «تي.آي.»)."""
        if self.text[left_end:right_start] == "." and _INITIAL.fullmatch(self.text, _word_start(self.text, left_end), left_end) \
                and _INITIAL.match(self.text, right_start):
            return False
        return any(_PHRASE_BREAK.match(self.text, i) and i not in self.name_marks for i in range(left_end, right_start))


def _phrase_after(ctx: ArticleContext, index: int, limit: int, governed_by_l: bool = False) -> list[tuple[str, int, int]]:
    """Words from ctx.words[index] that can form a speaker phrase, up to punctuation or a stop word.
    With governed_by_l the first word's ل is the preposition the cue takes («وفقا لـ»): that word
    is the source, not a hearer.

    A title phrase runs on through its genitives, even with ل («الأمين العام لحلف الأطلسي»);
    once a name has started, a ل-word is the hearer («اوستن لنظيره»). An unnamed source
    keeps one prepositional complement («مسؤول في الخارجية الأميركية»).
    """
    lex = _lex()
    phrase: list[tuple[str, int, int]] = []
    previous_end = None
    anonymous = False
    links_used = 0
    only_titles = True
    for word, start, end in ctx.words[index:index + 16]:
        if start >= limit:
            break
        if previous_end is not None and ctx.gap_breaks(previous_end, start):
            break
        key = fold_key(word)
        head_kind = _kind_of_head(key)
        if not phrase:
            if key in _SKIP_AFTER_CUE:
                previous_end = end
                continue
            if head_kind is None and not _is_title(key):
                if key in lex["stops"] or cue_lookup(word) is not None:
                    break
                if _is_sure_addressee(word) and not ctx.name_starts_at(start) and not governed_by_l:
                    break  # «وقال لرويترز»; but «وقال لورا ...» names the speaker
            anonymous = head_kind == "anonymous" or key.isdigit()
            following = ctx.words[ctx.word_index[start] + 1] if ctx.word_index[start] + 1 < len(ctx.words) else None
            if anonymous and _is_title(key) and following is not None and is_definite(following[0]):
                # «نائب المبعوث الرئاسي ...»: a title word with its genitive opens a role, not an
                # unnamed source («مسؤول في الخارجية»).
                anonymous = False
        else:
            if cue_lookup(word) is not None or _in(key, lex["documents"]):
                break  # «قادة الاتحاد الأوروبي بيانا»: the statement is not part of its issuer's name
            if _source_phrase(phrase) and is_definite(phrase[-1][0]) and not is_definite(word) and not _is_addressee_word(key) and key not in _ANONYMOUS_LINKS:
                break  # «تقرير للمراقب العام للحسابات مخاوف»: after a definite noun, a bare noun is not its genitive
            if anonymous and key in _ANONYMOUS_LINKS:
                # «40 في المئة من المشاركين»: «في المئة» belongs to the number, not a link.
                links_used += 0 if _PERCENT.match(ctx.text, end + 1) else 1
                if links_used > 1:
                    break
            elif key in lex["stops"] or word.startswith(("فإن", "بأن")):
                break  # «وفقا للشرطة فإن “…”»: the complementizer with its clitic opens the clause
            elif _is_addressee_word(key) and not only_titles and (anonymous or not ctx.name_starts_at(start)):
                break  # «اوستن لنظيره العباسي»: a name after ل is the hearer
        if (head_kind == "anonymous" and anonymous) or not (_is_title(key) or key in lex["role_words"] or head_kind or is_definite(word)):
            only_titles = False  # a name (or an unnamed source) has started: a ل-word now is the hearer
        phrase.append((word, start, end))
        previous_end = end
        titled = not anonymous and _is_title(fold_key(phrase[0][0]))
        limit_words = _MAX_ANONYMOUS_WORDS if anonymous else (_MAX_TITLED_WORDS if titled else _MAX_SUBJECT_WORDS)
        if len(phrase) >= limit_words:
            break
    phrase = _cut_at_anonymity_marker(phrase)
    while phrase and (fold_key(phrase[-1][0]) in _ANONYMOUS_LINKS or fold_key(phrase[-1][0]) in lex["stops"]):
        phrase = phrase[:-1]  # «المسؤول السعودي في» -> «المسؤول السعودي»
    return phrase


def _source_phrase(phrase) -> bool:
    """The phrase names a body, a document or an unnamed source, not a titled person."""
    first = fold_key(phrase[0][0])
    return _kind_of_head(first) is not None and not _is_title(first)


@cache
def _anonymity_openers() -> frozenset[str]:
    """First words of the anonymity phrases in speakers.json («طالبا», «مفضلا», «شريطة» ...)."""
    return frozenset(fold_key(marker.split()[0]) for marker in load("speakers")["anonymous_heads"]["markers"])


def _cut_at_anonymity_marker(phrase):
    """«مسؤول، طالبا عدم ذكر اسمه» keeps only «مسؤول»."""
    for i, (word, _s, _e) in enumerate(phrase):
        if fold_key(word) in _anonymity_openers():
            return phrase[:i]
    return phrase


def _addressee_after(ctx: ArticleContext, phrase_end_index: int, limit: int) -> tuple[int, int] | None:
    """A hearer right after the speaker phrase: «لنظيره العباسي», «للصحفيين»."""
    if phrase_end_index >= len(ctx.words):
        return None
    word, start, end = ctx.words[phrase_end_index]
    if start >= limit or not _is_addressee_word(fold_key(word)) or fold_key(word) in {fold_key("إلى"), fold_key("الى")}:
        return None
    span_end = end
    for next_word, next_start, next_end in ctx.words[phrase_end_index + 1:phrase_end_index + 4]:
        if next_start >= limit or ctx.gap_breaks(span_end, next_start):
            break
        key = fold_key(next_word)
        if key in _lex()["stops"] or cue_lookup(next_word) is not None:
            break
        span_end = next_end
    return start, span_end


# Words looked for with str.find before the article's word index is built: a find scans the text
# in C, far faster than building the index in Python, but once per word.
_WORD_SEARCHES = 8


def _is_word_char(char: str) -> bool:
    """What the regex \\w matches in a str: a letter, a digit or an underscore."""
    return char.isalnum() or char == "_"


def _find_whole_word(text: str, word: str) -> list[int]:
    """The starts of the runs of word characters (\\w+) of text that are word, in order."""
    found = []
    find = text.find
    size = len(word)
    index = find(word)
    while index != -1:
        end = index + size
        if (index == 0 or not _is_word_char(text[index - 1])) and (end == len(text) or not _is_word_char(text[end])):
            found.append(index)
        index = find(word, index + 1)
    return found


class Resolver:
    """Turns speaker phrases into canonical Speakers, remembering what the article said before."""

    def __init__(self, ctx: ArticleContext):
        self.ctx = ctx
        self.text = ctx.text
        self._given_cache: dict[str, str | None] = {}
        self._word_starts: dict[str, list[int]] | None = None  # word -> its starts (_whole_word_starts)
        self._word_searches = 0  # words _whole_word_starts looked for before it built _word_starts
        self._role_neighbours: dict[str, list[tuple[int, tuple[int, int]]]] = {}
        self._name_spellings: set[tuple[str, ...]] = set()
        self._name_spans: dict[str, tuple[int, int]] = {}  # canonical name -> where it is written in full
        self._full_names: list[tuple[int, int]] = []  # one span per spelling of a name of 2+ words
        # Folded words of every known full name, indexed by first and by last word.
        self._names_by_edge: dict[str, list[tuple[tuple[int, int], list[str]]]] = {}
        self._spelling_counts: dict[tuple[str, ...], int] = {}
        self._canonical_cache: dict[str, list] = {}  # mention as written -> its scored fuller forms
        for span in ctx.persons:
            self.add_name(span)
        self.history: list[Speaker] = []

    def add_name(self, span: tuple[int, int]) -> None:
        """Remember a person name found in the article, for canonical lookups."""
        keys = [_bare(fold_key(w)) for w, _s, _e in words(self.text, *span)]
        if not keys or len(keys) > 5:
            return
        # Only names of two words or more can expand a mention, and one span per spelling is
        # enough: this keeps lookups short when a name is repeated hundreds of times.
        if len(keys) >= 2:
            self._spelling_counts[tuple(keys)] = self._spelling_counts.get(tuple(keys), 0) + 1
        if len(keys) < 2 or tuple(keys) in self._name_spellings:
            return
        self._name_spellings.add(tuple(keys))
        self._full_names.append(span)
        for edge in {keys[0], keys[-1]}:
            self._names_by_edge.setdefault(edge, []).append((span, keys))

    # -- canonical names ---------------------------------------------------------------
    def canonical(self, span: tuple[int, int]) -> str:
        """The fullest form of this person mention in the article that is the same person, as the
        canonical-name model judges (builder.attribute.canonical), else the mention as written."""
        from builder.attribute import canonical as canonical_model

        written = self.text[span[0]:span[1]]
        scored = self._canonical_cache.get(written)
        if scored is None:
            scored = self._canonical_cache[written] = canonical_model.scored_forms(self, span)
        name, where = canonical_model.choose(scored, span)
        if name is None:
            return _clean_name(written)
        name = _clean_name(name)
        if where is not None:
            self._name_spans.setdefault(name, where)
        return name

    def mention_keys(self, span: tuple[int, int]) -> list[str]:
        return [_bare(fold_key(w)) for w, _s, _e in words(self.text, *span)]

    def fuller_forms(self, mention: list[str]) -> list[tuple[tuple[int, int], list[str]]]:
        """Every spelling of a name of the article longer than the mention that ends with its
        words («دونالد ترامب» for «ترامب») or starts with them («صدقة فاضل» for «صدقة»), not one
        that only contains them («دونالد ترامب جي أر» is another person), in text order."""
        if not mention:
            return []
        found = self._names_by_edge.get(mention[0], []) + self._names_by_edge.get(mention[-1], [])
        n = len(mention)
        forms, seen = [], set()
        for span, keys in sorted(found, key=lambda item: item[0]):
            if len(keys) > n and span not in seen and (keys[-n:] == mention or keys[:n] == mention):
                seen.add(span)
                forms.append((span, keys))
        return forms

    def spelling_count(self, keys: list[str]) -> int:
        """How many times the article writes this spelling of a name."""
        return self._spelling_counts.get(tuple(keys), 0)

    def given_name_before(self, family: str) -> str | None:
        return self._given_name_before(family)

    def role_of(self, name: str) -> tuple[int, int] | None:
        """The title written before the full name («وزير الدفاع الأميركي، لويد اوستن»), if any."""
        span = self._name_spans.get(name)
        if span is None:
            return None
        before = words(self.text, max(0, span[0] - 120), span[0])
        role: list[tuple[str, int, int]] = []
        for word in reversed(before[-12:]):
            key = fold_key(word[0])
            gap = self.text[word[2]:(role[0][1] if role else span[0])]
            if _PHRASE_BREAK.search(gap) and not (not role and gap.strip() in ("،", ",")):
                break
            if not (_is_title(key) or is_definite(word[0]) or key in _lex()["role_words"] or _is_addressee_word(key)):
                break
            role.insert(0, word)
        while role and not _is_title(fold_key(role[0][0])):
            role = role[1:]
        if not role:
            return None
        first_word, start = role[0][0], role[0][1]
        if first_word[0] in "وف" and fold_key(first_word[1:]) in _lex()["titles"]:
            start += 1  # «ووزير الدفاع العراقي»: the conjunction is not part of the role
        return start, role[-1][2]

    def _given_name_before(self, family: str) -> str | None:
        """«هاوزنر» -> «تسفي هاوزنر»: a family name written once with its given name, right after a
        title or a definite word («رئيس لجنة الخارجية تسفي هاوزنر»)."""
        if family in self._given_cache:
            return self._given_cache[family]
        found = None
        for match_start in self._whole_word_starts(family):
            match_end = match_start + len(family)
            before = words(self.text, max(0, match_start - 40), match_start)
            if len(before) < 2 or _PHRASE_BREAK.search(self.text, before[-1][2], match_start):
                continue
            given, opener = before[-1], before[-2]
            key = fold_key(given[0])
            if (is_definite(given[0]) or _is_title(key) or key in _lex()["stops"] or cue_lookup(given[0]) is not None
                    or _common_not_name(given[0])):
                continue
            opener_key = fold_key(opener[0])
            after_comma = self.text[opener[2]:given[1]].strip() in ("،", ",")  # «المقرب من نتنياهو، تسفي هاوزنر»
            if _is_title(opener_key) or is_definite(opener[0]) or after_comma or key in _known_name_tokens():
                found = self.text[given[1]:match_end]
                break
        self._given_cache[family] = found
        return found

    def _whole_word_starts(self, word: str) -> list[int]:
        """Where word stands in the text as a whole word. The first few words are found with
        str.find (most articles ask for one or two); past those, from an index of the text's words
        built once (a search of the whole text per name was quadratic on a long article)."""
        if _WORD_RUN.fullmatch(word):
            if self._word_starts is None:
                self._word_searches += 1
                if self._word_searches <= _WORD_SEARCHES:
                    return _find_whole_word(self.text, word)
                self._word_starts = {}
                for match in _WORD_RUN.finditer(self.text):
                    self._word_starts.setdefault(match.group(), []).append(match.start())
            return self._word_starts.get(word, [])
        return [match.start() for match in re.finditer(r"(?<![\w])" + re.escape(word) + r"(?![\w])", self.text)]

    # -- phrase to speaker ----------------------------------------------------------------
    def from_phrase(self, phrase: list[tuple[str, int, int]], cue: Cue) -> Speaker | None:
        """The source a speaker phrase names, or None when it names none."""
        if not phrase:
            return None
        lex = _lex()
        first_key = fold_key(phrase[0][0])
        start, end = phrase[0][1], phrase[-1][2]
        gender = GENDERS.get(cue.gender, "unknown")
        if first_key in lex["honorifics"]:
            # «وقال سموه»: the person last named in the text, spoken before or not.
            index = bisect_left(self.ctx.person_starts, start) - 1
            if index >= 0:
                person = self.ctx.persons[index]
                return Speaker(self.canonical(person), "person", person, None, gender)
            return self._last_of_kind("person")
        introduced = _name_after_introducer(self.ctx, phrase)
        if introduced is not None:
            self.add_name(introduced)
            return Speaker(self.canonical(introduced), "person", introduced, None, gender)
        if _in(first_key, lex["relations"]) and len(phrase) > 2 and _is_title(fold_key(phrase[1][0])):
            # «ابن الرئيس "دونالد ترامب جي أر"»: the name after the title is the relative himself.
            name = name_after_title(self.text, phrase[1:])
            if name is not None:
                self.add_name(name)
                return Speaker(self.canonical(name), "person", name, (start, phrase[1][2]), gender)
        if _in(first_key, lex["relations"]):
            # «خطيبة خاشقجي»: the relative speaks; find who the article says she is.
            appositive = self._appositive_person(phrase, exclude=self.ctx.person_at(start, end))
            if _in(first_key, lex["relations_f"]):
                gender = "female"
            if appositive is not None:
                return Speaker(self.canonical(appositive), "person", appositive, (start, end), gender)
            return Speaker(self.text[start:end], "person", (start, end), (start, end), gender)
        person = self.ctx.person_at(start, end)
        head_kind = _kind_of_head(first_key) or _kind_of_two_word_head(phrase)
        indefinite_head = head_kind == "anonymous" and not is_definite(phrase[0][0])
        if (head_kind is not None and person is not None and person[0] > phrase[0][1] and (indefinite_head or not _is_title(first_key))
                and not _name_closes_definite_role(self.text, phrase, person, indefinite_head)):
            # «مسؤول كبير في شركة ...»: a name inside an unnamed source's phrase is not the source,
            # unless the head is a title whose chain leads to that name («وزير الرياضة فيتالي موتكو»).
            titled = name_after_title(self.text, phrase) if _is_title(first_key) else None
            if (titled is None or len(words(self.text, *person)) < 2
                    or not (titled[0] <= person[0] < titled[1] or person[0] <= titled[0] < person[1])):
                person = None  # a one-word «name» after «مسؤول» is its adjective («مسؤول كبير»)
        if indefinite_head and person is not None and person[0] == phrase[0][1]:
            person = None  # the recogniser took the head itself for a name
        if person is not None:
            person = (max(person[0], start), min(person[1], end))
            role = _role_around(self.text, phrase, person)
            if role and _first_title_key(self.text, role) in lex["titles_f"]:
                gender = "female"
            self.add_name(person)
            return Speaker(self.canonical(person), "person", person, role, gender)
        if head_kind == "anonymous" and _is_title(first_key):
            # «وقال وزير الخارجية السابق، جون كيري، إن»: the name in apposition is the source. A full
            # name only: one word after the comma is as often narration («، طالبا عدم ذكر اسمه»).
            appositive = self._name_after_comma(phrase)
            if appositive is not None and len(words(self.text, *appositive)) >= 2:
                return Speaker(self.canonical(appositive), "person", appositive, (start, end),
                               "female" if first_key in lex["titles_f"] else gender)
        if head_kind is not None:
            return self._from_head(head_kind, phrase, gender)
        if _is_title(first_key):
            if first_key in lex["titles_f"]:
                gender = "female"
            name = name_after_title(self.text, phrase)
            if name is not None:
                self.add_name(name)
                role_end = max((w[2] for w in phrase if w[2] <= name[0]), default=start)
                return Speaker(self.canonical(name), "person", name, (start, role_end), gender)
            appositive = self._appositive_person(phrase) or self._name_after_comma(phrase)
            if appositive is not None:
                return Speaker(self.canonical(appositive), "person", appositive, (start, end), gender)
            return self._from_title(phrase, gender)
        # An unknown short phrase right after a cue is most often a name the recogniser missed
        # («وقال الراجحي:»); longer ones are narration, not a source.
        known = _known_name_tokens()
        if _common_not_name(phrase[0][0]):
            return None  # «لا يتفق بالضرورة»: a common word, not a name the recogniser missed
        if len(phrase) <= 2 or all(_bare(fold_key(w[0])) in known for w in phrase[:3]):
            name_words = phrase[:3]
            span = (name_words[0][1], name_words[-1][2])
            if is_definite(phrase[0][0]) and not fold_key(phrase[-1][0]).endswith("ي") and self.canonical(span) == self.text[span[0]:span[1]]:
                return None  # «طلب الحصول»: a definite common noun; family names are mostly nisbas in ـي
            self.add_name(span)
            return Speaker(self.canonical(span), "person", span, None, gender)
        return None

    def _appositive_person(self, phrase, exclude: tuple[int, int] | None = None) -> tuple[int, int] | None:
        """A role phrase that stands next to a name in the article («خديجة جنكيز، خطيبة خاشقجي»)."""
        role_start, role_end = phrase[0][1], phrase[-1][2]
        role = self.text[role_start:role_end]
        if not role.strip():
            return None
        if self.text[role_end:role_end + 3].strip().startswith(("،", ",")):
            following = self.ctx.person_at(role_end, role_end + 4)
            if following is not None and following != exclude and following[0] >= role_end:
                return following  # «رئيس البعثة، بيورن روتر،»
        for found, span in self._names_beside(role):
            if found != role_start and span != exclude and not (role_start <= span[0] < role_end):
                return span
        return None

    def _names_beside(self, role: str) -> list[tuple[int, tuple[int, int]]]:
        """(where role is written, the person name right before or after it), in text order;
        found once per role, not once per speaker phrase (which was quadratic on a long article)."""
        if role not in self._role_neighbours:
            pairs = []
            found = self.text.find(role)
            while found >= 0:
                for span in (self.ctx.person_at(max(0, found - 4), found), self.ctx.person_at(found + len(role), found + len(role) + 4)):
                    if span is not None and (span[1] <= found or span[0] >= found + len(role)):
                        pairs.append((found, span))
                found = self.text.find(role, found + 1)
            self._role_neighbours[role] = pairs
        return self._role_neighbours[role]

    def _name_after_comma(self, phrase) -> tuple[int, int] | None:
        """«محررة الشؤون السياسية في بي بي سي، لورا كوينزبيرغ، إن»: the role runs on to a comma,
        and the name stands right after it."""
        end = phrase[-1][2]
        comma = self.text.find("،", end, end + 60)
        if comma < 0 or "\n" in self.text[end:comma]:
            return None
        between = words(self.text, end, comma)
        if len(between) > 5 or any(cue_lookup(w) is not None for w, _s, _e in between):
            return None
        span = self.ctx.person_at(comma + 1, comma + 4)
        return span if span is not None and span[0] > comma else None

    def _from_head(self, kind: str, phrase, gender: str) -> Speaker:
        start, end = phrase[0][1], phrase[-1][2]
        first_key = fold_key(phrase[0][0])
        definite = is_definite(phrase[0][0])
        if kind == "anonymous" and definite:
            # «وأضاف المصدر»: the unnamed source already quoted.
            earlier = self._last_matching("anonymous", _bare(first_key))
            if earlier is not None:
                return earlier
            titled = self._person_with_role_words(phrase[1:])
            if titled is None and len(phrase) == 1 and _is_title(first_key):
                titled = self._person_with_role_head(first_key)  # «وأضاف الوزير» after «وزير الصحة X»
            if titled is not None:
                return titled  # «قال المسؤول اليمني» after «وزير الداخلية اليمني عبده الحذيفي»
        if kind == "document":
            return self._document_issuer(phrase)
        if kind == "organization" and definite and len(phrase) == 1:
            earlier = self._last_matching("organization", _bare(first_key))
            if earlier is not None:
                return earlier
        name = _clean_name(self.text[start:end])
        if kind == "anonymous":
            name = _nominative(name)
        elif kind in ("organization", "group"):
            name = _short_name_in_brackets(self.text, end) or name
        return Speaker(name, kind, (start, end), None, gender if kind == "anonymous" else "unknown")

    def _from_title(self, phrase, gender: str) -> Speaker:
        """«وقال الرئيس الفلسطيني» names a person by role: find who holds it in the article."""
        start, end = phrase[0][1], phrase[-1][2]
        role_key = fold_phrase(self.text[start:end])
        for name_start, name_end in self._full_names:
            before = fold_phrase(self.text[max(0, name_start - len(self.text[start:end]) - 3):name_start])
            if role_key and before.endswith(role_key):
                return Speaker(self.canonical((name_start, name_end)), "person", (start, end), (start, end), gender)
        earlier = self._last_of_kind("person")
        if earlier is not None and earlier.role is not None and fold_phrase(self.text[earlier.role[0]:earlier.role[1]]).startswith(role_key.split(" ")[0]):
            return Speaker(earlier.name, "person", (start, end), (start, end), gender)
        if len(phrase) == 1 and is_definite(phrase[0][0]):
            earlier = self._person_with_role_head(fold_key(phrase[0][0]))  # «وأضافت الوزيرة» after «وزيرة الصحة X»
            if earlier is not None:
                return Speaker(earlier.name, "person", (start, end), (start, end), gender)
        return Speaker(self.text[start:end], "person", (start, end), (start, end), gender)

    def _document_issuer(self, phrase) -> Speaker:
        """«تقرير للمفتش العام للبنتاغون» -> المفتش العام للبنتاغون; «البيان» -> its issuer."""
        for i, (word, start, _end) in enumerate(phrase[1:], start=1):
            key = fold_key(word)
            if key.startswith("ل") and len(key) > 3 and key not in _NEGATIONS:
                offset = 2 if key.startswith("لل") else 1
                issuer_start = start + offset
                if key.startswith("لل"):
                    if i == len(phrase) - 1:
                        # «البيان الختامي المشترك للقمة»: a bare back-reference names no issuer;
                        # the statement itself is the source.
                        return Speaker(_clean_name(self.text[phrase[0][1]:phrase[-1][2]]), "document", (phrase[0][1], phrase[-1][2]))
                    issuer_start = start + 1  # «للمفتش» -> «المفتش»: ل + ال contracted
                    return Speaker("ا" + self.text[issuer_start:phrase[-1][2]], "document", (start, phrase[-1][2]))
                return Speaker(self.text[issuer_start:phrase[-1][2]], "document", (issuer_start, phrase[-1][2]))
        for _word, _start, word_end in phrase:
            issuer = self._issuer_in_clause(word_end)
            if issuer is not None:
                return issuer
        earlier = self._last_of_kind("organization") or self._last_of_kind("document")
        if earlier is not None:
            return Speaker(earlier.name, "document", earlier.mention, earlier.role)
        # «وأوضحت الدراسة أن ...» with no issuer anywhere: the document itself is the source.
        start, end = phrase[0][1], phrase[-1][2]
        return Speaker(_clean_name(self.text[start:end]), "document", (start, end))

    def _issuer_in_clause(self, end: int) -> Speaker | None:
        """«الدراسة التي نشرتها جامعة أكسفورد», «البيان الصادر عن الوزارة»: the issuer named
        in the clause that follows the document."""
        match = _ISSUER_CLAUSE.match(self.text, end)
        if match is None:
            return None
        index = bisect_left(self.ctx.word_starts, match.end())
        phrase = _phrase_after(self.ctx, index, match.end() + 80)
        if not phrase:
            return None
        start, stop = phrase[0][1], phrase[-1][2]
        return Speaker(_clean_name(self.text[start:stop]), "document", (start, stop))

    def _person_with_role_words(self, modifiers) -> Speaker | None:
        """The last person speaker whose role holds one of these definite modifiers."""
        keys = {_bare(fold_key(w)) for w, _s, _e in modifiers if is_definite(w)}
        if not keys:
            return None
        for speaker in reversed(self.history):
            if speaker.kind == "person" and speaker.role is not None:
                role_keys = {_bare(fold_key(w)) for w, _s, _e in words(self.text, *speaker.role)}
                if keys & role_keys:
                    return speaker
        return None

    def _person_with_role_head(self, title_key: str) -> Speaker | None:
        """«وأضاف الوزير» after «وزير الصحة خالد عبد الغفار»: the last person speaker whose role
        opens with the same title («وزير» / «الوزير», «وزيرة» / «الوزيرة»)."""
        def without_article(key: str) -> str:  # not _bare: «وزير» would lose its و as a conjunction
            return key[2:] if key.startswith("ال") and len(key) > 3 else key

        wanted = without_article(title_key)
        for speaker in reversed(self.history[-6:]):
            if speaker.kind == "person" and speaker.role is not None:
                role_words = words(self.text, *speaker.role)
                if role_words and without_article(fold_key(role_words[0][0])) == wanted:
                    return speaker
        return None

    def _last_of_kind(self, kind: str) -> Speaker | None:
        for speaker in reversed(self.history):
            if speaker.kind == kind and speaker.name:
                return speaker
        return None

    def _last_matching(self, kind: str, head: str) -> Speaker | None:
        for speaker in reversed(self.history):
            if speaker.kind != kind or not speaker.name:
                continue
            written = self.text[speaker.mention[0]:speaker.mention[1]] if speaker.mention else ""
            if head in fold_phrase(speaker.name).replace("ال", "") or head in fold_phrase(written).replace("ال", ""):
                return speaker
        return None

    def remember(self, speaker: Speaker | None) -> None:
        if speaker is not None and speaker.name:
            self.history.append(speaker)

    def previous(self) -> Speaker | None:
        return self.history[-1] if self.history else None


_NAME_LINKS = frozenset(fold_key(w) for w in ("بن", "ابن", "بنت", "أبو", "ابو", "عبد", "آل", "أبي", "ابي", "ولد", "ذو", "دي", "دو", "فان", "فون"))


_B_FUNCTION_WORDS = frozenset(fold_key(w) for w in ("بما", "بها", "به", "بهم", "بل", "بأن", "بان", "بعد", "بين", "بكل", "بشكل"))


def _can_continue_name(span_words: list[tuple[str, int, int]], i: int) -> bool:
    """Whether the i-th word of a recognised span still belongs to the name.

    The recogniser runs on into the narration («ترامب بشدة بما يفعله»); a name word is never a
    hearer (ل...), a conjunction or preposition with the article («والصورة», «بالقول»), a stop
    word or cue, a short ب-word («بما»), or a verb with an object pronoun («يفعله»); from the
    third word on it must be a known name or follow a link such as بن/أبو/عبد.
    """
    word = span_words[i][0]
    key = fold_key(word)
    if fold_key(span_words[i - 1][0]) in _NAME_LINKS or is_name_not_particle(word):
        return True  # «عبدالله بن مساعد», «أحمد علي»
    if len(span_words[i - 1][0]) <= 3 and span_words[i - 1][2] + 1 == span_words[i][1] and len(word) <= 3:
        return True  # initials joined by a dot: «جي.آر»
    if not key:
        return False  # a «word» of tatweel or diacritics only folds to nothing (and key[0] below would raise)
    bare_word = ARABIC_DIACRITICS.sub("", word)
    if (_in(key, _lex()["addressees"]) or (key.startswith("ل") and not key.startswith("ال") and key not in _known_name_tokens())
            or key[:2] in ("وب", "ول", "وك") or (bare_word.startswith(("وال", "بال")) and len(bare_word) > 5)
            or not _ARABIC_LETTER.match(word) or key in _lex()["stops"] or cue_lookup(word) is not None
            or key in _B_FUNCTION_WORDS
            or (len(key) >= (4 if key[0] in "يت" else 5) and key[0] in "يتبل" and key.endswith(("ه", "ها", "هم", "هما"))
                and key not in _known_name_tokens())
            or (key[0] in "يت" and "\u0651" in word)):  # a verb with a doubled letter: «تذرّع», «يتوقّع»
        return False
    if _common_not_name(word) and not is_definite(word):
        # «ترامب بشدة»: a word the training news never had inside a name. Definite words are
        # exempt: family names are often common words with ال («هدى العمر»).
        return False
    if is_definite(word) and is_definite(span_words[i - 1][0]):
        # Arab names have one family name with ال («ثابت محمد العباسي»); a second ال-word right
        # after it is narration («عائض القرني الشباب»), except in «عبد الرحمن الراشد».
        return i >= 2 and fold_key(span_words[i - 2][0]) in _NAME_LINKS
    return True


def _largest_piece(text: str, span_words: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """A span cut where punctuation or a quote mark stands between two words; the longest piece
    (the first on a tie) is the name: «بريطانيا "ألكساندر ياكوفينكو» -> «ألكساندر ياكوفينكو»."""
    pieces: list[list[tuple[str, int, int]]] = []
    for word in span_words:
        if pieces and not _MARKS_IN_NAME.search(text, pieces[-1][-1][2], word[1]):
            pieces[-1].append(word)
        else:
            pieces.append([word])
    return max(pieces, key=len) if pieces else []


def _drop_title_chain(span_words: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """«وزير الداخلية اليمني اللواء عبده الحذيفي» -> «عبده الحذيفي»: a title, its definite
    genitives and adjectives, and further titles go; the name is what follows. A title
    followed only by definite words («الرئيس العباسي») keeps its last word as the name."""
    if not span_words or not _is_title(fold_key(span_words[0][0])):
        return span_words
    i = 0
    while i < len(span_words):
        key = fold_key(span_words[i][0])
        if _is_title(key) or key in _lex()["role_words"] or (is_definite(span_words[i][0]) and i > 0):
            i += 1
            continue
        break
    rest = span_words[i:]
    return rest if rest else span_words[-1:]


def _name_after_introducer(ctx: ArticleContext, phrase) -> tuple[int, int] | None:
    """«ساكن آخر في موسكو يدعى سيرجي» -> «سيرجي»."""
    introducers = folded_set("speakers", "name_introducers")
    for i, (word, _s, end) in enumerate(phrase):
        if fold_key(word) in introducers:
            following = ctx.words[ctx.word_index[phrase[i][1]] + 1:ctx.word_index[phrase[i][1]] + 3]
            if not following:
                return None
            span = ctx.person_at(following[0][1], following[0][2])
            return span if span is not None else (following[0][1], following[0][2])
    return None


# The clause that names who issued a statement or report.
_ISSUER_CLAUSE = re.compile(
    r"\s*(?:ال)?(?:صادر|صادرة)\s+(?:عن|من)\s+|\s*(?:التي|الذي)\s+(?:نشرت|نشر|أصدرت|أصدر|أعدت|أعد|وزعت|وزع|أجرت|أجرى)(?:ها|ه)?\s+")
_BRACKETED = re.compile(r"\(([^()\n]{2,40})\)")


def _short_name_in_brackets(text: str, end: int) -> str | None:
    """«منظمة أنصار إسرائيل اليهودية في الولايات المتحدة (إيباك)»: the outlet's own short
    name for a body, given in brackets before the clause ends, is its canonical name."""
    window = text[end:end + 80]
    clause_end = min((i for i in (window.find("،"), window.find("."), window.find("\n")) if i >= 0), default=len(window))
    match = _BRACKETED.search(window, 0, clause_end + 1)
    if match is None or len(match.group(1).split()) > 3 or not _ARABIC_LETTER.search(match.group(1)):
        return None
    before = words(window, 0, match.start())
    if any(fold_key(word) in _months() for word, _s, _e in before[-1:] + words(match.group(1))[:1]):
        return None  # «في يونيو (حزيران)»: the other name of a month
    return match.group(1).strip()


@cache
def _months() -> frozenset[str]:
    return folded_set("speakers", "months")


def _nominative(phrase: str) -> str:
    """«مصدرا امنيا» (object of the verb) -> «مصدر امني»: an unnamed source is named in the nominative."""
    out = []
    accusative = False
    for index, word in enumerate(phrase.split(" ")):
        bare = ARABIC_TANWEEN.sub("", word)
        ends_in_alef = len(bare) > 3 and bare.endswith("ا") and not bare.startswith("ال") and not bare.endswith("اا")
        # The head shows the case; its adjectives agree («امنيا»), a name further on does not.
        if ends_in_alef and (index == 0 and not bare.endswith("يا") or index > 0 and accusative):
            bare = bare[:-1]
            accusative = True
        else:
            accusative = accusative and index == 0
        out.append(bare)
    return " ".join(out)




_NAME_MARKS = re.compile("[«»“”\"„″‘’]")


@lru_cache(maxsize=65_536)  # asked for every mention of every name
def _clean_name(name: str) -> str:
    """A name without the marks some outlets put around it: «متحدث باسم "وايمو"» -> «متحدث باسم وايمو»."""
    return " ".join(_NAME_MARKS.sub(" ", name).split()).strip("،,:")


def _first_title_key(text: str, span: tuple[int, int]) -> str:
    found = words(text, *span)
    return fold_key(found[0][0]) if found else ""


def _role_around(text: str, phrase, person: tuple[int, int]) -> tuple[int, int] | None:
    """The title phrase before the name in the speaker phrase («وزير الدفاع الأميركي»)."""
    before = [w for w in phrase if w[2] <= person[0]]
    if before and _is_title(fold_key(before[0][0])):
        return before[0][1], before[-1][2]
    after = [w for w in phrase if w[1] >= person[1]]
    if after and _is_title(fold_key(after[0][0])):
        return after[0][1], after[-1][2]
    return None


_SUBJECT_GAP = re.compile(r"^[\s«»“”\"″]*(?:[،,]\s*)?(?:(?:قد|فقد|ف)\s*)?$")


def _subject_position(ctx: ArticleContext, candidates, span: tuple[int, int], cue_start: int, head: bool = False) -> bool:
    """A subject before its verb opens the clause («لكن دوج براون، مدير ...، يقول») or stands
    right before the verb, an appositive role between commas allowed («دانا سترول، قالت»).
    A name inside narration («وهي تنتظر خاشقجي في الخارج، قالت») is not the subject."""
    index = next((i for i, w in enumerate(candidates) if w[1] >= span[0]), len(candidates))
    # «أما الدكتورة ماينن», «لكن رئيس الوزراء اليوناني "أليكسيس تسيبراس"»: the title chain belongs to the subject.
    back = index
    while back and (_is_title(fold_key(candidates[back - 1][0])) or is_definite(candidates[back - 1][0])
                    or fold_key(candidates[back - 1][0]) in _lex()["role_words"]):
        back -= 1
        if _is_title(fold_key(candidates[back][0])):
            index = back
    opening = [w for w in candidates[:index] if fold_key(w[0]) not in _SENTENCE_OPENERS and fold_key(w[0]) not in _CLAUSE_OPENERS]
    if not opening:
        return True
    gap = ctx.text[span[1]:cue_start]
    if _SUBJECT_GAP.match(gap):
        return True
    # «X، <role>، قال»: the role between two commas.
    if gap.lstrip().startswith(("،", ",")) and gap.rstrip().endswith(("،", ",")) and len(words(gap)) <= 12:
        return True
    if head:
        # «مصدرا امنيا اعلن»: the head's own phrase runs up to the verb.
        return not _PHRASE_BREAK.search(gap) and len(words(gap)) <= 6
    return False


def _subject_before(ctx: ArticleContext, cue_start: int, window_start: int, cue: Cue) -> list[tuple[str, int, int]]:
    """Subject first: «X، قالت» / «مصدرا امنيا اعلن»: the nearest source phrase before the cue.

    The nearest person wins; a kinship noun right before it («خطيبة خاشقجي، قالت») makes the
    relative the subject. Otherwise the nearest source head starts the phrase, and a dual or
    plural cue reaches back over «و» to a first head («مصدر عسكري ومصدر امني اشارا»).
    """
    candidates = ctx.words_between(window_start, cue_start)
    if not candidates:
        return []
    # The subject opens the clause; names further on sit in its appositive role
    # («ريتشارد ليبتون، مدير مركز ... في مدينة نيويورك، فيقول»).
    in_window = ctx.persons[bisect_left(ctx.person_starts, window_start):bisect_left(ctx.person_starts, cue_start)]
    person = next((span for span in in_window if span[1] <= cue_start
                   and _subject_position(ctx, candidates, span, cue_start)), None)
    if person is not None:
        phrase = [w for w in candidates if person[0] <= w[1] and w[2] <= person[1]]
        before = [w for w in candidates if w[2] <= person[0]]
        if before and _in(fold_key(before[-1][0]), _lex()["relations"]):
            return [before[-1]] + phrase
        # Keep the title phrase before the name so it becomes speaker_role
        # («نائبة مساعد وزير الدفاع الأميركي لشؤون الشرق الأوسط، دانا سترول، قالت»).
        role = []
        for word in reversed(before):
            key = fold_key(word[0])
            if _is_title(key) or key in _lex()["role_words"] or is_definite(word[0]) or _is_addressee_word(key) or (role and not _is_title(fold_key(role[0][0]))):
                role.insert(0, word)
            else:
                break
            if len(role) >= 10:
                break
        while role and not _is_title(fold_key(role[0][0])):
            role = role[1:]
        return role + phrase
    heads = [i for i, (word, _s, _e) in enumerate(candidates)
             if (_kind_of_head(fold_key(word)) in ("anonymous", "organization", "group") or _is_title(fold_key(word)))
             and not (i and _is_title(fold_key(candidates[i - 1][0])))]  # «رئيس الوزراء»: a genitive of a title
    if not heads:
        return []
    first = heads[-1]
    if not _subject_position(ctx, candidates, (candidates[first][1], candidates[first][2]), cue_start, head=True):
        return []
    if cue.gender in ("dual", "pl"):
        for earlier in reversed(heads[:-1]):
            if first - earlier <= 4 and fold_key(candidates[first][0]).startswith("و"):
                first = earlier
                break
    kind = _kind_of_head(fold_key(candidates[first][0]))
    phrase = []
    previous_end = None
    for w in candidates[first:]:
        if previous_end is not None and ctx.gap_breaks(previous_end, w[1]) and kind != "anonymous":
            break
        key = fold_key(w[0])
        if (key in _lex()["stops"] and key not in _ANONYMOUS_LINKS) or (phrase and (_in(key, _lex()["documents"]) or cue_lookup(w[0]))):
            break
        phrase.append(w)
        previous_end = w[2]
    return phrase[:_MAX_ANONYMOUS_WORDS]


# What a verb of the anonymity clause takes («طلب عدم نشر اسمه», «رفضت ذكر اسمها», «دون كشف هويته»):
# the verb is then no speech.
_ANONYMITY_OBJECTS = frozenset(fold_key(w) for w in ("عدم", "اسمه", "اسمها", "اسمهم", "اسمي", "هويته", "هويتها", "هويتهم"))


def find_events(ctx: ArticleContext, resolver: Resolver) -> list[Event]:
    """Speech events in text order, each with its subject resolved where the text names one."""
    events: list[Event] = []
    for index, (word, start, end) in enumerate(ctx.words):
        cue = cue_lookup(word)
        if cue is None:
            continue
        sentence = ctx.sentence_of(start)
        sentence_end = ctx.sentences[sentence][1] if ctx.sentences else len(ctx.text)
        limit = _next_quote_open(ctx, end, sentence_end)
        event = Event(cue, start, end, sentence)
        if cue.weak and not _weak_cue_confirmed(ctx, index, limit):
            continue
        if index and fold_key(ctx.words[index - 1][0]) in _COMPLEMENTIZER_PRONOUNS and not ctx.text[ctx.words[index - 1][2]:start].strip():
            # «وقال إنه أبلغ ترامب»: the verb's subject is the pronoun, i.e. the reporting
            # speaker; what follows is its object or hearer.
            event.speaker = _same_sentence_speaker(events, sentence, cue)
            event.rule, event.confidence = rule("reported_clause")
            resolver.remember(event.speaker)
            events.append(event)
            continue
        if (index + 1 < len(ctx.words) and fold_key(ctx.words[index + 1][0]) in _ANONYMITY_OBJECTS) or (index > 0 and fold_key(ctx.words[index - 1][0]) == "عدم"):
            continue  # «طلب عدم نشر اسمه», «طالبا عدم كشف هويته» ask for anonymity; they are not speech
        if cue.kind == "according":
            phrase = _phrase_after(ctx, index + 1, limit, governed_by_l=True)
            doubled_l = bool(phrase) and phrase[0][0].startswith("لل")
            phrase = _drop_leading_l(phrase, ctx.text)
            event.speaker = resolver.from_phrase(phrase, cue)
            if doubled_l and event.speaker is not None and (event.speaker.name or "").startswith("ل"):
                # «ووفقا للشرطة»: ل + ال is written «لل», so the source is «الشرطة» though the
                # text holds only «لشرطة» after the preposition (the mention keeps those letters).
                name = "ا" + event.speaker.name
                event.speaker = replace(event.speaker, name=name, kind=_kind_of_head(fold_key(name.split()[0])) or event.speaker.kind)
            event.rule, event.confidence = rule("according_to")
        elif cue.kind == "nominal":
            phrase = _source_after_an(ctx, index, sentence)
            event.speaker = resolver.from_phrase(phrase, cue) if phrase else None
            if event.speaker is None and word.startswith("ب"):
                event.speaker = _subject_before_nominal(ctx, resolver, index, sentence, cue)
            event.rule, event.confidence = rule("nominal_cue")
        elif cue.kind == "participle":
            # «قال X “...”، مضيفا “...”»: the participle shares its sentence's main subject.
            event.speaker = _same_sentence_speaker(events, sentence, cue)
            event.rule, event.confidence = rule("participle_carryover")
        else:
            after_index = index + 1
            if cue.document_only:
                after_index = _skip_fi(ctx, after_index)
            if cue.relays_from:
                after_index = _relayed_source_index(ctx, index, limit, cue.relays_from)
            phrase = _phrase_after(ctx, after_index, limit)
            if phrase and cue.relays_from and after_index > index + 1:
                event.speaker = resolver.from_phrase(phrase, cue)
                event.rule, event.confidence = rule("relayed")
            elif phrase:
                event.speaker = resolver.from_phrase(phrase, cue)
                event.addressee = _addressee_after(ctx, ctx.word_index[phrase[-1][1]] + 1, limit)
                event.rule, event.confidence = rule("verb_first")
            if event.speaker is None and not cue.document_only and not _has_conjunction(word, "و") and not _after_subordinator(ctx, index):
                window_start = max(ctx.sentences[sentence][0] if ctx.sentences else 0, _previous_boundary(ctx, events, start))
                phrase = _subject_before(ctx, start, window_start, cue)
                if phrase:
                    event.speaker = resolver.from_phrase(phrase, cue)
                    event.rule, event.confidence = rule("subject_first")
            if event.speaker is None and not event.rule:
                event.rule, event.confidence = rule("continuation" if cue.continuation else "carryover")
            if event.speaker is None and phrase:
                event.rule, event.confidence = rule("carryover")
        if event.speaker is None:
            event.speaker = _sentence_subject(ctx, resolver, sentence, start, cue)
            if event.speaker is not None and cue.kind != "participle":
                event.rule, event.confidence = rule("sentence_subject")
        if event.speaker is None and cue.gender == "dual":
            event.speaker = _pair_of_speakers(resolver)
            if event.speaker is not None:
                event.rule, event.confidence = rule("dual_carryover")
        if event.speaker is None:
            event.speaker = _carry(events, resolver, sentence, cue, ctx)
        resolver.remember(event.speaker)
        events.append(event)
    return events


def _pair_of_speakers(resolver: Resolver) -> Speaker | None:
    """«وقالا»: the dual verb speaks for the last two sources named, joined by « و »."""
    pair: list[Speaker] = []
    for speaker in reversed(resolver.history):
        if speaker.name and all(speaker.name != other.name for other in pair):
            pair.insert(0, speaker)
        if len(pair) == 2:
            kind = pair[0].kind if pair[0].kind == pair[1].kind else "group"
            return Speaker(f"{pair[0].name} و {pair[1].name}", kind, None, None, "unknown")
    return None


_SUBORDINATORS = frozenset(fold_key(w) for w in ("حيث", "إذ", "اذ", "عندما", "حين", "حينما", "بعدما", "كما", "لما", "الذي", "التي", "الذين"))


def _after_subordinator(ctx: ArticleContext, index: int) -> bool:
    """«حيث قال», «الذي قالت»: the subject is the main clause's, not the nearest noun."""
    return index > 0 and fold_key(ctx.words[index - 1][0]) in _SUBORDINATORS


def _contradicts(speaker: Speaker, wanted: str | None) -> bool:
    """The speaker's known gender rules out a cue of the wanted gender («قائلة» after a man).

    A person's gender is firm. An unnamed source's comes from its verb and only rules out a
    feminine cue after a man («قال مسؤول ... وأضافت»): plural sources take either («قالت
    المصادر ... وأضاف»)."""
    if wanted is None or speaker.gender in (wanted, "unknown"):
        return False
    if speaker.kind == "person":
        return True
    return speaker.kind == "anonymous" and wanted == "female" and speaker.gender == "male"


def _agrees(speaker: Speaker, cue: Cue) -> bool:
    """The cue's gender does not contradict the speaker's known gender."""
    return not _contradicts(speaker, GENDERS.get(cue.gender))


def _same_sentence_speaker(events: list[Event], sentence: int, cue: Cue | None = None) -> Speaker | None:
    for event in reversed(events):
        if event.sentence != sentence:
            return None
        if event.speaker is not None and (cue is None or _agrees(event.speaker, cue)):
            return event.speaker
    return None


_COMPLEMENTIZER_PRONOUNS = frozenset(fold_key(w) for w in ("إنه", "أنه", "انه", "بأنه", "بانه", "إنها", "أنها", "انها", "بأنها", "إنهم", "أنهم"))


def _carry(events: list[Event], resolver: Resolver, sentence: int, cue: Cue, ctx: ArticleContext | None = None) -> Speaker | None:
    """The source of the previous statement: first in the same sentence; else the person a
    preceding sentence without any speech opens with («بدا أن الرئيس الأمريكي ... . وكتب:»);
    else the last one named whose gender agrees with the cue (Arabic verbs mark it:
    «وأضافت» cannot carry a man's words)."""
    for event in reversed(events):
        if event.sentence != sentence:
            break  # events are in text order: the sentence's own are the last ones
        if event.speaker is not None:
            return event.speaker
    if ctx is not None and sentence > 0 and not any(e.sentence == sentence - 1 for e in events[-3:]):
        previous_start = ctx.sentences[sentence - 1][0]
        previous_end = ctx.sentences[sentence - 1][1]
        subject = _sentence_subject(ctx, resolver, sentence - 1, previous_end, cue)
        if subject is not None and subject.kind == "person" and _agrees(subject, cue) and previous_start < previous_end:
            return subject
    wanted = GENDERS.get(cue.gender)
    for speaker in reversed(resolver.history[-6:]):
        if _contradicts(speaker, wanted) or (wanted == "female" and speaker.kind == "person" and speaker.gender != "female"):
            continue
        return speaker
    return resolver.previous()


_PREPOSITIONS = frozenset(fold_key(w) for w in ("عن", "على", "مع", "في", "إلى", "الى", "من", "ضد", "بين", "لدى", "حول", "أمام", "بعد", "قبل"))
_SENTENCE_OPENERS = frozenset(fold_key(w) for w in ("من", "جانب", "آخر", "جهة", "أخرى", "ناحية", "جانبه", "جانبها", "جهته", "جهتها", "بدوره", "بدورها", "وبدوره", "ومن", "أما", "اما", "وأما", "لكن", "ولكن", "بينما", "فيما"))


def _sentence_subject(ctx: ArticleContext, resolver: Resolver, sentence: int, cue_start: int, cue: Cue) -> Speaker | None:
    """«من جانبه، أبدى X تفاؤلا ...، وقال: “...”»: a subjectless cue takes the person
    who opens its sentence, when one does within the first few words."""
    if not ctx.sentences:
        return None
    sentence_start = ctx.sentences[sentence][0]
    colon = ctx.text.rfind(":", sentence_start, cue_start)
    sentence_start = max(sentence_start, colon + 1)  # a dateline «X - سبق - عسير:» is not the subject
    opening = ctx.words_between(sentence_start, cue_start)[:8]
    skipped = [w for w in opening if fold_key(w[0]) not in _SENTENCE_OPENERS]
    if not skipped:
        return None
    first = skipped[0]
    if opening.index(first) > 3:
        return None
    for position, candidate in enumerate(skipped[:6]):
        span = ctx.person_at(candidate[1], candidate[2])
        if span is None or span[0] < sentence_start:
            continue
        previous = fold_key(skipped[position - 1][0]) if position else ""
        if previous in _PREPOSITIONS:
            continue  # «دافع عن ويست»: the object of a preposition is not the subject
        return Speaker(resolver.canonical(span), "person", span, None, GENDERS.get(cue.gender, "unknown"))
    for candidate in skipped[:3]:
        # «أثار تقرير للمفتش العام ...، مشيرا إلى أن “...”»: a report or body opening the sentence.
        if _kind_of_head(fold_key(candidate[0])) in ("document", "organization", "group"):
            phrase = _phrase_after(ctx, ctx.word_index[candidate[1]], cue_start)
            return resolver.from_phrase(phrase, cue) if phrase else None
    return None


def _has_conjunction(word: str, conjunctions: str = "وف") -> bool:
    """«وقال» opens a new clause (verb first); «فيقول» after «أما X» still has X as subject."""
    key = fold_key(word)
    return len(key) > 3 and key[0] in conjunctions and cue_lookup(key[1:]) is not None


_CLAUSE_STARTS = frozenset(fold_key(w) for w in ("لكن", "ولكن", "بينما", "فيما", "حين", "وحين", "أما", "وأما", "الا", "إلا"))


def _previous_boundary(ctx: ArticleContext, events: list[Event], pos: int) -> int:
    """Subject search never reaches back over a quote, an earlier cue and its subject, or the
    conjunction that opens the cue's clause («وحذر هالك ... لكن وزير الرياضة فيتالي موتكو حذر»)."""
    boundary = ctx.last_quote_end_before(pos)
    if events and events[-1].end <= pos:
        boundary = max(boundary, events[-1].end)
        mention = events[-1].speaker.mention if events[-1].speaker is not None else None
        if mention is not None and events[-1].end <= mention[1] <= pos:
            boundary = max(boundary, mention[1])
    first = bisect_left(ctx.word_starts, boundary)
    last = bisect_left(ctx.word_starts, pos)
    for word, _start, end in ctx.words[first:last]:
        if fold_key(word) in _CLAUSE_STARTS:
            boundary = end
    return boundary


def _next_quote_open(ctx: ArticleContext, pos: int, default: int) -> int:
    following = ctx.quote_open_after(pos)
    return default if following is None else min(following, default)


def _weak_cue_confirmed(ctx: ArticleContext, index: int, limit: int) -> bool:
    """A weak cue (also a noun or particle: «بين», «ذكر», «طلب») counts only when a quote or a
    colon follows within a few words, or a source phrase starts right after it («وبين مصدر»)."""
    end = ctx.words[index][2]
    following = ctx.words[index + 1:index + 13]
    if following:
        key = fold_key(following[0][0])
        if _kind_of_head(key) == "anonymous" or _is_title(key) or ctx.person_at(following[0][1], following[0][2]):
            return True
    reach = following[-1][2] if following else end
    if ctx.text.find(":", end, min(reach, limit) + 1) >= 0:
        return True
    following = ctx.quote_open_after(end)
    return following is not None and following <= reach + 2


# Words between a relaying verb and its «عن»: the outlet's name («ونقلت صحيفة وول ستريت جورنال الأميركية عن»).
_RELAY_REACH = 8


def _relayed_source_index(ctx: ArticleContext, index: int, limit: int, relays_from: str) -> int:
    """«ونقلت الصحيفة عن مسؤول أمريكي أن “...”»: the outlet only relays; the source is the phrase
    after «عن». The index of its first word, or of the word after the verb when there is no «عن»."""
    for later in range(index + 1, min(index + 1 + _RELAY_REACH, len(ctx.words))):
        word, start, _end = ctx.words[later]
        if start >= limit:
            break
        if fold_key(word) == relays_from:
            return later + 1
    return index + 1


def _skip_fi(ctx: ArticleContext, index: int) -> int:
    """«وجاء في بيان لها»: the subject of جاء comes after في."""
    if index < len(ctx.words) and fold_key(ctx.words[index][0]) == "في":
        return index + 1
    return index


def governed_by_l(word: tuple[str, int, int]) -> tuple[str, int, int]:
    """A word after «وفقا لـ» as the source it names and where that stands in the text:
    «لوزارة» -> «وزارة», «لـCNN» -> «CNN», «للشرطة» -> «الشرطة» (ل + ال is written «لل»; the
    span keeps «لشرطة», the letters the text has)."""
    text, start, end = word
    key = fold_key(text)
    if not key.startswith("ل") or len(key) <= 2:
        return word
    cut = 1 + (1 if text[1:2] == "ـ" else 0)
    shown = text[cut:]
    return ("ا" + shown if text.startswith("لل") else shown), start + cut, end


def _drop_leading_l(phrase, text: str):
    """«وفقا لمصادر الجزيرة» -> «مصادر الجزيرة»; keeps offsets inside the text."""
    if not phrase:
        return phrase
    word, start, end = phrase[0]
    key = fold_key(word)
    if key in {"ل", "لـ"}:
        return phrase[1:]
    if key.startswith("ل") and len(key) > 2:
        cut = 1 + (1 if word[1:2] == "ـ" else 0)
        return [(word[cut:], start + cut, end)] + phrase[1:]
    return phrase


def _source_after_an(ctx: ArticleContext, index: int, sentence: int) -> list[tuple[str, int, int]]:
    """«ونقلت الصحيفة عن X ... قوله»: the source follows عن earlier in the sentence."""
    sentence_start = ctx.sentences[sentence][0] if ctx.sentences else 0
    for i in range(index - 1, -1, -1):
        word, start, _end = ctx.words[i]
        if start < sentence_start:
            break
        if fold_key(word) == "عن":
            return _phrase_after(ctx, i + 1, ctx.words[index][1])
    return []


def _object_with_pronoun(word: str) -> bool:
    """A common noun with an attached pronoun («كلامه», «حديثها», «رسالتهم»)."""
    # On the word as written: folding turns the taa marbuta of «الحكومة» into ه.
    return ARABIC_DIACRITICS.sub("", word).endswith(("ه", "ها", "هم")) and _common_not_name(word)


def _subject_before_nominal(ctx: ArticleContext, resolver: Resolver, index: int, sentence: int, cue: Cue) -> Speaker | None:
    """«صدحت حناجر نحو 90 ألف شخص بالهتاف “...”»: the subject of the verb that opens the
    clause, between that verb and «بالقول / بالهتاف»."""
    start = ctx.words[index][1]
    clause_start = max(ctx.sentences[sentence][0] if ctx.sentences else 0, ctx.text.rfind("،", 0, start) + 1)
    clause = ctx.words_between(clause_start, start)
    if len(clause) < 2 or len(clause) > 8:
        return None
    subject = []
    for word in clause[1:]:  # verb first: the clause's first word is its verb
        if fold_key(word[0]) in _lex()["stops"]:
            break  # «خرج المشجعون إلى الشوارع بالهتاف»: the subject ends at the preposition
        if subject and _object_with_pronoun(word[0]):
            break  # «وختم المتحدث كلامه بالقول»: the object, its pronoun pointing back at the subject
        subject.append(word)
    if not subject:
        return None
    keys = [fold_key(w) for w, _s, _e in subject]
    person = ctx.person_at(subject[0][1], subject[-1][2])
    if person is not None:
        return Speaker(resolver.canonical(person), "person", person, None, GENDERS.get(cue.gender, "unknown"))
    kinds = {_kind_of_head(key) for key in keys}
    if not kinds & {"group", "anonymous", "organization"}:
        return None
    kind = "group" if "group" in kinds else ("anonymous" if "anonymous" in kinds else "organization")
    span = (subject[0][1], subject[-1][2])
    return Speaker(_clean_name(ctx.text[span[0]:span[1]]), kind, span, None, "unknown")


def _quote_event(events: list[Event], starts: list[int], ctx: ArticleContext, extent: tuple[int, int]) -> tuple[Event | None, str]:
    """The event that introduces a quote and the attribution pattern."""
    sentence = ctx.sentence_of(extent[0])
    index = bisect_left(starts, extent[0])
    if index and events[index - 1].sentence == sentence and events[index - 1].end <= extent[0]:
        return events[index - 1], "before"
    sentence_end = ctx.sentences[sentence][1] if ctx.sentences else len(ctx.text)
    following = bisect_left(starts, extent[1])
    if following < len(events) and events[following].start < max(sentence_end, extent[1] + 60):
        if len(ctx.words_between(extent[1], events[following].start)) <= 6:
            return events[following], "after"
    return None, "none"


@dataclass
class RuleChoice:
    """What the hand rules say of one quote: its event (cue), speaker, rule and confidence."""

    event: Event | None
    pattern: str
    speaker: Speaker | None
    rule: str
    confidence: float


@dataclass
class Analysis:
    """The rules' reading of one article: its context, resolver, speech events and, per quote,
    the rules' choice. The learned attribution reads its candidates and features from it."""

    ctx: ArticleContext
    resolver: Resolver
    events: list[Event]
    choices: list[RuleChoice]
    # Per-article lookups the learned attribution reads for every quote, filled once by it.
    cache: dict = field(default_factory=dict)


def analyse(article: dict, segments: dict, detected: dict, person_spans: list[tuple[int, int]] | None = None) -> Analysis | None:
    """The hand rules over one article (None when it has no quote)."""
    text = article["text"]
    quotes = detected["quotes"]
    if not quotes:
        return None  # nothing to attribute: skip the name search
    all_words = index_words(text)  # tokenized once; later words(text, a, b) calls slice this list
    if person_spans is None:
        person_spans = _person_spans(text, all_words, [(quote["start"], quote["end"]) for quote in quotes])
    name_marks = frozenset(
        pos for rejected in detected.get("rejected", ()) for pos in (rejected.get("open_pos"), rejected.get("close_pos")) if pos is not None
    )
    ctx = ArticleContext(text, segments, quotes, person_spans, name_marks, all_words)
    resolver = Resolver(ctx)
    events = find_events(ctx, resolver)
    event_starts = [e.start for e in events]
    choices = []
    previous_speaker: Speaker | None = None
    for extent in ctx.quote_extents:
        event, pattern = _quote_event(events, event_starts, ctx, extent)
        if event is not None and event.speaker is not None:
            speaker, rule_name, confidence = event.speaker, event.rule, event.confidence
            if pattern == "after" and rule_name in (rule("verb_first")[0], rule("subject_first")[0]):
                rule_name, confidence = rule("after_quote")
        elif event is not None:
            speaker = previous_speaker
            rule_name, confidence = rule("cue_without_source")
        else:
            speaker = _nearest_previous(events, extent[0]) or previous_speaker
            rule_name, confidence = rule("nearest_previous")
        if speaker is None or not speaker.name:
            speaker = None
            rule_name, confidence = rule("unknown")
        else:
            if speaker.kind == "person" and speaker.role is None:
                speaker = Speaker(speaker.name, speaker.kind, speaker.mention, resolver.role_of(speaker.name), speaker.gender)
            previous_speaker = speaker
        choices.append(RuleChoice(event, pattern, speaker, rule_name, confidence))
    return Analysis(ctx, resolver, events, choices)


def attribute(article: dict, segments: dict, detected: dict, person_spans: list[tuple[int, int]] | None = None) -> dict:
    """{article_id, quotes: [rows]} by the hand rules alone (the learned attribution's baseline)."""
    analysis = analyse(article, segments, detected, person_spans)
    if analysis is None:
        return {"article_id": article["article_id"], "quotes": []}
    return {"article_id": article["article_id"], "quotes": rule_rows(article, segments, detected, analysis)}


def rule_rows(article: dict, segments: dict, detected: dict, analysis: Analysis) -> list[dict]:
    """The rows the rules' choices give."""
    text = article["text"]
    rows = []
    for quote, choice in zip(detected["quotes"], analysis.choices):
        row = _base_row(article["article_id"], text, quote, segments["sentences"])
        if choice.event is not None:
            _fill_cue(row, text, choice.event)
        if choice.speaker is None:
            row.update(speaker=None, speaker_type="unknown", attribution_rule=choice.rule, confidence=choice.confidence)
        else:
            _fill_speaker(row, text, choice.speaker)
            row.update(attribution_rule=choice.rule, confidence=choice.confidence)
        rows.append(row)
    return rows


def _nearest_previous(events: list[Event], pos: int) -> Speaker | None:
    # Events are in text order and do not overlap, so their ends are sorted: a bisection finds the
    # last one ending by pos, instead of a scan from the article's end for every quote.
    for index in range(bisect_right(events, pos, key=lambda event: event.end) - 1, -1, -1):
        if events[index].speaker is not None:
            return events[index].speaker
    return None


def _person_spans(text: str, all_words: list[tuple[str, int, int]] | None = None,
                  quoted: list[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """The recogniser's person spans, with title-anchored names added («وزير الرياضة فيتالي موتكو»).

    The recogniser skips the quoted speech (a third of a news text): no speaker is named inside a
    quote, and on the dev corpus and 700 bench articles the rows are the same without it.
    """
    from builder.names import person_spans

    recognised = [span for span in person_spans(text, skip=quoted) if not _adjective_after_title(text, span) and not _not_a_name(text, span)]
    titled = [span for span in title_anchored_spans(text, all_words) if not _common_word_alone(text, span)]
    return merge_spans(recognised, titled)


def _common_word_alone(text: str, span: tuple[int, int]) -> bool:
    """«وختم المتحدث باسم الحكومة كلامه بالقول»: one common word after a title's chain is its
    object, not a name (unless the name list knows it: «الرئيس عون»)."""
    span_words = words(text, *span)
    return len(span_words) == 1 and _common_not_name(span_words[0][0])


def _not_a_name(text: str, span: tuple[int, int]) -> bool:
    """Recogniser spans that cannot be names: «للصحفيين» (ل + ال), a lone stop word or cue."""
    span_words = words(text, *span)
    if not span_words:
        return True
    first = fold_key(span_words[0][0])
    if span_words[0][0].startswith("لل"):
        return True
    return len(span_words) == 1 and (first in _lex()["stops"] or cue_lookup(span_words[0][0]) is not None or len(first) <= 2
                                     or _common_not_name(span_words[0][0]))


def _adjective_after_title(text: str, span: tuple[int, int]) -> bool:
    """«الرئيس الفلسطيني»: one definite word right after a title is its adjective, not a name."""
    span_words = words(text, *span)
    if len(span_words) != 1 or not is_definite(span_words[0][0]):
        return False
    before = words(text, max(0, span[0] - 30), span[0])
    return bool(before) and is_title(fold_key(before[-1][0]))


def mark_style(quote: dict) -> str:
    """Family of the marks, with a note when one side was missing."""
    style = quote["mark_style"]
    if quote["open_pos"] is None:
        return f"{style}_unopened"
    if quote["close_pos"] is None:
        return f"{style}_unclosed"
    return style


def _base_row(article_id: str, text: str, quote: dict, sentences: list) -> dict:
    """The row's quote fields; paragraph and sentence are those of quote_start (a quote whose
    opening mark ends a paragraph starts in the next one)."""
    row = dict.fromkeys(ROW_FIELDS)
    sentence_index = quote["sentence_index"]
    paragraph_index = sentences[sentence_index][2] if 0 <= sentence_index < len(sentences) else quote["paragraph_index"]
    row.update(
        article_id=article_id,
        quote_id=f"{article_id}:{quote['start']}",
        quote=text[quote["start"]:quote["end"]],
        quote_start=quote["start"], quote_end=quote["end"], mark_style=mark_style(quote),
        speaker_type="unknown", speaker_gender="unknown",
        paragraph_index=paragraph_index, sentence_index=sentence_index,
    )
    return row


def _fill_cue(row: dict, text: str, event: Event) -> None:
    row.update(cue=text[event.start:event.end], cue_start=event.start, cue_end=event.end)
    if event.addressee is not None:
        a, b = event.addressee
        row.update(addressee=text[a:b], addressee_start=a, addressee_end=b)


def _fill_speaker(row: dict, text: str, speaker: Speaker) -> None:
    row.update(speaker=speaker.name, speaker_type=speaker.kind, speaker_gender=speaker.gender)
    if speaker.mention is not None:
        a, b = speaker.mention
        row.update(speaker_mention=text[a:b], speaker_start=a, speaker_end=b)
    if speaker.role is not None:
        a, b = speaker.role
        row.update(speaker_role=text[a:b])
