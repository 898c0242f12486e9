"""The dataset card of OUT/hub: YAML configs for `load_dataset`, then what the data is, how it was
built, its statistics, how to load it, the licences of its sources, its limits and how to cite it.

Every string that comes from the input (names, sources, licences, reject reasons) is escaped: the
card is rendered as HTML on the hub, and an article must not be able to inject markup into it.
Everything else is fixed text or numbers. The card holds no date, so two builds of the same input
write the same card.
"""

from __future__ import annotations

import html
import re

import yaml

from builder import __version__
from builder.resources import versions

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")

TITLE = "Arabic news quotes and their speakers"

STAGE_NOTES = (
    ("ingest", "reads `*.txt` files (section line, title line, body) and `*.jsonl` lines; normalizes the text "
               "once (NFC, NBSP to space, bidi marks, BOM and NUL removed, site boilerplate lines dropped)"),
    ("segment", "paragraphs and sentences as character offsets; a quote holding a full stop stays in one sentence"),
    ("detect", "quotation marks paired into quotes, names and terms in marks set aside, missing marks recorded "
               "as anomalies"),
    ("attribute", "the speaker, its mention, role, cue and addressee of each quote, with a versioned rule name "
                  "and a confidence"),
    ("publish", "wire copies grouped into stories (MinHash LSH over word shingles of the folded body, and "
                "long quotes shared), then the configs below, split 80/10/10 by a hash of story_id, every row "
                "checked against its article text and the features before it is written"),
)

QUOTE_FIELDS = (
    ("article_id", "the article (its `text` is in the `articles` config)"),
    ("quote_id", "`<article_id>:<quote_start>`, stable across rebuilds"),
    ("quote", "the words between the quotation marks"),
    ("quote_start, quote_end", "character offsets of `quote` in the article text"),
    ("mark_style", "`curly`, `guillemet`, `straight`, `single_curly`, `single_guillemet`; `_unclosed` or "
                   "`_unopened` appended when a mark was missing"),
    ("speaker", "the canonical speaker: the fullest form of the name in the article, without titles; null when "
                "unknown"),
    ("speaker_id", "the corpus-wide identity of the speaker (a row of `speakers`): spelling variants, "
                   "transliterations, aliases and dominated short forms of one source share it; a generic "
                   "source («البيان», «الوكالة», an unnamed source) has one scoped to its article, unless the "
                   "article names the body it stands for; null when `speaker` is null"),
    ("speaker_type", "`person`, `anonymous`, `organization`, `document`, `group` or `unknown`"),
    ("speaker_gender", "`female`, `male` or `unknown`, from the cue's inflection and the title"),
    ("speaker_mention, speaker_start, speaker_end", "the mention naming the speaker and its offsets (for a "
                                                    "continuation, the earlier mention it was carried from)"),
    ("speaker_role", "the title or role as written"),
    ("cue, cue_start, cue_end", "the cue word as written, clitics included, and its offsets"),
    ("addressee, addressee_start, addressee_end", "whom the words were addressed to, and its offsets"),
    ("paragraph_index, sentence_index", "where the quote starts (0-based, over the article)"),
    ("attribution_rule", "the versioned rule that chose the speaker, e.g. `verb_first/1`"),
    ("confidence", "in [0, 1]; low when the evidence is weak"),
    ("story_id", "the story the article belongs to: the `article_id` of its earliest copy"),
    ("n_copies", "in how many articles the same quote (folded) appears for the same speaker"),
    ("first_article_id", "the earliest of those articles"),
)

