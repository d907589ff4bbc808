"""Re-importing changes nothing; an import killed with SIGKILL resumes to the same database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, select

from paperradar.ingest import expand, import_file
from paperradar.store import schema as t
from paperradar.store.database import open_store
from tests.conftest import FIXTURES
from tests.store_dump import dump

SNAPSHOT = FIXTURES / "arxiv_snapshot" / "arxiv-metadata-oai-snapshot.head200.jsonl"


def test_importing_everything_twice_changes_nothing(engine: Engine) -> None:
    files = list(expand([FIXTURES]))
    for path in files:
        import_file(engine, path)
    before = dump(engine)
    for path in files:
        again = import_file(engine, path)
        assert (again.counts.new, again.counts.merged, again.counts.updated) == (0, 0, 0), path
    assert dump(engine) == before


def _big_snapshot(path: Path, copies: int) -> int:
    """The 200 real lines repeated under fresh ids, with two broken lines mixed in."""
    lines = SNAPSHOT.read_bytes().splitlines()
    count = 0
    with path.open("wb") as out:
        for copy in range(copies):
            for n, line in enumerate(lines):
                record = orjson.loads(line)
                record["id"] = f"{copy % 90 + 10:02d}{copy // 90 + 1:02d}.{n:05d}"
                record["doi"] = None
                record["title"] = f"{record['title']} (copy {copy})"
                out.write(orjson.dumps(record) + b"\n")
                count += 1
            if copy == copies // 3:
                out.write(line[: len(line) // 2] + b"\n")  # truncated mid-record
                out.write(b'{"title": "no id here"}\n')
                count += 2
    return count


def _paperradar(db_url: str, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PAPERRADAR_DB": db_url}
    return subprocess.Popen(
        [sys.executable, "-m", "paperradar.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _children(pid: int, command: bytes = b"") -> list[int]:
    """Processes whose parent is ``pid`` (and whose command line contains ``command``)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            parent = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            line = (proc / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if parent == pid and command in line:
            found.append(int(proc.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _position(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(t.checkpoints.c.position)).scalar() or 0)


@pytest.mark.slow
@pytest.mark.parametrize("workers", ["0", "2"], ids=["serial", "parse-workers"])
def test_an_import_killed_with_sigkill_resumes_to_the_same_database(
    db_url: str, tmp_path: Path, workers: str
) -> None:
    big = tmp_path / "snapshot.jsonl"
    lines = _big_snapshot(big, copies=90)

    reference = open_store(f"sqlite:///{tmp_path / 'reference.db'}")
    import_file(reference, big, batch_size=250, workers=0)

    engine = open_store(db_url)
    args = ("import", str(big), "--batch-size", "250", "--workers", workers)
    proc = _paperradar(db_url, *args)
    deadline = time.monotonic() + 120
    while _position(engine) < lines // 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert proc.poll() is None, "the import finished before it could be killed; make the file bigger"
    children = _children(proc.pid)
    assert len(children) >= (2 if workers != "0" else 0)  # the parse workers (and their resource tracker)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while any(_alive(child) for child in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [child for child in children if _alive(child)], "parse workers outlived the killed import"
    killed_at = _position(engine)
    assert 0 < killed_at < lines

    proc = _paperradar(db_url, *args)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    assert f"resumed after position {killed_at}" in out.decode()
    assert dump(engine) == dump(reference)
    with engine.connect() as conn:
        quarantined = conn.execute(select(t.quarantine.c.location, t.quarantine.c.reason)).all()
        runs = conn.execute(select(t.ingest_runs.c.status).order_by(t.ingest_runs.c.id)).scalars().all()
    assert runs == ["interrupted", "done"]
    assert [q.location for q in quarantined] == [f"line {31 * 200 + 1}", f"line {31 * 200 + 2}"]
    assert "not valid JSON" in quarantined[0].reason and "id" in quarantined[1].reason
