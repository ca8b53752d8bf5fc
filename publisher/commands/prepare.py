"""`publisher prepare ARCHIVE [ARCHIVE...] --out runs/<name>`: tweets in, dataset and card.json out."""

from __future__ import annotations

import click

from publisher.output import emit_json, info
from publisher.settings import environment_epilog


@click.command("prepare", epilog=environment_epilog("prepare"))
@click.argument("archives", nargs=-1, required=True, type=click.Path())
@click.option(
    "--out",
    "out",
    type=click.Path(),
    default=None,
    help="Run directory to create (default: runs/<handles sorted, joined by ->).",
)
@click.option(
    "--max-tweets",
    type=click.IntRange(min=1),
    default=3200,
    show_default=True,
    help="Keep only the most recent N tweets per user (retweets included), as the Twitter API did.",
)
@click.option(
    "--short-threshold-chars",
    type=click.IntRange(min=1),
    default=None,
    help="Call a tweet short when it has fewer than N characters outside URLs, mentions and "
    "hashtags (instead of huggingtweets' fewer-than-3-words rule; use for CJK/Thai).",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0, max=2**32 - 1),
    default=None,
    help="Seed for the shuffles and the evaluation split (default: random, recorded).",
)
@click.option("--force", is_flag=True, help="Replace an existing run directory.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
def command(
    archives: tuple[str, ...],
    out: str | None,
    max_tweets: int,
    short_threshold_chars: int | None,
    seed: int | None,
    force: bool,
    as_json: bool,
) -> None:
    """Import 1 to 3 tweet archives (X archive zip/folder, snscrape/API JSONL, JSON, CSV) into a run directory."""
    from publisher.training.prepare import PrepareOptions, prepare_run

    options = PrepareOptions(
        max_tweets=max_tweets, short_threshold_chars=short_threshold_chars, seed=seed, force=force
    )
    result = prepare_run(list(archives), out, options)
    if as_json:
        emit_json(
            {
                "run_dir": str(result.run_dir),
                "seed": result.seed,
                "users": result.card["users"],
                "wandb": result.card["wandb"],
                "dataset": result.prepare_info["dataset"],
            }
        )
        return
    for user in result.card["users"]:
        s = user["stats"]
        info(
            f"@{user['handle']}: {s['downloaded']} downloaded, {s['retweets']} retweets, "
            f"{s['short']} short, {s['kept']} kept"
        )
    info(f"prepared {result.run_dir} (seed {result.seed})")
