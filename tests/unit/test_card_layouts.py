"""Every historical huggingtweets layout: cards made the way the notebooks made them, parsed and re-rendered.

The cards come from tests/layout_cards.py (huggingtweets' own templates of each date, filled the notebook's way).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from layout_cards import (
    AVATAR,
    LOGO,
    RUN_2021,
    all_cards,
    classic_card_val,
    classic_case,
    notebook_card,
    single_case,
)

from publisher.card.layouts import LAYOUT_NAMES
from publisher.card.manifest import dumps_manifest, loads_manifest
from publisher.card.parse import parse_card, round_trip
from publisher.card.render import render_card


@pytest.mark.parametrize(("layout", "case", "text"), all_cards(), ids=[c[1] for c in all_cards()])
def test_notebook_card_parses_to_its_layout_and_renders_back_byte_for_byte(layout, case, text):
    card = parse_card(text, repair=False)
    assert card.layout == layout
    assert render_card(card, layout) == text
    # through card.json and back, as `publisher parse` then `publisher render --template LAYOUT`
    assert render_card(loads_manifest(dumps_manifest(card)), layout) == text
    assert round_trip(text).status == "unedited"


def test_every_layout_has_a_golden_card():
    assert {layout for layout, _case, _text in all_cards()} == set(LAYOUT_NAMES)


def test_a_multi_user_card_keeps_every_user_and_shows_three_avatars():
    card = parse_card(classic_case("six users, emoji and a pipe"))
    assert [u.handle for u in card.users] == [f"user{i}" for i in range(6)]
    assert card.users[1].name == "Zoë | writer" and card.users[5].stats.kept == 90
    assert [u.avatar_url is not None for u in card.users] == [True, True, True, False, False, False]
    assert "| Tweets kept | 100 | 98 | 96 | 94 | 92 | 90 |" in render_card(card, "huggingtweets")


def test_a_bot_name_on_a_multi_user_card_is_read_from_the_table_header():
    card = parse_card(classic_case("two users, a BOT name, quotes and ampersands"))
    assert [u.name for u in card.users] == ['The "BOT" Lab', "Amy & Tom <3"]
    assert 'The "BOT" Lab' in render_card(card, "huggingtweets")


def test_the_padding_width_and_the_thumbnail_as_written_are_kept():
    card = parse_card(single_case("prose-2020-09-18"))
    assert card.layout_padding == 37
    assert card.thumbnail == "http://www.huggingtweets.com/pad_me/1600000000000/predictions.png"
    wider = dataclasses.replace(card, layout_padding=38)
    assert render_card(wider, "prose-2020-09-18").endswith("file " + " " * 38 + " -->")


def test_a_single_user_card_gives_the_user_stats_and_runs():
    card = parse_card(single_case("single-2021-03"))
    user = card.users[0]
    assert (user.handle, user.name, user.stats.kept) == ("k_doe", "Kay O'Doe ✨", 2863)
    assert user.avatar_url == AVATAR.format(31, "kl")
    assert (card.wandb.app_url, card.wandb.preprocess_run, card.wandb.train_run) == (
        "https://wandb.ai", "2prep0ab", "9train1z")  # fmt: skip
    old = parse_card(single_case("exbert-2020-07-27 (WANDB_TRAIN never set)"))
    assert old.wandb.app_url == "https://app.wandb.ai" and old.wandb.train_run is None


@pytest.mark.parametrize(("layout", "case", "text"), all_cards(), ids=[c[1] for c in all_cards()])
def test_a_hand_edit_in_any_layout_is_detected(layout, case, text):
    edited = text.replace("## Training procedure", "## Training procedure\n\nI added this line.", 1)
    assert edited != text
    result = round_trip(edited)
    assert result.status == "edited" and result.card.handles == parse_card(text).handles


@pytest.mark.parametrize("decoding", ["cp1254", "cp1252", "sloppy-windows-1252"])
@pytest.mark.parametrize("case", ["six users, emoji and a pipe", "one user, logo thumbnail"])
def test_a_card_garbled_as_a_whole_renders_back_and_regenerates_repaired(decoding, case):
    """Real cards read "ğŸ¤– AI CYBORG ğŸ¤–": the whole file was once decoded with the wrong code page."""
    from publisher.card.text import mis_decode

    original = classic_case(case)
    garbled = mis_decode(original, decoding)
    assert garbled != original and "🤖" not in garbled
    exact = parse_card(garbled, repair=False)
    assert exact.layout == "classic" and exact.layout_mojibake in (decoding, "cp1252")
    assert render_card(loads_manifest(dumps_manifest(exact)), "classic") == garbled
    result = round_trip(garbled)
    assert result.status == "mojibake" and result.faithful
    assert result.card.layout_mojibake is None
    assert "🤖 AI" in render_card(result.card, "classic")


def test_a_single_user_card_garbled_as_a_whole_renders_back():
    from publisher.card.text import mis_decode

    garbled = mis_decode(single_case("prose-2020-09-18"), "cp1252")
    card = parse_card(garbled, repair=False)
    assert (card.layout, card.layout_mojibake, card.layout_padding) == ("prose-2020-09-18", "cp1252", 37)
    assert render_card(card, card.layout) == garbled


@pytest.mark.slow  # spawns Python processes
@pytest.mark.parametrize(
    ("layout", "case"),
    [("classic", "six users, emoji and a pipe"), ("prose-2020-09-18", "prose-2020-09-18"),
     ("exbert-2020-07-27", "exbert-2020-07-27 (WANDB_TRAIN never set)"), ("classic", "garbled")],
)  # fmt: skip
def test_cli_parse_then_render_with_the_layout_gives_the_card_back(tmp_path, layout, case):
    import subprocess
    import sys

    from publisher.card.text import mis_decode

    if case == "garbled":
        text = mis_decode(classic_case("two users, a BOT name, quotes and ampersands"), "cp1254")
    else:
        text = classic_case(case) if layout == "classic" else single_case(case)
    readme, manifest = tmp_path / "README.md", tmp_path / "card.json"
    readme.write_bytes(text.encode("utf-8"))
    root = Path(__file__).resolve().parents[2]
    run = [sys.executable, "-m", "publisher"]
    parsed = subprocess.run([*run, "parse", str(readme), "-o", str(manifest)], capture_output=True, cwd=root)
    assert parsed.returncode == 0, parsed.stderr
    assert f"{layout} layout".encode() in parsed.stderr
    rendered = subprocess.run(
        [*run, "render", str(manifest), "--template", layout], capture_output=True, cwd=root
    )
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stdout == text.encode("utf-8")


@pytest.mark.parametrize(("layout", "case", "text"), all_cards(), ids=[c[1] for c in all_cards()])
def test_the_upgraded_card_passes_the_default_templates_check(layout, case, text):
    """An http:// thumbnail (dead huggingtweets.com previews) stays in card.json but not in the new card."""
    from publisher.card.check import check_card_text

    card = parse_card(text)
    upgraded = render_card(card, "huggingtweets")
    assert check_card_text(upgraded, require_default_fields=True) == []
    if card.thumbnail and card.thumbnail.startswith("http://"):
        assert card.thumbnail not in upgraded


