"""Which W&B runs of a run directory exist online, and wandb's own `wandb sync` for the ones that don't.

Runs are offline by default (wandb_runs.py), and an offline run has no page on W&B, so a card must not link it.
What is known locally, without asking W&B (docs/wandb.md A1): a run logged online lives in `run-<ts>-<id>/`,
an offline one in `offline-run-<ts>-<id>/`, and `wandb sync` leaves `run-<id>.wandb.synced` next to the
offline run's `run-<id>.wandb` once it is on the server. Card data keeps the ids of runs not (yet) online in
`wandb.offline_runs`; the renderer leaves their links out, and a publish with W&B online syncs them first.
No wandb import here: sync runs the `wandb` command in a subprocess.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from publisher.output import info, warn

SYNC_TIMEOUT_S = 600


def wandb_dirs(run_dir: Path) -> list[Path]:
    """Where the runs of `run_dir` may live: its own wandb/ folder, and $WANDB_DIR/wandb when that is set."""
    dirs = [run_dir / "wandb"]
    if os.environ.get("WANDB_DIR"):
        dirs.append(Path(os.environ["WANDB_DIR"]) / "wandb")
    return [d for d in dirs if d.is_dir()]


def run_folders(run_dir: Path, run_id: str) -> list[Path]:
    """Every local folder of W&B run `run_id` (online `run-*-<id>` or offline `offline-run-*-<id>`)."""
    found: list[Path] = []
    for folder in wandb_dirs(run_dir):
        found.extend(p for p in folder.glob(f"*run-*-{run_id}") if p.is_dir() and not p.is_symlink())
    return sorted(found)


def is_online(folder: Path) -> bool:
    """A run folder whose run is on the W&B server: logged online, or offline and synced since."""
    if not folder.name.startswith("offline-"):
        return True
    return any(folder.glob("*.wandb.synced"))


def offline_runs(card: Any, run_dir: Path) -> tuple[str, ...]:
    """The card's run ids that do not exist online, as far as the run directory tells.

    A run the card already lists as offline stays offline unless a local folder shows it online (synced); a
    run found only as an unsynced offline folder is offline too (run directories made before the list existed).
    """
    w = card.wandb
    if w is None:
        return ()
    result = []
    for run_id in (w.preprocess_run, w.train_run):
        if not run_id or run_id in result:
            continue
        folders = run_folders(run_dir, run_id)
        if any(is_online(f) for f in folders):
            continue
        if folders or run_id in w.offline_runs:
            result.append(run_id)
    return tuple(result)


def wandb_command() -> list[str]:
    """wandb's own CLI: the `wandb` on PATH, else the one installed next to this Python, else `python -m wandb`."""
    found = shutil.which("wandb") or shutil.which("wandb", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "wandb"]


def sync_runs(run_dir: Path, run_ids: tuple[str, ...]) -> tuple[str, ...]:
    """`wandb sync` every local offline folder of `run_ids`; returns the ids now online (synced marker seen)."""
    folders = [f for run_id in run_ids for f in run_folders(run_dir, run_id) if not is_online(f)]
    if not folders:
        return ()
    info(f"syncing {len(folders)} offline W&B run(s) with `wandb sync` so the card can link them")
    cmd = [*wandb_command(), "sync", "--yes", *map(str, folders)]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=SYNC_TIMEOUT_S, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        warn(f"wandb sync failed ({type(exc).__name__}); the card leaves those W&B links out")
        return ()
    if proc.returncode != 0:
        last = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        warn(f"wandb sync failed (exit {proc.returncode}: {last[0]}); the card leaves those W&B links out")
    return tuple(run_id for run_id in run_ids if any(is_online(f) for f in run_folders(run_dir, run_id)))


def settle_links(card: Any, run_dir: Path, *, sync: bool) -> Any:
    """The card with `wandb.offline_runs` brought up to date: synced first when `sync` (W&B online), then
    whatever is still offline is left unlinked, and the output says how to add the links later."""
    if card.wandb is None:
        return card
    offline = offline_runs(card, run_dir)
    if offline and sync:
        synced = set(sync_runs(run_dir, offline))
        offline = tuple(r for r in offline if r not in synced)
    if offline:
        info(
            f"W&B links left out of the card for offline run(s) {', '.join(offline)} (they do not exist on W&B); "
            f"to add them: `wandb sync {run_dir}/wandb/offline-run-*` with W&B logged in, then "
            f"`publisher regenerate {run_dir}` (or publish again with W&B online, which syncs them first)"
        )
    return replace(card, wandb=replace(card.wandb, offline_runs=offline))
