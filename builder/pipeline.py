"""The per-article stages composed: pure functions from an article record to its results.

Each stage is called with the article and the outputs of every stage before it, in the order of
ARTICLE_STAGES, so the runner can run them all in memory or one at a time from stored outputs.
"""

from __future__ import annotations

from builder.attribute import attribute
from builder.detect import detect
from builder.ingest import body_from_lines, normalize_text
from builder.segment import segment

STAGE_FUNCTIONS = {"segment": segment, "detect": detect, "attribute": attribute}
ARTICLE_STAGES = tuple(STAGE_FUNCTIONS)


def run_stage(stage: str, article: dict, outputs: dict[str, dict]) -> dict:
    """Output of one per-article stage, given the outputs of the stages before it."""
    earlier = ARTICLE_STAGES[: ARTICLE_STAGES.index(stage)]
    return STAGE_FUNCTIONS[stage](article, *(outputs[name] for name in earlier))


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
