"""Every recorded upstream file imports with no record unaccounted for, on both backends.

For each file, the parser's own items are checked against the store afterwards: each work
is findable by its ids, each author record by its ids, each problem is in quarantine with
its location, and each skipped record is counted. Files that are upstream *error* bodies
must fail with a message saying why.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from paperradar import records as r
from paperradar.identity import works as work_identity
from paperradar.ingest import expand, fingerprint, import_file
from paperradar.sources import detect
from paperradar.store import schema as t
from paperradar.store.queries import resolve_work
from tests.conftest import FIXTURES

# tests/fixtures holds a byte-for-byte copy of ../shared/fixtures and ../shared/seed_pages,
# plus a BibTeX library assembled from real records (see its header).
UPSTREAM = sorted(expand([FIXTURES]))

# Recorded error bodies: nothing in them can be read, and the message says why.
UNREADABLE = {
    "ErrorResponseBadArgument.xml": "badArgument",
    "ErrorResponseBadResumptionToken.xml": "badResumptionToken",
    "ErrorResponseBadVerb.xml": "badVerb",
    "ErrorResponseIdDoesNotExist.xml": "idDoesNotExist",
    "id_abc_s0_m100_b79c8dcf6bc3.body.xml": "incorrect id format for abc",
    "test_get_paper_citations_async@0e62a04.00.504.json": "Endpoint request timed out",
    "test_get_paper_citations_async@0e62a04.01.504.json": "Endpoint request timed out",
    "test_not_found@73c7726.00.404.json": "Paper with id 0 not found",
    "test_not_found@73c7726.01.404.json": "Author with id 0 not found",
}


def test_the_fixture_copy_is_complete() -> None:
    assert len(UPSTREAM) == 68, [p.name for p in UPSTREAM]


def _work_found(engine: Engine, record: r.WorkRecord) -> bool:
    with engine.connect() as conn:
        for scheme, value in work_identity.keys(record):
            found = conn.execute(
                select(t.work_ids.c.work_id).where(t.work_ids.c.scheme == scheme, t.work_ids.c.value == value)
            ).scalar()
            if found is not None:
                return True
    return False


def _author_found(engine: Engine, record: r.AuthorRecord) -> bool:
    with engine.connect() as conn:
        if record.ids:
            scheme, value = next(iter(record.ids.items()))
            stmt = select(t.author_ids.c.author_id).where(
                t.author_ids.c.scheme == scheme, t.author_ids.c.value == value
            )
        else:
            stmt = select(t.author_reports.c.author_id).where(t.author_reports.c.name == record.name)
        return conn.execute(stmt).scalar() is not None


@pytest.mark.parametrize("path", UPSTREAM, ids=lambda p: p.name)
def test_every_record_is_stored_merged_or_quarantined(engine: Engine, path: Path) -> None:
    result = import_file(engine, path)
    if path.name in UNREADABLE:
        assert result.error is not None and UNREADABLE[path.name] in result.error
        assert result.items == 0
        return
    assert result.error is None, result.error
    fmt = detect(path)
    items = list(fmt.parse(path, 0))
    assert result.items == len(items)
    key = fingerprint(path)
    skipped = 0
    for item in items:
        rec = item.record
        if item.problem is not None or isinstance(rec, r.Skipped):
            with engine.connect() as conn:
                row = conn.execute(
                    select(t.quarantine.c.kind, t.quarantine.c.reason).where(
                        t.quarantine.c.file_key == key,
                        t.quarantine.c.position == item.position,
                        t.quarantine.c.location == item.location,
                    )
                ).one()
            if item.problem is not None:
                assert (row.kind, row.reason) == ("quarantined", item.problem.reason)
            else:
                assert isinstance(rec, r.Skipped) and rec.reason
                assert (row.kind, row.reason) == ("skipped", rec.reason)
                skipped += 1
        elif isinstance(rec, r.WorkRecord):
            assert _work_found(engine, rec), f"{item.location}: {rec.title!r} not in the store"
        elif isinstance(rec, r.AuthorRecord):
            assert _author_found(engine, rec), f"{item.location}: author {rec.name!r} not in the store"
            assert all(_work_found(engine, w) for w in rec.works if work_identity.keys(w))
        elif isinstance(rec, r.CitationRecord):
            assert _work_found(engine, rec.cited) or not rec.cited.ids
        elif isinstance(rec, r.OrganisationRecord):
            with engine.connect() as conn:
                assert conn.execute(
                    select(t.organisations.c.name).where(t.organisations.c.name == rec.name)
                ).first()
        else:
            assert isinstance(rec, r.Note) and rec.text in result.counts.notes
    assert result.counts.skipped == skipped
    assert result.counts.quarantined == sum(1 for i in items if i.problem is not None)


def test_a_work_is_found_by_any_of_its_ids(engine: Engine) -> None:
    import_file(engine, FIXTURES / "arxiv_snapshot" / "arxiv-metadata-oai-snapshot.head200.jsonl")
    with engine.connect() as conn:
        by_arxiv = resolve_work(conn, "0704.0001")
        assert by_arxiv is not None
        assert resolve_work(conn, "arXiv:0704.0001v2") == by_arxiv
        assert resolve_work(conn, "https://arxiv.org/abs/0704.0001") == by_arxiv
        assert resolve_work(conn, "https://doi.org/10.1103/PhysRevD.76.013009") == by_arxiv
        assert resolve_work(conn, "0704.9999") is None
