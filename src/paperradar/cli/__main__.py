"""``python -m paperradar.cli``."""

from paperradar.cli import run

if __name__ == "__main__":  # import-safe: parse workers are spawned processes that import __main__
    run()
