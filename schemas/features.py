"""Features of the published configs: quotes (the row contract), articles, speakers.

Offsets and indices are int64 and nullable where the contract allows null; which columns may
never be null is listed in NOT_NULL, since Arrow types alone cannot say it.

Each config is written down once, in COLUMNS, and given in the two forms it is used in:
SCHEMAS, the Arrow schemas publish writes (carrying the Features in their `huggingface`
metadata, as datasets writes them), and the `datasets.Features` (QUOTE_FEATURES, ARTICLE_FEATURES,
SPEAKER_FEATURES, CONFIGS), made on first use: importing datasets takes longer than publishing a
small build, and publish needs only pyarrow (tests/test_build.py holds both forms to datasets' own).
"""

from __future__ import annotations

import json

import pyarrow as pa

from builder.errors import SchemaError

# A column type as written here: a dtype name (datasets' Value), [type] (datasets' List of that
# type), or {field: type} (a struct).
_SPANS = [{"start": "int64", "end": "int64"}]

COLUMNS = {
    # builder.attribute.ROW_FIELDS, in the same order (a test holds them equal), then publish's columns.
    "quotes": {
        "article_id": "string", "quote_id": "string",
        "quote": "string", "quote_start": "int64", "quote_end": "int64", "mark_style": "string",
        "speaker": "string", "speaker_type": "string", "speaker_gender": "string",
        "speaker_mention": "string", "speaker_start": "int64", "speaker_end": "int64",
        "speaker_role": "string",
        "cue": "string", "cue_start": "int64", "cue_end": "int64",
        "addressee": "string", "addressee_start": "int64", "addressee_end": "int64",
        "paragraph_index": "int64", "sentence_index": "int64",
        "attribution_rule": "string", "confidence": "float64",
        # Added by publish (builder/stories.py): the story, and the quote's copies in the corpus.
        "story_id": "string", "n_copies": "int64", "first_article_id": "string",
        # Added by publish (builder/identity.py): the speaker's corpus-wide identity.
        "speaker_id": "string",
    },
    "articles": {
        "article_id": "string", "title": "string", "section": "string", "source": "string", "url": "string",
        "date": "string", "licence": "string", "text": "string",
        "source_path": "string", "source_line": "int64", "source_encoding": "string", "flags": ["string"],
        "paragraphs": _SPANS, "sentences": _SPANS,
        "anomalies": [{"kind": "string", "pos": "int64", "mark": "string"}],
        "story_id": "string",
    },
    "speakers": {
        "speaker_id": "string", "speaker": "string", "variants": ["string"], "speaker_type": "string",
        "generic": "bool", "roles": ["string"], "genders": ["string"],
        "n_quotes": "int64", "n_articles": "int64", "article_ids": ["string"],
    },
}

NOT_NULL = {
    "quotes": ("article_id", "quote_id", "quote", "quote_start", "quote_end", "mark_style", "speaker_type",
               "speaker_gender", "paragraph_index", "sentence_index", "attribution_rule", "confidence",
               "story_id", "n_copies", "first_article_id"),
    "articles": ("article_id", "title", "section", "source", "url", "date", "licence", "text",
                 "source_path", "source_encoding", "flags", "paragraphs", "sentences", "anomalies", "story_id"),
    "speakers": tuple(COLUMNS["speakers"]),
}


def feature_dict(column_type) -> dict:
    """A column type as datasets serializes its feature (Features.to_dict)."""
    if isinstance(column_type, str):
        return {"dtype": column_type, "_type": "Value"}
    if isinstance(column_type, list):
        return {"feature": feature_dict(column_type[0]), "_type": "List"}
    return {name: feature_dict(field) for name, field in column_type.items()}


def _arrow_type(column_type) -> pa.DataType:
    """A column type as datasets stores it in Arrow (Features.arrow_schema)."""
    if isinstance(column_type, str):
        return pa.type_for_alias(column_type)
    if isinstance(column_type, list):
        return pa.list_(_arrow_type(column_type[0]))
    return pa.struct([(name, _arrow_type(field)) for name, field in column_type.items()])


SCHEMAS = {config: pa.schema([(name, _arrow_type(column_type)) for name, column_type in columns.items()],
                             metadata={"huggingface": json.dumps({"info": {"features": feature_dict(columns)}})})
           for config, columns in COLUMNS.items()}

_FEATURE_NAMES = {"quotes": "QUOTE_FEATURES", "articles": "ARTICLE_FEATURES", "speakers": "SPEAKER_FEATURES"}


def __getattr__(name: str):
    """QUOTE_FEATURES, ARTICLE_FEATURES, SPEAKER_FEATURES and CONFIGS (config -> Features), made on
    first use, which imports datasets."""
    if name not in {*_FEATURE_NAMES.values(), "CONFIGS"}:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from datasets import Features

    configs = {config: Features.from_dict(feature_dict(columns)) for config, columns in COLUMNS.items()}
    globals().update({_FEATURE_NAMES[config]: features for config, features in configs.items()}, CONFIGS=configs)
    return globals()[name]


def to_table(config: str, rows: list[dict]) -> pa.Table:
    """rows as an Arrow table of the config's schema; SchemaError naming the column if they do not fit."""
    schema = SCHEMAS[config]
    expected = schema.names
    for number, row in enumerate(rows):
        if row.keys() != COLUMNS[config].keys():
            missing = [name for name in expected if name not in row]
            extra = [name for name in row if name not in COLUMNS[config]]
            raise SchemaError(f"{config} row {number}: missing columns {missing}, unexpected columns {extra}")
    columns = []
    for name in expected:
        values = [row[name] for row in rows]
        if name in NOT_NULL[config] and None in values:
            raise SchemaError(f"{config}.{name} must not be null (row {values.index(None)})")
        try:
            columns.append(pa.array(values, type=schema.field(name).type))
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError) as error:
            raise SchemaError(f"{config}.{name} does not fit {schema.field(name).type}: {error}") from error
    return pa.Table.from_arrays(columns, schema=schema)