def test_the_single_user_notebook_filling_the_classic_template_on_2021_05_07():
    """Browsers still running the old notebook filled the new template with the old card_val."""
    text = single_case("classic-2021-05-07-single")
    assert "display:DISPLAY_1" in text and "_400x400.jpg_1&#39;" in text and "| Data | TABLE_USER |" in text
    card = parse_card(text, repair=False)
    assert card.layout == "classic-2021-05-07-single"
    assert card.users[0].avatar_url == AVATAR.format(50, "op") and card.users[0].stats.kept == 3170


def test_a_card_whose_placeholders_were_never_filled_is_unsupported():
    """2021-05-07 18:33-20:04: the notebook's card values were local; only WANDB_TRAIN reached the card."""
    from publisher.errors import UnsupportedLayoutError

    text = notebook_card("c74eb83", {"WANDB_TRAIN": RUN_2021.format("1trn9abc")})
    with pytest.raises(UnsupportedLayoutError, match="never filled"):
        parse_card(text)


@pytest.mark.parametrize("name", ["line\u2028separator", "next\x85line", "tab\tname"])
def test_unusual_whitespace_in_names_is_written_as_is(name):
    users = [("ws", name, AVATAR.format(51, "qr"), (10, 1, 1, 8))]
    text = notebook_card("c74eb83", classic_card_val(users, LOGO))
    card = parse_card(text, repair=False)
    assert card.users[0].name == name and render_card(card, "classic") == text


@pytest.mark.parametrize(
    "case", ["prose-2020-08-24", "table-2020-08-08", "exbert-2020-07-24", "single-2021-02"]
)
def test_a_hand_edited_card_is_attributed_to_its_own_version(case):
    edited = single_case(case).replace("## How does it work?", "## How does it work? (edited)", 1)
    result = round_trip(edited)
    assert result.status == "edited" and result.layout == case


def test_names_full_of_separators_still_split_into_the_right_users():
    """Names may hold " & ", " | ", "|" at an edge and BOT at once; the cut that explains both the names line
    and the table header is the one (found by a fuzz run over 3,000 generated cards)."""
    names = ["| ROBOT   |", "ROBOT🤖", "x>_< <3", "ROBOT&'", "A & B | C", "& BOT"]
    users = [(f"sep{i}", name, AVATAR.format(60 + i, "st"), (10, 1, 1, 8)) for i, name in enumerate(names)]
    text = notebook_card("c74eb83", classic_card_val(users, LOGO))
    card = parse_card(text, repair=False)
    assert [u.name for u in card.users] == names
    assert render_card(card, "classic") == text
