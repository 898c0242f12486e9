"""Stage 3, detect: which marked spans are direct quotes, with their content offsets.

Pure: detect(article, segments) -> {article_id, quotes, rejected, anomalies}. The flow:

1. candidates.py: quotation marks paired into candidate spans, as real outlets write them: quotes
   closed in the next paragraph, never closed (cut where the narration resumes), never opened
   (started where direct speech starts), mixed marks;
2. features.py: what tells a quote from a name, title, term or scare quote around each span (the
   hand rules of rules.py among them);
3. model.py: a logistic regression over those features, fitted on the annotated train/ corpus
   (`make train`) and shipped as JSON in resources/models/detect.json, says quote or not.

Every step is a scan of the paragraph or of a few words around a mark, so the stage is
linear in the text size. The word lists live in resources/detect_rules.json.
"""

import bisect
from itertools import accumulate

from builder.detect.candidates import candidates, left_edge, right_edge
from builder.detect.model import decide
from builder.text import index_words

STAGE = "detect"


def detect(article: dict, segments: dict) -> dict:
    """{article_id, quotes, rejected, anomalies} for one article.

    An accepted quote says which model accepted it (`detect_rule`, the model's version) and with
    what `probability`; a rejected one gives its `reason`: the hand rule that speaks against it,
    or `model` when only the model does.
    """
    text = article["text"]
    # Tokenized once: the many words(text, a, b) calls around the marks slice this article's word
    # list, which attribute then reuses.
    index_words(text)
    found, anomalies = candidates(text, segments["paragraphs"])
    accepted, rejected = [], []
    for quote, reason in decide(text, segments, found):
        if reason is None:
            accepted.append(quote)
        else:
            rejected.append({**quote, "reason": reason})
    quotes = _drop_nested(accepted, rejected)
    return {"article_id": article["article_id"], "quotes": quotes, "rejected": rejected, "anomalies": anomalies}


def _drop_nested(accepted: list[dict], rejected: list[dict]) -> list[dict]:
    """A quote inside an accepted quote whose mark is missing is nested in it, not a quote of its own."""
    hosts = sorted((q["start"], q["end"]) for q in accepted if q["open_pos"] is None or q["close_pos"] is None)
    if not hosts:
        return accepted
    starts = [a for a, _ in hosts]
    reach = list(accumulate((b for _, b in hosts), max))
    kept = []
    for q in accepted:
        left, right = left_edge(q), right_edge(q)
        k = bisect.bisect_right(starts, left) - 1
        if k >= 0 and reach[k] >= right:
            rejected.append({**q, "reason": "nested"})
        else:
            kept.append(q)
    return kept

