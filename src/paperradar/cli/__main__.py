"""``python -m paperradar.cli``."""

from paperradar.cli import run

run()
