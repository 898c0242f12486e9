"""The canonical name of a person mention: which fuller form of it in the article is that person.

«ترامب» is «دونالد ترامب» written in full earlier, but «كولوتا» is not «كولوتا سيدة» (a recogniser
span that ran on into «سيدة ثم أخرى»), «إيلمان» need not be «تونيا إيلمان» (his wife), and
«إبراهيم» is not «ويدعى إبراهيم». The resolver lists every fuller form (a name of the article that
starts or ends with the mention's words, and a given name written right before a lone family
name); a logistic model (`canonical/1`, fitted by `make train` on the gold speakers of train/)
scores each, and the longest one it does not reject is the canonical name, else the mention as
written. Without a shipped model the longest form wins (the hand rule this model replaced).
"""

from __future__ import annotations

from collections.abc import Iterable

from builder import learning
from builder.text import words

NAME = "canonical"
VERSION = "canonical/1"
# Both chosen by `make cv`: C over 0.1-1 (1.0); the probability under which a longer form is
# rejected over 0.2-0.5 (0.3: the longest form, the old rule, stays the default).
C = 1.0
THRESHOLD = 0.3


def features(mention: list[str], form_words: list[str], side: str, competitors: int, occurrences: int,
             next_word: str | None) -> dict[str, float]:
    """What one fuller form adds to a mention (side: left, right, or given for a given name found
    before a lone family name), and how it stands among the article's other fuller forms."""
    from builder.attribute.features import _word_class

    added_count = len(form_words) - len(mention)
    added = form_words[len(form_words) - added_count:] if side == "right" else form_words[:added_count]
    f = {f"side={side}": 1.0, f"mention_words={min(len(mention), 3)}": 1.0, f"side={side}&added={min(added_count, 3)}": 1.0,
         f"competitors={min(competitors, 3)}": 1.0, f"occurrences={min(occurrences, 3)}": 1.0}
    for position, word in (("first", added[0]), ("last", added[-1])) if added else ():
        for cls in _word_class(word):
            f[f"{side}_{position}_{cls}"] = 1.0
    for cls in (_word_class(next_word) if next_word else ["end"]):
        f[f"{side}_next_{cls}"] = 1.0  # what follows the fuller form where it is written
    return f


def forms(resolver, span: tuple[int, int]) -> list[tuple[str, tuple[int, int] | None, dict[str, float]]]:
    """(name, where it is written in full or None, features) of every fuller form of a mention."""
    text = resolver.text
    mention = resolver.mention_keys(span)
    fuller = resolver.fuller_forms(mention)  # one span per spelling
    found = []
    for form_span, keys in fuller:
        side = "left" if keys[-len(mention):] == mention else "right"
        after = words(text, form_span[1], min(len(text), form_span[1] + 40))[:1]
        next_word = after[0][0] if after and not resolver.ctx.gap_breaks(form_span[1], after[0][1]) else None
        form_words = [word for word, _s, _e in words(text, *form_span)]
        found.append((text[form_span[0]:form_span[1]], form_span,
                      features(mention, form_words, side, len(fuller), resolver.spelling_count(keys), next_word)))
    if len(mention) == 1 and not fuller:
        given = resolver.given_name_before(text[span[0]:span[1]])
        if given is not None:
            found.append((given, None, features(mention, given.split(), "given", 1, 1, None)))
    return found


def scored_forms(resolver, span: tuple[int, int]) -> list[tuple[str, tuple[int, int] | None, float]]:
    """(name, where written, probability) of every fuller form, longest first; the probability is
    1.0 without a shipped model (the first `make train`), so the longest form wins as the hand
    rule had it."""
    candidates = forms(resolver, span)
    try:
        model = learning.model(NAME)
    except FileNotFoundError:
        model = None
    scored = [(name, where, model.probability(f) if model is not None else 1.0) for name, where, f in candidates]
    return sorted(scored, key=lambda item: -len(item[0].split()))


def choose(scored: list[tuple[str, tuple[int, int] | None, float]], span: tuple[int, int]) -> tuple[str | None, tuple[int, int] | None]:
    """The canonical form of a mention and where it is written in full; (None, None): as written.
    The longest form the model does not reject, as the hand rule took the longest form. A form
    written at this very mention («الوزير أحمد علي» for a mention cut to «أحمد») is where the
    name's own boundary was drawn, not another mention of it: it is taken as it is."""
    for name, where, probability in scored:
        if _written_here(where, span) or probability >= THRESHOLD:
            return name, where
    return None, None


def _written_here(where: tuple[int, int] | None, span: tuple[int, int]) -> bool:
    return where is not None and where[0] <= span[0] and span[1] <= where[1]


def training_examples(items: Iterable) -> list[tuple[dict[str, float], int]]:
    """For each gold person quote of train/ whose mention is written in the article: every fuller
    form of the mention and whether the gold accepts it as the speaker, once per mention and
    speaker. The features do not depend on where the mention stands, so its first occurrence
    serves; a form written around that occurrence counts too (it is a run-on the model must
    learn to reject elsewhere, «آنا كولوتا سيدة»), though `choose` takes such a form as it is
    at the very mention it contains."""
    from builder.annotated import stage_outputs
    from builder.attribute.rules import _clean_name, analyse
    from builder.evaluate import speaker_ok

    examples = []
    for item in items:
        stages = stage_outputs(item, "detect")
        analysis = analyse(item.article, stages["segment"], stages["detect"])
        if analysis is None:
            continue
        text = item.article["text"]
        seen = set()
        for gold in item.gold:
            mention = gold.get("mention")
            if not mention or gold.get("type") != "person" or (mention, gold.get("speaker")) in seen:
                continue
            seen.add((mention, gold.get("speaker")))
            at = text.find(mention)
            if at < 0:
                continue
            for name, _where, f in forms(analysis.resolver, (at, at + len(mention))):
                examples.append((f, int(speaker_ok(_clean_name(name), gold))))
    return examples


def fit(items: list) -> learning.LinearModel:
    return learning.fit_logistic(NAME, VERSION, training_examples(items), c=C, meta={"articles": len(items)})
