"""Similar authors: people whose papers lie closest to an author's papers in embedding space.

The author's works are averaged into one unit vector (their centroid); its nearest works are
grouped by author, and each author scores the mean similarity of their (up to) three closest
works: closeness first, and among equally close authors, a body of close work (more such
works) before a single paper. Co-authors are flagged, not hidden: a reader may want either.
Uses stored vectors only, no model call.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import Engine

from paperradar.search.vectors import VectorIndex
from paperradar.store import queries

NEIGHBOURS = 300  # nearest works looked at
BEST_OF = 3


@dataclass
class SimilarAuthor:
    author_id: int
    name: str
    score: float  # mean cosine of their closest works to the author's centroid
    close_works: int  # of their works among the nearest
    closest_work: int
    coauthor: bool


def similar_authors(
    engine: Engine, vectors: VectorIndex, author_id: int, limit: int = 10
) -> list[SimilarAuthor]:
    with engine.connect() as conn:
        own = queries.works_of_authors(conn, [author_id]).get(author_id, [])
        _, rows = vectors.rows_of(own)
        if not len(rows):
            return []
        matrix = vectors.vectors_at(rows)
        centroid = matrix.mean(axis=0)
        centroid /= np.linalg.norm(centroid) or 1.0
        mine = set(own)
        nearest = [
            (w, s) for w, s in vectors.search(centroid, NEIGHBOURS + len(mine), paper=True) if w not in mine
        ]
        authors = queries.authors_of_works(conn, [w for w, _ in nearest] + own)
    coauthors = {a for w in own for a, _ in authors.get(w, []) if a != author_id}
    scores: dict[int, list[tuple[float, int]]] = {}
    names: dict[int, str] = {}
    for work_id, similarity in nearest:
        for other, name in authors.get(work_id, []):
            if other != author_id:
                scores.setdefault(other, []).append((similarity, work_id))
                names.setdefault(other, name)
    ranked = []
    for other, found in scores.items():
        best = sorted(found, reverse=True)[:BEST_OF]
        score = sum(s for s, _ in best) / len(best)
        ranked.append(SimilarAuthor(other, names[other], score, len(found), best[0][1], other in coauthors))
    ranked.sort(key=lambda a: (-round(a.score, 2), -a.close_works, -a.score, a.author_id))
    return ranked[:limit]
