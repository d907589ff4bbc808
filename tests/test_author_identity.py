"""One author per person: name variants joined on shared co-authors, and a user's merges and
splits that survive every later import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from paperradar.analysis import profiles
from paperradar.analysis.refresh import refresh_metrics
from paperradar.identity.authors import variant_of
from paperradar.ingest import import_file
from paperradar.store import overrides
from paperradar.store import schema as t
from paperradar.store.database import writing
from tests.store_dump import dump


def snapshot_line(arxiv: str, authors: str, title: str, abstract: str = "An abstract.") -> str:
    """One arXiv metadata snapshot record, as the bulk file has them."""
    return json.dumps(
        {
            "id": arxiv,
            "authors": authors,
            "title": title,
            "abstract": abstract,
            "categories": "cs.CL",
            "versions": [{"version": "v1", "created": "Mon, 2 Jun 2025 10:00:00 GMT"}],
            "update_date": "2025-06-02",
            "authors_parsed": [[*reversed(name.rsplit(" ", 1)), ""] for name in authors.split(", ")],
        }
    )


def write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def author_of(engine: Engine, arxiv: str, family: str) -> int:
    with engine.connect() as conn:
        work = conn.execute(
            select(t.work_ids.c.work_id).where(t.work_ids.c.scheme == "arxiv", t.work_ids.c.value == arxiv)
        ).scalar_one()
        rows = conn.execute(
            select(t.authorships.c.author_id, t.authorships.c.name).where(t.authorships.c.work_id == work)
        ).all()
    author: int = next(a for a, name in rows if name.split()[-1] == family)
    return author


def profile_works(engine: Engine, author_id: int) -> set[str]:
    with engine.connect() as conn:
        profile = profiles.profile(conn, author_id)
    assert profile is not None
    return {w.card.arxiv_id or "" for w in profile.works}


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("e w dijkstra", "edsger w dijkstra", True),
        ("e dijkstra", "edsger wybe dijkstra", True),
        ("n mackraz", "natalie mackraz", True),
        ("natalie mackraz", "nathan mackraz", False),
        ("w dijkstra", "edsger w dijkstra", False),  # the first given names disagree
        ("dijkstra", "e dijkstra", False),  # a bare family name is too little
        ("e w dijkstra", "e dijkstra", True),
        ("e v dijkstra", "e w dijkstra", False),
    ],
)
def test_name_variants(a: str, b: str, same: bool) -> None:
    assert variant_of(a, b) is same and variant_of(b, a) is same


def test_initials_and_full_name_become_one_person_when_they_share_a_co_author(
    engine: Engine, tmp_path: Path
) -> None:
    write(
        tmp_path / "a.jsonl",
        snapshot_line(
            "2506.00001",
            "Natalie Mackraz, Barry-John Theobald, Katherine Metcalf",
            "Bias transfer in language models",
        ),
        snapshot_line(
            "2506.00002", "N. Mackraz, Barry John Theobald, K. Metcalf", "Preference alignment from samples"
        ),
        snapshot_line("2506.00004", "Nathan Mackraz, Ada Lovelace", "Someone else of that family name"),
    )
    import_file(engine, tmp_path / "a.jsonl")
    natalie = author_of(engine, "2506.00001", "Mackraz")
    assert author_of(engine, "2506.00002", "Mackraz") != natalie  # different name keys at import
    # N. Mackraz and K. Metcalf are initials only: each needs two co-authors in common, and has them.
    assert refresh_metrics(engine).variants == 2
    assert author_of(engine, "2506.00002", "Metcalf") == author_of(engine, "2506.00001", "Metcalf")
    # "N. Mackraz" with Theobald (hyphen or not) and Metcalf is Natalie; Nathan stays himself.
    assert author_of(engine, "2506.00002", "Mackraz") == natalie
    assert profile_works(engine, natalie) == {"2506.00001", "2506.00002"}
    assert author_of(engine, "2506.00004", "Mackraz") != natalie
    with engine.connect() as conn:
        profile = profiles.profile(conn, natalie)
        assert profile is not None and profile.name == "Natalie Mackraz"
        log = conn.execute(select(t.author_overrides.c.action, t.author_overrides.c.author_id)).all()
    assert ("variant", natalie) in log


def test_initials_with_one_co_author_in_common_are_too_little(engine: Engine, tmp_path: Path) -> None:
    write(
        tmp_path / "a.jsonl",
        snapshot_line(
            "2506.00001", "Natalie Mackraz, Barry-John Theobald", "Bias transfer in language models"
        ),
        snapshot_line("2506.00002", "N. Mackraz, Barry-John Theobald", "Preference alignment from samples"),
        snapshot_line("2506.00003", "Natalie Mackraz, Barry-John Theobald", "A third paper of hers"),
        snapshot_line("2506.00005", "Natalie E. Mackraz, Barry-John Theobald", "Full names need one"),
    )
    import_file(engine, tmp_path / "a.jsonl")
    assert refresh_metrics(engine).variants == 1  # "Natalie E." joins "Natalie"; "N." stays apart
    assert author_of(engine, "2506.00005", "Mackraz") == author_of(engine, "2506.00001", "Mackraz")
    assert author_of(engine, "2506.00002", "Mackraz") != author_of(engine, "2506.00001", "Mackraz")


def test_initials_that_fit_two_people_equally_are_left_alone(engine: Engine, tmp_path: Path) -> None:
    write(
        tmp_path / "a.jsonl",
        snapshot_line(
            "2506.00001", "Natalie Mackraz, Barry-John Theobald", "Bias transfer in language models"
        ),
        snapshot_line(
            "2506.00002", "N. Mackraz, Barry-John Theobald", "Preference alignment from writing samples"
        ),
        snapshot_line("2506.00003", "N. Mackraz, Ada Lovelace", "Analytical engines revisited"),
        snapshot_line("2506.00004", "Nathan Mackraz, Ada Lovelace", "Someone else of that family name"),
    )
    import_file(engine, tmp_path / "a.jsonl")
    before = {w: author_of(engine, w, "Mackraz") for w in ("2506.00001", "2506.00002", "2506.00004")}
    assert refresh_metrics(engine).variants == 0
    assert {w: author_of(engine, w, "Mackraz") for w in before} == before
    assert len(set(before.values())) == 3


def test_a_merge_survives_later_imports_of_the_merged_name(engine: Engine, tmp_path: Path) -> None:
    write(
        tmp_path / "a.jsonl",
        snapshot_line(
            "2506.00001", "Natalie Mackraz, Barry-John Theobald", "Bias transfer in language models"
        ),
        snapshot_line("2506.00002", "N. Mackraz, Ada Lovelace", "Preference alignment from writing samples"),
    )
    import_file(engine, tmp_path / "a.jsonl")
    natalie, other = author_of(engine, "2506.00001", "Mackraz"), author_of(engine, "2506.00002", "Mackraz")
    assert natalie != other
    with writing(engine) as conn:
        overrides.merge(conn, natalie, other)
    # A new work by the merged spelling, and a changed version of the merged work, both land on her.
    write(
        tmp_path / "b.jsonl",
        snapshot_line("2506.00003", "N. Mackraz, Ada Lovelace", "Steering models into new spaces"),
        snapshot_line("2506.00002", "N. Mackraz, Ada Lovelace", "Preference alignment (v2)", "Revised."),
    )
    import_file(engine, tmp_path / "b.jsonl")
    assert profile_works(engine, natalie) == {"2506.00001", "2506.00002", "2506.00003"}
    with engine.connect() as conn:
        assert [m["id"] for m in profiles.find(conn, str(other))] == [natalie]  # the old id leads to her
        profile = profiles.profile(conn, other)
        assert profile is not None and profile.author_id == natalie
        with pytest.raises(overrides.OverrideError, match="already one person"):
            overrides.merge(conn, natalie, other)


def test_a_split_survives_later_imports_and_is_never_joined_back(engine: Engine, tmp_path: Path) -> None:
    lines = [
        snapshot_line(
            "2506.00001", "Natalie Mackraz, Barry-John Theobald", "Bias transfer in language models"
        ),
        snapshot_line(
            "2506.00002", "Natalie Mackraz, Barry-John Theobald", "Preference alignment from samples"
        ),
        snapshot_line("2506.00003", "Natalie Mackraz, Grace Hopper", "Compilers for a different person"),
    ]
    import_file(engine, write(tmp_path / "a.jsonl", *lines))
    natalie = author_of(engine, "2506.00001", "Mackraz")
    assert author_of(engine, "2506.00003", "Mackraz") == natalie  # one name, one author at import
    with engine.connect() as conn:
        work = conn.execute(
            select(t.work_ids.c.work_id).where(t.work_ids.c.value == "2506.00003")
        ).scalar_one()
    with writing(engine) as conn:
        other = overrides.split(conn, natalie, [work])
    assert author_of(engine, "2506.00003", "Mackraz") == other
    before = dump(engine)
    import_file(engine, tmp_path / "a.jsonl")  # the same file again: nothing changes
    assert dump(engine) == before
    # A changed record of the split work rewrites its authorships: the pin keeps the split.
    changed = snapshot_line("2506.00003", "Natalie Mackraz, Grace Hopper", "Compilers, revised", "New text.")
    import_file(engine, write(tmp_path / "b.jsonl", changed))
    refresh_metrics(engine)
    assert author_of(engine, "2506.00003", "Mackraz") == other
    assert profile_works(engine, natalie) == {"2506.00001", "2506.00002"}
    assert profile_works(engine, other) == {"2506.00003"}


def test_overrides_refuse_what_cannot_be_done(engine: Engine, tmp_path: Path) -> None:
    import_file(
        engine,
        write(
            tmp_path / "a.jsonl",
            snapshot_line(
                "2506.00001", "Natalie Mackraz, Barry-John Theobald", "Bias transfer in language models"
            ),
        ),
    )
    natalie = author_of(engine, "2506.00001", "Mackraz")
    theobald = author_of(engine, "2506.00001", "Theobald")
    with writing(engine) as conn:
        with pytest.raises(overrides.OverrideError, match="no author with id 999999"):
            overrides.merge(conn, natalie, 999999)
        with pytest.raises(overrides.OverrideError, match="not on author"):
            overrides.split(conn, natalie, [999999])
        with pytest.raises(overrides.OverrideError, match="every work"):
            work = next(iter(overrides.works_of(conn, natalie)))
            overrides.split(conn, natalie, [work])
        overrides.split(conn, natalie, [work], into=theobald)  # allowed: it names who it is
