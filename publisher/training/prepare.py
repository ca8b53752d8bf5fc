"""`publisher prepare`: inputs -> counted, cleaned users -> dataset files + card.json in a new run directory."""

from __future__ import annotations

import contextlib
import json
import random
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from publisher import defaults
from publisher._util import fs
from publisher.data import rundir
from publisher.data.counting import DEFAULT_MAX_TWEETS, UserData, process_users
from publisher.data.dataset import EPOCHS, EVAL_FRACTION, Dataset, build_dataset
from publisher.data.readers import read_input
from publisher.naming import model_name
from publisher.settings import Settings


@dataclass
class PrepareOptions:
    max_tweets: int | None = DEFAULT_MAX_TWEETS
    short_threshold_chars: int | None = None
    seed: int | None = None
    force: bool = False
    wandb: bool = True


@dataclass
class PrepareResult:
    run_dir: Path
    users: list[UserData]
    dataset: Dataset
    seed: int
    card: dict[str, Any]
    prepare_info: dict[str, Any]


def default_run_name(users: list[UserData]) -> str:
    """huggingtweets' model name: the handles sorted and joined by '-'."""
    return model_name(u.user.handle for u in users)


def card_user(data: UserData) -> dict[str, Any]:
    user: dict[str, Any] = {"handle": data.user.handle, "name": data.user.name}
    if data.user.avatar_url:
        user["avatar_url"] = data.user.avatar_url
    user["stats"] = asdict(data.stats)
    return user


def initial_card(users: list[UserData], wandb_info: dict[str, Any]) -> dict[str, Any]:
    """The manifest as prepare knows it: users, stats, W&B; train adds model, samples and metrics."""
    return {
        "schema_version": 1,
        "users": [card_user(u) for u in users],
        "wandb": wandb_info,
        "language": defaults.LANGUAGE,
        "widget": list(defaults.WIDGET),
        "license": defaults.LICENSE,
    }


def prepare_info(
    users: list[UserData], dataset: Dataset, seed: int, options: PrepareOptions
) -> dict[str, Any]:
    """dataset/prepare.json: enough to reproduce and audit the dataset (no raw tweets, no account data)."""
    return {
        "seed": seed,
        "options": {
            "max_tweets": options.max_tweets,
            "short_threshold_chars": options.short_threshold_chars,
            "epochs": EPOCHS,
            "eval_fraction": EVAL_FRACTION,
        },
        "users": [
            {
                "handle": u.user.handle,
                "sources": u.sources,
                "protected": u.user.protected,
                "stats": asdict(u.stats),
                "duplicates_removed": u.duplicates_removed,
                "edits_collapsed": u.edits_collapsed,
                "beyond_cap": u.beyond_cap,
                "kept_chars": u.kept_chars,
                "train_tweets": len(train),
                "eval_tweets": len(held),
            }
            for u, train, held in zip(users, dataset.train_tweets, dataset.eval_tweets, strict=True)
        ],
        "dataset": {"train_chars": len(dataset.train_text), "eval_chars": len(dataset.eval_text)},
    }


def write_tweets_jsonl(path: Path, users: list[UserData]) -> None:
    """The raw dataset: every downloaded tweet as delivered, with its fate; re-importable as plain JSONL."""
    with path.open("w", encoding="utf-8") as handle:
        for data in users:
            for tweet, status in zip(data.tweets, data.statuses, strict=True):
                row = {
                    "handle": data.user.handle,
                    "id": tweet.id,
                    "text": tweet.text,
                    "is_retweet": tweet.is_retweet,
                    "status": status,
                }
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def write_card(path: Path, card: dict[str, Any]) -> None:
    """Validate through the card model when it is available, and write atomically."""
    try:
        from publisher.card import manifest as card_manifest
    except ImportError:
        fs.write_json(path, card)
        return
    card_manifest.write_manifest(card_manifest.card_from_dict(card, source=str(path)), path)


def prepare_run(inputs: list[str | Path], out: str | Path | None, options: PrepareOptions) -> PrepareResult:
    """Import, count, check and assemble; everything lands in `out` at once or not at all."""
    sources = [read_input(p) for p in inputs]
    users = process_users(
        sources, max_tweets=options.max_tweets, short_threshold_chars=options.short_threshold_chars
    )
    seed = options.seed if options.seed is not None else random.SystemRandom().randrange(2**32)
    dataset = build_dataset([u.kept_texts for u in users], seed)
    run_dir = Path(out) if out else Path("runs") / default_run_name(users)
    info = prepare_info(users, dataset, seed, options)
    with rundir.staged_directory(run_dir, force=options.force) as staging:
        data_dir = staging / rundir.DATASET
        data_dir.mkdir()
        (data_dir / rundir.TRAIN_TXT).write_text(dataset.train_text, encoding="utf-8")
        (data_dir / rundir.EVAL_TXT).write_text(dataset.eval_text, encoding="utf-8")
        write_tweets_jsonl(data_dir / rundir.TWEETS_JSONL, users)
        wandb_info = log_preprocess(staging, users, info, options, run_dir)
        info["wandb"] = {k: wandb_info.get(k) for k in ("mode", "run_dir") if k in wandb_info}
        wandb_info = {k: v for k, v in wandb_info.items() if k not in ("mode", "run_dir")}
        if info["wandb"].get("mode") == "offline" and wandb_info.get("preprocess_run"):
            wandb_info["offline_runs"] = [
                wandb_info["preprocess_run"]
            ]  # not on W&B: the card links it once synced
        fs.write_json(data_dir / rundir.PREPARE_JSON, info)
        card = initial_card(users, wandb_info)
        write_card(staging / rundir.CARD, card)
    return PrepareResult(run_dir, users, dataset, seed, card, info)


def log_preprocess(
    staging: Path, users: list[UserData], info: dict[str, Any], options: PrepareOptions, run_dir: Path
) -> dict[str, Any]:
    """The W&B preprocess run (or, with W&B switched off, only where the links would point)."""
    settings = Settings.from_env()
    base = {
        "app_url": settings.wandb_app_url,
        "entity": settings.wandb_entity or defaults.WANDB_ENTITY,
        "project": settings.wandb_project,
    }
    if not options.wandb:
        return base
    from publisher.training import wandb_runs

    with contextlib.redirect_stdout(sys.stderr):  # stdout is reserved for --json
        return wandb_runs.log_preprocess(staging, users, info, settings)
