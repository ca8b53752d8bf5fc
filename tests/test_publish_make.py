"""`make publish USER=demo`: the README's first command, run for real in a scratch directory.

The scratch directory gets only what the Makefile's install rule looks at (pyproject.toml, constraints.txt)
and reuses this test session's virtualenv (VENV=..., a fresh STAMP), so nothing is reinstalled.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hang_guard import HANG_GUARD

REPO = Path(__file__).resolve().parents[1]


def make(scratch: Path, *args: str, timeout: float = HANG_GUARD) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HF_ENDPOINT", "USER", "MAKEFLAGS", "CI")}  # a person's shell, not a CI job
    env["HF_HOME"] = str(scratch / "hf_home")
    in_venv = sys.prefix != sys.base_prefix
    overrides = [f"VENV={sys.prefix}", f"STAMP={scratch / 'stamp'}"] if in_venv else []
    cmd = ["make", "--no-print-directory", "-f", str(REPO / "Makefile"), "-C", str(scratch), *args, *overrides]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    for name in ("pyproject.toml", "constraints.txt"):
        shutil.copy2(REPO / name, tmp_path / name)
    (tmp_path / "stamp").touch()  # newer than both: the install rule has nothing to do
    return tmp_path


def test_make_publish_without_user_on_the_command_line_prints_usage(scratch):
    result = make(scratch, "publish")
    assert result.returncode == 2
    assert "usage: make publish USER=handle" in result.stderr


@pytest.mark.slow
def test_make_publish_demo_trains_publishes_locally_verifies_and_is_idempotent(scratch):
    first = make(scratch, "publish", "USER=demo")
    assert first.returncode == 0, first.stderr[-3000:]
    out = first.stderr
    assert "no Hugging Face token found: publishing to the embedded local hub" in out
    assert "verified: huggingtweets/demo@" in out
    assert "sample: My dream is" in out
    assert "model page: http://127.0.0.1:" in out and "/huggingtweets/demo" in out
    assert (scratch / "runs/demo/model.safetensors").exists()
    assert not (scratch / ".hub/server.json").exists()  # the hub started for the publish was stopped

    again = make(scratch, "publish", "USER=demo")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "publisher train" not in again.stdout  # an existing trained run is not retrained
    assert "unchanged: huggingtweets/demo already holds this model and card" in again.stderr
