"""`publisher train`: fine-tune GPT-2 on a prepared run directory with huggingtweets' hyperparameters.

One pass (batch 1, learning rate 1.372e-4, cosine, no warmup) over the 4-epoch training text, cut into
blocks as `TextDataset` did; evaluation loss and perplexity on the held-out tweets; sample generations for
the widget prompts with a fixed seed. Files are written to a temp dir inside the run directory and moved
into place at the end, `model.safetensors` last, so a failed run never looks trained. torch,
transformers and wandb are imported inside the functions.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import sys
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from publisher import defaults
from publisher._util import fs
from publisher.data import rundir
from publisher.errors import BadInputError, PublisherError
from publisher.output import info, warn
from publisher.settings import Settings
from publisher.training.tiny_model import EOS

TINY = "tiny"
TINY_MAX_STEPS = 300
TINY_BLOCK_SIZE = 64
SAMPLES_PER_PROMPT = 3

# huggingtweets' demo (docs/tweet-data.md §1.9)
HYPERPARAMETERS: dict[str, Any] = {
    "learning_rate": 1.372e-4,
    "lr_scheduler_type": "cosine",
    "warmup_steps": 0,
    "num_train_epochs": 1,
    "per_device_train_batch_size": 1,
    "logging_steps": 5,
}
# written into config.task_specific_params["text-generation"] (docs/tweet-data.md §1.10)
GENERATION_DEFAULTS: dict[str, Any] = {
    "do_sample": True,
    "min_length": 10,
    "max_length": 160,
    "temperature": 1.0,
    "top_p": 0.95,
    "prefix": EOS,
}


@dataclass
class TrainOptions:
    base_model: str = defaults.BASE_MODEL
    seed: int = 0
    max_steps: int | None = None  # None: one full pass (tiny: capped at TINY_MAX_STEPS)
    wandb: bool = True


@dataclass
class TrainResult:
    run_dir: Path
    metrics: dict[str, float]
    samples: list[dict[str, str]]
    hyperparameters: dict[str, Any]
    wandb_run: str | None
    files: list[str] = field(default_factory=list)


class BlockDataset:
    """Token blocks for causal LM training (labels = inputs; the model shifts them)."""

    def __init__(self, blocks: list[list[int]]) -> None:
        self.blocks = blocks

    def __len__(self) -> int:
        return len(self.blocks)

    def __getitem__(self, index: int) -> dict[str, Any]:
        import torch

        ids = torch.tensor(self.blocks[index], dtype=torch.long)
        return {"input_ids": ids, "labels": ids.clone()}


def token_blocks(tokenizer: Any, text: str, block_size: int, *, keep_remainder: bool) -> list[list[int]]:
    """Tokenize the whole text and cut it into `block_size` pieces (TextDataset drops the remainder)."""
    ids = tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"]
    stop = len(ids) if keep_remainder else len(ids) - len(ids) % block_size
    blocks = [ids[i : i + block_size] for i in range(0, stop, block_size)]
    return [b for b in blocks if len(b) > 1]


def read_prepared(run_dir: Path) -> tuple[dict[str, Any], str, str]:
    """card.json (as a dict), train text and eval text of a prepared run; clear errors if not prepared."""
    card_path = run_dir / rundir.CARD
    train_path = run_dir / rundir.DATASET / rundir.TRAIN_TXT
    if not run_dir.is_dir():
        raise BadInputError(f"{run_dir}: no such run directory (run `publisher prepare` first)")
    for path in (card_path, train_path):
        if not path.is_file():
            raise BadInputError(f"{path}: missing; {run_dir} is not a prepared run (run `publisher prepare`)")
    from publisher.card import manifest as card_manifest

    card = card_manifest.card_to_dict(card_manifest.load_manifest(card_path))
    eval_path = run_dir / rundir.DATASET / rundir.EVAL_TXT
    eval_text = eval_path.read_text(encoding="utf-8") if eval_path.is_file() else ""
    return card, train_path.read_text(encoding="utf-8"), eval_text


def load_base(
    base_model: str, train_text: str, seed: int, resolved: tuple[str, bool] | None = None
) -> tuple[Any, Any, int, str | None]:
    """(tokenizer, model, block size, Hub id for the card or None) for `tiny`, a local path or a Hub id
    (`resolved`: what base_model.resolve said, if it was already asked)."""
    if base_model == TINY:
        from publisher.training.tiny_model import build_tiny_gpt2, train_tokenizer

        tweets = [t for t in train_text.split(EOS) if t]
        tokenizer = train_tokenizer(dict.fromkeys(tweets))
        model = build_tiny_gpt2(tokenizer, n_layer=2, n_embd=64, n_head=2, n_positions=256, seed=seed)
        tokenizer.model_max_length = 256
        return tokenizer, model, TINY_BLOCK_SIZE, None
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from publisher.training import base_model as base

    source, local_only = resolved or base.resolve(
        base_model
    )  # one quick look-up: "no such model" vs "cannot reach"
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=local_only)
        model = AutoModelForCausalLM.from_pretrained(source, local_files_only=local_only)
    except (OSError, ValueError) as exc:
        raise BadInputError(f"--base-model {base_model}: cannot load it ({exc})") from exc
    positions = getattr(model.config, "n_positions", 0) or getattr(
        model.config, "max_position_embeddings", 1024
    )
    block = min(tokenizer.model_max_length or 1024, positions, 1024)
    hub_id = None if Path(base_model).exists() else base_model
    return tokenizer, model, block, hub_id


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def generate_samples(
    model: Any, tokenizer: Any, prompts: list[str], seed: int, n: int = SAMPLES_PER_PROMPT
) -> list[dict[str, str]]:
    """Sample generations with huggingtweets' settings and a fixed seed; each cut at the first newline."""
    import torch

    torch.manual_seed(seed)
    model.eval()
    limit = min(GENERATION_DEFAULTS["max_length"], getattr(model.config, "n_positions", 1024))
    samples = []
    for prompt in prompts:
        inputs = tokenizer(EOS + prompt, return_tensors="pt").to(model.device)
        with torch.no_grad():
            out = model.generate(
                **inputs,
                do_sample=True,
                top_p=GENERATION_DEFAULTS["top_p"],
                temperature=GENERATION_DEFAULTS["temperature"],
                max_length=limit,
                min_length=GENERATION_DEFAULTS["min_length"],
                num_return_sequences=n,
                pad_token_id=tokenizer.eos_token_id,
            )
        start = inputs["input_ids"].shape[1]
        for seq in out:
            new = seq[start:].tolist()
            if tokenizer.eos_token_id in new:
                new = new[: new.index(tokenizer.eos_token_id)]
            text = (prompt + tokenizer.decode(new, skip_special_tokens=True)).split("\n")[0]
            samples.append({"prompt": prompt, "text": printable(text)})
    return samples


