"""Corpus-wide speaker identities: one `speaker_id` per source, over every article of a build.

Publish runs this in two steps, with memory bounded by the number of distinct speaker strings
(never by the number of quotes):

1. `collect` reads the attribute shards once and keeps, per speaker string, its number of quotes
   by speaker type (`SpeakerStats`).
2. `resolve` turns those aggregates into `Identities`: strings that spell one source are merged,
   and the rest is kept apart. `Identities.assign` then gives each quote row of one article its
   `speaker_id` while publish streams the shards.

What merges (every step is on matching keys; the text is never changed):
- spellings and transliterations of one name: the same consonant skeleton word by word
  (ا/و/ي inside a word, ت/ط, ج/غ/ك, تش/ج, س/ش, doubled letters; hamza and ya forms are folded
  first), unless the two differing words are both known Arabic given names («حسن» is not
  «حسين»); and names written with or without a space inside («حسن نصرالله», «شي جين بينغ»);
- the aliases of bodies and agencies listed in builder/resources/identities.json, and a body's
  name without its head noun («حركة حماس» = «حماس») when that shorter name is itself a speaker;
- a short form of a person's name with the full name that dominates it in the corpus: a surname
  alone («ترامب», spelled as one of the full names spells it), or a name with some of its words
  left out («محمد بن سلمان» of «محمد بن سلمان بن عبد العزيز», «جواد ظريف» of «محمد جواد ظريف»).

What stays apart: generic sources (unnamed sources, «البيان», «الوكالة», «الشركة», «الوزارة», a
title without a name, «مراسل») get an id scoped to their article and `generic` true, unless the
article names one body or person they stand for («وقالت وكالة رويترز ... وأضافت الوكالة»), whose
id they then take. A bare given name («محمد») that no full name dominates is scoped to its role
(or to its article when it has none), so two «محمد» with different roles stay apart.

Ids are `spk-` and 12 hex digits of a sha1 of what the identity is (its preferred name, or the
article and the string for a scoped one): the same input gives the same ids.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Iterable

import pyarabic.araby as araby
from rapidfuzz import fuzz

from builder.resources import load
from builder.text import WORD

# A short form merges with the full name that has at least this share of the quotes of all the
# full names it could be short for, and at least MIN_FULL_QUOTES quotes.
DOMINANCE = 0.8
MIN_FULL_QUOTES = 3
# Two words whose skeletons match but whose letters agree less than this (rapidfuzz ratio, تش
# written ج) are kept apart: the skeleton drops vowel letters and unifies letters such as ك/ج, and
# too many of those differences mean another name («كارني» is not «غارنو», «كبراوي» not «جباري»).
MIN_WORD_RATIO = 65
# Names that differ in their word breaks merge when their letters agree this much (rapidfuzz ratio).
COMPACT_RATIO = 90
# A surname alone has at least this many letters and is no common word («أو» ends some names).
MIN_SURNAME_LETTERS = 3
# Speaker types a body's shorter name may have.
_BODY_TYPES = ("organization", "group", "document")

_LETTERS = str.maketrans({"ى": "ي", "ة": "ه", "ٱ": "ا"})
# Letters that transliterations of one foreign sound alternate between.
_CONSONANTS = str.maketrans({"ط": "ت", "غ": "ج", "ك": "ج", "گ": "ج", "چ": "ج", "ڤ": "ف", "پ": "ب", "ظ": "ز",
                             "ش": "س"})
_VOWELS = str.maketrans("", "", "اوي")


@lru_cache(maxsize=262_144)
def match_key(word: str) -> str:
    """A word's matching key: pyarabic strips diacritics and tatweel and unifies the hamza forms
    (tasheel: أ/إ/آ → ا, ؤ → و, ئ → ي); ى → ي and ة → ه."""
    word = araby.strip_tatweel(araby.strip_tashkeel(word))
    return araby.normalize_hamza(word, method="tasheel").translate(_LETTERS).replace("ء", "")


@lru_cache(maxsize=262_144)
def name_words(name: str) -> tuple[str, ...]:
    """The matching keys of a name's words; «عبد X» is one word, as it is also written «عبدX»."""
    keys = [match_key(w) for w in WORD.findall(name)]
    joined: list[str] = []
    for key in keys:
        if joined and joined[-1] in ("عبد", "ابو", "ابي") and key:
            joined[-1] += key
        elif key:
            joined.append(key)
    return tuple(joined)


