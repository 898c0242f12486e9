"""The spaCy interface: `nlp.add_pipe("arabic_quotes")` on a blank Arabic pipeline."""

import pytest
import spacy

import builder.spacy_component  # noqa: F401  (registers the factory when the entry point is not installed)


@pytest.fixture(scope="module")
def nlp():
    nlp = spacy.blank("ar")
    nlp.add_pipe("arabic_quotes")
    return nlp


def test_component_sets_doc_quotes(nlp):
    doc = nlp("وقال الوزير كمال الهاشمي “سنفتح الطريق أمام الشاحنات غدا”.")
    assert len(doc._.quotes) == 1
    row = doc._.quotes[0]
    assert row["speaker"] == "كمال الهاشمي"
    assert row["quote_span"].text == "سنفتح الطريق أمام الشاحنات غدا"


@pytest.mark.parametrize("text, token", [("العسكرية”.", "”"), ("النهاية».", "»")])
def test_closing_mark_split_from_stop(nlp, text, token):
    """spaCy's Arabic tokenizer glues «”.» to the word; the component's suffix rule splits it."""
    assert token in [t.text for t in nlp.make_doc(text)]


def test_entry_point_is_declared():
    from importlib.metadata import entry_points

    names = {ep.name for ep in entry_points(group="spacy_factories")}
    assert "arabic_quotes" in names
