"""paperradar: a self-hostable research radar (corpus, profiles, daily papers, search, digests)."""

__version__ = "0.1.0"