def name_key(name: str) -> str:
    """The key that merges strings with the same spelling up to diacritics and letter forms."""
    return " ".join(name_words(name))


@lru_cache(maxsize=262_144)
def _consonants(word: str) -> str:
    """تش → ج and the alternating consonants unified; what skeleton() and the word ratio compare."""
    return word.replace("تش", "ج").translate(_CONSONANTS)


@lru_cache(maxsize=262_144)
def skeleton(word: str) -> str:
    """The consonant skeleton of a word: first letter kept, later ا/و/ي dropped, runs collapsed."""
    word = _consonants(word)
    if not word:
        return word
    rest = word[1:].translate(_VOWELS)
    out = [word[0]]
    for letter in rest:
        if letter != out[-1]:
            out.append(letter)
    return "".join(out)


def _strip_article(word: str) -> str:
    return word[2:] if word.startswith("ال") and len(word) > 4 else word


@cache
def _lexicon() -> dict:
    speakers, identities = load("speakers"), load("identities")
    generic = set()
    for forms in (speakers["titles"]["m"], speakers["titles"]["f"], speakers["anonymous_heads"]["forms"],
                  speakers["document_nouns"]["forms"], speakers["group_heads"]["forms"], speakers["role_words"]["forms"],
                  identities["generic"]["forms"]):
        generic.update(_strip_article(k) for form in forms for k in name_words(form))
    aliases: dict[str, int] = {}
    kinds: dict[int, str] = {}
    for number, group in enumerate(identities["aliases"]["groups"]):
        kinds[number] = _strip_article(match_key(group["kind"]))
        for name in group["names"]:
            aliases[name_key(name)] = number
    from builder.names import load_common_words, load_name_tokens

    given = frozenset(match_key(t) for t in load_name_tokens())
    common = frozenset(match_key(t) for t in load_common_words())
    return {
        "generic": frozenset(generic),
        "titles": frozenset(_strip_article(match_key(w)) for w in speakers["titles"]["m"] + speakers["titles"]["f"]),
        "statements": frozenset(_strip_article(match_key(w)) for w in identities["statements"]["forms"]),
        "no_issuer": frozenset(_strip_article(match_key(w)) for w in identities["no_issuer"]["forms"]
                               + speakers["anonymous_heads"]["forms"]),
        "body_heads": frozenset(match_key(w) for w in identities["body_heads"]["forms"]),
        "title_like": frozenset(_strip_article(match_key(w)) for w in identities["title_like"]["forms"]),
        "aliases": aliases, "kinds": kinds, "given": given, "common": common,
    }


def is_generic(name: str, speaker_type: str | None = None) -> bool:
    """A source that names no one in particular: unnamed, or written only with generic words
    (titles, bodies' common nouns, document nouns, «مراسل»)."""
    if speaker_type == "anonymous":
        return True
    words = name_words(name)
    if not words:
        return True
    lexicon = _lexicon()
    if name_key(name) in lexicon["aliases"]:
        return False
    generic = lexicon["generic"]
    if _strip_article(words[0]) in lexicon["titles"] or _strip_article(words[0]) in lexicon["title_like"]:
        # A title with no name: its complements and nisba adjectives («الرئيس الأميركي») name none.
        return all(_strip_article(w) in generic or w in generic or _is_nisba(w) for w in words[1:])
    return all(_strip_article(w) in generic or w in generic for w in words)


def _is_nisba(word: str) -> bool:
    """A definite relative adjective («الأميركي», «الروسية»), as a title's complement."""
    return word.startswith("ال") and len(word) > 4 and word.endswith(("ي", "يه"))


def words_match(a: str, b: str) -> bool:
    """Two words that spell one name: equal keys, or the same skeleton with enough letters in
    common, unless both are known given names (then they are two names: «حسن», «حسين»)."""
    if a == b:
        return True
    if skeleton(a) != skeleton(b) or len(skeleton(a)) < 2:
        return False
    given = _lexicon()["given"]
    if a in given and b in given:
        return False
    return fuzz.ratio(a.replace("تش", "ج"), b.replace("تش", "ج")) >= MIN_WORD_RATIO


def names_match(a: str, b: str) -> bool:
    """Two names that spell one source, word by word (spelling and transliteration variants)."""
    wa, wb = name_words(a), name_words(b)
    return len(wa) == len(wb) and all(words_match(x, y) for x, y in zip(wa, wb))