LIMITATIONS = (
    "Speakers are found by rules and lexicons of Arabic news writing, not by a trained parser: "
    "unusual constructions get a low confidence or no speaker, and `confidence` is a rule's estimate, "
    "not a calibrated probability.",
    "Only direct quotations between quotation marks are extracted; indirect speech is not. Quotes in "
    "titles are not extracted; offsets point into the body text only.",
    "Speakers of different articles are merged into one `speaker_id` by rules (spelling and "
    "transliteration variants, listed aliases of bodies, a surname or short form when one full name "
    "dominates it in the corpus): two people with the same full name become one, and a variant the rules "
    "do not know stays apart. A bare given name is kept apart by role, a generic source by article.",
    "`speaker_gender` comes from grammatical inflection and titles only; it is `unknown` when the article "
    "does not mark it.",
    "The articles are news texts as published: they may hold errors, bias and personal data of the "
    "people they quote. The quotes are attributed as the articles report them, not verified.",
    "The texts keep the licences of their sources (above); check them before redistributing.",
)


def md(text) -> str:
    """text made inert in markdown and HTML, on one line."""
    escaped = html.escape(" ".join(str(text).split()), quote=True)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", escaped)


def dataset_card(report, hub_files: dict[str, list[tuple[str, str]]]) -> str:
    """README.md of the hub folder for a PublishReport and the parquet files written per config."""
    return "---\n" + _front_matter(report, hub_files) + "---\n\n" + "\n".join(_body(report, hub_files)) + "\n"


def _size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                        (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M")):
        if n < limit:
            return name
    return "n>100M"


def _front_matter(report, hub_files: dict[str, list[tuple[str, str]]]) -> str:
    # A config with no rows at all is left out: the loader refuses a config without data.
    configs = []
    for config, files in hub_files.items():
        if files:
            entry = {"config_name": config}
            if config == "quotes":
                entry["default"] = True
            entry["data_files"] = [{"split": split, "path": path} for split, path in files]
            configs.append(entry)
    meta = {"language": ["ar"], "license": "other", "pretty_name": TITLE,
            "task_categories": ["token-classification"], "size_categories": [_size_category(report.quotes)],
            "tags": ["quotation-attribution", "news", "arabic"], "configs": configs}
    return yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)


def _table(header: tuple[str, ...], rows) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines + [""]


def _share(n: int, total: int) -> str:
    return f"{100 * n / total:.1f} %" if total else "–"


def _body(report, hub_files) -> list[str]:
    loadable = [config for config, files in hub_files.items() if files]
    return [*_summary(), *_configs(report, hub_files), *_fields(), *_building(report), *_statistics(report),
            *_loading(loadable), *_licences(report), *_limitations(), *_citation()]


def _summary() -> list[str]:
    return [
        f"# {TITLE}", "",
        "Direct quotations found in Arabic news articles, each with who said it (the speaker as the article "
        "names them in full, their role, type and gender), the cue word («قال», «وأضاف», «مشيرا»), the addressee "
        "when there is one, and character offsets into the article text, so every span can be checked with "
        "`text[start:end]`. Built with arabic-quotes-builder " + __version__ + ".", "",
        "It is meant for auditing and studying who is quoted in Arabic news (by type of source, by outlet, "
        "over time), and for training and evaluating quotation detection and attribution for Arabic, a "
        "language with few such resources. The `articles` config holds the full texts, so a quote can "
        "always be read in its context.", "",
    ]


def _configs(report, hub_files) -> list[str]:
    lines = [
        "## Configs", "",
        "- `quotes` (default): one row per quote.",
        "- `articles`: the article texts every offset points into, with paragraph and sentence offsets "
        "and the anomalies found (unclosed or unopened quotation marks).",
        "- `speakers`: one row per speaker identity (`speaker_id`) of the whole corpus (a single `train` "
        "split): preferred name, variants, type, whether it is generic, roles, genders, number of quotes "
        "and of articles, and the articles quoting it.", "",
        "Rows per split:", "",
    ]
    sizes = report.split_sizes
    lines += _table(("config", *sizes["quotes"]), [(f"`{config}`", *(splits.get(split, "–") for split in sizes["quotes"]))
                                                  for config, splits in sizes.items()])
    empty = [config for config, files in hub_files.items() if not files]
    if empty:
        lines += [f"No rows in: {', '.join(empty)} (left out of the configs above).", ""]
    lines += ["Splits are 80 / 10 / 10 by a hash of `story_id`, so an article, its quotes and every copy of "
              "its story (the same wire story in other outlets, or another article holding the same quote of six "
              "words or more) are in the same split. Splits with no rows are left out of this folder; "
              "`load_from_disk` on the build's output keeps all three.", ""]
    return lines


