"""The annotated corpora of ../shared (train/, dev/) as in-memory articles with their gold quotes.

Training (`make train`) and cross-validation (`make cv`) read them here, ingested exactly as a
build ingests a .txt file, so features are computed on the same text that offsets point into.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from builder.ingest import body_from_lines, normalize_text, parse_txt

# ../shared beside the project, or wherever BUILDER_SHARED points.
SHARED = Path(os.environ.get("BUILDER_SHARED", Path(__file__).resolve().parent.parent.parent / "shared"))
CORPUS = SHARED / "corpus"


@dataclass
class Annotated:
    """One annotated article: the record ingest makes of it, its gold quotes and its outlet."""

    article: dict
    gold: list[dict]
    outlet: str
    split: str
    stages: dict = field(default_factory=dict)  # segment/detect outputs, filled on demand

    @property
    def article_id(self) -> str:
        return self.article["article_id"]


def outlet_of(stem: str) -> str:
    """«101_3alyoum» -> «3alyoum»: the file names end with the outlet's key."""
    return stem.split("_", 1)[1] if "_" in stem else stem


def load_split(split: str, root: Path | None = None) -> list[Annotated]:
    """The articles of corpus/<split> (train or dev) that have a gold file, in file-name order."""
    folder = (root or CORPUS) / split
    if not (folder / "gold").is_dir():
        raise FileNotFoundError(f"no annotated corpus at {folder} (expected {folder}/articles and {folder}/gold)")
    items = []
    for gold_path in sorted((folder / "gold").glob("*.json")):
        stem = gold_path.stem
        raw = (folder / "articles" / f"{stem}.txt").read_text(encoding="utf-8")
        section, title, lines = parse_txt(normalize_text(raw))
        article = {"article_id": stem, "title": title, "section": section, "text": body_from_lines(lines)}
        gold = json.loads(gold_path.read_text(encoding="utf-8"))["quotes"]
        items.append(Annotated(article, gold, outlet_of(stem), split))
    return items


def available(split: str = "train") -> bool:
    return (CORPUS / split / "gold").is_dir()


def stage_outputs(item: Annotated, upto: str = "detect") -> dict:
    """The outputs of the per-article stages up to `upto`, computed once per article and kept."""
    from builder.pipeline import ARTICLE_STAGES, run_stage

    for stage in ARTICLE_STAGES[: ARTICLE_STAGES.index(upto) + 1]:
        if stage not in item.stages:
            item.stages[stage] = run_stage(stage, item.article, item.stages)
    return item.stages
