"""The dataset card of OUT/hub: YAML configs for `load_dataset`, then what the data is.

Every string that comes from the input (names, licences) is escaped: the card is rendered as
HTML on the hub, and an article must not be able to inject markup into it.
"""

from __future__ import annotations

import html
import re

import yaml

from builder import __version__
from builder.resources import versions

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")

STAGE_NOTES = (
    ("ingest", "reads `*.txt` files (section line, title line, body) and `*.jsonl` lines; normalizes the text "
               "once (NFC, NBSP to space, bidi marks, BOM and NUL removed, site boilerplate lines dropped)"),
    ("segment", "paragraphs and sentences as character offsets; a quote holding a full stop stays in one sentence"),
    ("detect", "quotation marks paired into quotes, names and terms in marks set aside, missing marks recorded "
               "as anomalies"),
    ("attribute", "the speaker, its mention, role, cue and addressee of each quote, with a versioned rule name "
                  "and a confidence"),
    ("publish", "the configs below, split 80/10/10 by a hash of article_id"),
)

LIMITATIONS = (
    "Speakers are found by rules and lexicons of Arabic news writing, not by a trained parser: "
    "unusual constructions get a low confidence or no speaker.",
    "Only direct quotations between quotation marks are extracted; indirect speech is not.",
    "Quotes in titles are not extracted; offsets point into the body text only.",
    "The texts keep the licences of their sources (below); check them before redistributing.",
)


def md(text) -> str:
    """text made inert in markdown and HTML, on one line."""
    escaped = html.escape(" ".join(str(text).split()), quote=True)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", escaped)


def dataset_card(report, hub_files: dict[str, list[tuple[str, str]]]) -> str:
    """README.md of the hub folder for a PublishReport and the parquet files written per config."""
    return "---\n" + _front_matter(hub_files) + "---\n\n" + "\n".join(_body(report, hub_files)) + "\n"


def _front_matter(hub_files: dict[str, list[tuple[str, str]]]) -> str:
    # A config with no rows at all is left out: the loader refuses a config without data.
    configs = []
    for config, files in hub_files.items():
        if files:
            entry = {"config_name": config}
            if config == "quotes":
                entry["default"] = True
            entry["data_files"] = [{"split": split, "path": path} for split, path in files]
            configs.append(entry)
    meta = {"language": ["ar"], "license": "other", "pretty_name": "Arabic news quotes and their speakers",
            "tags": ["quotation-attribution", "news", "arabic"], "configs": configs}
    return yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)


def _table(header: tuple[str, ...], rows) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines + [""]


def _body(report, hub_files) -> list[str]:
    lines = [
        "# Arabic news quotes and their speakers", "",
        "Direct quotations found in Arabic news articles, each with who said it (the speaker as the article "
        "names them in full, their role, type and gender), the cue word, the addressee when there is one, "
        "and character offsets into the article text, so every span can be checked with "
        "`text[start:end]`. Built with arabic-quotes-builder " + __version__ + ".", "",
        "## Configs", "",
        "- `quotes` (default): one row per quote.",
        "- `articles`: the article texts every offset points into, with paragraph and sentence offsets "
        "and the anomalies found (unclosed or unopened quotation marks).",
        "- `speakers`: one row per canonical speaker of the whole corpus (a single `train` split): type, "
        "roles, genders, number of quotes and the articles quoting them.", "",
    ]
    sizes = report.split_sizes
    lines += _table(("config", *sizes["quotes"]), [(f"`{config}`", *(splits.get(split, "–") for split in sizes["quotes"]))
                                                  for config, splits in sizes.items()])
    empty = [config for config, files in hub_files.items() if not files]
    if empty:
        lines += [f"No rows in: {', '.join(empty)} (left out of the configs above).", ""]
    lines += ["Splits with no rows are left out of this folder; `load_from_disk` on the build's output "
              "keeps all three.", "", "## How it was built", ""]
    lines += [f"{number}. **{stage}**: {note}." for number, (stage, note) in enumerate(STAGE_NOTES, start=1)]
    lines += ["", "Rule versions:", ""]
    lines += _table(("lexicon", "version"), [(md(name), md(version)) for name, version in sorted(versions().items())])
    if report.min_confidence > 0:
        lines += [f"Quotes with a confidence below {report.min_confidence} were left out "
                  f"({report.quotes_below_min_confidence} of them).", ""]
    reasons = ", ".join(f"{md(reason)} {n}" for reason, n in sorted(report.rejected_by_reason.items()))
    lines += ["## Statistics", "",
              f"- articles: {report.inputs} in, {report.published} published, {report.rejected} rejected"
              + (f" ({reasons})" if reasons else ""),
              f"- quotes: {report.quotes}", f"- speakers: {report.speakers}", "",
              "Quotes by speaker type:", ""]
    lines += _table(("speaker_type", "quotes"), [(md(kind), n) for kind, n in sorted(report.quotes_by_type.items())])
    lines += ["Quotes by attribution rule:", ""]
    lines += _table(("attribution_rule", "quotes"), [(md(rule), n) for rule, n in sorted(report.quotes_by_rule.items())])
    if report.top_speakers:
        lines += ["Most quoted speakers:", ""]
        lines += _table(("speaker", "type", "quotes"), [(md(name), md(kind), n) for name, kind, n in report.top_speakers])
    lines += ["## Loading", "", "```python", "from datasets import load_dataset", ""]
    lines += [f'{config} = load_dataset("owner/name", "{config}")  # or the path of this folder'
              for config, files in hub_files.items() if files]
    lines += ["```", "", "## Licences of the input", ""]
    lines += _table(("licence", "articles"), [(md(licence) if licence else "(none given)", n)
                                              for licence, n in sorted(report.licences.items())])
    lines += ["## Limitations", ""] + [f"- {note}" for note in LIMITATIONS]
    return lines
