"""Import and sync runs, and the checkpoints that let them resume.

Every run (``paperradar import`` of a file, each ``paperradar sync``) is recorded in
``ingest_runs`` with its status and counts. A checkpoint names where a run stands under a key
("import:<file fingerprint>", "sync:arxiv_oai:cs", …); it is written in the same transaction
as the batch it follows (:func:`save_checkpoint`), so a run killed at any instant resumes
exactly after what the database holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, insert, select, update

from paperradar.store import schema as t
from paperradar.store.sql import upsert


@dataclass(frozen=True)
class Checkpoint:
    """Where a run stands: saved in the same transaction as the batch it follows."""

    key: str  # "import:<file fingerprint>", "sync:arxiv_oai:cs", …
    position: int  # last committed item position (a line, a record, a page)
    done: bool
    state: dict[str, Any] | None = None  # what a resumed run needs besides the position (tokens…)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def start_run(
    conn: Connection, kind: str, target: str, format_name: str | None, checkpoint_key: str
) -> tuple[Checkpoint | None, int]:
    """Record a new run; returns the checkpoint a previous run left (if any) and the run id.

    A previous run that never finished is marked ``interrupted``: this one resumes it.
    """
    cp = t.checkpoints
    previous = conn.execute(
        select(cp.c.position, cp.c.done, cp.c.run_id, cp.c.state).where(cp.c.key == checkpoint_key)
    ).first()
    if previous is not None and not previous.done:
        conn.execute(
            update(t.ingest_runs)
            .where(t.ingest_runs.c.id == previous.run_id, t.ingest_runs.c.status == "running")
            .values(status="interrupted")
        )
    run_id = conn.execute(
        insert(t.ingest_runs)
        .values(kind=kind, target=target, format=format_name, started_at=_now(), status="running")
        .returning(t.ingest_runs.c.id)
    ).scalar_one()
    if previous is None:
        return None, int(run_id)
    state = orjson.loads(previous.state) if previous.state else None
    return Checkpoint(checkpoint_key, previous.position, previous.done, state), int(run_id)


def save_checkpoint(conn: Connection, checkpoint: Checkpoint, run_id: int | None) -> None:
    """Write ``checkpoint`` for ``run_id`` (in the transaction of the batch it follows)."""
    row = {
        "key": checkpoint.key,
        "position": checkpoint.position,
        "done": checkpoint.done,
        "state": orjson.dumps(checkpoint.state).decode() if checkpoint.state is not None else None,
        "run_id": run_id,
        "updated_at": _now(),
    }
    upsert(conn, t.checkpoints, [row], ["key"])


def finish_run(
    conn: Connection, run_id: int, status: str, counts: dict[str, Any], message: str | None
) -> None:
    """Record how a run ended: its status, its counts and a message (an error, or notes)."""
    conn.execute(
        update(t.ingest_runs)
        .where(t.ingest_runs.c.id == run_id)
        .values(finished_at=_now(), status=status, counts=orjson.dumps(counts).decode(), message=message)
    )
