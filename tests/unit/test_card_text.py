"""Mojibake repair: exact repairs are applied, lossy ones are never guessed."""

from __future__ import annotations

import pytest

from publisher.card.text import repair_mojibake


@pytest.mark.parametrize(
    ("broken", "fixed"),
    [
        ("ðŸ¤– AI BOT ðŸ¤–", "🤖 AI BOT 🤖"),  # UTF-8 read as cp1252
        ("ğŸ¤– AI BOT ğŸ¤–", "🤖 AI BOT 🤖"),  # UTF-8 read as cp1254
        ("Weâ€™re Not Really Strangers", "We’re Not Really Strangers"),  # curly quote stays curly
        ("donÃ¢â‚¬â„¢t", "don’t"),  # double mojibake
        ("ðŸ\x8d‚", "🍂"),  # sloppy decode kept the undefined byte as a C1 control: recoverable
    ],
)
def test_exact_mojibake_is_repaired_with_a_warning(broken, fixed):
    text, warnings = repair_mojibake(broken, field="users[0].name")
    assert text == fixed
    assert warnings and warnings[0].startswith("mojibake repaired in users[0].name")


@pytest.mark.parametrize("lossy", ["ğŸ‚", "ðŸ‚", "ğŸ¢ & Weâ€™re", "ðŸ˜�"])
def test_mojibake_with_lost_bytes_is_kept_and_warned(lossy):
    text, warnings = repair_mojibake(lossy, field="users[1].name")
    assert text == lossy
    assert warnings and warnings[0].startswith("mojibake not repaired in users[1].name")
    assert "bytes were lost" in warnings[0]


@pytest.mark.parametrize(
    "clean",
    ["Khalid Saifullah", "naïve café ñ", "東京タワー", "مرحبا بالعالم", "Привет", "🍂", "We’re", "ROBOTICS"],
)
def test_clean_text_is_untouched(clean):
    assert repair_mojibake(clean, field="f") == (clean, [])
