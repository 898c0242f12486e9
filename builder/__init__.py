"""Arabic quote-attribution dataset builder: who said what, to whom, at which offsets."""

__version__ = "0.1.0"


def extract(text: str, *, title: str = "", article_id: str = "article") -> list[dict]:
    """Quote rows (the dataset's row contract) for one article body given as a string."""
    from builder.pipeline import extract_quotes

    return extract_quotes(text, title=title, article_id=article_id)


__all__ = ["__version__", "extract"]