def _fields() -> list[str]:
    lines = ["## Data fields", "", "`quotes`:", ""]
    lines += _table(("column", "meaning"), [(f"`{name}`", meaning) for name, meaning in QUOTE_FIELDS])
    lines += ["`articles`: `article_id`, `title`, `section`, `source`, `url`, `date`, `licence`, `text`, "
              "`source_path`, `source_line`, `source_encoding`, `flags`, `paragraphs` and `sentences` (lists of "
              "`{start, end}` offsets), `anomalies` (`{kind, pos, mark}`), `story_id`.", "",
              "`speakers`: `speaker_id`, `speaker` (the preferred name: the most quoted full form), "
              "`variants` (every quote-level `speaker` of the identity, sorted), `speaker_type` (the most "
              "frequent), `generic` (a source scoped to one article), `roles`, `genders`, `n_quotes`, "
              "`n_articles`, `article_ids`.", ""]
    return lines


def _building(report) -> list[str]:
    lines = ["## How it was built", "",
             f"With arabic-quotes-builder {__version__}, in five stages, each one module; the per-article "
             "stages are pure functions of one article:", ""]
    lines += [f"{number}. **{stage}**: {note}." for number, (stage, note) in enumerate(STAGE_NOTES, start=1)]
    lines += ["", "Speakers are found by rules over versioned lexicons (cue verbs, titles, anonymity phrases, "
              "quotation marks, boilerplate) and a small name recogniser; the versions of the lexicons this "
              "build used:", ""]
    lines += _table(("lexicon", "version"), [(md(name), md(version)) for name, version in sorted(versions().items())])
    if report.min_confidence > 0:
        lines += [f"Quotes with a confidence below {report.min_confidence} were left out "
                  f"({report.quotes_below_min_confidence} of them).", ""]
    lines += ["The build also writes a static review site next to this folder (`report/index.html`): the "
              "figures below as charts, the speakers table, and each article with its quotes, speakers, cues "
              "and addressees marked.", ""]
    return lines


def _statistics(report) -> list[str]:
    reasons = ", ".join(f"{md(reason)} {n}" for reason, n in sorted(report.rejected_by_reason.items()))
    lines = ["## Statistics", "",
             f"- articles: {report.inputs} in, {report.published} published, {report.rejected} rejected"
             + (f" ({reasons})" if reasons else ""),
             f"- quotes: {report.quotes}"
             + (f", {report.quotes / report.published:.1f} per article" if report.published else ""),
             f"- speakers: {report.speakers}"]
    mean = getattr(report, "mean_confidence", None)
    if mean is not None:
        lines.append(f"- mean confidence: {mean:.2f}")
    lines += _stories(report)
    lines += ["", "Quotes by speaker type:", ""]
    lines += _table(("speaker_type", "quotes", "share"), [(md(kind), n, _share(n, report.quotes))
                                                          for kind, n in sorted(report.quotes_by_type.items())])
    speakers_by_type = getattr(report, "speakers_by_type", None)
    if speakers_by_type:
        lines += ["Speakers by type:", ""]
        lines += _table(("speaker_type", "speakers"), [(md(kind), n) for kind, n in sorted(speakers_by_type.items())])
    lines += ["Quotes by attribution rule:", ""]
    lines += _table(("attribution_rule", "quotes", "share"), [(md(rule), n, _share(n, report.quotes))
                                                              for rule, n in sorted(report.quotes_by_rule.items())])
    if report.top_speakers:
        lines += ["Most quoted speakers:", ""]
        lines += _table(("speaker", "type", "quotes"), [(md(name), md(kind), n) for name, kind, n in report.top_speakers])
    return lines


