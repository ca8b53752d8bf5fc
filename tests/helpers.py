"""Helpers shared by several test modules (a test module never imports another; fixtures live in conftest.py).

Publishing through the real CLI, the Hub as the real client sees it, the session hub's request log, and the
pictures' test data. huggingface_hub is imported inside functions: conftest.py must set HF_ENDPOINT first.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import uuid
from pathlib import Path

from hang_guard import HANG_GUARD

from publisher.pictures.png import PIXEL_CHUNKS, png_chunks

# ------------------------------------------------------------------------------------------- the local hub


def unique(name: str) -> str:
    """A repo id of the hub's `local` user that no other test uses."""
    return f"local/{name}-{uuid.uuid4().hex[:8]}"


def hf_api(hub):
    """The real huggingface_hub client on the session hub, with its default (writing) token."""
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub.url, token=hub.token)


def routes(hub) -> list[str]:
    """The route names of the session hub's request log, oldest first."""
    return [entry["route"] for entry in hub.server.requests]


# ------------------------------------------------------------------------------------------------ publish


def write_card(run: Path, **changes) -> None:
    """A run directory's card.json: one demo user, a W&B run, one widget line; `changes` override fields."""
    card = {
        "users": [{"handle": "demo", "name": "Demo User"}],
        "wandb": {"entity": "wandb", "project": "huggingtweets", "train_run": "abc123"},
        "widget": ["My dream is"],
    }
    card.update(changes)
    (run / "card.json").write_text(json.dumps(card, indent=2))


def publish_cmd(
    run: Path, repo_id: str, *args: str, verify: bool = False, json_out: bool = True
) -> list[str]:
    """The command line of `publisher publish RUN --hub hf --repo-id REPO_ID [--json] [--no-verify] ARGS`."""
    cmd = [sys.executable, "-m", "publisher", "publish", str(run), "--hub", "hf", "--repo-id", repo_id]
    return [*cmd, *(["--json"] if json_out else []), *([] if verify else ["--no-verify"]), *args]


def publish(hub, run: Path, repo_id: str, *args: str, env: dict | None = None, verify: bool = False):
    """Run `publisher publish --json` against the session hub; returns (exit code, JSON document, stderr)."""
    cmd = publish_cmd(run, repo_id, *args, verify=verify)
    proc = subprocess.run(cmd, env=env or hub.env(), capture_output=True, text=True, timeout=HANG_GUARD)
    doc = json.loads(proc.stdout) if proc.stdout.strip() else None
    return proc.returncode, doc, proc.stderr


def publish_with_local_hub(run: Path, root: Path, *, home: Path) -> subprocess.CompletedProcess:
    """`publisher publish RUN --hub local --hub-root ROOT --no-verify --json` as a person without a token runs
    it (no HF_TOKEN or HF_ENDPOINT; HF_HOME=home): the hub at ROOT is found, or started for the command."""
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HF_ENDPOINT")}
    env["HF_HOME"] = str(home)
    cmd = [sys.executable, "-m", "publisher", "publish", str(run), "--hub", "local", "--hub-root", str(root),
           "--no-verify", "--json"]  # fmt: skip
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=HANG_GUARD)


def statuses(doc: dict) -> dict[str, str]:
    """path -> status of a `publish --json` document's files."""
    return {f["path"]: f["status"] for f in doc["files"]}


# ----------------------------------------------------------------------------------------------- pictures


def history(steps: int = 300) -> list[dict]:
    """A Trainer log history: a loss every 5 steps, the final evaluation, the run summary."""
    entries = [
        {
            "loss": 6 * math.exp(-s / 80) + 1.5 + 0.3 * math.sin(s),
            "grad_norm": 1.0,
            "learning_rate": 1e-4,
            "epoch": s / steps,
            "step": s,
        }
        for s in range(5, steps + 1, 5)
    ]
    return [
        *entries,
        {"eval_loss": 2.1, "eval_runtime": 0.5, "epoch": 1.0, "step": steps},
        {"train_runtime": 12.3, "train_loss": 3.0, "epoch": 1.0, "step": steps},
    ]


def assert_pixels_only(data: bytes) -> None:
    """Only IHDR, IDAT and IEND: no text, time, Exif or ICC chunk that could carry a path, a token or a date."""
    chunks = png_chunks(data)
    assert {kind for kind, _ in chunks} <= PIXEL_CHUNKS, [kind for kind, _ in chunks]
    assert len(chunks[0][1]) == 13, "a plain IHDR"
