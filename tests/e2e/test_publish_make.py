"""`make publish USER=demo`: the README's first command, run for real in a scratch directory.

The scratch directory gets only what the Makefile's install rule looks at (pyproject.toml, setup.py,
constraints.txt) and reuses this test session's virtualenv (VENV=..., a fresh STAMP), so nothing is
reinstalled.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from hang_guard import HANG_GUARD

REPO = Path(__file__).resolve().parents[2]


def make(scratch: Path, *args: str, timeout: float = HANG_GUARD) -> subprocess.CompletedProcess:
    env = {
        k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HF_ENDPOINT", "USER", "MAKEFLAGS", "CI")
    }  # a person's shell, not a CI job
    env["HF_HOME"] = str(scratch / "hf_home")
    in_venv = sys.prefix != sys.base_prefix
    overrides = [f"VENV={sys.prefix}", f"STAMP={scratch / 'stamp'}"] if in_venv else []
    cmd = [
        "make",
        "--no-print-directory",
        "-f",
        str(REPO / "Makefile"),
        "-C",
        str(scratch),
        *args,
        *overrides,
    ]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


def page_served_by_make_hub(root: Path, path: str) -> str:
    """GET `path` from `publisher hub serve --root root` (what `make hub` runs; any free port here)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "publisher", "hub", "serve", "--root", str(root), "--port", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + HANG_GUARD
        while not (root / "server.json").exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        url = json.loads((root / "server.json").read_text())["url"]
        with urllib.request.urlopen(url + path, timeout=60) as response:
            return response.read().decode()
    finally:
        proc.terminate()
        proc.wait(timeout=60)


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    for name in ("pyproject.toml", "setup.py", "constraints.txt"):
        shutil.copy2(REPO / name, tmp_path / name)
    (tmp_path / "stamp").touch()  # newer than all three: the install rule has nothing to do
    return tmp_path


def test_make_publish_without_user_on_the_command_line_prints_usage(scratch):
    result = make(scratch, "publish")
    assert result.returncode == 2
    assert "usage: make publish USER=handle" in result.stderr


def test_a_trained_run_is_published_without_its_archive(scratch):
    run = scratch / "runs" / "a-b-c"
    run.mkdir(parents=True)
    (run / "card.json").write_text("{}")
    (run / "model.safetensors").write_bytes(b"")
    result = make(scratch, "-n", "publish", "USER=a-b-c")
    assert result.returncode == 0, result.stderr
    commands = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(commands) == 1 and " -m publisher publish runs/a-b-c " in commands[0] + " "
    assert "archive" not in result.stdout + result.stderr


def test_a_prepared_run_is_trained_without_its_archive(scratch):
    run = scratch / "runs" / "alice"
    run.mkdir(parents=True)
    (run / "card.json").write_text("{}")
    result = make(scratch, "-n", "publish", "USER=alice")
    assert result.returncode == 0, result.stderr
    assert "publisher prepare" not in result.stdout and "archive" not in result.stdout + result.stderr
    assert "publisher train runs/alice --base-model openai-community/gpt2" in result.stdout


def test_a_new_run_without_its_archive_names_the_missing_file(scratch):
    result = make(scratch, "publish", "USER=alice")
    assert result.returncode == 2
    assert (
        "no tweet archive for @alice: put it at runs/archives/alice.zip or pass ARCHIVE=path" in result.stderr
    )
    missing = make(scratch, "publish", "USER=alice", "ARCHIVE=elsewhere/alice.zip")
    assert (
        missing.returncode == 2 and "ARCHIVE: elsewhere/alice.zip: no such file or folder" in missing.stderr
    )


def test_a_misspelt_variable_is_an_error_listing_the_known_ones_before_anything_runs(scratch):
    result = make(scratch, "publish", "USER=demo", "DRYRUN=1")
    assert result.returncode == 2
    assert "unknown variable DRYRUN on the command line" in result.stderr
    assert "DRY_RUN" in result.stderr and "BASE_MODEL" in result.stderr
    assert result.stdout == "" and not (scratch / "runs").exists()


def test_the_documented_variables_of_other_targets_are_known(scratch):
    conformance = make(scratch, "-n", "conformance", "FILES=test_hf_api.py")
    assert conformance.returncode == 0, conformance.stderr
    assert "conformance/run.py test_hf_api.py" in conformance.stdout
    serial = make(scratch, "-n", "test", "PARALLEL=")
    assert serial.returncode == 0, serial.stderr
    assert "-m pytest" in serial.stdout and "-n auto" not in serial.stdout


@pytest.mark.parametrize(("user", "run"), [("@demo", "demo"), ("Demo", "demo"), ("bob-@Alice", "alice-bob")])
def test_user_is_normalised_once_like_prepare(scratch, user, run):
    result = make(scratch, "-n", "publish", f"USER={user}")
    assert result.returncode == 0, result.stderr
    assert f"USER={user} is the run runs/{run}" in result.stdout
    assert f"publisher publish runs/{run} " in result.stdout
    assert "@@" not in result.stdout and result.stderr == ""


@pytest.mark.parametrize(
    ("user", "message"),
    [
        ("a b", "USER='a b': invalid handle 'a b': a handle is 1 to 15 of A-Z, a-z, 0-9 and _"),
        ("demo-", "USER='demo-': an empty handle between or around '-'"),
        ("", "USER is empty"),
        ("ann-Ann", "USER='ann-Ann': @ann is given twice"),
        ("o'neil", 'invalid handle "o\'neil"'),
    ],
)
def test_an_invalid_user_is_refused_with_one_clear_line_and_no_make_warnings(scratch, user, message):
    result = make(scratch, "publish", f"USER={user}")
    assert result.returncode == 2
    assert message in result.stderr
    assert "warning" not in result.stderr.lower() and len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == "" and not (scratch / "runs").exists()


def test_make_user_module_applies_prepares_handle_rule_without_third_party_imports():
    code = "import sys; from publisher.data.make_user import run_name; print(run_name('@Zed-amy'), sorted(m for m in ('click', 'jinja2', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=HANG_GUARD)
    assert out.stdout.split("\n")[0] == "amy-zed []"


@pytest.mark.slow
def test_make_publish_demo_trains_publishes_locally_verifies_and_is_idempotent(scratch):
    first = make(scratch, "publish", "USER=demo")
    assert first.returncode == 0, first.stderr[-3000:]
    out = first.stderr
    assert "no Hugging Face token found: publishing to the embedded local hub" in out
    assert "verified: huggingtweets/demo@" in out
    assert "sample: My dream is" in out
    # the embedded hub is gone when make returns: the only URL printed is the one `make hub` serves
    assert re.findall(r"https?://\S+", first.stdout + out) == ["http://127.0.0.1:8777/huggingtweets/demo"]
    assert "run `make hub`" in out
    assert page_served_by_make_hub(scratch / ".hub", "/huggingtweets/demo").startswith("<!")
    assert (scratch / "runs/demo/model.safetensors").exists()
    assert not (scratch / ".hub/server.json").exists()  # the hub started for the publish was stopped

    (scratch / "runs/archives/demo.zip").unlink()  # a trained run needs no archive
    again = make(scratch, "publish", "USER=demo")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "publisher train" not in again.stdout  # an existing trained run is not retrained
    assert "demo-archive" not in again.stdout and not (scratch / "runs/archives/demo.zip").exists()
    assert "unchanged: huggingtweets/demo already holds this model and card" in again.stderr