def printable(text: str) -> str:
    """A generation as the card can show it: control characters (byte-level BPE can emit any byte) become
    spaces, whitespace is collapsed as in the training text."""
    return " ".join("".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text).split())


def configure_generation(model: Any, tokenizer: Any) -> None:
    """huggingtweets' task_specific_params and a matching generation_config.json."""
    from transformers import GenerationConfig

    model.config.task_specific_params = {"text-generation": dict(GENERATION_DEFAULTS)}
    gen = {k: v for k, v in GENERATION_DEFAULTS.items() if k != "prefix"}
    model.generation_config = GenerationConfig(
        **gen,
        bos_token_id=tokenizer.eos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.eos_token_id,
    )


def run_trainer(
    model: Any,
    train_ds: BlockDataset,
    eval_ds: BlockDataset,
    work: Path,
    options: TrainOptions,
    max_steps: int | None,
    report_wandb: bool,
    log: Any = None,
    history: list[dict[str, Any]] | None = None,
) -> dict[str, float]:
    """The Trainer pass (one progress bar on stderr, the logged values in `log`) and the evaluation on the
    held-out tweets; the Trainer's log history (losses by step) is appended to `history` when given."""
    from transformers import Trainer, TrainingArguments

    from publisher.training.train_log import use_progress_bar

    args = TrainingArguments(
        output_dir=str(work / "checkpoints"),
        save_strategy="no",
        eval_strategy="no",
        seed=options.seed,
        data_seed=options.seed,
        report_to="wandb" if report_wandb else "none",
        max_steps=max_steps or -1,
        per_device_eval_batch_size=1,
        dataloader_num_workers=0,
        use_cpu=_device() == "cpu",
        **HYPERPARAMETERS,
    )
    trainer = Trainer(model=model, args=args, train_dataset=train_ds)
    use_progress_bar(trainer, log)
    result = trainer.train()
    metrics = {"train_loss": float(result.training_loss)}
    if len(eval_ds):
        eval_loss = float(trainer.evaluate(eval_dataset=eval_ds)["eval_loss"])
        metrics.update(eval_loss=eval_loss, perplexity=math.exp(min(eval_loss, 700.0)))
    if history is not None:
        history.extend(trainer.state.log_history)
    return metrics


