"""train: a local model folder as base, failures leave no trained-looking run, token blocks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from publisher.card.manifest import load_manifest
from publisher.data.demo import write_demo_archive
from publisher.errors import BadInputError, PublisherError
from publisher.training.prepare import PrepareOptions, prepare_run
from publisher.training.tiny_model import save_tiny_model, train_tokenizer
from publisher.training.train import TrainOptions, token_blocks, train_run


@pytest.fixture()
def prepared(tmp_path) -> Path:
    archive = write_demo_archive(tmp_path / "demo.zip", n_tweets=200, seed=6)
    return prepare_run([archive], tmp_path / "runs" / "demo", PrepareOptions(seed=1, wandb=False)).run_dir


@pytest.mark.slow
def test_a_local_model_folder_is_a_base_model(tmp_path, prepared):
    base = save_tiny_model(tmp_path / "base", ["hello tiny base model", "another line of text"])
    result = train_run(prepared, TrainOptions(base_model=str(base), max_steps=3, wandb=False))
    assert result.hyperparameters["block_size"] == 128 and result.hyperparameters["train_steps"] == 3
    card = load_manifest(prepared / "card.json")
    assert card.training.metrics["perplexity"] > 1 and len(card.samples) == 3
    assert card.wandb.train_run is None  # W&B off: no run id invented
    assert (prepared / "model.safetensors").is_file()


def test_a_failure_after_training_leaves_no_weights_and_the_card_untouched(prepared, monkeypatch):
    before = (prepared / "card.json").read_bytes()

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("publisher.training.train.generate_samples", explode)
    with pytest.raises(PublisherError, match="training failed: RuntimeError: disk full"):
        train_run(prepared, TrainOptions(base_model="tiny", max_steps=2, wandb=False))
    assert not (prepared / "model.safetensors").exists()
    assert (prepared / "card.json").read_bytes() == before
    assert sorted(p.name for p in prepared.iterdir()) == [
        "card.json",
        "dataset",
        "train.log",
    ]  # the log stays


def test_an_unloadable_base_model_is_a_usage_error(tmp_path, prepared):
    (tmp_path / "notamodel").mkdir()
    with pytest.raises(BadInputError, match="--base-model"):
        train_run(prepared, TrainOptions(base_model=str(tmp_path / "notamodel"), wandb=False))
    assert not (prepared / "model.safetensors").exists()


def test_token_blocks_drop_the_remainder_for_training_and_keep_it_for_evaluation():
    tokenizer = train_tokenizer(["abc def ghi"] * 3, vocab_size=300)
    text = "<|endoftext|>abc def ghi<|endoftext|>" * 10
    n = len(tokenizer(text, add_special_tokens=False)["input_ids"])
    train = token_blocks(tokenizer, text, 7, keep_remainder=False)
    held = token_blocks(tokenizer, text, 7, keep_remainder=True)
    assert all(len(b) == 7 for b in train) and len(train) == n // 7
    assert sum(len(b) for b in held) == n - (1 if n % 7 == 1 else 0)


def test_prepare_json_records_what_train_needs(prepared):
    info = json.loads((prepared / "dataset" / "prepare.json").read_text())
    assert info["options"]["epochs"] == 4 and info["options"]["eval_fraction"] == 0.05


def test_samples_are_made_printable_for_the_card():
    from publisher.training.train import printable

    assert printable("My dream is\x00 to\tfly\x1b  high\r") == "My dream is to fly high"
    assert printable("emoji 🤖 and 日本語 stay") == "emoji 🤖 and 日本語 stay"
