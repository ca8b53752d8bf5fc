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
@click.option(
    "--repair",
    is_flag=True,
    help="Write mis-decoded (mojibake) names repaired; the manifest then no longer renders the card back "
    "byte for byte (regenerate always repairs).",
)
def command(card: str, output: str, repair: bool) -> None:
    """Recover the card.json manifest from an existing huggingtweets card (any known layout, recorded as
    "layout"; `publisher render card.json --template LAYOUT` gives the card back)."""
    from publisher.card.manifest import dumps_manifest, write_manifest
    from publisher.card.parse import round_trip
    from publisher.commands.check import read_card_file

    result = round_trip(read_card_file(card), source=card)
    # as written by default, so `render --template LAYOUT` gives the card back; repaired on request
    manifest = result.exact if result.faithful and not repair and result.exact else result.card
    for message in manifest.warnings:
        warn(f"{card}: {message}")
    info(f"{card}: {result.layout} layout, {result.status}")
    if result.status == "mojibake" and manifest is not result.card:
        info(f"{card}: mis-decoded text kept as written (--repair writes it repaired)")
    if output == "-":
        sys.stdout.buffer.write(dumps_manifest(manifest).encode("utf-8"))
        sys.stdout.flush()
    else:
        write_manifest(manifest, output)
        info(f"wrote {output}")
