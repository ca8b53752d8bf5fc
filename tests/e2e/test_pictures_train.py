"""`train` draws training_curve.png from the Trainer's log history: two runs with the same seed give the same
bytes, and so do the previews `publish` draws from their cards."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from publisher.card.manifest import load_manifest
from publisher.pictures.png import png_size
from publisher.publish.pictures import draw_preview

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers import assert_pixels_only  # noqa: E402


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "WANDB_DIR"}
    return subprocess.run(
        [sys.executable, "-m", "publisher", *args], capture_output=True, text=True, cwd=cwd, env=env
    )


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> tuple[Path, Path]:
    """One prepared demo run, copied and trained twice with the same seed (40 steps of the tiny model)."""
    root = tmp_path_factory.mktemp("pictures-train")
    assert run_cli("demo-archive", "demo.zip", cwd=root).returncode == 0
    prepared = run_cli("prepare", "demo.zip", "--out", "a", "--seed", "1", cwd=root)
    assert prepared.returncode == 0, prepared.stderr
    shutil.copytree(root / "a", root / "b")
    for name in ("a", "b"):
        trained = run_cli("train", name, "--base-model", "tiny", "--max-steps", "40", "--seed", "3", cwd=root)
        assert trained.returncode == 0, trained.stderr[-3000:]
    return root / "a", root / "b"


@pytest.mark.slow
def test_train_writes_a_1000x500_training_curve_with_pixels_only(two_runs):
    curve = (two_runs[0] / "training_curve.png").read_bytes()
    assert png_size(curve) == (1000, 500)
    assert_pixels_only(curve)


@pytest.mark.slow
def test_two_runs_with_the_same_seed_give_byte_identical_pictures(two_runs):
    a, b = two_runs
    assert (a / "training_curve.png").read_bytes() == (b / "training_curve.png").read_bytes()
    card_a, card_b = load_manifest(a / "card.json"), load_manifest(b / "card.json")
    assert card_a.samples == card_b.samples and card_a.samples
    preview = draw_preview(card_a, a, "huggingtweets/demo")
    assert preview == draw_preview(card_b, b, "huggingtweets/demo")
    assert png_size(preview) == (1200, 630)
    assert_pixels_only(preview)