def write_training_curve(history: list[dict[str, Any]], staging: Path, run_dir: Path) -> None:
    """training_curve.png from the log history (matplotlib is imported here, on the train path only)."""
    from publisher.pictures import TRAINING_CURVE
    from publisher.pictures.curve import training_curve_png

    (run_dir / TRAINING_CURVE).unlink(missing_ok=True)  # never leave the curve of an earlier run
    png = training_curve_png(history)
    if png is not None:
        (staging / TRAINING_CURVE).write_bytes(png)


def hyperparameters_for(
    options: TrainOptions, block_size: int, steps: int, train_blocks: int
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "base_model": options.base_model,
        **HYPERPARAMETERS,
        "block_size": block_size,
        "seed": options.seed,
        "train_steps": steps,
        "train_blocks": train_blocks,
    }
    if options.base_model == TINY:
        params["base_model"] = "tiny (2-layer GPT-2, n_embd 64, random init, tokenizer trained on the tweets)"
    return params


def install_files(staging: Path, run_dir: Path) -> list[str]:
    """Move the trained files into the run directory; the weights last (their presence means "trained")."""
    weights = run_dir / rundir.MODEL_WEIGHTS
    weights.unlink(missing_ok=True)
    names = sorted(p.name for p in staging.iterdir() if p.is_file())
    for name in names:
        fs.default_permissions(staging / name)
    for name in [n for n in names if n != rundir.MODEL_WEIGHTS]:
        os.replace(staging / name, run_dir / name)
    return names


def train_run(run_dir: str | Path, options: TrainOptions) -> TrainResult:
    """Fine-tune, evaluate, sample, save; then complete card.json and move the model into the run dir.

    Everything the libraries print (transformers prints a W&B notice at import, the Trainer its logs)
    goes to stderr, so stdout stays free for `--json`."""
    with contextlib.redirect_stdout(sys.stderr):
        prepared = read_prepared(Path(run_dir))
        # looked up before transformers is imported (that alone can take a minute on a busy machine)
        resolved = None if options.base_model == TINY else _resolve_base(options.base_model)
        from publisher.training.train_log import TRAIN_LOG, library_output_to

        with library_output_to(Path(run_dir) / TRAIN_LOG) as log:
            return _train_run(Path(run_dir), options, log, resolved, prepared)


def _resolve_base(base_model: str) -> tuple[str, bool]:
    from publisher.training import base_model as base

    return base.resolve(base_model)


