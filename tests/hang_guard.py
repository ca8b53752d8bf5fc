"""The one time limit tests put on subprocesses: a hang guard, not a speed check.

A busy machine (8 people on 2 cores) can make a 20-second training take minutes, so no test may fail because
something was slow; speed is measured in bench/. This only stops a process that really hangs, and stays
below pytest-timeout's per-test guard in pyproject.toml so the subprocess's own output is reported.
"""

HANG_GUARD = 1800  # seconds
