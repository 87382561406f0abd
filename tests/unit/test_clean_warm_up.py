"""The worker loads what the clean stage needs before its first message."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
from streams.cleaning import clean, stage
from streams.settings import Settings
assert clean._identifier.cache_info().currsize == 0  # nothing loaded at import
stage.warm_up(Settings())
print(clean._identifier.cache_info().currsize)
"""


def test_warm_up_loads_the_language_model_in_a_fresh_process() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.split()[-1] == "1"
