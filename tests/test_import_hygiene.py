"""Process hygiene of ``paperradar import``: one import at a time into a store, never a traceback
because another process writes the keyword index, and no worker process left behind when an
import is killed, whenever that is.

Real ``paperradar import`` processes on a generated snapshot. The first import is paused with
SIGSTOP while it holds the store, so the second one surely meets it however loaded the machine.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from paperradar.cli import app
from paperradar.search.lexical import LexicalIndex, index_dir
from paperradar.store import schema as t
from paperradar.store.database import open_store
from tests.test_resume import SNAPSHOT, _alive, _big_snapshot, _children, _position

COPIES = 15  # 3,000 lines: a second or more of importing, long enough to meet it or kill it mid-way
MARK = "PAPERRADAR_TEST_MARK"  # in the import's environment, which its workers inherit
WAITING = "waiting for it to finish"
# The command as installed, as a user runs it: its workers import it as their ``__main__``, which
# takes them a second or more (``python -m paperradar.cli`` would spare them that, and hide it).
PAPERRADAR = str(Path(sys.executable).with_name("paperradar"))


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A snapshot of ``COPIES`` × 200 works, two broken lines among them; and its line count."""
    path = tmp_path_factory.mktemp("hygiene") / "snapshot.jsonl"
    return path, _big_snapshot(path, copies=COPIES)


class Import:
    """A ``paperradar import`` process, its output in files (no pipe to fill and block it)."""

    def __init__(self, db_url: str, folder: Path, name: str, *args: str, mark: str = "") -> None:
        self.out, self.err = folder / f"{name}.out", folder / f"{name}.err"
        env = {**os.environ, "PAPERRADAR_DB": db_url, "COLUMNS": "200", MARK: mark}
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, PAPERRADAR, "import", *args], env=env, stdout=out, stderr=err
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def running(self) -> bool:
        return self.proc.poll() is None

    def ended(self) -> tuple[int, str, str]:
        """Wait for the end: the exit status, stdout and stderr."""
        status = self.proc.wait(timeout=180)
        return status, self.out.read_text(), self.err.read_text()


def _until(condition: Callable[[], bool], seconds: float = 120, step: float = 0.01) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(step)
    return condition()


@pytest.mark.slow
def test_a_second_import_into_the_same_store_waits_for_the_first_or_says_it_is_running(
    db_url: str, tmp_path: Path, snapshot: tuple[Path, int]
) -> None:
    big, lines = snapshot
    works = lines - 2
    engine = open_store(db_url)  # migrated here, so that neither import migrates
    args = ("--workers", "0", "--batch-size", "250", str(big))
    first = Import(db_url, tmp_path, "first", *args)
    assert _until(lambda: _position(engine) > 0 or not first.running())
    assert first.running(), "the first import ended before the second could meet it"
    os.kill(first.pid, signal.SIGSTOP)  # it holds the store for as long as the test needs
    try:
        refused = Import(db_url, tmp_path, "refused", "--no-wait", str(SNAPSHOT))
        status, out, err = refused.ended()
        assert (status, out) == (1, "")
        assert err == (
            f"error: another import is running into this store (pid {first.pid}); "
            "run this import again when it has finished\n"
        )
        second = Import(db_url, tmp_path, "second", str(SNAPSHOT))  # 200 other works
        assert _until(lambda: WAITING in second.err.read_text() or not second.running())
        assert second.running()
    finally:
        os.kill(first.pid, signal.SIGCONT)

    status, out, err = first.ended()
    assert status == 0 and "Traceback" not in err
    assert f"arxiv-snapshot: {works} new · 0 merged · 2 quarantined" in out
    status, out, err = second.ended()
    assert status == 0 and "Traceback" not in err
    assert err.splitlines()[0] == (
        f"another import is running into this store (pid {first.pid}); "
        "waiting for it to finish… (Ctrl-C to stop waiting)"
    )
    assert "arxiv-snapshot: 200 new · 0 merged · 0 quarantined" in out
    with engine.connect() as conn:
        stored = conn.execute(select(func.count(), func.count(t.works.c.arxiv_id.distinct()))).one()
        runs = conn.execute(select(t.ingest_runs.c.status).order_by(t.ingest_runs.c.id)).scalars().all()
    assert tuple(stored) == (works + 200, works + 200)  # nothing lost, nothing twice
    assert runs == ["done", "done"]
    engine.dispose()


def test_an_import_while_another_command_writes_the_keyword_index_imports_all_the_same(
    db_url: str, engine: Engine
) -> None:
    """The index has one writer; an import that cannot have it leaves it to its holder."""
    held = LexicalIndex(index_dir(engine)).follow(engine)  # `paperradar index`, an enrichment…
    try:
        result = CliRunner().invoke(app, ["--db", db_url, "import", str(SNAPSHOT)], catch_exceptions=False)
    finally:
        held.close()  # the writer brings the index up to date as it ends
    assert result.exit_code == 0
    assert "arxiv-snapshot: 200 new · 0 merged · 0 quarantined" in result.output
    assert len(LexicalIndex(index_dir(engine)).search("diphoton production")) == 1


def _marked(mark: str) -> list[int]:
    """Live processes whose environment carries ``mark``: the import's children, wherever they went."""
    needle = f"{MARK}={mark}\0".encode()
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            marked = needle in (proc / "environ").read_bytes()
        except OSError:
            continue
        if marked and _alive(int(proc.name)):
            found.append(int(proc.name))
    return found


def _workers(pid: int) -> list[int]:
    return _children(pid, b"spawn_main")


AFTER_FIRST_WORKER = {  # a worker takes a second or more to start (it imports ``__main__``)
    "as its first worker starts": 0.0,
    "0.3 s after its first worker starts": 0.3,
    "0.6 s after its first worker starts": 0.6,
}
KILL_MOMENTS = ["0.5 s after it starts", *AFTER_FIRST_WORKER, "while its workers parse"]


def _reach(moment: str, run: Import, engine: Engine) -> None:
    if moment in AFTER_FIRST_WORKER:
        _until(lambda: bool(_workers(run.pid)) or not run.running(), step=0.002)
        time.sleep(AFTER_FIRST_WORKER[moment])
    elif moment == "while its workers parse":
        _until(lambda: _position(engine) > 0 or not run.running())
    else:
        time.sleep(0.5)


@pytest.mark.slow
@pytest.mark.parametrize("moment", KILL_MOMENTS)
def test_an_import_killed_at_any_moment_leaves_no_worker_behind(
    moment: str, tmp_path: Path, snapshot: tuple[Path, int]
) -> None:
    """The workers are the same on either backend: SQLite only. A worker still starting up
    (importing ``__main__``: a second or more) when its parent dies must notice too."""
    db_url = f"sqlite:///{tmp_path / 'radar.db'}"
    engine = open_store(db_url)
    mark = uuid.uuid4().hex
    run = Import(
        db_url, tmp_path, "killed", "--workers", "2", "--batch-size", "250", str(snapshot[0]), mark=mark
    )
    try:
        _reach(moment, run, engine)
        assert run.running(), "the import ended before it could be killed"
        children = _children(run.pid)
    finally:
        run.proc.kill()
        run.proc.wait()
    if moment != "0.5 s after it starts":
        assert children, "no worker to outlive the import: the moment was missed"
    gone = _until(lambda: not _marked(mark), seconds=60, step=0.1)
    left = _marked(mark)
    for pid in left:  # a failing run leaves no orphan either
        os.kill(pid, signal.SIGKILL)
    assert gone, f"processes of the import killed {moment} outlived it: {left} (its children were {children})"
    engine.dispose()
