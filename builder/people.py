"""Person-name spans found by the shapes Arabic news gives names, to back up the recogniser.

News names a person next to a title: «وزير الرياضة فيتالي موتكو», «رئيس بعثة الصندوق، بيورن
روتر،», «دوج براون، مدير الأبحاث». The title and its genitive chain («الأمين العام لحلف شمال
الأطلسي») are role; the words that follow, up to the clause's end, are the name.
"""

from __future__ import annotations

import bisect
import re
from functools import cache, lru_cache

from builder.cues import lookup as cue_lookup
from builder.resources import folded_set, load
from builder.text import fold_key, is_definite, words

# Punctuation that ends a name; quote marks alone do not («رئيس الوزراء "أليكسيس تسيبراس"»).
_BREAK = re.compile(r"[،,:؛;.!?؟()\[\]\n\-–—/]")
_QUOTE_MARKS = set("«»“”\"„″‘’")
_MAX_NAME_WORDS = 4
_ROLE_LINKS = frozenset(fold_key(w) for w in ("في", "لدى"))
_NAME_LINKS = frozenset(fold_key(w) for w in ("بن", "ابن", "بنت", "أبو", "ابو", "عبد", "آل", "أبي", "ابي"))
_MAX_CHAIN_WORDS = 8


@cache
def _lexicon() -> dict[str, frozenset[str]]:
    speakers = load("speakers")
    titles = frozenset(fold_key(w) for w in speakers["titles"]["m"] + speakers["titles"]["f"])
    return {
        "titles": titles,
        "role_words": folded_set("speakers", "role_words"),
        "stops": folded_set("speakers", "speaker_stops"),
        "heads": folded_set("speakers", "organization_heads") | folded_set("speakers", "anonymous_heads") | folded_set("speakers", "group_heads"),
    }


@cache
def _name_tokens() -> frozenset[str]:
    from builder.names import load_name_tokens

    return frozenset(fold_key(t) for t in load_name_tokens())


@cache
def _relations() -> frozenset[str]:
    relations = load("speakers")["relations"]
    return frozenset(fold_key(w) for w in relations["m"] + relations["f"])


# Names that fold onto a particle: «علي» (ي) is a name, «على» (ى) the preposition.
_NAMES_LIKE_PARTICLES = frozenset(("علي",))


def is_name_not_particle(word: str) -> bool:
    """«أحمد علي»: written with ي, after a given name, علي is a name, not «على»."""
    return word in _NAMES_LIKE_PARTICLES


@lru_cache(maxsize=65_536)  # called for every word of an article; the lexicon never changes in a run
def is_title(key: str) -> bool:
    """A title word, with a leading و/ف or a dropped ال allowed."""
    titles = _lexicon()["titles"]
    bare = key[1:] if len(key) > 3 and key[0] in "وف" else key
    return bare in titles or ("ال" + bare) in titles or (bare.startswith("ال") and bare[2:] in titles)


def _ends_name(key: str, word: str) -> bool:
    lex = _lexicon()
    # A lone letter is a clitic written apart («قيس سعيد بـ“محاسبة”»), never part of a name.
    return len(key) < 2 or key in lex["stops"] or cue_lookup(word) is not None or is_title(key)


def _is_hearer(key: str) -> bool:
    return key.startswith("ل") and not key.startswith("ال") and len(key) > 2


def _clause(text: str, all_words, index: int) -> list[tuple[str, int, int]]:
    """Words from index on, up to punctuation (quote marks do not stop it)."""
    clause = []
    previous_end = None
    for word in all_words[index:index + _MAX_CHAIN_WORDS + _MAX_NAME_WORDS]:
        if previous_end is not None:
            gap = text[previous_end:word[1]]
            initials = gap == "." and len(clause[-1][0]) <= 3 and len(word[0]) <= 3  # «تي.آي.»
            if _BREAK.search(gap) and not initials:
                break
        clause.append(word)
        previous_end = word[2]
    return clause


