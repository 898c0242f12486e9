"""Speech-cue lookup compiled from resources/cues.json."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

from builder.resources import load
from builder.text import fold_key


@dataclass(frozen=True)
class Cue:
    lemma: str
    kind: str  # verb, participle, nominal, according
    gender: str  # m, f, dual, pl, unknown
    continuation: bool = False
    weak: bool = False
    document_only: bool = False
    relays_from: str | None = None  # folded: the word after which the relayed source stands (نقل ... عن X)


@cache
def cue_table() -> dict[str, Cue]:
    """Folded form (no clitic) -> Cue."""
    data = load("cues")
    table: dict[str, Cue] = {}
    for verb in data["verbs"]:
        flags = dict(continuation=verb.get("continuation", False), weak=verb.get("weak", False),
                     document_only=verb.get("document_only", False),
                     relays_from=fold_key(verb["relays_from"]) if "relays_from" in verb else None)
        for kind, groups in (("verb", verb.get("forms", {})), ("participle", verb.get("participles", {}))):
            for gender, forms in groups.items():
                for form in forms:
                    table.setdefault(fold_key(form), Cue(verb["lemma"], kind, gender, **flags))
    for form in data["nominal"]["forms"]:
        table.setdefault(fold_key(form), Cue(form, "nominal", "unknown"))
    for form in data["according_to"]["forms"]:
        if " " not in form:
            table.setdefault(fold_key(form), Cue(form, "according", "unknown"))
    return table


@lru_cache(maxsize=65_536)  # called for every word near a quote; the table never changes in a run
def lookup(word: str) -> Cue | None:
    """The cue a word is, clitics و/ف (and ب for بالقول-like nouns) allowed, or None."""
    table = cue_table()
    key = fold_key(word)
    if key in table:
        return table[key]
    if len(key) >= 3 and key[0] in "وف":  # «ورد» is و + «رد»
        cue = table.get(key[1:])
        if cue is not None:
            return cue
        if len(key) > 4 and key[1] in "وف":
            return table.get(key[2:])
    return None