def _train_run(
    run_dir: Path,
    options: TrainOptions,
    log: Any = None,
    resolved: tuple[str, bool] | None = None,
    prepared: tuple[dict[str, Any], str, str] | None = None,
) -> TrainResult:
    card, train_text, eval_text = prepared or read_prepared(run_dir)
    if options.max_steps is None and options.base_model == TINY:
        options.max_steps = TINY_MAX_STEPS
    from transformers import set_seed

    set_seed(options.seed)
    tokenizer, model, block_size, hub_id = load_base(options.base_model, train_text, options.seed, resolved)
    train_ds = BlockDataset(token_blocks(tokenizer, train_text, block_size, keep_remainder=False))
    eval_ds = BlockDataset(token_blocks(tokenizer, eval_text, block_size, keep_remainder=True))
    if not len(train_ds):
        raise BadInputError(f"{run_dir}: the training text is shorter than one block of {block_size} tokens")
    steps = min(len(train_ds), options.max_steps) if options.max_steps else len(train_ds)
    hyper = hyperparameters_for(options, block_size, steps, len(train_ds))
    handles = [u["handle"] for u in card["users"]]
    info(
        f"training {options.base_model} on {len(train_ds)} blocks of {block_size} tokens ({steps} steps, {_device()}); "
        f"log: {run_dir / 'train.log'}"
    )
    staging = Path(tempfile.mkdtemp(prefix=".train-", suffix=".tmp", dir=run_dir))
    wandb_active = None
    try:
        wandb_active = _start_wandb(run_dir, options, handles, hyper, card) if options.wandb else None
        history: list[dict[str, Any]] = []
        metrics = run_trainer(
            model,
            train_ds,
            eval_ds,
            staging,
            options,
            options.max_steps,
            wandb_active is not None,
            log,
            history,
        )
        write_training_curve(history, staging, run_dir)
        configure_generation(model, tokenizer)
        samples = generate_samples(
            model, tokenizer, list(card.get("widget") or list(defaults.WIDGET)), options.seed
        )
        model.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
        shutil.rmtree(staging / "checkpoints", ignore_errors=True)
        if wandb_active is not None:
            _finish_wandb(wandb_active, staging, handles, metrics)
        card = complete_card(
            card, hub_id, hyper, metrics, samples, wandb_active, from_scratch=options.base_model == TINY
        )
        files = install_files(staging, run_dir)
        _write_card(run_dir / rundir.CARD, card)
        os.replace(staging / rundir.MODEL_WEIGHTS, run_dir / rundir.MODEL_WEIGHTS)
    except PublisherError:
        raise
    except Exception as exc:
        raise PublisherError(f"training failed: {type(exc).__name__}: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if wandb_active is not None:
            _close_wandb(wandb_active)
    train_run_id = wandb_active.id if wandb_active is not None else None
    return TrainResult(run_dir, metrics, samples, hyper, train_run_id, files)


def complete_card(
    card: dict[str, Any],
    hub_id: str | None,
    hyper: dict[str, Any],
    metrics: dict[str, float],
    samples: list[dict[str, str]],
    wandb_run: Any,
    *,
    from_scratch: bool = False,
) -> dict[str, Any]:
    """card.json as train leaves it: base model, hyperparameters, metrics, samples, the train run id."""
    card = dict(card)
    if hub_id or from_scratch:
        # a Hub base model is named; a tiny model trained from scratch names none (null in card.json)
        card["base_model"] = hub_id
    card["training"] = {
        "hyperparameters": hyper,
        "metrics": {k: metrics[k] for k in ("eval_loss", "perplexity") if k in metrics},
    }
    card["samples"] = samples
    if wandb_run is not None:
        card["wandb"] = {**(card.get("wandb") or {}), "train_run": wandb_run.id}
        if getattr(wandb_run, "offline", False):  # not on W&B: the card links it once synced
            offline = card["wandb"].get("offline_runs") or []
            card["wandb"]["offline_runs"] = (
                [*offline, wandb_run.id] if wandb_run.id not in offline else offline
            )
    return card


def _write_card(path: Path, card: dict[str, Any]) -> None:
    from publisher.card import manifest as card_manifest

    card_manifest.write_manifest(card_manifest.card_from_dict(card, source=str(path)), path)


def _start_wandb(
    run_dir: Path, options: TrainOptions, handles: list[str], hyper: dict[str, Any], card: dict[str, Any]
) -> Any:
    from publisher.training import wandb_runs

    config = {**hyper, "handles": handles, "preprocess_run": (card.get("wandb") or {}).get("preprocess_run")}
    run, _mode = wandb_runs.start_train_run(run_dir, handles, config, Settings.from_env())
    return run


def _finish_wandb(run: Any, model_dir: Path, handles: list[str], metrics: dict[str, float]) -> None:
    from publisher.training import wandb_runs

    for key, value in metrics.items():
        run.summary[key] = value
    try:
        wandb_runs.log_model(run, model_dir, handles, metrics)
    except Exception as exc:  # noqa: BLE001 - the model is trained; a W&B hiccup must not lose it
        warn(f"could not log the model artifact to W&B ({type(exc).__name__}: {exc})")


def _close_wandb(run: Any) -> None:
    try:
        run.finish()
    except Exception as exc:  # noqa: BLE001
        warn(f"W&B finish failed ({type(exc).__name__})")