def _stories(report) -> list[str]:
    """Stories, copies and repeated quotes (builder/stories.py)."""
    stats = getattr(report, "stories", None)
    if stats is None:
        return []
    lines = ["", "### Stories and repeated quotes", "",
             f"- stories: {stats.stories} (the {report.published} articles grouped by wire copies and shared long "
             f"quotes); {stats.stories_with_copies} stories have copies, {stats.articles_in_copies} articles in all; "
             f"the largest has {stats.largest_story} articles",
             f"- repeated quotes: {stats.repeated_quotes} quotes appear in more than one article for the same "
             f"speaker ({stats.repeated_quote_rows} rows published, `n_copies` > 1)"]
    if stats.dedup:
        lines.append(f"- built with DEDUP: one row per repeated quote, the first; {stats.dedup_dropped} copies "
                     "left out")
    lines.append(f"- test quotes of six words or more also in `train`, folded: {stats.test_quotes_6w_in_train} of "
                 f"{stats.test_quotes_6w} ({_share(stats.test_quotes_6w_in_train, stats.test_quotes_6w)})")
    return lines


def _loading(configs: list[str]) -> list[str]:
    lines = ["## Loading", "",
             "Each config, from the hub (replace `owner/name` with this repository) or from a local copy of "
             "this folder:", "", "```python", "from datasets import load_dataset", ""]
    for config in configs:
        lines += [f'{config} = load_dataset("owner/name", "{config}")',
                  f'{config} = load_dataset("path/to/hub", "{config}")  # this folder, offline']
    lines += ["```", ""]
    if {"quotes", "articles"} <= set(configs):
        lines += ["Every span points into its article's text:", "", "```python",
                  'quotes = load_dataset("owner/name", "quotes", split="train")',
                  'articles = load_dataset("owner/name", "articles", split="train")',
                  'text = dict(zip(articles["article_id"], articles["text"]))',
                  "row = quotes[0]",
                  'assert text[row["article_id"]][row["quote_start"]:row["quote_end"]] == row["quote"]',
                  "```", ""]
    return lines


def _licences(report) -> list[str]:
    lines = ["## Sources and licences", "",
             "The articles keep the licences their sources give; this card lists them as the input stated "
             "them (the `licence` and `source` fields of each article), without checking them.", ""]
    sources = getattr(report, "sources", None)
    if sources:
        lines += _table(("source", "licence", "articles"),
                        [(md(source) if source else "(none given)", md(licence) if licence else "(none given)", n)
                         for (source, licence), n in sorted(sources.items())])
    else:
        lines += _table(("licence", "articles"), [(md(licence) if licence else "(none given)", n)
                                                  for licence, n in sorted(report.licences.items())])
    unstated = report.licences.get("", 0)
    if unstated:
        lines += [f"{unstated} of the {report.published} articles state no licence: their terms are those of "
                  "their publisher.", ""]
    lines += ["The builder itself is GPL-3.0-or-later; that licence does not extend to the data.", ""]
    return lines


def _limitations() -> list[str]:
    return ["## Known limitations", ""] + [f"- {note}" for note in LIMITATIONS] + [""]


def _citation() -> list[str]:
    return ["## Citation", "",
            "Cite the dataset and the tool that built it, and the sources of the articles you use:", "",
            "```bibtex",
            "@misc{arabic_news_quotes,",
            f"  title        = {{{{{TITLE}}}}},",
            f"  note         = {{Built with arabic-quotes-builder {__version__}; rule versions "
            + ", ".join(sorted(versions().values())) + "},",
            "  howpublished = {Hugging Face dataset},",
            "}",
            "```"]
