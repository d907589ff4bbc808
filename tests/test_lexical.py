"""The keyword index follows the store, catches up after anything it missed, and never blocks."""

from __future__ import annotations

from sqlalchemy import Engine

from paperradar.ingest import import_file
from paperradar.search.lexical import LexicalIndex, index_dir
from paperradar.store.queries import resolve_work
from tests.conftest import FIXTURES

SNAPSHOT = FIXTURES / "arxiv_snapshot" / "arxiv-metadata-oai-snapshot.head200.jsonl"
LIBRARY = FIXTURES / "bibtex" / "library.bib"


def test_an_index_that_missed_imports_catches_up(engine: Engine) -> None:
    import_file(engine, SNAPSHOT)  # no follower: as if the indexing process had been killed
    index = LexicalIndex(index_dir(engine))
    assert index.search("diphoton") == []
    assert index.catch_up(engine) == 200
    with engine.connect() as conn:
        expected = resolve_work(conn, "0704.0001")
    assert [work for work, _ in index.search("diphoton production")] == [expected]
    assert index.catch_up(engine) == 0  # nothing new: nothing done


def test_an_import_feeds_the_index_batch_by_batch(engine: Engine) -> None:
    index = LexicalIndex(index_dir(engine))
    follower = index.follow(engine)
    import_file(engine, SNAPSHOT, batch_size=50, after_batch=follower.step)
    import_file(engine, LIBRARY, after_batch=follower.step)  # merges two works into arXiv ones
    assert follower.close() == 200 + 7
    hits = index.search("authors:balázs")
    with engine.connect() as conn:
        assert [work for work, _ in hits] == [resolve_work(conn, "0704.0001")]


def test_searching_while_an_import_holds_the_index_does_not_fail(engine: Engine) -> None:
    index = LexicalIndex(index_dir(engine))
    writer = index.follow(engine)  # an import in progress holds the index's write lock
    import_file(engine, SNAPSHOT)
    other = LexicalIndex(index_dir(engine))  # e.g. `paperradar search` in another process
    assert other.catch_up(engine) == 0
    assert other.search("diphoton") == []  # not yet indexed, but no error
    writer.step()
    writer.close()
    assert len(other.search("diphoton")) == 1
