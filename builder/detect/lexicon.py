"""The word lists of resources/detect_rules.json and the word tests every detect step shares."""

from __future__ import annotations

import re
from functools import cache, lru_cache

from builder.cues import lookup as cue_lookup
from builder.resources import load
from builder.text import ARABIC_DIACRITICS, fold_key

_PREFIXES = ("وبال", "وال", "بال", "فال", "كال", "لل", "ال", "وب", "ول", "فب", "فل", "وك", "و", "ف", "ب", "ل", "ك")
_SUFFIXES = ("هما", "هم", "ها", "ه")
# A stop or comma after which the narration may resume with a speech verb.
CLAUSE_BREAK = re.compile(r"[.،,؛;!?؟]+")
COLONS = ":："
EDGE_PUNCT = " \t،,.:؛;-–—…"
# How far back from a mark the narration is read: no clause is longer, and it keeps every
# look-up bounded, so the stage stays linear even on a huge paragraph without stops.
LOOKBACK_CHARS = 600


# Function words keep ى apart from ي: «على» is a preposition, «علي» a given name.
_FUNCTION_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ؤ": "و", "ئ": "ي"})


@lru_cache(maxsize=1 << 16)
def fkey(word: str) -> str:
    return ARABIC_DIACRITICS.sub("", word).translate(_FUNCTION_FOLD)


@cache
def word_lists() -> dict:
    data = load("detect_rules")

    def keys(name: str) -> frozenset[str]:
        return frozenset(fold_key(w) for w in data[name]["forms"])

    relative = data["relative_naming"]
    return {
        **data["thresholds"],
        "naming": keys("naming_words"),
        "weak_naming": keys("weak_naming_words"),
        "title_words": keys("title_words"),
        "name_heads": keys("name_heads"),
        "person_heads": keys("person_heads"),
        "function": frozenset(fkey(w) for w in data["function_words"]["forms"]),
        "complementizers": keys("complementizers"),
        "speaker_followers": keys("speaker_followers"),
        "addressee": frozenset(w.replace("ـ", "") for w in data["addressee_prepositions"]["forms"]),
        "relatives": frozenset(fold_key(w) for w in relative["relatives"]),
        "glued_b": frozenset(w.replace("ـ", "") for w in relative["glued_prepositions"]),
        "connectors": keys("narration_connectors"),
        "speaker_switches": frozenset(" ".join(fold_key(w) for w in form.split()) for form in data["speaker_switches"]["forms"]),
    }


@lru_cache(maxsize=1 << 16)
def stems(word: str) -> tuple[str, ...]:
    """Folded forms a listed word may take in the text: as is, without one proclitic
    (و ف ب ل ك ال and their combinations), with ال added, and without one pronoun suffix
    («شعاره» -> شعار, «أغنيته» -> أغنية)."""
    key = fold_key(word)
    stems = [key] + [key[len(p):] for p in _PREFIXES if key.startswith(p) and len(key) - len(p) >= 2]
    forms = []
    for stem in stems:
        forms += [stem, "ال" + stem]
        for suffix in _SUFFIXES:
            if stem.endswith(suffix) and len(stem) - len(suffix) >= 2:
                base = stem[: -len(suffix)]
                forms.append(base)
                if base.endswith("ت"):
                    forms.append(base[:-1] + "ه")
    return tuple(forms)


def in_list(word: str, keyset: frozenset[str]) -> bool:
    """The word, up to one proclitic and one pronoun suffix, is in keyset (folded forms)."""
    return any(form in keyset for form in stems(word))


@lru_cache(maxsize=1 << 16)
def cue_of(word: str):
    """The speech cue a word is, also a nominal cue behind the preposition ب («بالهتاف», «بتصريحات»)."""
    cue = cue_lookup(word)
    if cue is None and len(word) > 3 and word[0] == "ب":
        cue = cue_lookup(word[1:])
        if cue is not None and cue.kind != "nominal":
            cue = None
    return cue


def is_cue(word: str, weak_ok: bool = True) -> bool:
    cue = cue_of(word)
    return cue is not None and (weak_ok or not cue.weak)