def _accusative(word: str) -> bool:
    """Ends in the accusative tanween alef («كبيرا», «تفاؤلاً»)."""
    return len(word) > 3 and (word.endswith(("ا", "اً", "ًا")) and not word.endswith("اا"))


def name_after_title(text: str, chain: list[tuple[str, int, int]]) -> tuple[int, int] | None:
    """The name in «TITLE genitives NAME», given the words from the title on.

    Arabic grammar does the work: after an indefinite word the next noun is its genitive
    («رئيس بعثة صندوق النقد»), so the role goes on; after a definite word («اللواء»,
    «الأميركي», «في بريطانيا») a bare word is in apposition: the name starts there and runs
    on through family names with ال («عبده الحذيفي»).
    """
    if len(chain) < 2:
        return None
    keys = [fold_key(w) for w, _s, _e in chain]
    known = _name_tokens()
    previous_definite = is_definite(chain[0][0])
    start = None
    after_place = False
    for i in range(1, len(chain)):
        key, word = keys[i], chain[i][0]
        if key in _ROLE_LINKS and i + 1 < len(chain):
            after_place = True  # «السفير الروسي في بريطانيا»: a place in the role
            continue
        if after_place:
            # The place runs on through its construct chain («في جامعة هامبورج») until a
            # definite word or a known given name («في بريطانيا "ألكساندر ياكوفينكو"»).
            if is_definite(word) or not (key in known and i > 0 and not is_definite(chain[i - 1][0]) and keys[i - 1] not in _ROLE_LINKS):
                if is_definite(word):
                    after_place, previous_definite = False, True
                continue
            after_place = False
        if _ends_name(key, word) and not is_title(key):
            return None
        if is_title(key) or key in _lexicon()["role_words"] or is_definite(word) or _is_hearer(key):
            previous_definite = is_definite(word)
            continue
        if previous_definite:
            start = i
            break
        if key in known:
            # «وزراء بريطانيا تيريزا ماي»: a known name closing the clause takes the bare word before it.
            start = i - 1 if i == len(chain) - 1 and i >= 3 and not is_definite(chain[i - 1][0]) else i
            break
        previous_definite = False
    if start is None:
        # «رئيسة وزراء بريطانيا تيريزا ماي»: proper nouns look indefinite; a name is most often
        # the last two words of a clause that ends right after it.
        bare = [i for i in range(1, len(chain)) if not (is_title(keys[i]) or is_definite(chain[i][0]) or keys[i] in _lexicon()["role_words"])]
        if len(bare) >= 3 and bare[-2:] == [len(chain) - 2, len(chain) - 1]:
            start = len(chain) - 2
        else:
            return None
    name = []
    for j in range(start, min(len(chain), start + _MAX_NAME_WORDS)):
        key = keys[j]
        after_link = bool(name) and keys[j - 1] in _NAME_LINKS  # «عبدالله بن مساعد»: after بن comes a name
        if name and is_name_not_particle(chain[j][0]):
            after_link = True
        if not after_link and (_ends_name(key, chain[j][0]) or (name and _is_hearer(key)) or key in _lexicon()["heads"]):
            break
        if name and any(ch in _QUOTE_MARKS for ch in text[name[-1][2]:chain[j][1]]):
            break  # a name in marks ends at its closing mark; a quote after a name is not part of it
        if name and j + 1 < len(chain) and _accusative(chain[j][0]) and _accusative(chain[j + 1][0]):
            break  # «يوسف الحربي تفاؤلا كبيرا»: an object and its adjective, in the accusative
        name.append(chain[j])
    if not name:
        return None
    return name[0][1], name[-1][2]


