"""W&B: offline by default, online only when configured, never blocking: a failed online init falls back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hang_guard import HANG_GUARD

from publisher.card.manifest import load_manifest
from publisher.data.demo import write_demo_archive
from publisher.settings import Settings
from publisher.training.wandb_runs import wandb_mode


@pytest.mark.parametrize(
    ("env", "mode"),
    [
        ({}, "offline"),
        ({"WANDB_API_KEY": "k" * 40}, "online"),
        ({"WANDB_API_KEY": "k" * 40, "WANDB_MODE": "offline"}, "offline"),
        ({"WANDB_MODE": "disabled"}, "disabled"),
        ({"WANDB_MODE": "dryrun"}, "offline"),
        ({"WANDB_MODE": "online"}, "online"),
    ],
)
def test_mode_is_offline_unless_a_key_or_wandb_mode_says_otherwise(env, mode):
    assert wandb_mode(Settings.from_env(env)) == mode


@pytest.fixture(scope="module")
def demo_zip(tmp_path_factory) -> Path:
    return write_demo_archive(tmp_path_factory.mktemp("wb") / "demo.zip", n_tweets=200, seed=4)


def prepare(demo_zip: Path, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("WANDB_DIR", "WANDB_MODE")}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "publisher",
            "prepare",
            str(demo_zip),
            "--out",
            "runs/x",
            "--seed",
            "2",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        cwd=cwd,
        env={**base, **env},
    )


def test_failed_online_init_falls_back_to_offline_with_a_warning(tmp_path, demo_zip):
    result = prepare(
        demo_zip,
        tmp_path,
        WANDB_API_KEY="k" * 40,
        WANDB_BASE_URL="http://127.0.0.1:9",
        WANDB_INIT_TIMEOUT="3",
    )
    assert result.returncode == 0, result.stderr
    assert "logging this run offline instead" in result.stderr
    assert "k" * 40 not in result.stderr + result.stdout
    run_id = json.loads(result.stdout)["wandb"]["preprocess_run"]
    assert list((tmp_path / "runs" / "x" / "wandb").glob(f"offline-run-*-{run_id}"))
    info = json.loads((tmp_path / "runs" / "x" / "dataset" / "prepare.json").read_text())
    assert info["wandb"]["mode"] == "offline" and info["wandb"]["run_dir"].startswith("wandb/offline-run-")


def test_entity_project_and_app_url_come_from_the_environment(tmp_path, demo_zip):
    result = prepare(
        demo_zip,
        tmp_path,
        WANDB_MODE="offline",
        WANDB_ENTITY="someone",
        WANDB_PROJECT="tweets",
        PUBLISHER_WANDB_APP_URL="https://wandb.example.org/",
    )
    assert result.returncode == 0, result.stderr
    card = load_manifest(tmp_path / "runs" / "x" / "card.json")
    assert (card.wandb.entity, card.wandb.project, card.wandb.app_url) == (
        "someone",
        "tweets",
        "https://wandb.example.org",
    )


def test_disabled_wandb_still_writes_a_valid_card_without_run_ids(tmp_path, demo_zip):
    result = prepare(demo_zip, tmp_path, WANDB_MODE="disabled")
    assert result.returncode == 0, result.stderr
    card = load_manifest(tmp_path / "runs" / "x" / "card.json")
    assert card.wandb.preprocess_run is None and not (tmp_path / "runs" / "x" / "wandb").exists()


def test_prepare_imports_no_torch_or_transformers_and_no_wandb_when_disabled(tmp_path, demo_zip):
    code = (
        "import sys\nfrom publisher.cli import main\n"
        f"try:\n    main(['prepare', {str(demo_zip)!r}, '--out', 'run', '--seed', '1'])\nexcept SystemExit:\n    pass\n"
        "print('HEAVY', [m for m in ('torch', 'transformers', 'wandb') if m in sys.modules])\n"
    )
    env = {**os.environ, "WANDB_MODE": "disabled"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        cwd=tmp_path,
        env=env,
    )
    assert "HEAVY []" in out.stdout, out.stderr
