"""spaCy interface: `nlp.add_pipe("arabic_quotes")` sets `doc._.quotes`.

Registered through the `spacy_factories` entry point in pyproject.toml, so any spaCy user
with this package installed can add it to `spacy.blank("ar")` or their own pipeline. The
component runs the same per-article functions as the builder on `doc.text` and adds spaCy
spans (`doc.char_span`) next to the plain rows.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from builder.pipeline import process_article

# spaCy's Arabic tokenizer leaves a closing quote glued to the stop after it («العسكرية”.»);
# this suffix rule splits it off so the sentencizer sees the boundary.
QUOTE_SUFFIX = r"(?<=[”»\"'])[.،؟!:؛]"

if not Doc.has_extension("quotes"):
    Doc.set_extension("quotes", default=None)


def add_quote_suffix_rule(nlp: Language) -> None:
    """Split «”.» into two tokens in nlp's tokenizer."""
    from spacy.util import compile_suffix_regex

    suffixes = list(nlp.Defaults.suffixes or []) + [QUOTE_SUFFIX]
    nlp.tokenizer.suffix_search = compile_suffix_regex(suffixes).search


class ArabicQuotes:
    """Detect direct quotes and attribute them; each row gains `quote_span` and `speaker_span`."""

    def __init__(self, nlp: Language, name: str, fix_tokenizer: bool):
        self.name = name
        if fix_tokenizer:
            add_quote_suffix_rule(nlp)

    def __call__(self, doc: Doc) -> Doc:
        article = {"article_id": "doc", "title": "", "text": doc.text}
        rows = process_article(article)["attributed"]["quotes"]
        for row in rows:
            row["quote_span"] = doc.char_span(row["quote_start"], row["quote_end"], alignment_mode="expand")
            row["speaker_span"] = (
                doc.char_span(row["speaker_start"], row["speaker_end"], alignment_mode="expand")
                if row["speaker_start"] is not None else None
            )
        doc._.quotes = rows
        return doc


@Language.factory(
    "arabic_quotes",
    assigns=["doc._.quotes"],
    default_config={"fix_tokenizer": True},
)
def make_arabic_quotes(nlp: Language, name: str, fix_tokenizer: bool) -> ArabicQuotes:
    """Factory behind `nlp.add_pipe("arabic_quotes")`."""
    return ArabicQuotes(nlp, name, fix_tokenizer)
