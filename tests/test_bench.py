"""`make bench`'s corpus and floor on a tiny corpus (the figures themselves are never asserted)."""

from __future__ import annotations

from builder.bench import corpus_size, floor, generate_corpus, without_quote_marks
from builder.marks import any_mark


def test_the_corpus_reaches_its_size_and_is_the_same_for_the_same_seed(tmp_path):
    articles, size = generate_corpus(tmp_path / "a", 40_000)
    assert size >= 40_000 and corpus_size(tmp_path / "a") == (articles, size)
    generate_corpus(tmp_path / "b", 40_000)
    texts = lambda folder: [path.read_bytes() for path in sorted(folder.rglob("*.txt"))]  # noqa: E731
    assert texts(tmp_path / "a") == texts(tmp_path / "b")


def test_without_quote_marks_keeps_every_article_and_drops_only_the_marks(tmp_path):
    generate_corpus(tmp_path / "corpus", 40_000)
    without_quote_marks(tmp_path / "corpus", tmp_path / "bare")
    originals = sorted(tmp_path.joinpath("corpus").rglob("*.txt"))
    assert len(originals) == len(list(tmp_path.joinpath("bare").rglob("*.txt")))
    assert any(any_mark().search(path.read_text(encoding="utf-8")) for path in originals)
    for path in originals:
        bare = (tmp_path / "bare" / path.relative_to(tmp_path / "corpus")).read_text(encoding="utf-8")
        assert any_mark().search(bare) is None
        assert bare == any_mark().sub("", path.read_text(encoding="utf-8"))


def test_the_floor_writes_every_article_as_parquet(tmp_path):
    import pyarrow.parquet as pq

    articles, _size = generate_corpus(tmp_path / "corpus", 40_000)
    assert floor(tmp_path / "corpus", tmp_path / "floor.parquet") > 0
    assert pq.read_table(tmp_path / "floor.parquet").num_rows == articles
