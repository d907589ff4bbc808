"""Big JSON-lines files are parsed in worker processes: the database ends exactly as a serial import's."""

from __future__ import annotations

import gzip
import os
import signal
import threading
import time
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, select

from paperradar.ingest import FileResult, import_file
from paperradar.store import schema as t
from paperradar.store.database import open_store
from tests.conftest import FIXTURES
from tests.store_dump import dump
from tests.test_resume import _big_snapshot, _children, _position

SNAPSHOT = FIXTURES / "arxiv_snapshot" / "arxiv-metadata-oai-snapshot.head200.jsonl"
OPENALEX_PARTS = list((FIXTURES / "openalex" / "snapshot").rglob("part_*.gz"))


def _messy_snapshot(path: Path) -> None:
    """The 200 real lines, then the same papers again as new versions, broken lines and blanks between."""
    lines = SNAPSHOT.read_bytes().splitlines()
    with path.open("wb") as out:
        for n, line in enumerate(lines):
            out.write(line + b"\n")
            if n == 50:
                out.write(line[: len(line) // 2] + b"\n")  # cut mid-record
                out.write(b"\n")
                out.write(b'["not", "an", "object"]\n')
        for line in lines[:40]:  # the same works again, with a new title: merged, not duplicated
            record = orjson.loads(line)
            record["title"] = record["title"] + " (revised)"
            out.write(orjson.dumps(record) + b"\n")


def _serial_and_parallel(
    tmp_path: Path, engine: Engine, path: Path, batch_size: int = 37
) -> tuple[Engine, Engine]:
    serial = open_store(f"sqlite:///{tmp_path / 'serial.db'}")
    one = import_file(serial, path, workers=0, batch_size=batch_size)
    other = import_file(engine, path, workers=2, batch_size=batch_size)
    assert one.counts.as_dict() == other.counts.as_dict()
    assert one.items == other.items
    return serial, engine


def test_a_snapshot_parsed_by_workers_gives_the_same_database(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "snapshot.jsonl"
    _messy_snapshot(path)
    serial, parallel = _serial_and_parallel(tmp_path, engine, path)
    assert dump(parallel) == dump(serial)
    with parallel.connect() as conn:
        works = conn.execute(select(t.works.c.arxiv_id)).scalars().all()
        bad = conn.execute(select(t.quarantine.c.location).order_by(t.quarantine.c.position)).scalars().all()
    assert len(works) == len(set(works)) == 200
    assert bad == ["line 52", "line 54"]


def test_an_openalex_snapshot_part_parsed_by_workers_gives_the_same_database(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "part.gz"
    assert len(OPENALEX_PARTS) == 2
    with gzip.open(path, "wb") as out:
        for part in sorted(OPENALEX_PARTS, key=lambda p: "authors" in str(p)):  # works first
            out.write(gzip.decompress(part.read_bytes()))
    serial, parallel = _serial_and_parallel(tmp_path, engine, path, batch_size=5)
    assert dump(parallel) == dump(serial)
    with parallel.connect() as conn:
        assert conn.execute(select(t.works.c.id)).first() is not None
        assert conn.execute(select(t.author_reports.c.author_id)).first() is not None


def test_a_resumed_parallel_import_skips_what_was_committed(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "snapshot.jsonl"
    _messy_snapshot(path)
    first = import_file(engine, path, workers=2)
    again = import_file(engine, path, workers=2)
    assert first.counts.new == 200
    assert (again.counts.new, again.counts.merged, again.counts.updated) == (0, 0, 0)


@pytest.mark.slow
def test_a_killed_parse_worker_stops_the_import_with_a_reason_and_it_resumes(
    engine: Engine, tmp_path: Path
) -> None:
    big = tmp_path / "snapshot.jsonl"
    lines = _big_snapshot(big, copies=60)
    reference = open_store(f"sqlite:///{tmp_path / 'reference.db'}")
    import_file(reference, big, batch_size=250, workers=0)

    outcome: list[FileResult] = []
    running = threading.Thread(
        target=lambda: outcome.append(import_file(engine, big, batch_size=250, workers=1))
    )
    running.start()
    deadline = time.monotonic() + 120
    while _position(engine) < lines // 4 and running.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert running.is_alive(), "the import finished before a worker could be killed; make the file bigger"
    workers = _children(os.getpid(), b"spawn_main")  # this process's parse workers
    assert workers
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    running.join(timeout=120)
    [stopped] = outcome
    assert stopped.ok and 0 < stopped.items < lines
    [note] = stopped.counts.notes
    assert "a parse worker stopped abruptly after line" in note and "run the same import again" in note

    resumed = import_file(engine, big, batch_size=250, workers=1)
    assert resumed.resumed_from is not None and resumed.counts.notes == []
    assert stopped.items + resumed.items == lines
    assert dump(engine) == dump(reference)
