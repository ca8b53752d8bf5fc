"""`publisher parse README.md`: the card.json manifest recovered from a huggingtweets card of any layout."""

from __future__ import annotations

import sys

import click

from publisher.output import info, warn


@click.command("parse")
@click.argument("card", type=click.Path(dir_okay=False))
@click.option(
    "--output", "-o", default="-", show_default=True, help="Where to write card.json ('-' = stdout)."
)
def command(card: str, output: str) -> None:
    """Recover the card.json manifest from an existing huggingtweets card (any known layout, recorded as
    "layout"; `publisher render card.json --template LAYOUT` gives the card back)."""
    from publisher.card.model import dumps_manifest, write_manifest
    from publisher.card.parse import round_trip
    from publisher.commands.check import read_card_file

    result = round_trip(read_card_file(card), source=card)
    for message in result.card.warnings:
        warn(f"{card}: {message}")
    info(f"{card}: {result.layout} layout, {result.status}")
    if output == "-":
        sys.stdout.buffer.write(dumps_manifest(result.card).encode("utf-8"))
        sys.stdout.flush()
    else:
        write_manifest(result.card, output)
        info(f"wrote {output}")