@dataclass
class SpeakerStats:
    """What identity resolution keeps of one speaker string: its quotes by speaker type, no rows."""

    n_quotes: int = 0
    types: Counter = field(default_factory=Counter)

    def add(self, speaker_type: str) -> None:
        self.n_quotes += 1
        self.types[speaker_type] += 1

    @property
    def speaker_type(self) -> str:
        return min(self.types, key=lambda kind: (-self.types[kind], kind))


def add_rows(stats: dict[str, SpeakerStats], rows: Iterable[dict]) -> None:
    """Count quote rows into stats, by speaker string."""
    for row in rows:
        if row.get("speaker"):
            stats.setdefault(row["speaker"], SpeakerStats()).add(row["speaker_type"])


def collect(out: Path, min_confidence: float = 0.0) -> dict[str, SpeakerStats]:
    """The speaker strings of the quotes of OUT's attribute shards that MIN_CONFIDENCE keeps, with
    their stats (with DEDUP, the copies it leaves out count too: they are the same speakers)."""
    from builder import store

    stats: dict[str, SpeakerStats] = {}
    for shard in store.shard_indices(out, "attribute"):
        for record in store.read_jsonl(store.shard_path(out, "attribute", shard)):
            add_rows(stats, (row for row in record["quotes"] if row["confidence"] >= min_confidence))
    return stats


def _hash_id(*parts: str) -> str:
    return "spk-" + hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class Entry:
    """The identity of one speaker string: its id (None when scoped to a role or an article),
    the identity's preferred name, its scope and whether it is generic."""

    speaker_id: str | None
    preferred: str
    scope: str = "corpus"
    generic: bool = False
    kind: str = ""  # the body's common noun, from the aliases («وكالة» for «رويترز»)


@dataclass(frozen=True)
class Assigned:
    """The identity of one quote row."""

    speaker_id: str
    preferred: str
    generic: bool


