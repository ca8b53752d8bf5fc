"""The card links W&B runs only when they exist online.

Offline path for real: `prepare` logs a real offline W&B run, `publish` leaves its links out and says how to
add them, and after a sync (`run-<id>.wandb.synced`, the marker wandb's own `wandb sync` leaves) `regenerate
RUN_DIR` adds them. There is no W&B server here (docs/wandb.md A4), so the online path runs the real publish
with a stand-in `wandb` command on PATH that does what a successful `wandb sync` does to the run folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hang_guard import HANG_GUARD
from huggingface_hub import HfApi

from publisher.data.demo import write_demo_archive

MODEL_FILES = (
    "config.json",
    "generation_config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
)


@pytest.fixture
def offline_run(tmp_path: Path, tiny_model_dir: Path) -> tuple[Path, str]:
    """A run directory prepared with a real offline W&B run (in its own wandb/ folder) and the tiny model."""
    archive = write_demo_archive(tmp_path / "demo.zip", handle="wblinks", n_tweets=200, seed=5)
    env = {k: v for k, v in os.environ.items() if k not in ("WANDB_DIR", "WANDB_MODE")}
    run = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "publisher", "prepare", str(archive), "--out", str(run), "--json"],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    for name in MODEL_FILES:
        if (tiny_model_dir / name).exists():
            shutil.copy2(tiny_model_dir / name, run / name)
    run_id = json.loads(proc.stdout)["wandb"]["preprocess_run"]
    return run, run_id


def run_cli(hub, *args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    base = hub.env()
    base.pop("WANDB_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "publisher", *args],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        env={**base, **(env or {})},
        cwd=cwd,
    )


def on_hub(hub, repo_id: str, path: str) -> str:
    local = HfApi(endpoint=hub.url, token=hub.token).hf_hub_download(repo_id, path)
    return Path(local).read_text(encoding="utf-8")


def test_offline_runs_are_not_linked_and_a_regenerate_after_syncing_links_them(hub_clean, offline_run):
    run, run_id = offline_run
    assert json.loads((run / "card.json").read_text())["wandb"]["offline_runs"] == [run_id]
    repo = "wb-offline/wblinks"
    proc = run_cli(
        hub_clean, "publish", str(run), "--hub", "hf", "--namespace", "wb-offline", "--no-verify", "--json"
    )
    assert proc.returncode == 0, proc.stderr
    readme = on_hub(hub_clean, repo, "README.md")
    assert run_id not in readme and "Explore the data" not in readme
    assert json.loads(on_hub(hub_clean, repo, "card.json"))["wandb"]["offline_runs"] == [run_id]
    assert f"W&B links left out of the card for offline run(s) {run_id}" in proc.stderr
    assert (
        f"`wandb sync {run}/wandb/offline-run-*`" in proc.stderr
        and f"`publisher regenerate {run}`" in proc.stderr
    )

    # what `wandb sync` leaves behind once the run is on the server
    (folder,) = (run / "wandb").glob(f"offline-run-*-{run_id}")
    (folder / f"run-{run_id}.wandb.synced").write_text("")
    proc = run_cli(
        hub_clean,
        "regenerate",
        str(run),
        "--hub",
        "hf",
        "--namespace",
        "wb-offline",
        "--no-progress",
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["repos"][0]["status"] == "changed"
    readme = on_hub(hub_clean, repo, "README.md")
    assert f"https://wandb.ai/huggingtweets/huggingtweets/runs/{run_id}/artifacts" in readme
    assert "offline_runs" not in json.loads(on_hub(hub_clean, repo, "card.json"))["wandb"]


FAKE_WANDB = """\
#!{python}
# stand-in for `wandb sync` (no W&B server here): record the call, leave the marker a successful sync leaves
import pathlib, sys
args = sys.argv[1:]
pathlib.Path({log!r}).write_text(" ".join(args))
assert args[:2] == ["sync", "--yes"], args
for folder in args[2:]:
    for log in pathlib.Path(folder).glob("*.wandb"):
        log.with_suffix(".wandb.synced").write_text("")
"""


def test_publish_with_wandb_online_syncs_the_offline_runs_first_and_links_them(
    hub_clean, offline_run, tmp_path
):
    run, run_id = offline_run
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "wandb-calls.txt"
    fake = bin_dir / "wandb"
    fake.write_text(textwrap.dedent(FAKE_WANDB.format(python=sys.executable, log=str(calls))))
    fake.chmod(0o755)
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "WANDB_MODE": "online",
        "WANDB_API_KEY": "x" * 40,
    }
    proc = run_cli(
        hub_clean, "publish", str(run), "--hub", "hf", "--namespace", "wb-online", "--no-verify", env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert "syncing 1 offline W&B run(s) with `wandb sync`" in proc.stderr
    (folder,) = (run / "wandb").glob(f"offline-run-*-{run_id}")
    assert calls.read_text() == f"sync --yes {folder}"
    readme = on_hub(hub_clean, "wb-online/wblinks", "README.md")
    assert f"https://wandb.ai/huggingtweets/huggingtweets/runs/{run_id}/artifacts" in readme
    assert "offline_runs" not in json.loads(on_hub(hub_clean, "wb-online/wblinks", "card.json"))["wandb"]
    assert "x" * 40 not in proc.stderr + proc.stdout
