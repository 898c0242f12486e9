"""The datasets Features of every published config, and the check publish runs against them."""

from schemas.features import ARTICLE_FEATURES, CONFIGS, QUOTE_FEATURES, SPEAKER_FEATURES, to_table

__all__ = ["ARTICLE_FEATURES", "CONFIGS", "QUOTE_FEATURES", "SPEAKER_FEATURES", "to_table"]