class _Groups:
    """Union-find over speaker strings; the root of a set is its smallest string."""

    def __init__(self, names: Iterable[str]):
        self.parent = {name: name for name in names}

    def find(self, name: str) -> str:
        root = name
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[name] != root:
            self.parent[name], name = root, self.parent[name]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def sets(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for name in sorted(self.parent):
            found.setdefault(self.find(name), []).append(name)
        return found


def resolve(stats: dict[str, SpeakerStats]) -> "Identities":
    """The identities of the corpus's speaker strings (see the module's docstring)."""
    lexicon = _lexicon()
    names = sorted(stats)
    generic = {name for name in names if is_generic(name, stats[name].speaker_type)}
    named = [name for name in names if name not in generic]
    groups = _Groups(named)

    # The same name up to diacritics and letter forms.
    by_key: dict[str, list[str]] = {}
    for name in named:
        by_key.setdefault(name_key(name), []).append(name)
    for same in by_key.values():
        for other in same[1:]:
            groups.union(same[0], other)

    # Spelling and transliteration variants of names of two words or more: candidates share the
    # skeleton of every word. (A single word has too few letters to tell a variant from another
    # word: «كير», «غير» and «كيري» share a skeleton; a surname alone joins below, as a short form.)
    by_skeleton: dict[tuple, list[str]] = {}
    for name in named:
        if len(name_words(name)) > 1:
            by_skeleton.setdefault(tuple(skeleton(w) for w in name_words(name)), []).append(name)
    for bucket in by_skeleton.values():
        for i, a in enumerate(bucket):
            for b in bucket[i + 1:]:
                if names_match(a, b):
                    groups.union(a, b)

    # Names written with or without a space inside: the same letters, other word breaks.
    by_compact: dict[str, list[str]] = {}
    for name in named:
        words = name_words(name)
        if len(words) > 1:
            by_compact.setdefault(skeleton("".join(words)), []).append(name)
    for bucket in by_compact.values():
        for i, a in enumerate(bucket):
            for b in bucket[i + 1:]:
                wa, wb = name_words(a), name_words(b)
                if (len(wa) != len(wb) and words_match(wa[0], wb[0])
                        and fuzz.ratio(_consonants("".join(wa)), _consonants("".join(wb))) >= COMPACT_RATIO):
                    groups.union(a, b)

    # Aliases from the resources, and a body's name without its head noun.
    kind_of: dict[str, str] = {}
    first_of_alias: dict[int, str] = {}
    for name in named:
        number = lexicon["aliases"].get(name_key(name))
        if number is not None:
            kind_of[name] = lexicon["kinds"][number]
            if number in first_of_alias:
                groups.union(first_of_alias[number], name)
            else:
                first_of_alias[number] = name
        words = name_words(name)
        if len(words) > 1 and words[0] in lexicon["body_heads"]:
            rest = " ".join(words[1:])
            if not is_generic(rest):
                for other in by_key.get(rest, ()):
                    if stats[other].speaker_type in _BODY_TYPES:  # «حزب الله» is no «الله»
                        groups.union(name, other)
                kind_of.setdefault(name, words[0])

    # Short forms: a surname alone, or a name with part of its chain left out, merge with the
    # full name that dominates them.
    sets = groups.sets()
    quotes_of = {root: sum(stats[n].n_quotes for n in members) for root, members in sets.items()}
    type_of = {root: _most_common(sum((stats[n].types for n in members), Counter())) for root, members in sets.items()}
    # Indexes of the longer names by what a short form keeps of them: the last word (a surname),
    # the first and last words (a middle part left out), a leading part (a chain cut short).
    by_last: dict[str, list[str]] = {}
    by_ends: dict[tuple[str, str], list[str]] = {}
    by_part: dict[tuple[str, ...], list[str]] = {}  # leading and trailing parts of two words or more
    for name in named:
        words = name_words(name)
        if len(words) > 1:
            skeletons = tuple(skeleton(w) for w in words)
            by_last.setdefault(words[-1], []).append(name)
            if len(words) > 2:
                by_ends.setdefault((skeletons[0], skeletons[-1]), []).append(name)
                for length in range(2, len(words)):
                    by_part.setdefault(skeletons[:length], []).append(name)
                    by_part.setdefault(skeletons[-length:], []).append(name)
    short_forms: dict[str, str] = {}
    for name in named:
        words = name_words(name)
        root = groups.find(name)
        skeletons = tuple(skeleton(w) for w in words)
        if len(words) == 1:  # a surname alone, spelled as a full name spells it («كير» is not «كيري»)
            if len(words[0]) < MIN_SURNAME_LETTERS or words[0] in lexicon["common"]:
                continue
            candidates = set(by_last.get(words[0], ()))
        else:
            candidates = {n for n in (*by_ends.get((skeletons[0], skeletons[-1]), ()), *by_part.get(skeletons, ()))
                          if len(name_words(n)) > len(words) and _is_short_form(words, name_words(n))}
        full_roots = Counter()
        for candidate in candidates:
            candidate_root = groups.find(candidate)
            if candidate_root != root:
                full_roots[candidate_root] = quotes_of[candidate_root]
        if not full_roots:
            continue
        best = min(full_roots, key=lambda r: (-full_roots[r], r))
        total = sum(full_roots.values())
        if (full_roots[best] >= MIN_FULL_QUOTES and full_roots[best] >= DOMINANCE * total
                and type_of[best] == "person" and stats[name].speaker_type in ("person", "unknown")):
            short_forms[name] = best
    for name, best in sorted(short_forms.items()):
        groups.union(name, best)

    entries: dict[str, Entry] = {}
    for root, members in groups.sets().items():
        # the most quoted full form: a name of two words or more (a chain cut short is still a name)
        full = [n for n in members if len(name_words(n)) > 1] or members
        preferred = min(full, key=lambda n: (-stats[n].n_quotes, -len(name_words(n)), n))
        kind = next((kind_of[n] for n in members if n in kind_of), "")
        single_given = (all(name_key(n) == name_key(preferred) for n in members) and len(name_words(preferred)) == 1
                        and name_words(preferred)[0] in lexicon["given"] and stats[preferred].speaker_type == "person")
        if single_given:  # «محمد» alone: as many people as roles
            for name in members:
                entries[name] = Entry(None, preferred, scope="role")
            continue
        speaker_id = _hash_id(name_key(preferred))
        for name in members:
            entries[name] = Entry(speaker_id, preferred, kind=kind)
    for name in generic:
        entries[name] = Entry(None, name, scope="article", generic=True)
    return Identities(entries)


_CHAIN_LINKS = frozenset(("بن", "ابن", "بنت", "ال"))


def _is_short_form(short: tuple[str, ...], full: tuple[str, ...]) -> bool:
    """short is full with words left out: its trailing words («جواد ظريف» of «محمد جواد ظريف»), or
    the same first word, then the rest in order, and either the same last word or a prefix of full
    (a chain cut after its first names)."""
    if all(words_match(a, b) for a, b in zip(short, full[-len(short):])):
        # but after «بن» the rest of a chain is the father («سلمان بن عبد العزيز» of «محمد بن سلمان
        # بن عبد العزيز»)
        return full[-len(short) - 1] not in _CHAIN_LINKS
    if not words_match(short[0], full[0]):
        return False
    position = 1
    for word in short[1:]:
        while position < len(full) and not words_match(word, full[position]):
            position += 1
        if position == len(full):
            return False
        position += 1
    return words_match(short[-1], full[-1]) or position == len(short)


def _most_common(counts: Counter) -> str:
    return min(counts, key=lambda value: (-counts[value], value)) if counts else "unknown"


class Identities:
    """Speaker string -> Entry, and the ids of one article's rows."""

    def __init__(self, entries: dict[str, Entry]):
        self.entries = entries

    def __len__(self) -> int:
        return len(self.entries)

    def entry(self, speaker: str, speaker_type: str) -> Entry:
        """The entry of a string; one not seen by collect (it should not happen) gets its own."""
        found = self.entries.get(speaker)
        if found is None:
            if is_generic(speaker, speaker_type):
                return Entry(None, speaker, scope="article", generic=True)
            return Entry(_hash_id(name_key(speaker)), speaker)
        return found

    def assign(self, article_id: str, rows: list[dict]) -> list[Assigned | None]:
        """The identity of each quote row of one article (None without a speaker). A generic
        source takes the identity of the one named source of the article it stands for."""
        entries = [self.entry(row["speaker"], row["speaker_type"]) if row.get("speaker") else None for row in rows]
        # The named sources of the article, with the words that can stand for them.
        # id -> (identity, name words, role words, type, head words: the first word of a name, the kind)
        named: dict[str, tuple[Assigned, set[str], set[str], str, set[str]]] = {}
        for row, entry in zip(rows, entries):
            if entry is None or entry.scope != "corpus":
                continue
            words = {_strip_article(w) for w in name_words(row["speaker"])}
            heads = {_strip_article(name_words(row["speaker"])[0])} if name_words(row["speaker"]) else set()
            if entry.kind:
                words.add(entry.kind)
                heads.add(entry.kind)
            role_words = {_strip_article(w) for w in name_words(row.get("speaker_role") or "")}
            if entry.speaker_id not in named:
                named[entry.speaker_id] = (Assigned(entry.speaker_id, entry.preferred, False), set(), set(),
                                           row["speaker_type"], set())
            named[entry.speaker_id][1].update(words)
            named[entry.speaker_id][2].update(role_words)
            named[entry.speaker_id][4].update(heads)
        assigned: list[Assigned | None] = []
        for row, entry in zip(rows, entries):
            if entry is None:
                assigned.append(None)
            elif entry.scope == "corpus":
                assigned.append(Assigned(entry.speaker_id, entry.preferred, False))
            elif entry.scope == "role":
                role = name_key(row.get("speaker_role") or "")
                if role:
                    assigned.append(Assigned(_hash_id("role", name_key(row["speaker"]), role), row["speaker"], False))
                else:
                    assigned.append(Assigned(_hash_id("article", article_id, name_key(row["speaker"])), row["speaker"], False))
            else:
                issuer = _issuer(row, named)
                assigned.append(issuer or Assigned(_hash_id("article", article_id, name_key(row["speaker"])),
                                                   row["speaker"], True))
        return assigned


def _issuer(row: dict, named: dict[str, tuple[Assigned, set[str], set[str], str, set[str]]]) -> Assigned | None:
    """The one named source of the article that a generic mention stands for, or None.

    «الوكالة» stands for a source whose name opens with «وكالة» or whose kind is «وكالة» (not its
    role: «المتحدث باسم الوزارة» is no ministry); a title («الرئيس») for the one source whose name or role holds its
    words; a statement («البيان») for the one organization of the article; an unnamed source or
    «مراسل» for no one.
    """
    lexicon = _lexicon()
    if row["speaker_type"] == "anonymous":
        return None
    words = [_strip_article(w) for w in name_words(row["speaker"])]
    if not words or words[0] in lexicon["no_issuer"]:
        return None
    if words[0] in lexicon["statements"]:
        found = {key: value for key, value in named.items() if value[3] == "organization"}
    elif words[0] in lexicon["titles"]:
        found = {key: value for key, value in named.items() if all(w in value[1] | value[2] for w in words)}
    else:  # a body's noun heads the name it stands for: «الحكومة» is not «مكتب محاسبة الحكومة»
        found = {key: value for key, value in named.items() if words[0] in value[4] and all(w in value[1] for w in words)}
    if len(found) == 1:
        return next(iter(found.values()))[0]
    return None
