"""`publisher train RUN_DIR`: fine-tune GPT-2 on a prepared run and complete its card.json."""

from __future__ import annotations

import click

from publisher import defaults
from publisher.output import emit_json, info
from publisher.settings import environment_epilog


@click.command("train", epilog=environment_epilog("train"))
@click.argument("run_dir", type=click.Path())
@click.option(
    "--base-model",
    default=defaults.BASE_MODEL,
    show_default=True,
    help="A Hub model id, a local model folder, or `tiny` (a 2-layer GPT-2 built locally: offline, seconds on CPU).",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed for initialisation, data order and the sample generations.",
)
@click.option(
    "--max-steps",
    type=click.IntRange(min=1),
    default=None,
    help="Stop after N optimizer steps (default: one full pass; `tiny` stops at 300).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
def command(run_dir: str, base_model: str, seed: int, max_steps: int | None, as_json: bool) -> None:
    """Fine-tune with huggingtweets' hyperparameters; writes the model files at the top of RUN_DIR."""
    from publisher.training.train import TrainOptions, train_run

    result = train_run(run_dir, TrainOptions(base_model=base_model, seed=seed, max_steps=max_steps))
    if as_json:
        emit_json(
            {
                "run_dir": str(result.run_dir),
                "metrics": result.metrics,
                "samples": result.samples,
                "hyperparameters": result.hyperparameters,
                "wandb_train_run": result.wandb_run,
                "files": result.files,
            }
        )
        return
    for key, value in result.metrics.items():
        info(f"{key}: {value:.4f}")
    for sample in result.samples:
        info(f"sample: {sample['text']}")
    info(f"trained {result.run_dir}")
