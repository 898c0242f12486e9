"""Gold files (the format of corpus/GUIDELINES.md): built quotes exported as gold, a build scored.

A gold file is named after its article: the article_id with "/" replaced by "__", plus ".json".
"""

from __future__ import annotations

import json
from pathlib import Path

from builder.cues import cue_table
from builder.resources import load
from builder.text import fold_key

# Rules that carry the speaker over from an earlier statement name themselves with one of these.


def gold_stem(article_id: str) -> str:
    """The file stem of an article's gold file (article ids may hold folders)."""
    return article_id.replace("/", "__")


def load_quote_rows(out: Path) -> list[dict]:
    """Every quote row of a build, all splits pooled."""
    import datasets

    quotes = datasets.load_from_disk(str(Path(out) / "quotes"))
    return [row for split in quotes.values() for row in split]


def published_article_ids(out: Path) -> list[str]:
    """article_id of every published article, all splits."""
    import datasets

    articles = datasets.load_from_disk(str(Path(out) / "articles"))
    return [article_id for split in articles.values() for article_id in split["article_id"]]


def gold_quote(row: dict) -> dict:
    """A quote row in the gold format."""
    aliases = [row["speaker_mention"]] if row["speaker_mention"] and row["speaker_mention"] != row["speaker"] else []
    return {"quote": row["quote"], "speaker": row["speaker"], "aliases": aliases, "type": row["speaker_type"],
            "cue": _cue_without_conjunction(row["cue"]), "pattern": _pattern(row)}


def _cue_without_conjunction(cue: str | None) -> str | None:
    """«وأضاف» -> «أضاف», but «وصف» or «وفقا» stay: the و goes only when it is not part of the word."""
    if not cue or not cue.startswith("و"):
        return cue
    table = cue_table()
    return cue[1:] if fold_key(cue) not in table and fold_key(cue[1:]) in table else cue


def _pattern(row: dict) -> str:
    """before / after / carryover / other: the pattern builder/resources/rules.json gives the row's
    rule; for a rule it does not list, read from where the cue stands."""
    if row.get("speaker") is None:
        return "other"
    spec = load("rules")["rules"].get(row.get("attribution_rule") or "")
    if spec is not None and spec["pattern"] is not None:
        return spec["pattern"]
    if row.get("cue_start") is not None:
        return "after" if row["cue_start"] >= row["quote_end"] else "before"
    return "other"


def export_gold(out: Path, destination: Path) -> int:
    """Write one gold file per published article of the build in out; the number written."""
    quotes_by_article: dict[str, list[dict]] = {}
    for row in load_quote_rows(out):
        quotes_by_article.setdefault(row["article_id"], []).append(row)
    destination = Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    article_ids = published_article_ids(out)
    for article_id in article_ids:
        stem = gold_stem(article_id)
        rows = sorted(quotes_by_article.get(article_id, []), key=lambda row: row["quote_start"])
        document = {"article": stem, "quotes": [gold_quote(row) for row in rows]}
        (destination / f"{stem}.json").write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n",
                                                  encoding="utf-8")
    return len(article_ids)


def evaluate_build(out: Path, gold_dir: Path):
    """EvalReport of a build's quotes (all splits) against the gold files in gold_dir."""
    from builder.evaluate import group_by_article, load_gold_dir, score

    gold = load_gold_dir(gold_dir)
    # Published articles without quotes are predictions too (of no quote), not missing articles.
    predictions = {gold_stem(article_id): [] for article_id in published_article_ids(out)}
    rows = [{**row, "article_id": gold_stem(row["article_id"])} for row in load_quote_rows(out)]
    predictions.update(group_by_article(rows))
    return score(predictions, gold)
