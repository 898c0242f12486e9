"""Features of the published configs: quotes (the row contract), articles, speakers.

Offsets and indices are int64 and nullable where the contract allows null; which columns may
never be null is listed in NOT_NULL, since Arrow types alone cannot say it.
"""

from __future__ import annotations

import pyarrow as pa
from datasets import Features, List, Value

from builder.errors import SchemaError

_STRING, _INT, _FLOAT = Value("string"), Value("int64"), Value("float64")
_SPANS = List({"start": _INT, "end": _INT})

# Same names and order as builder.attribute.ROW_FIELDS (a test holds them equal).
QUOTE_FEATURES = Features({
    "article_id": _STRING, "quote_id": _STRING,
    "quote": _STRING, "quote_start": _INT, "quote_end": _INT, "mark_style": _STRING,
    "speaker": _STRING, "speaker_type": _STRING, "speaker_gender": _STRING,
    "speaker_mention": _STRING, "speaker_start": _INT, "speaker_end": _INT,
    "speaker_role": _STRING,
    "cue": _STRING, "cue_start": _INT, "cue_end": _INT,
    "addressee": _STRING, "addressee_start": _INT, "addressee_end": _INT,
    "paragraph_index": _INT, "sentence_index": _INT,
    "attribution_rule": _STRING, "confidence": _FLOAT,
})

ARTICLE_FEATURES = Features({
    "article_id": _STRING, "title": _STRING, "section": _STRING, "source": _STRING, "url": _STRING,
    "date": _STRING, "licence": _STRING, "text": _STRING,
    "source_path": _STRING, "source_line": _INT, "source_encoding": _STRING, "flags": List(_STRING),
    "paragraphs": _SPANS, "sentences": _SPANS,
    "anomalies": List({"kind": _STRING, "pos": _INT, "mark": _STRING}),
})

SPEAKER_FEATURES = Features({
    "speaker": _STRING, "speaker_type": _STRING, "roles": List(_STRING), "genders": List(_STRING),
    "n_quotes": _INT, "article_ids": List(_STRING),
})

CONFIGS = {"quotes": QUOTE_FEATURES, "articles": ARTICLE_FEATURES, "speakers": SPEAKER_FEATURES}

NOT_NULL = {
    "quotes": ("article_id", "quote_id", "quote", "quote_start", "quote_end", "mark_style", "speaker_type",
               "speaker_gender", "paragraph_index", "sentence_index", "attribution_rule", "confidence"),
    "articles": ("article_id", "title", "section", "source", "url", "date", "licence", "text",
                 "source_path", "source_encoding", "flags", "paragraphs", "sentences", "anomalies"),
    "speakers": tuple(SPEAKER_FEATURES),
}


def to_table(config: str, rows: list[dict]) -> pa.Table:
    """rows as an Arrow table of the config's Features; SchemaError naming the column if they do not fit."""
    features = CONFIGS[config]
    expected = list(features)
    for number, row in enumerate(rows):
        if row.keys() != features.keys():
            missing = [name for name in expected if name not in row]
            extra = [name for name in row if name not in features]
            raise SchemaError(f"{config} row {number}: missing columns {missing}, unexpected columns {extra}")
    schema = features.arrow_schema
    columns = []
    for name in expected:
        values = [row[name] for row in rows]
        if name in NOT_NULL[config] and None in values:
            raise SchemaError(f"{config}.{name} must not be null (row {values.index(None)})")
        try:
            columns.append(pa.array(values, type=schema.field(name).type))
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError) as error:
            raise SchemaError(f"{config}.{name} does not fit {features[name]}: {error}") from error
    return pa.Table.from_arrays(columns, schema=schema)
