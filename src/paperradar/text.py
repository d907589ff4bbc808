"""Small wording helpers shared by the analysis (provenance sentences) and the interfaces."""

from __future__ import annotations


def plural(n: int, noun: str) -> str:
    """``1 work``, ``12 works``, ``1,024 works``."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"
