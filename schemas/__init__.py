"""The schemas of every published config, and the check publish runs against them."""

from schemas.features import SCHEMAS, to_table

__all__ = ["ARTICLE_FEATURES", "CONFIGS", "QUOTE_FEATURES", "SCHEMAS", "SPEAKER_FEATURES", "to_table"]


def __getattr__(name: str):
    """The datasets Features (schemas.features makes them on first use: it imports datasets)."""
    from schemas import features

    return getattr(features, name)
