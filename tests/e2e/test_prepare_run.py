"""`publisher prepare`: the run directory, card.json, all-or-nothing writes, exit codes."""

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
from publisher.errors import BadInputError, DataError
from publisher.training.prepare import PrepareOptions, prepare_run


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "publisher", *args],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="module")
def demo_zip(tmp_path_factory) -> Path:
    return write_demo_archive(tmp_path_factory.mktemp("demo") / "demo.zip", n_tweets=300, seed=1)


def test_prepare_writes_dataset_and_a_valid_card(tmp_path, demo_zip):
    result = prepare_run([demo_zip], tmp_path / "runs" / "demo", PrepareOptions(seed=11, wandb=False))
    run = result.run_dir
    assert sorted(p.name for p in run.iterdir()) == ["card.json", "dataset"]
    assert sorted(p.name for p in (run / "dataset").iterdir()) == [
        "eval.txt",
        "prepare.json",
        "train.txt",
        "tweets.jsonl",
    ]
    card = load_manifest(run / "card.json")
    stats = card.users[0].stats
    assert card.users[0].handle == "demo" and card.users[0].name == "Demo Bot 🤖"
    assert stats.downloaded == stats.retweets + stats.short + stats.kept
    assert stats.retweets > 0 and stats.short > 0
    info = json.loads((run / "dataset" / "prepare.json").read_text(encoding="utf-8"))
    assert (
        info["seed"] == 11
        and info["users"][0]["edits_collapsed"] == 1
        and info["users"][0]["duplicates_removed"] == 1
    )
    rows = [
        json.loads(line)
        for line in (run / "dataset" / "tweets.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert len(rows) == stats.downloaded
    assert sum(r["status"] == "kept" for r in rows) == stats.kept
    train = (run / "dataset" / "train.txt").read_text(encoding="utf-8")
    assert train.startswith("<|endoftext|>") and "https://t.co" not in train and "&amp;" not in train
    assert "🤖 AI BOT 🤖" in train + (run / "dataset" / "eval.txt").read_text(encoding="utf-8")
    assert not [p for p in run.parent.iterdir() if p.name.startswith(".")]


def test_same_seed_gives_the_same_dataset(tmp_path, demo_zip):
    a = prepare_run([demo_zip], tmp_path / "a", PrepareOptions(seed=3, wandb=False))
    b = prepare_run([demo_zip], tmp_path / "b", PrepareOptions(seed=3, wandb=False))
    assert (a.run_dir / "dataset" / "train.txt").read_bytes() == (
        b.run_dir / "dataset" / "train.txt"
    ).read_bytes()


def test_too_little_text_leaves_no_run_directory(tmp_path):
    small = write_demo_archive(tmp_path / "small.zip", n_tweets=40, seed=2)
    with pytest.raises(DataError, match="not enough tweets"):
        prepare_run([small], tmp_path / "runs" / "small", PrepareOptions(seed=1, wandb=False))
    assert not (tmp_path / "runs").exists() or not list((tmp_path / "runs").iterdir())


def test_existing_run_directory_needs_force(tmp_path, demo_zip):
    target = tmp_path / "run"
    prepare_run([demo_zip], target, PrepareOptions(seed=1, wandb=False))
    with pytest.raises(BadInputError, match="already exists"):
        prepare_run([demo_zip], target, PrepareOptions(seed=1, wandb=False))
    prepare_run([demo_zip], target, PrepareOptions(seed=2, force=True, wandb=False))
    assert json.loads((target / "dataset" / "prepare.json").read_text())["seed"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_cli_prepare_json_logs_an_offline_wandb_preprocess_run(tmp_path, demo_zip):
    env = {k: v for k, v in os.environ.items() if k != "WANDB_DIR"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "publisher",
            "prepare",
            str(demo_zip),
            "--out",
            "runs/demo",
            "--seed",
            "5",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["run_dir"] == "runs/demo" and doc["users"][0]["handle"] == "demo"
    run_id = doc["wandb"]["preprocess_run"]
    offline = list((tmp_path / "runs" / "demo" / "wandb").glob(f"offline-run-*-{run_id}/run-{run_id}.wandb"))
    assert len(offline) == 1
    card = load_manifest(tmp_path / "runs" / "demo" / "card.json")
    assert card.wandb.preprocess_run == run_id and card.wandb.entity and card.wandb.project == "huggingtweets"


def test_cli_errors_are_exit_2_with_the_file_named(tmp_path):
    missing = run_cli("prepare", "nope.zip", "--out", "runs/x", cwd=tmp_path)
    assert missing.returncode == 2 and "nope.zip" in missing.stderr
    (tmp_path / "bad.zip").write_text("not a zip")
    bad = run_cli("prepare", "bad.zip", cwd=tmp_path)
    assert bad.returncode == 2 and "bad.zip" in bad.stderr
    assert not (tmp_path / "runs").exists()


def test_demo_archive_command_writes_an_archive_prepare_accepts(tmp_path):
    made = run_cli("demo-archive", "runs/archives/demo.zip", "--handle", "@Demo", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    prepared = run_cli(
        "prepare",
        "runs/archives/demo.zip",
        "--out",
        "runs/demo",
        "--seed",
        "1",
        cwd=tmp_path,
        env={"WANDB_MODE": "disabled"},
    )
    assert prepared.returncode == 0, prepared.stderr
    assert "@demo:" in prepared.stderr
    again = run_cli("demo-archive", "runs/archives/demo.zip", cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr


def test_two_users_keep_input_order_and_the_run_is_named_by_sorted_handles(tmp_path, demo_zip):
    zed = write_demo_archive(tmp_path / "zed.zip", handle="zed", name="Zed", n_tweets=200, seed=8)
    monkey_cwd = tmp_path / "work"
    monkey_cwd.mkdir()
    old = os.getcwd()
    os.chdir(monkey_cwd)
    try:
        result = prepare_run([zed, demo_zip], None, PrepareOptions(seed=1, wandb=False))
    finally:
        os.chdir(old)
    assert result.run_dir == Path("runs") / "demo-zed"
    card = load_manifest(monkey_cwd / "runs" / "demo-zed" / "card.json")
    assert card.handles == ["zed", "demo"]
    info = json.loads((monkey_cwd / "runs" / "demo-zed" / "dataset" / "prepare.json").read_text())
    assert [u["handle"] for u in info["users"]] == ["zed", "demo"]


def test_cap_and_character_threshold_options_change_the_counts(tmp_path, demo_zip):
    capped = prepare_run([demo_zip], tmp_path / "a", PrepareOptions(seed=1, max_tweets=150, wandb=False))
    s = capped.users[0].stats
    assert s.downloaded == 150 and s.downloaded == s.retweets + s.short + s.kept
    assert capped.users[0].beyond_cap == 300 - 150
    chars = prepare_run(
        [demo_zip], tmp_path / "b", PrepareOptions(seed=1, short_threshold_chars=4, wandb=False)
    )
    default = prepare_run([demo_zip], tmp_path / "c", PrepareOptions(seed=1, wandb=False))
    assert chars.users[0].stats.short < default.users[0].stats.short


def test_run_directory_files_get_ordinary_permissions(tmp_path, demo_zip):
    import stat

    run = prepare_run([demo_zip], tmp_path / "perm", PrepareOptions(seed=1, wandb=False)).run_dir
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(run.stat().st_mode) == 0o777 & ~mask
    assert stat.S_IMODE((run / "dataset" / "prepare.json").stat().st_mode) == 0o666 & ~mask
    assert stat.S_IMODE((run / "card.json").stat().st_mode) == 0o666 & ~mask
