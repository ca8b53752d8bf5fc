"""Streaming import keeps memory bounded: a 30k-tweet archive (about 33 MB of tweets.js) in a fresh process."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hang_guard import HANG_GUARD

from publisher.data.demo import write_large_archive

# The peak is this process's own VmHWM: ru_maxrss of a freshly exec'd child starts at the parent's high-water
# mark on Linux (kept across fork and exec), so after a test that loaded torch it measured pytest, not the import.
CODE = """
import resource, sys
from publisher.data.readers import read_input
from publisher.data.counting import process_users

def peak_mb():
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024

users = process_users([read_input(sys.argv[1])])
print(len(users[0].tweets), users[0].duplicates_removed, peak_mb())
"""


@pytest.mark.slow
def test_import_of_a_large_archive_stays_far_below_150_mb(tmp_path):
    archive = write_large_archive(tmp_path / "big.zip", 30_000, seed=2)
    out = subprocess.run(
        [sys.executable, "-c", CODE, str(archive)], capture_output=True, text=True, timeout=HANG_GUARD
    )
    assert out.returncode == 0, out.stderr
    kept_after_cap, _dupes, peak_mb = (int(x) for x in out.stdout.split())
    assert kept_after_cap == 3200
    assert peak_mb < 100  # measured about 32 MB; a whole-file json.loads of the same file takes about 250 MB
