"""Card throughput (render, check, parse) and CLI start-up time next to `python -c pass`.

    .venv/bin/python bench/bench_render.py [--cards 2000] [--runs 10]

Prints a Markdown table (the README's "Render" benchmark section is a copy of it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from publisher.card.check import check_card_text  # noqa: E402
from publisher.card.manifest import load_manifest  # noqa: E402
from publisher.card.model import Card, User, UserStats  # noqa: E402
from publisher.card.parse import parse_card  # noqa: E402
from publisher.card.render import render_card  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "cards"


def _cards(count: int) -> list[Card]:
    """Distinct cards (1-3 users, varying names and counts) so no cache can help."""
    base = load_manifest(FIXTURES / "full.json")
    cards = []
    for i in range(count):
        users = [
            User(
                handle=f"user{i}_{j}",
                name=f"User {i} & <{j}> | 🤖",
                stats=UserStats(100 + i, j, 10, 90 + i - j),
            )
            for j in range(1 + i % 3)
        ]
        cards.append(Card(users=users, wandb=base.wandb, samples=base.samples, training=base.training))
    return cards


def _per_second(function: Callable[[object], object], items: list) -> float:
    start = time.perf_counter()
    for item in items:
        function(item)
    return len(items) / (time.perf_counter() - start)


def _startup_ms(command: list[str], runs: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env, cwd=tempfile.gettempdir())
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=2000, help="cards per throughput measurement")
    parser.add_argument("--runs", type=int, default=10, help="runs per start-up measurement (median)")
    args = parser.parse_args()

    cards = _cards(args.cards)
    render_card(cards[0])  # compile the templates once, as a long-running process would
    render_card(cards[0], "classic")
    default_cards = [render_card(c) for c in cards[:200]]
    classic_cards = [render_card(c, "classic") for c in cards]
    rows = [
        ("render, default template", _per_second(render_card, cards)),
        ("render, classic template", _per_second(lambda c: render_card(c, "classic"), cards)),
        (
            "check (strict), default output",
            _per_second(lambda t: check_card_text(t, require_default_fields=True), default_cards),
        ),
        ("parse, classic card", _per_second(parse_card, classic_cards)),
    ]
    print(f"| operation ({args.cards} distinct cards, 1 process) | cards/s |")
    print("| --- | ---: |")
    for name, rate in rows:
        print(f"| {name} | {rate:,.0f} |")

    manifest = str(FIXTURES / "k_saifullaah.json")
    python = sys.executable
    startup = [
        ("`python -c pass`", [python, "-c", "pass"]),
        ("`python -c 'import publisher'`", [python, "-c", "import publisher"]),
        ("`publisher --help`", [python, "-m", "publisher", "--help"]),
        (
            "`publisher render card.json -o /dev/null`",
            [python, "-m", "publisher", "render", manifest, "-o", os.devnull],
        ),
        (
            "`publisher check README.md`",
            [python, "-m", "publisher", "check", str(FIXTURES / "k_saifullaah.md")],
        ),
        ("`python -c 'import transformers'` (for scale)", [python, "-c", "import transformers"]),
    ]
    print()
    print(f"| command (median of {args.runs} runs) | ms |")
    print("| --- | ---: |")
    for name, command in startup:
        print(f"| {name} | {_startup_ms(command, args.runs):.0f} |")


if __name__ == "__main__":
    main()
