"""Stage 4, attribute: who said each quote, to whom, with which cue.

Pure: attribute(article, segments, detected) -> {article_id, quotes: [rows]}.
The flow: `rules` reads the narration (speech events and their sources, the hand rules' choice per
quote); `candidates` gathers the mentions a quote's speaker may be; `features` describes each
candidate; `model` scores them with the shipped ranker; `decide` picks one and fills the row.
"""

from builder.attribute.decide import attribute
from builder.attribute.rules import ROW_FIELDS, STAGE

__all__ = ["attribute", "ROW_FIELDS", "STAGE"]
