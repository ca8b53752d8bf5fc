"""End to end on CPU: demo archive -> prepare -> train --base-model tiny -> loadable model, complete card, W&B."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hang_guard import HANG_GUARD

from publisher.card.manifest import load_manifest


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = HANG_GUARD
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "publisher", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=env or dict(os.environ),
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, dict, str]:
    """One prepare + train of the demo archive, W&B offline into the run directory (WANDB_DIR unset).
    (run dir, the --json document, what train printed on stderr)"""
    root = tmp_path_factory.mktemp("e2e")
    env = {k: v for k, v in os.environ.items() if k != "WANDB_DIR"}
    assert run_cli("demo-archive", "runs/archives/demo.zip", cwd=root, env=env).returncode == 0
    prepared = run_cli(
        "prepare", "runs/archives/demo.zip", "--out", "runs/demo", "--seed", "1", cwd=root, env=env
    )
    assert prepared.returncode == 0, prepared.stderr
    result = run_cli("train", "runs/demo", "--base-model", "tiny", "--json", cwd=root, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return root / "runs" / "demo", json.loads(result.stdout), result.stderr


@pytest.mark.slow
def test_training_completes_the_card(trained):
    run, doc, _ = trained
    card = load_manifest(run / "card.json")
    assert card.training.metrics["eval_loss"] > 0
    assert card.training.metrics["perplexity"] == pytest.approx(
        2.718281828 ** card.training.metrics["eval_loss"], rel=1e-6
    )
    assert card.training.hyperparameters["learning_rate"] == 1.372e-4
    assert card.training.hyperparameters["lr_scheduler_type"] == "cosine"
    assert [s.prompt for s in card.samples] == ["My dream is"] * 3
    assert all(s.text.startswith("My dream is") and "\n" not in s.text for s in card.samples)
    assert card.wandb.train_run == doc["wandb_train_run"] and card.wandb.preprocess_run
    assert card.users[0].stats.kept > 0


@pytest.mark.slow
def test_the_trained_model_loads_and_generates(trained):
    from transformers import AutoModelForCausalLM, AutoTokenizer, pipeline

    run = trained[0]
    for name in (
        "config.json",
        "generation_config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
    ):
        assert (run / name).is_file(), name
    assert not [p for p in run.iterdir() if p.name.startswith(".")]
    config = json.loads((run / "config.json").read_text())
    assert config["task_specific_params"]["text-generation"] == {
        "do_sample": True,
        "min_length": 10,
        "max_length": 160,
        "temperature": 1.0,
        "top_p": 0.95,
        "prefix": "<|endoftext|>",
    }
    model = AutoModelForCausalLM.from_pretrained(run)
    tokenizer = AutoTokenizer.from_pretrained(run)
    out = pipeline("text-generation", model=model, tokenizer=tokenizer)(
        "My dream is", max_new_tokens=8, do_sample=False
    )
    assert out[0]["generated_text"].startswith("My dream is")


@pytest.mark.slow
def test_both_wandb_runs_are_offline_runs_in_the_run_directory(trained):
    run = trained[0]
    card = load_manifest(run / "card.json")
    for run_id in (card.wandb.preprocess_run, card.wandb.train_run):
        assert list((run / "wandb").glob(f"offline-run-*-{run_id}/run-{run_id}.wandb")), run_id
    # neither exists on W&B, so the card lists both as offline and links neither
    assert card.wandb.offline_runs == (card.wandb.preprocess_run, card.wandb.train_run)


@pytest.mark.slow
def test_the_card_renders(trained):
    pytest.importorskip("publisher.commands.render", reason="render lands with the card issue")
    run = trained[0]
    rendered = run_cli("render", str(run / "card.json"), "-o", str(run / "README.md"), cwd=run)
    assert rendered.returncode == 0, rendered.stderr
    text = (run / "README.md").read_text(encoding="utf-8")
    assert "@demo" in text and "Demo Bot 🤖" in text


def test_train_on_an_unprepared_directory_is_a_usage_error(tmp_path):
    (tmp_path / "empty").mkdir()
    result = run_cli("train", "empty", "--base-model", "tiny", cwd=tmp_path)
    assert result.returncode == 2 and "card.json" in result.stderr
    missing = run_cli("train", "nope", cwd=tmp_path)
    assert missing.returncode == 2 and "nope" in missing.stderr


@pytest.mark.slow
def test_training_shows_one_progress_bar_with_loss_and_eta_and_logs_the_rest_to_the_run(trained):
    run, _, stderr = trained
    frames = stderr.replace("\r", "\n").splitlines()
    bars = [f for f in frames if f.startswith("training:")]
    assert bars and "300/300" in bars[-1] and "loss=" in bars[-1]
    assert re.search(r"\[\d\d:\d\d<\d\d:\d\d", bars[-1])  # elapsed<remaining (the ETA)
    assert "{'loss'" not in stderr and "Running training" not in stderr and "loss_type" not in stderr
    assert not [f for f in frames if "it/s]" in f]  # no second bar (the Trainer's evaluation bar)
    entries = [
        json.loads(line) for line in (run / "train.log").read_text().splitlines() if line.startswith("{")
    ]
    assert [e["step"] for e in entries if "loss" in e][:2] == [5, 10]
    assert any("eval_loss" in e for e in entries)
    assert "***** Running training *****" in (run / "train.log").read_text()
