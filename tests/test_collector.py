"""The collector tuning of the processes that serve bids (config/collector.py), in a fresh process:
tests that import config.asgi have tuned the pytest process already, so only a new interpreter
shows the collector before and after."""

import subprocess
import sys

from django.conf import settings

from config.collector import YOUNG_THRESHOLD

PROBE = """
import gc
from config.collector import tune_collector
young_before = gc.get_threshold()[0]
tune_collector()
print(young_before, gc.get_threshold()[0], gc.get_freeze_count() > 0)
"""


def test_tune_collector_freezes_what_startup_made_and_collects_the_young_less_often():
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=settings.BASE_DIR, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["700", str(YOUNG_THRESHOLD), "True"]
