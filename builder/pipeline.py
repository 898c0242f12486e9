"""The per-article stages composed: pure functions from an article record to its results.

Each stage is called with the article and the outputs of every stage before it, in the order of
ARTICLE_STAGES, so the runner can run them all in memory or one at a time from stored outputs.

Two short cuts skip work whose result is known, with the same output as running it: an article
without a single quotation mark has nothing to detect, and an article where detect found no quote
has nothing to attribute (most news articles quote nobody; the attribute stage is the costly one).
"""

from __future__ import annotations

import gc
import json
from functools import cache

from builder.attribute import attribute
from builder.detect import detect
from builder.ingest import body_from_lines, normalize_text
from builder.marks import any_mark
from builder.segment import segment

STAGE_FUNCTIONS = {"segment": segment, "detect": detect, "attribute": attribute}
ARTICLE_STAGES = tuple(STAGE_FUNCTIONS)


def run_stage(stage: str, article: dict, outputs: dict[str, dict]) -> dict:
    """Output of one per-article stage, given the outputs of the stages before it."""
    function = STAGE_FUNCTIONS[stage]
    shortcut = SHORTCUTS.get(stage)
    # Only for the real stage functions: a replaced one (a test's) always runs.
    if shortcut is not None and function is shortcut[0] and shortcut[1](article, outputs):
        return nothing_found(stage, article["article_id"])
    earlier = ARTICLE_STAGES[: ARTICLE_STAGES.index(stage)]
    return function(article, *(outputs[name] for name in earlier))


def _no_quote_marks(article: dict, outputs: dict) -> bool:
    return any_mark().search(article["text"]) is None


def _no_quotes(article: dict, outputs: dict) -> bool:
    return not outputs["detect"]["quotes"]


# stage -> (the function it short-cuts, when its result is known to be "nothing found").
SHORTCUTS = {"detect": (detect, _no_quote_marks), "attribute": (attribute, _no_quotes)}


def nothing_found(stage: str, article_id: str) -> dict:
    """The stage's output for an article in which it finds nothing: what the stage itself returns
    for an empty article (computed once), with the article's id."""
    return {**json.loads(_nothing_found(stage)), "article_id": article_id}


@cache
def _nothing_found(stage: str) -> str:
    empty = {"article_id": "", "title": "", "text": ""}
    outputs: dict[str, dict] = {}
    for name in ARTICLE_STAGES[: ARTICLE_STAGES.index(stage) + 1]:
        function = SHORTCUTS[name][0] if name in SHORTCUTS else STAGE_FUNCTIONS[name]
        outputs[name] = function(empty, *(outputs[earlier] for earlier in ARTICLE_STAGES[: ARTICLE_STAGES.index(name)]))
    return json.dumps(outputs[stage], ensure_ascii=False)


def process_article(article: dict) -> dict:
    """{segments, detected, attributed} for one ingested article; no I/O."""
    outputs: dict[str, dict] = {}
    for stage in ARTICLE_STAGES:
        outputs[stage] = run_stage(stage, article, outputs)
    return {"segments": outputs["segment"], "detected": outputs["detect"], "attributed": outputs["attribute"]}


def extract_quotes(text: str, *, title: str = "", article_id: str = "article") -> list[dict]:
    """Quote rows for one article body given as a string (normalized as ingest does)."""
    body = body_from_lines(normalize_text(text).split("\n"))
    article = {"article_id": article_id, "title": title, "text": body}
    return process_article(article)["attributed"]["quotes"]


_settled = False
_WARM_TEXT = "وقال وزير الخارجية أحمد علي للصحفيين: «نحن مستعدون للحوار»، مضيفا أن الوفد سيصل غدا."


def settle() -> None:
    """Ready this process to run the stages, once: one tiny article fills the lexicon and model
    caches, then everything loaded is frozen out of the garbage collector's sight (gc.freeze).

    The lexicons, models and look-up caches are a few million objects that live as long as the
    process; each full collection walked them all (a quarter of a second, every few hundred
    articles: a tenth of the stages' time). In the forkserver (builder._preload) it also spares the
    forked workers' copy-on-write pages. The output does not change."""
    global _settled
    if _settled:
        return
    _settled = True
    extract_quotes(_WARM_TEXT)
    gc.freeze()
