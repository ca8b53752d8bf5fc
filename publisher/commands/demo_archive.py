"""`publisher demo-archive OUT`: a seeded synthetic X archive for a fictional user (no real tweets)."""

from __future__ import annotations

import click

from publisher.output import info


@click.command("demo-archive")
@click.argument("out", type=click.Path())
@click.option("--handle", default="demo", show_default=True, help="The fictional user's handle.")
@click.option("--name", default="Demo Bot 🤖", show_default=True, help="The fictional user's display name.")
@click.option(
    "--tweets",
    "n_tweets",
    type=click.IntRange(min=30),
    default=600,
    show_default=True,
    help="How many timeline tweets to write (retweets and edge cases included), plus one long post.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same archive.")
def command(out: str, handle: str, name: str, n_tweets: int, seed: int) -> None:
    """Write a synthetic X archive: a zip when OUT ends with .zip, else an extracted folder."""
    from publisher.data.demo import write_demo_archive
    from publisher.naming import normalize_handle

    path = write_demo_archive(out, handle=normalize_handle(handle), name=name, n_tweets=n_tweets, seed=seed)
    info(f"wrote {path} ({n_tweets} synthetic tweets of @{normalize_handle(handle)})")
