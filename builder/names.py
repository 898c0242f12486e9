"""Arabic person-name recogniser: a small CRF (python-crfsuite) trained by
``python -m builder.train_names`` and shipped in ``builder/resources/ner/``.

Public API::

    tokenize_with_offsets(text) -> [(token, start, end), ...]
    person_spans(text)          -> [(start, end), ...]   # text[start:end] is a name

The feature extractor below is shared with the trainer so that training and
inference can never drift apart.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from builder import text as _text

RESOURCE_DIR = Path(__file__).resolve().parent / "resources" / "ner"
MODEL_PATH = RESOURCE_DIR / "persons.crfsuite"
NAME_TOKENS_PATH = RESOURCE_DIR / "name_tokens.txt"
COMMON_WORDS_PATH = RESOURCE_DIR / "common_words.txt"

# ---------------------------------------------------------------------------
# Tokenisation
# ---------------------------------------------------------------------------

# A word is a run of letters/digits plus Arabic diacritics and tatweel (which
# Python's \w does not cover); every other non-space character is its own token,
# which matches ANERcorp's tokenisation (punctuation split off, clitics kept).
_SENTENCE_END = frozenset(".!?؟؛;")
# Bounds one CRF call, so memory stays flat on huge unpunctuated inputs.
_MAX_WINDOW_TOKENS = 250


def tokenize_with_offsets(text: str) -> list[tuple[str, int, int]]:
    """Split ``text`` into words and single punctuation marks with character offsets.

    Whitespace is dropped; each punctuation mark (، ؛ ؟ « » “ ” " ( ) : . , …)
    is returned as its own one-character token.
    """
    return list(_text.tokens(text))


# ---------------------------------------------------------------------------
# Normalisation and word lists
# ---------------------------------------------------------------------------

# One-to-one character folds (hamza-on-alef, alef maqsura, ta marbuta) so that
# ANERcorp's 2007 spelling and modern news spelling meet; diacritics and
# tatweel are deleted.
_FOLD = str.maketrans(
    {
        "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه",
        **{chr(c): None for c in range(0x064B, 0x0653)},
        "\u0670": None, "\u0640": None,
    }
)
_DIGITS = re.compile(r"\d")


def normalize(word: str) -> str:
    """Fold orthographic variants so spelling differences do not split features."""
    return _DIGITS.sub("0", word.translate(_FOLD).lower())


def _fold_list(words: str) -> frozenset[str]:
    return frozenset(normalize(w) for w in words.split())


# Titles and roles that precede a name (stored without ال and clitics).
# Kept small and general on purpose: the CRF learns the rest from context.
TITLES = _fold_list(
    "رئيس رئيسة وزير وزيرة نائب نائبة سفير سفيرة ملك ملكة أمير أميرة شيخ سيد سيدة "
    "دكتور دكتورة د مهندس أستاذ جنرال عقيد لواء عميد مستشار مستشارة متحدث متحدثة "
    "ناطق ناطقة مدير مديرة قائد زعيم مبعوث مندوب أمين حاكم مفتي إمام بابا مدرب لاعب "
    "نجم فنان فنانة كاتب كاتبة صحفي صحفية محلل خبير رئيسها رئيسه عضو"
)
# Titles that are also common given names (أمير, سيد, أمين...) count as titles
# only when written with the article: «الأمير» yes, «أمير عبد اللهيان» no.
_TITLES_NEED_AL = _fold_list("أمير أميرة سيد سيدة شيخ ملك إمام نائب أمين حاكم قائد نجم")
# Speech verbs that sit next to a speaker's name.
CUES = _fold_list(
    "قال قالت يقول تقول أكد أكدت يؤكد تؤكد أضاف أضافت يضيف أوضح أوضحت صرح صرحت "
    "أعلن أعلنت اعتبر اعتبرت أشار أشارت ذكر ذكرت كتب كتبت رد ردت تابع تابعت شدد "
    "شددت لفت لفتت دعا دعت وصف وصفت نقل نقلت أفاد أفادت حسب بحسب وفق وفقا"
)
# Words that can never be inside a name: the addressee of a speech verb and
# common function words the CRF occasionally glues onto a span.
_NEVER_IN_NAME = _fold_list(
    "نظير نظيره نظيرته نظيرها نظيرهم نظراؤه في من إلى الى عن أن إن ان مع هذا هذه "
    "التي الذي الذين إنه انه أنه إنها أنها لكن لقد قد كان كانت حيث خلال بعد قبل عند "
    "أمام له لها لهم إليه اليه عليه فيه منه ضد"
)
# Function words that fold onto names («على» → «علي», «بأن» → «بان» as in
# «بان كي مون»), so they are matched as spelled, before folding.
_NEVER_IN_NAME_AS_SPELLED = frozenset("على بأن بأنه بأنها لأن لأنه لأنها كأن".split())
_DIACRITICS_RE = re.compile("[\u064B-\u0652\u0670\u0640]")
# Tanween fath marks adverbs and indefinite objects («سابقًا», «أيضاً»); news
# never writes it on a name (nominative «محمدٌ» is left alone).
_TANWEEN_FATH = "\u064B"
_CLITIC_CONJ = ("و", "ف")
_CLITIC_PREP = ("ب", "ل", "ك")
_CLITIC_LETTERS = frozenset(_CLITIC_CONJ + _CLITIC_PREP)
# و/ف/ل + article. بال/كال are left out: too many foreign names start so
# («بال», «كالشكه»).
_CLITIC_ARTICLE = ("وال", "فال", "لل")

_name_tokens: frozenset[str] | None = None


def load_common_words(path: Path | None = None) -> frozenset[str]:
    """Folded words that ANERcorp never has inside a person name (written by train_names)."""
    path = path or COMMON_WORDS_PATH
    with _opened_resource(path) as handle:
        return frozenset(line.strip() for line in handle if line.strip())


def load_name_tokens(path: Path = NAME_TOKENS_PATH) -> frozenset[str]:
    """Normalised arabnamer name tokens (written by train_names)."""
    with _opened_resource(path) as handle:
        return frozenset(normalize(line.strip()) for line in handle if line.strip())


def _opened_resource(path: Path):
    """A shipped resource file, open; a missing one is an install to repair, never an empty list
    (which would quietly change every attribution)."""
    try:
        return path.open(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} is missing: reinstall the builder, or rebuild the name "
                                f"recogniser's files with `make names`") from None


def _names() -> frozenset[str]:
    global _name_tokens
    if _name_tokens is None:
        _name_tokens = load_name_tokens()
    return _name_tokens


def clitic_variants(norm: str) -> list[str]:
    """Forms of ``norm`` with a leading و/ف and then ب/ل/ك removed (longest first).

    ``لل`` is ل + ال with the alef dropped, so «للرئيس» yields «الرئيس».
    Remainders of three letters or fewer are not stripped (so «ولد» stays a word).
    """
    variants = []
    rest = norm
    if len(rest) > 3 and rest[0] in _CLITIC_CONJ:
        rest = rest[1:]
        variants.append(rest)
    if len(rest) > 3 and rest[0] in _CLITIC_PREP:
        variants.append("ا" + rest[1:] if rest.startswith("لل") else rest[1:])
    return variants


def _drop_article(norm: str) -> str:
    return norm[2:] if norm.startswith("ال") and len(norm) > 4 else norm


class WordClass(NamedTuple):
    """What the word lists say about one normalised word."""

    variants: tuple[str, ...]  # clitic-stripped forms, see clitic_variants
    core: str  # clitic- and article-free form
    title: bool  # «الرئيس», «وزير», «والشيخ»; not the bare name «أمير»
    cue: bool  # speech verb: «قال», «وأضاف»
    function_word: bool  # «لنظيره», «ومن», «في»: never part of a name


@lru_cache(maxsize=200_000)
def analyse(norm: str) -> WordClass:
    """Classify a normalised word once; features and decoding both ask."""
    variants = tuple(clitic_variants(norm))
    core = _drop_article(variants[-1] if variants else norm)
    title = core in TITLES and (
        core not in _TITLES_NEED_AL or any(v.startswith("ال") for v in (norm, *variants))
    )
    cue = norm in CUES or any(v in CUES for v in variants)
    function_word = norm in _NEVER_IN_NAME or any(v in _NEVER_IN_NAME for v in variants)
    return WordClass(variants, core, title, cue, function_word)


def is_title(norm: str) -> bool:
    return analyse(norm).title


def is_cue(norm: str) -> bool:
    return analyse(norm).cue


# ---------------------------------------------------------------------------
# Features
# ---------------------------------------------------------------------------

_PUNCT_RE = re.compile(r"^[^\w]+$")
_LATIN_RE = re.compile(r"[a-z]")
_ARABIC_RE = re.compile(r"[\u0621-\u064A]")

# Buckwalter transliteration of the (normalised) Arabic letters: crfsuite
# looks features up through UTF-8 byte strings, and pure-ASCII feature names
# make that about three times faster than Arabic ones.
_BUCKWALTER = str.maketrans(
    {
        "ء": "'", "ؤ": "&", "ئ": "}", "ا": "A", "ب": "b", "ت": "t", "ث": "v", "ج": "j",
        "ح": "H", "خ": "x", "د": "d", "ذ": "*", "ر": "r", "ز": "z", "س": "s", "ش": "$",
        "ص": "S", "ض": "D", "ط": "T", "ظ": "Z", "ع": "E", "غ": "g", "ف": "f", "ق": "q",
        "ك": "k", "ل": "l", "م": "m", "ن": "n", "ه": "h", "و": "w", "ي": "y",
        "پ": "P", "چ": "J", "ڤ": "V", "گ": "G", "ک": "k", "ی": "y",
    }
)


def _ascii(norm: str) -> str:
    text = norm.translate(_BUCKWALTER)
    return text if text.isascii() else text.encode("ascii", "backslashreplace").decode("ascii")


def _skeleton(norm: str) -> str:
    """First letter plus the consonants: transliterations of one foreign name
    mostly differ in long vowels («ألكساندر» / «ألكسندر»)."""
    return norm[:1] + norm[1:].replace("ا", "").replace("و", "").replace("ي", "")


# Letters that Arabic derivational templates add around the root («سألتمونيها»);
# every other letter becomes C, so «سعيد» → «سCيC», «خالد» → «CاCC».
_TEMPLATE = str.maketrans({c: "C" for c in "بجحخدذرزشصضطظعغفقكلث"})


def _template(core: str) -> str:
    """Morphological pattern of a word: native words fall into a few templates,
    transliterated foreign names mostly do not."""
    return core.translate(_TEMPLATE)


def _shape(norm: str) -> str:
    if _PUNCT_RE.match(norm):
        return "punct"
    if norm.isdigit():
        return "digit"
    if _ARABIC_RE.search(norm):
        return "arlat" if _LATIN_RE.search(norm) else "ar"
    return "lat" if _LATIN_RE.search(norm) else "other"


class NameLexicon:
    """The arabnamer name tokens with the derived look-ups the features use."""

    def __init__(self, tokens: frozenset[str]):
        self.tokens = tokens
        self.skeletons = frozenset(_skeleton(t) for t in tokens if len(t) >= 4)

    def flag(self, norm: str) -> str | None:
        """How ``norm`` matches the name list: nm (as is), nm_cl (behind a
        clitic: «ولويد»), nm_al (without the article: «العباسي» ← «عباسي»),
        nm_sk (same consonant skeleton), or None."""
        tokens = self.tokens
        if norm in tokens:
            return "nm"
        variants = analyse(norm).variants
        if any(v in tokens for v in variants):
            return "nm_cl"
        if any(_drop_article(v) in tokens for v in [norm, *variants]):
            return "nm_al"
        if len(norm) >= 4 and _skeleton(norm) in self.skeletons:
            return "nm_sk"
        return None


def _flags(norm: str, word_class: WordClass, lexicon: NameLexicon) -> list[str]:
    """Binary properties of a word that also make sense for its neighbours."""
    shape = _shape(norm)
    # Most tokens are plain Arabic words: only the exceptions get a shape
    # feature, which saves five feature look-ups per token.
    flags = [] if shape == "ar" else ["sh=" + shape]
    name_flag = lexicon.flag(norm)
    if name_flag:
        flags.append(name_flag)
    if word_class.title:
        flags.append("title")
    if word_class.cue:
        flags.append("cue")
    if word_class.function_word:
        flags.append("func")
    if norm.startswith("ال"):
        flags.append("al")
    core = word_class.core
    if len(core) > 3 and core.endswith("ي"):
        # «العباسي» (family name of origin) or «الروسي» (nationality, which
        # often introduces a foreign name).
        flags.append("nisba")
    return flags


# Border features: stand-ins for the missing neighbours of the first two and
# last two tokens of a window.
_BEFORE_START = ([], ["BOS"], [], ["BOS2"], [])
_NOTHING = ([], [], [], [], [])
_AFTER_END = ([], [], ["EOS"], [], ["EOS2"])


class FeatureExtractor:
    """Per-token CRF features with a per-word cache (news repeats words a lot).

    Each word contributes five feature lists: its own, and what it tells its
    neighbours at -1, +1, -2 and +2; a token's features are the concatenation.
    """

    def __init__(self, names: frozenset[str] | None = None, *, cache_limit: int = 300_000,
                 known_features: frozenset[str] | None = None, encoded: bool = False):
        self.names = _names() if names is None else names
        self.lexicon = NameLexicon(self.names)
        # Inference only: features the model has weights for; dropping the
        # rest up front saves crfsuite from looking them up.
        self.known_features = known_features
        # Inference only: features as the UTF-8 bytes crfsuite reads, encoded once per word
        # instead of once per token (crfsuite encodes every str feature it is given: a third
        # of its time here).
        self.encoded = encoded
        self._borders = tuple(tuple(tuple([f.encode() for f in part] if encoded else part) for part in border)
                              for border in (_BEFORE_START, _NOTHING, _AFTER_END))
        self.cache_limit = cache_limit
        self._cache: dict[str, tuple[tuple[str | bytes, ...], ...]] = {}

    def _word_parts(self, token: str) -> tuple[tuple[str | bytes, ...], ...]:
        cache = self._cache
        parts = cache.get(token)
        if parts is not None:
            return parts
        norm = normalize(token)
        word_class = analyse(norm)
        core = word_class.core
        flags = _flags(norm, word_class, self.lexicon)
        spelled = _DIACRITICS_RE.sub("", token)
        if spelled in _NEVER_IN_NAME_AS_SPELLED:
            flags.append("func")
        if spelled.endswith("ى"):
            flags.append("maq")  # «على» (on) vs «علي» (Ali): folding hides it
        word, stem = _ascii(norm), _ascii(core)
        own = ["b", "p2=" + word[:2], "p3=" + word[:3], "s2=" + word[-2:], "s3=" + word[-3:],
               "len=%d" % min(len(core), 8), "pat=" + _ascii(_template(core))] + flags
        own += ["w=" + word, "c=" + stem]
        prev1 = ["-1w=" + word, "-1c=" + stem] + ["-1" + f for f in flags]
        next1 = ["+1w=" + word, "+1c=" + stem] + ["+1" + f for f in flags]
        prev2 = ["-2c=" + stem] + ["-2" + f for f in flags]
        next2 = ["+2c=" + stem] + ["+2" + f for f in flags]
        parts = (own, prev1, next1, prev2, next2)
        # Tuples of strings: once the garbage collector has seen that they hold no containers it
        # stops visiting them, and this cache holds up to a million and a half of them.
        known = self.known_features
        if known is not None and self.encoded:  # inference: one pass
            parts = tuple(tuple([f.encode() for f in part if f in known]) for part in parts)
        else:
            if known is not None:
                parts = tuple([f for f in part if f in known] for part in parts)
            parts = tuple(tuple([f.encode() for f in part] if self.encoded else part) for part in parts)
        if len(cache) >= self.cache_limit:
            cache.clear()  # keeps memory bounded on huge inputs
        cache[token] = parts
        return parts

    def sequence(self, tokens: list[str]) -> list[list[str]]:
        """Feature lists for one sentence-sized window of tokens."""
        cache = self._cache
        before_start, nothing, after_end = self._borders
        parts = [nothing, before_start, *[cache.get(token) or self._word_parts(token) for token in tokens],
                 after_end, nothing]
        return [[*own[0], *prev1[1], *next1[2], *prev2[3], *next2[4]]
                for prev2, prev1, own, next1, next2 in zip(parts, parts[1:], parts[2:], parts[3:], parts[4:])]


# ---------------------------------------------------------------------------
# Inference
# ---------------------------------------------------------------------------

# A token whose marginal probability of being inside a person name reaches
# this value joins a name even where the single best path says otherwise.
PERSON_THRESHOLD = 0.3

_WORDLIKE_RE = re.compile(r"[^\W\d_]")
_tagger = None
_extractor: FeatureExtractor | None = None
# A crfsuite tagger holds the sequence it is working on, so threads take turns.
_tagger_lock = threading.Lock()


def _load():
    """Open the shipped model once per process."""
    global _tagger, _extractor
    if _tagger is None:
        import pycrfsuite  # deferred so importing this module stays cheap

        if not MODEL_PATH.exists():
            raise FileNotFoundError(
                f"{MODEL_PATH} is missing; build it with `python -m builder.train_names`"
            )
        tagger = pycrfsuite.Tagger()
        tagger.open(str(MODEL_PATH))
        known = frozenset(attribute for attribute, _label in tagger.info().state_features)
        _extractor = FeatureExtractor(known_features=known, encoded=True)
        _tagger = tagger
    return _tagger, _extractor


def _windows(tokens: list[tuple[str, int, int]], text: str):
    """Yield sentence/line-sized slices of ``tokens`` (keeps tagging linear)."""
    start = 0
    prev_end = None
    find = text.find
    for i, (tok, s, _e) in enumerate(tokens):
        # A line break between tokens ends a window: headlines, paragraphs.
        if prev_end is not None and i > start and find("\n", prev_end, s) != -1:
            yield start, i
            start = i
        if tok in _SENTENCE_END or i + 1 - start >= _MAX_WINDOW_TOKENS:
            yield start, i + 1
            start = i + 1
        prev_end = _e
    if start < len(tokens):
        yield start, len(tokens)


@lru_cache(maxsize=200_000)
def _token_info(token: str) -> tuple[str, bool]:
    """(normalised form, whether the token can never be part of a name)."""
    norm = normalize(token)
    word_class = analyse(norm)
    # A lone letter is a clitic written apart («بـ“محاسبة”»), never part of a name.
    blocks = (len(norm) < 2 or word_class.title or word_class.cue or word_class.function_word
              or _DIACRITICS_RE.sub("", token) in _NEVER_IN_NAME_AS_SPELLED
              or _TANWEEN_FATH in token
              or not _WORDLIKE_RE.search(norm))
    return norm, blocks


def _clitic_length(token: str, names: frozenset[str], seen: frozenset[str] | set[str]) -> int:
    """How many leading clitic letters of a name's first token to leave out.

    The clitic is cut only with evidence: the token itself is not a listed
    name but the remainder is, or the remainder occurs on its own in the same
    text («وبلير» next to «بلير»). «وليد», a listed name, stays whole. A
    remainder that starts with a bare alef other than the article is left
    alone: ب + «أحمد» is written «بأحمد», so «بارون» is Baron, not ب + «ارون».
    «للكاظمي» (ل + ال) cannot be cut without losing the alef, so it stays whole.
    """
    norm = _token_info(token)[0]
    if norm in names:
        return 0
    for variant in analyse(norm).variants:
        if not norm.endswith(variant) or not (variant in names or variant in seen):
            continue
        cut = len(norm) - len(variant)
        rest = token[_leading_chars(token, cut):]
        if rest.startswith("ا") and not rest.startswith("ال"):
            continue
        return cut
    return 0


def _is_clitic_article(norm: str) -> bool:
    return norm.startswith(_CLITIC_ARTICLE) and len(norm) > 4 and norm not in _names()


def _person_groups(tagger, window: list[tuple[str, int, int]], seq, threshold: float) -> list[list[int]]:
    """Token indices of each person name in one window.

    A token is part of a name when the Viterbi path says PERS or, for recall,
    when its marginal PERS probability reaches ``threshold``; tokens that can
    never be in a name split the run.
    """
    tagger.set(seq)
    labels = tagger.tag()
    use_marginals = threshold < 1.0
    if "B-PERS" not in labels and "I-PERS" not in labels:
        # Every token's marginal for a label other than its path label is at
        # most 1 - P(path); when that is below the threshold no token can
        # join a name, and the per-token loop (most of the time) is skipped.
        if not use_marginals or 1.0 - tagger.probability(labels) < threshold:
            return []
    groups: list[list[int]] = []
    current: list[int] = []
    for j, label in enumerate(labels):
        norm, blocks = _token_info(window[j][0])
        begins = False
        if blocks:
            inside = False
        elif label == "B-PERS" or label == "I-PERS":
            # Clitic + article («والكاظمي», «للمحطة») never continues a name:
            # it is a second person or a prepositional phrase.
            inside, begins = True, label == "B-PERS" or _is_clitic_article(norm)
        elif use_marginals:
            p_begin = tagger.marginal("B-PERS", j)
            p_inside = tagger.marginal("I-PERS", j)
            inside = p_begin + p_inside >= threshold
            # Only a run of its own may start here: next to a name, a
            # likely-name token extends it («خوسيه أنطونيو ريس»).
            begins = _is_clitic_article(norm) or (not current and p_begin > p_inside)
        else:
            inside = False
        if inside and current and not begins:
            current.append(j)
            continue
        if current:
            groups.append(current)
        current = [j] if inside else []
    if current:
        groups.append(current)
    return groups


# Name particles after which the next token belongs to a compound («عبد الله»,
# «أبو بكر», «بن سلمان»), so that token is no surname to propagate alone.
_PARTICLES = _fold_list("عبد أبو ابو أبي ابن بن بنت آل أم ولد")
# Second halves of compound names («نصر الله», «نور الدين»): no surnames.
_COMPOUND_ENDINGS = _fold_list("الله الدين")


def _propagate(tokens: list[tuple[str, int, int]], groups: list[list[int]], norms: list[str]) -> list[list[int]]:
    """Add later and earlier mentions of names found elsewhere in the text.

    News introduces a person once with title and full name and then repeats
    the full name or just the surname, often where the CRF lacks context
    («وأضاف هاوزنر»). Every multi-token name that starts with a listed first
    name is looked up everywhere (also behind a clitic), and so is its last
    token when it is a surname.
    """
    covered = [False] * len(tokens)
    patterns: dict[str, set[tuple[str, ...]]] = {}
    for group in groups:
        for index in group:
            covered[index] = True
        if len(group) < 2:
            continue
        name = tuple(norms[i] for i in group)
        first = _strip_clitic(tokens[group[0]][0])
        if first not in _names():
            continue  # a known first name makes a true person likely; errors would multiply
        name = (first,) + name[1:]
        patterns.setdefault(name[0], set()).add(name)
        surname = name[-1]
        if (len(surname) >= 3 and name[-2] not in _PARTICLES and surname not in _PARTICLES
                and surname not in _COMPOUND_ENDINGS):
            patterns.setdefault(surname, set()).add((surname,))
    if not patterns:
        return groups
    found = list(groups)
    i = 0
    while i < len(tokens):
        if covered[i]:
            i += 1
            continue
        norm = norms[i]
        heads = (norm, *analyse(norm).variants) if norm[:1] in _CLITIC_LETTERS else (norm,)
        best: tuple[str, ...] = ()
        for head in heads:
            for name in patterns.get(head, ()):
                size = len(name)
                if size > len(best) and tuple(norms[i + 1:i + size]) == name[1:] \
                        and not any(covered[i:i + size]):
                    best = name
        if best:
            found.append(list(range(i, i + len(best))))
            i += len(best)
        else:
            i += 1
    found.sort()
    return found


def _strip_clitic(token: str) -> str:
    """The normalised first name of a span, without a clitic it carries."""
    norm = _token_info(token)[0]
    return norm[_clitic_length(token, _names(), frozenset()):]


def _outside(tokens: list[tuple[str, int, int]], skip: list[tuple[int, int]]) -> list[tuple[str, int, int]]:
    """The tokens not wholly inside the ``skip`` spans (overlapping spans count as one)."""
    if not skip:
        return tokens
    merged: list[list[int]] = []
    for start, end in sorted(skip):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    starts = [start for start, _end in merged]
    kept = []
    for token in tokens:
        index = bisect_right(starts, token[1]) - 1
        if index < 0 or token[2] > merged[index][1]:
            kept.append(token)
    return kept


def person_spans(text: str, *, threshold: float | None = None,
                 skip: list[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """Character spans of person names in ``text``, in order.

    Titles, speech verbs, addressees («لنظيره») and punctuation are never part
    of a span: a span is split at them. Names found once are also marked at
    their other mentions in ``text`` (full name or surname, see ``_propagate``).
    A leading و/ف/ب/ل/ك clitic is left out of a span when ``_clitic_length``
    finds evidence for it, so «ولويد اوستن» gives «لويد اوستن»; otherwise the
    clitic stays inside the span. ``threshold`` overrides ``PERSON_THRESHOLD``
    (1.0 = the single best CRF path only). Tokens wholly inside a ``skip`` span
    are neither tagged nor searched: the tokens on either side of it tag as one
    window.
    """
    if not text or text.isspace():
        return []
    with _tagger_lock:
        tagger, extractor = _load()
        threshold = PERSON_THRESHOLD if threshold is None else threshold
        tokens = _outside(_text.tokens(text), skip)
        groups: list[list[int]] = []
        for lo, hi in _windows(tokens, text):
            window = tokens[lo:hi]
            seq = extractor.sequence([t for t, _, _ in window])
            for group in _person_groups(tagger, window, seq, threshold):
                groups.append([lo + j for j in group])
    if not groups:
        return []
    norms = [_token_info(t)[0] for t, _, _ in tokens]
    groups = _propagate(tokens, groups, norms)
    seen = set(norms)
    spans: list[tuple[int, int]] = []
    for group in groups:
        first_token, start, _ = tokens[group[0]]
        cut = _clitic_length(first_token, extractor.names, seen)
        if cut:
            start += _leading_chars(first_token, cut)
        spans.append((start, tokens[group[-1]][2]))
    return spans


def _leading_chars(token: str, letters: int) -> int:
    """Raw-character length of the first ``letters`` normalised letters
    (diacritics and tatweel in ``token`` take up characters but vanish in
    the normalised form)."""
    count = 0
    for index, char in enumerate(token):
        if normalize(char):
            if count == letters:
                return index
            count += 1
    return len(token)
