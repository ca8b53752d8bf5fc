"""README front matter for the local hub: `cardData` for model info, and the validate-yaml rules.

The rules are those of `publisher check` (one implementation: publisher.card.check); this module only adapts
them to the endpoint's JSON shape.
"""

from __future__ import annotations

from typing import Any

from publisher.card import check, frontmatter


def card_data(text: str) -> dict[str, Any]:
    """The README's YAML front matter as a dict ({} when absent or invalid), as the Hub's cardData."""
    try:
        return frontmatter.parse_front_matter(text)
    except Exception:  # noqa: BLE001 - an invalid card simply has no cardData (validate-yaml reports why)
        return {}


def card_text_problems(text: str) -> tuple[list[str], list[str]]:
    """(errors, warnings) for a README, from `publisher check`'s rules, each with its line when known."""
    errors: list[str] = []
    warnings: list[str] = []
    for problem in check.check_card_text(text, require_default_fields=False):
        message = f"line {problem.line}: {problem.message}" if problem.line else problem.message
        (errors if problem.severity == "error" else warnings).append(message)
    return errors, warnings
