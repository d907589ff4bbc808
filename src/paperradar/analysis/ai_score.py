"""The AI Score (docs/metrics.md): a transparent composite, always shown with its breakdown.

    AI Score = 100 × (0.30·P(h-index) + 0.25·P(citations per year, last 5 years)
                      + 0.20·P(Novelty %) + 0.15·code rate + 0.10·P(community upvotes))

P(x) is the author's percentile among their *peers*: the authors with the same main category
who have at least three works in the corpus (the score is only defined for them, and ranking
them against one-paper authors would put nearly everyone near the top). The percentile is the
midpoint rank: the share of peers below, plus half of those level with the author.

The peer distributions are histograms per (category, metric) saved by ``metrics refresh``, so
a profile reads its percentiles without scanning every author. Floating-point metrics are
rounded to three significant digits first, which keeps a histogram small at any corpus size
and makes the percentile the same whether computed in bulk or for one profile.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

import numpy as np

from paperradar.analysis.metrics import MIN_WORKS

WEIGHTS = {
    "h_index": 0.30,
    "citations_per_year": 0.25,
    "novelty": 0.20,
    "code_rate": 0.15,
    "upvotes": 0.10,
}
RANKED = ("h_index", "citations_per_year", "novelty", "upvotes")  # those that enter as percentiles
LABELS = {
    "h_index": "h-index",
    "citations_per_year": "citations per year (last 5 years)",
    "novelty": "Novelty %",
    "code_rate": "share of works with code",
    "upvotes": "community upvotes",
}


def rounded(value: float) -> float:
    """Three significant digits: 12345.6 → 12300, 0.012345 → 0.0123."""
    if value == 0 or not math.isfinite(value):
        return float(value)
    return float(f"{value:.3g}")


@dataclass(frozen=True)
class Distribution:
    """Distinct values among peers, ascending, and how many peers hold each."""

    values: list[float]
    counts: list[int]
    below: list[int] = field(default_factory=list)  # peers strictly below each value

    @classmethod
    def of(cls, values: np.ndarray) -> Distribution:
        distinct, counts = np.unique(np.array([rounded(float(v)) for v in values]), return_counts=True)
        return cls.from_pairs(list(zip(distinct.tolist(), counts.tolist(), strict=True)))

    @classmethod
    def from_pairs(cls, pairs: list[tuple[float, int]] | list[list[float]]) -> Distribution:
        values = [float(v) for v, _ in pairs]
        counts = [int(c) for _, c in pairs]
        below = np.r_[0, np.cumsum(counts)[:-1]].astype(int).tolist() if counts else []
        return cls(values, counts, below)

    @property
    def peers(self) -> int:
        return sum(self.counts)

    def pairs(self) -> list[list[float]]:
        return [[v, c] for v, c in zip(self.values, self.counts, strict=True)]

    def percentile(self, value: float) -> float:
        """Midpoint percentile rank of ``value`` among the peers, 0–100."""
        if not self.counts:
            return math.nan
        x = rounded(value)
        i = bisect.bisect_left(self.values, x)
        equal = self.counts[i] if i < len(self.values) and self.values[i] == x else 0
        below = self.below[i] if i < len(self.below) else self.peers
        return 100.0 * (below + equal / 2) / self.peers


@dataclass(frozen=True)
class Part:
    metric: str
    label: str
    weight: float
    value: float | None  # the author's own figure
    percentile: float | None  # P(value) among peers; code rate enters as itself
    points: float | None  # weight × (percentile or rate), on the 0–100 scale
    reason: str | None = None  # why the part is missing
    peers: int = 0  # authors the percentile is taken among


@dataclass(frozen=True)
class AIScore:
    value: int | None  # None: not defined, see ``reason``
    parts: list[Part]
    category: str | None
    peers: int
    reason: str | None = None


def ai_score(
    figures: dict[str, float | None],
    works: int,
    category: str | None,
    distributions: dict[str, Distribution],
) -> AIScore:
    """Score one author from their figures and their category's peer distributions.

    ``figures`` holds the metrics of :data:`WEIGHTS` (``None`` = unknown). The score is "—" with
    fewer than three works, without a main category, or when a part is unknown; the known parts
    are still listed, so a reader sees how far it got.
    """
    parts: list[Part] = []
    missing: list[str] = []
    exact = 0.0  # the total before rounding: the parts are rounded for display only
    peers = max((d.peers for d in distributions.values()), default=0)
    for metric, weight in WEIGHTS.items():
        value = figures.get(metric)
        label = LABELS[metric]
        if value is None or (isinstance(value, float) and math.isnan(value)):
            parts.append(Part(metric, label, weight, None, None, None, f"no {label}"))
            missing.append(label)
            continue
        if metric == "code_rate":
            exact += 100 * weight * value
            parts.append(Part(metric, label, weight, value, None, round(100 * weight * value, 1)))
            continue
        dist = distributions.get(metric)
        if dist is None or not dist.peers:
            why = "no main category to find peers in" if category is None else "no peers to compare with yet"
            parts.append(Part(metric, label, weight, value, None, None, why))
            missing.append(f"peers for {label}")
            continue
        pct = dist.percentile(value)
        exact += weight * pct
        parts.append(
            Part(metric, label, weight, value, round(pct, 1), round(weight * pct, 1), None, dist.peers)
        )
    if works < MIN_WORKS:
        return AIScore(None, parts, category, peers, f"fewer than {MIN_WORKS} works in the corpus ({works})")
    if category is None:
        return AIScore(None, parts, None, 0, "no main category: none of the works has an arXiv category")
    if missing:
        return AIScore(None, parts, category, peers, "missing: " + ", ".join(missing))
    return AIScore(round(exact), parts, category, peers)
