"""Run-directory writing that never leaves a half-written run: temp dir + rename (files: publisher._util.fs)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from publisher._util import fs
from publisher.errors import BadInputError

CARD = "card.json"
DATASET = "dataset"
PREPARE_JSON = "prepare.json"
TRAIN_TXT = "train.txt"
EVAL_TXT = "eval.txt"
TWEETS_JSONL = "tweets.jsonl"
WANDB_DIR = "wandb"
MODEL_WEIGHTS = "model.safetensors"


@contextmanager
def staged_directory(target: Path, *, force: bool = False) -> Iterator[Path]:
    """Yield a temp dir next to `target`; on success it becomes `target`, on failure it is removed."""
    if target.exists() and not force:
        raise BadInputError(f"{target}: already exists; use --force to replace it, or choose another --out")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    fs.default_permissions(staging)
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        target.rename(old)
        staging.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.rename(target)
