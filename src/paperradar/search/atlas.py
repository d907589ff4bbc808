"""The map of the corpus: every embedded work placed in 2D, beside the vector index.

A linear projection (the two principal axes of a sample of the vectors) is fitted once and
kept; works embedded later are placed by the same projection, so a point never moves when
the corpus grows (``refit`` fits anew and places everything again). Deterministic: the sample
is drawn with a fixed seed and each axis's sign is fixed, so the same vectors give the same map.

Files in ``<db>.index/atlas/``:

* ``projection.npz`` — the mean and the two axes (float32) and the model they were fitted on;
* ``xy.f32`` — two float32 per row of the vector index, in its row order (append-only, like it:
  a work embedded again has a newer row, and only its newest row counts);
* ``state.json`` — the model and how many vector rows are placed.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from paperradar.search.vectors import VectorIndex, Vectors

SAMPLE = 20_000  # rows the projection is fitted on: a few ms of SVD, stable axes
STEP = 65_536  # rows placed per read


@dataclass
class AtlasState:
    model: str = ""
    rows: int = 0  # rows of the vector index placed


@dataclass(frozen=True)
class Point:
    work_id: int
    x: float
    y: float


class Atlas:
    """The projection and the coordinates of one vector index."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def state(self) -> AtlasState:
        file = self.path / "state.json"
        return AtlasState(**json.loads(file.read_text())) if file.exists() else AtlasState()

    def _save_state(self, state: AtlasState) -> None:
        tmp = self.path / "state.json.tmp"
        tmp.write_text(json.dumps(asdict(state)))
        tmp.replace(self.path / "state.json")

    def catch_up(self, vectors: VectorIndex, *, refit: bool = False) -> int:
        """Place the vector rows not yet placed (fitting the projection first if there is none,
        the model changed, or ``refit``); returns how many rows were placed."""
        total = vectors.state.rows
        model = vectors.state.model
        state = self.state
        if refit or state.model != model or state.rows > total or not (self.path / "projection.npz").exists():
            shutil.rmtree(self.path, ignore_errors=True)
            if total == 0:
                return 0
            self.path.mkdir(parents=True, exist_ok=True)
            self._fit(vectors, total, model)
            state = AtlasState(model=model)
        if state.rows >= total:
            return 0
        mean, axes = self._projection()
        with open(self.path / "xy.f32", "ab") as out:
            out.truncate(state.rows * 8)
            for start in range(state.rows, total, STEP):
                rows = np.arange(start, min(start + STEP, total))
                out.write(project(vectors.vectors_at(rows), mean, axes).astype("<f4").tobytes())
        placed = total - state.rows
        self._save_state(AtlasState(model=model, rows=total))
        return placed

    def _fit(self, vectors: VectorIndex, total: int, model: str) -> None:
        sample = np.random.default_rng(0).choice(total, min(SAMPLE, total), replace=False)
        mean, axes = fit(vectors.vectors_at(np.sort(sample)))
        np.savez(self.path / "projection.npz", mean=mean, axes=axes, model=np.array(model))

    def _projection(self) -> tuple[Vectors, Vectors]:
        with np.load(self.path / "projection.npz") as saved:
            return np.asarray(saved["mean"], np.float32), np.asarray(saved["axes"], np.float32)

    def points(self, vectors: VectorIndex) -> list[Point]:
        """Each placed work's newest coordinates (in work id order); none while a refit or a
        rebuild has the files away (the page then says to run ``paperradar index``)."""
        try:
            state = self.state
            rows = state.rows
            if rows == 0 or vectors.state.model != state.model:
                return []
            xy = np.fromfile(self.path / "xy.f32", dtype="<f4", count=rows * 2).reshape(rows, 2)
            ids = np.fromfile(vectors.path / "ids.i64", dtype="<i8", count=rows)  # see vectors.py
        except (OSError, ValueError):  # a refit between our reads: files gone or short
            return []
        newest: dict[int, int] = {int(work): row for row, work in enumerate(ids)}
        return [Point(work, float(xy[row, 0]), float(xy[row, 1])) for work, row in sorted(newest.items())]


def fit(sample: Vectors) -> tuple[Vectors, Vectors]:
    """The mean and the two principal axes of ``sample`` (signs fixed: deterministic)."""
    mean = sample.mean(axis=0)
    centred = sample - mean
    if len(sample) < 2:
        axes = np.zeros((2, sample.shape[1]), dtype=np.float32)
        axes[0, 0], axes[1, 1] = 1, 1
        return mean.astype(np.float32), axes
    _, _, vt = np.linalg.svd(centred.astype(np.float64), full_matrices=False)
    axes = np.zeros((2, sample.shape[1]))
    axes[: min(2, len(vt))] = vt[:2]
    signs = np.sign(axes[np.arange(2), np.abs(axes).argmax(axis=1)])
    axes *= np.where(signs == 0, 1, signs)[:, None]
    return mean.astype(np.float32), axes.astype(np.float32)


def project(vectors: Vectors | np.ndarray[Any, Any], mean: Vectors, axes: Vectors) -> Vectors:
    """The 2D coordinates of ``vectors`` under a fitted projection."""
    return np.asarray((np.asarray(vectors, np.float32) - mean) @ axes.T, dtype=np.float32)


def atlas_of(vectors: VectorIndex) -> Atlas:
    """The atlas beside a vector index (``<db>.index/atlas``)."""
    return Atlas(vectors.path.parent / "atlas")