def name_before_title(text: str, all_words, index: int) -> tuple[int, int] | None:
    """«دوج براون، مدير الأبحاث»: up to three words before a comma that precedes a title."""
    title_start = all_words[index][1]
    comma = text.rfind("،", max(0, title_start - 4), title_start)
    if comma < 0:
        comma = text.rfind(",", max(0, title_start - 4), title_start)
    if comma < 0:
        return None
    before = []
    for word in reversed(all_words[max(0, index - 4):index]):
        if _BREAK.search(text[word[2]:comma if not before else before[0][1]]) and before:
            break
        key = fold_key(word[0])
        if _ends_name(key, word[0]) or key in _lexicon()["heads"]:
            break
        before.insert(0, word)
        if len(before) == 3:
            break
    if not before or is_definite(before[0][0]):
        return None
    if before[0][1] > 0 and not _BREAK.search(text[max(0, before[0][1] - 2):before[0][1]]) and index - len(before) > 0:
        # Only take it when the name starts a clause: otherwise it is the end of narration.
        previous = all_words[index - len(before) - 1]
        if not (_ends_name(fold_key(previous[0]), previous[0]) or fold_key(previous[0]) in {"و", "لكن", "ان", "أن", "إن"}):
            return None
    return before[0][1], before[-1][2]


def _appositive_name(clause: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """The name that opens a clause after «ROLE،»: «فتحي الخراط ومسؤولين بالمركز» -> «فتحي الخراط»."""
    if not clause or is_definite(clause[0][0]) or _ends_name(fold_key(clause[0][0]), clause[0][0]):
        return []
    name = []
    for word in clause[:_MAX_NAME_WORDS]:
        key = fold_key(word[0])
        if name and ((key[:1] == "و" and len(key) > 3 and key not in _name_tokens()) or _ends_name(key, word[0])
                     or _is_hearer(key) or (is_definite(word[0]) and is_definite(name[-1][0]))):
            break
        name.append(word)
    return name


# word as written -> "relation", "title" or "" (neither): what title_anchored_spans asks of every word
# of an article, answered once per word (bounded, cleared when full).
_anchor_kinds: dict[str, str] = {}


def _anchor_kind(word: str) -> str:
    key = fold_key(word)
    relations = _relations()
    if key in relations or (len(key) > 3 and key[0] in "وف" and key[1:] in relations):
        kind = "relation"
    else:
        kind = "title" if is_title(key) else ""
    if len(_anchor_kinds) >= 262_144:
        _anchor_kinds.clear()
    _anchor_kinds[word] = kind
    return kind


def title_anchored_spans(text: str, all_words: list[tuple[str, int, int]] | None = None) -> list[tuple[int, int]]:
    """Person names standing next to a title anywhere in the text (all_words: its words, when the
    caller already tokenized it)."""
    if all_words is None:
        all_words = words(text)
    spans = []
    kinds = _anchor_kinds
    for index, (word, start, _end) in enumerate(all_words):
        kind = kinds.get(word)
        if kind is None:
            kind = _anchor_kind(word)
        if not kind:
            continue
        if kind == "relation":
            span = name_before_title(text, all_words, index)  # «خديجة جنكيز، خطيبة خاشقجي»
            if span is not None:
                spans.append(span)
            continue
        chain = _clause(text, all_words, index)
        span = name_after_title(text, chain)
        if span is None and len(chain) <= _MAX_CHAIN_WORDS:
            following = text[chain[-1][2]:chain[-1][2] + 3] if chain else ""
            if following.strip().startswith(("،", ",")):
                # «رئيس بعثة صندوق النقد الدولي، بيورن روتر،»
                next_index = index + len(chain)
                if next_index < len(all_words):
                    appositive = _appositive_name(_clause(text, all_words, next_index))
                    if appositive:
                        span = (appositive[0][1], appositive[-1][2])
        if span is None:
            span = name_before_title(text, all_words, index)
        if span is not None:
            spans.append(span)
    return spans


def merge_spans(*groups: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Union of span lists; where spans overlap, the longest wins."""
    spans = sorted({s for group in groups for s in group}, key=lambda s: (-(s[1] - s[0]), s[0]))
    kept: list[tuple[int, int]] = []  # disjoint, sorted by start: only the neighbours can overlap
    for span in spans:
        index = bisect.bisect_left(kept, span)
        if index > 0 and kept[index - 1][1] > span[0]:
            continue
        if index < len(kept) and kept[index][0] < span[1]:
            continue
        kept.insert(index, span)
    return kept
