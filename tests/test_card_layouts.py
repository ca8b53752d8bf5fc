"""Every historical huggingtweets layout: cards made the way the notebooks made them, parsed and re-rendered.

The goldens are not written by publisher: `notebook_card` fills huggingtweets' own model_card/README.md of
that date (tests/fixtures/cards/notebook/<commit>.md, the files as they were) with invented data, with the
notebook's algorithm: `for k, v in card_val.items(): card = card.replace(k, v)`, card_val in the order that
era's notebook first assigned its keys. Quirks included: a "BOT" inside a name on a multi-user card, the
random-size padding comment, the day the notebook forgot WANDB_TRAIN (2020-07-29), http:// previews.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from publisher.card.layouts import LAYOUT_NAMES
from publisher.card.model import dumps_manifest, loads_manifest
from publisher.card.parse import parse_card, round_trip
from publisher.card.render import render_card

NOTEBOOK = Path(__file__).parent / "fixtures" / "cards" / "notebook"
RUN_2020 = "https://app.wandb.ai/wandb/huggingtweets/runs/{}"
RUN_2021 = "https://wandb.ai/wandb/huggingtweets/runs/{}"
LOGO = "https://github.com/borisdayma/huggingtweets/blob/master/img/logo.png?raw=true"


def notebook_card(commit: str, card_val: dict[str, str]) -> str:
    text = (NOTEBOOK / f"{commit}.md").read_text(encoding="utf-8")
    for key, value in card_val.items():
        text = text.replace(key, value)
    return text


def classic_card_val(users: list[tuple[str, str, str, tuple[int, int, int, int]]], thumbnail: str) -> dict:
    """The 2021-2023 notebook (c681710 on): users as (handle, name, avatar, (downloaded, rt, short, kept))."""
    card_val = {"USER_PROFILE_1": "", "DISPLAY_1": "none", "USER_PROFILE_2": "", "DISPLAY_2": "none",
                "USER_PROFILE_3": "", "DISPLAY_3": "none"}  # fmt: skip
    for i, (_handle, _name, avatar, _stats) in enumerate(users, start=1):
        card_val[f"USER_PROFILE_{i}"] = avatar
        card_val[f"DISPLAY_{i}"] = "inherit"
    names = [u[1] for u in users]
    card_val["USER_HANDLE"] = "-".join(sorted(u[0] for u in users))
    card_val["USER_NAME"] = " & ".join(names)
    card_val["BOT"] = "BOT" if len(users) == 1 else "CYBORG"
    card_val["SOCIAL_LINK"] = thumbnail
    card_val["TABLE_USER"] = " | ".join(names)
    card_val["TABLE_SPLIT"] = " | ".join(["---"] * len(users))
    for key, column in (("TWEETS_DL", 0), ("RETWEETS", 1), ("SHORT_TWEETS", 2), ("TWEETS_KEPT", 3)):
        card_val[key] = " | ".join(str(u[3][column]) for u in users)
    card_val["WANDB_PREPROCESS"] = RUN_2021.format("3pre2prc")
    card_val["WANDB_TRAIN"] = RUN_2021.format("1trn9abc")
    return card_val


def single_card_val(handle, name, avatar, stats, *, social=None, run=RUN_2020, train=True, padding=None):
    """The 2020 - May 2021 notebook: USER_HANDLE, USER_NAME, USER_PROFILE, [SOCIAL_LINK], WANDB_PREPROCESS,
    the four counts, WANDB_TRAIN; RANDOM_SZ after the loop (2020-09-18 to 2020-12-04)."""
    card_val = {"USER_HANDLE": handle, "USER_NAME": name, "USER_PROFILE": avatar}
    if social:
        card_val["SOCIAL_LINK"] = social
    card_val["WANDB_PREPROCESS"] = run.format("2prep0ab")
    for key, value in zip(("TWEETS_DL", "RETWEETS", "SHORT_TWEETS", "TWEETS_KEPT"), stats, strict=True):
        card_val[key] = str(value)
    if train:
        card_val["WANDB_TRAIN"] = run.format("9train1z")
    if padding is not None:
        card_val["RANDOM_SZ"] = " " * padding
    return card_val


AVATAR = "https://pbs.twimg.com/profile_images/{}/Ab{}_400x400.jpg"
HTTP_PREVIEW = "http://www.huggingtweets.com/{}/1640995200000/predictions.png"

CLASSIC_CASES = {
    "one user, logo thumbnail": (
        [("haleyosh", "haley o'shaughnessy", AVATAR.format(11, "cd"), (3250, 120, 410, 2720))],
        LOGO,
    ),
    "one user named ROBOT, http preview": (
        [("robot_ann", "ROBOT Ann & co", AVATAR.format(12, "BOTx"), (900, 10, 20, 870))],
        HTTP_PREVIEW.format("robot_ann"),
    ),
    "two users, a BOT name, quotes and ampersands": (
        [
            ("zz_top", 'The "BOT" Lab', AVATAR.format(13, "eBOTf"), (3200, 1, 2, 3197)),
            ("amy", "Amy & Tom <3", AVATAR.format(14, "gh"), (400, 100, 50, 250)),
        ],
        "https://www.huggingtweets.com/amy-zz_top/1620000000000/predictions.png",
    ),  # fmt: skip
    "six users, emoji and a pipe": (
        [
            (f"user{i}", name, AVATAR.format(20 + i, "ij"), (100 + i, i, 2 * i, 100 - 2 * i))
            for i, name in enumerate(
                ["🍂", "Zoë | writer", "東京タワー 🗼", "We’re Not Really Strangers", "Ed", "محمد"]
            )
        ],
        HTTP_PREVIEW.format("user0-user1-user2-user3-user4-user5"),
    ),  # fmt: skip
}

# layout -> (notebook commit, card_val); one invented card per era of each layout
SINGLE_CASES = {
    "classic-2021-05-07-single": ("c74eb83", single_card_val(
        "may7", "May Seventh", AVATAR.format(50, "op"), (3200, 10, 20, 3170), social=LOGO, run=RUN_2021)),
    "single-2021-03": ("9fa75a7", single_card_val(
        "k_doe", "Kay O'Doe ✨", AVATAR.format(31, "kl"), (3241, 77, 301, 2863),
        social="https://www.huggingtweets.com/k_doe/1617000000000/predictions.png", run=RUN_2021)),
    "single-2021-02": ("9aa307f", single_card_val(
        "jo", "Jo & the BOTS", AVATAR.format(32, "mn"), (1200, 300, 100, 800), social=LOGO, run=RUN_2021)),
    "prose-2020-09-18": ("d309ede", single_card_val(
        "pad_me", "Pad Me", AVATAR.format(33, "op"), (3200, 0, 12, 3188),
        social="http://www.huggingtweets.com/pad_me/1600000000000/predictions.png", padding=37)),
    "prose-2020-09-12": ("eedcaf5", single_card_val(
        "dril", "wint", AVATAR.format(34, "qr"), (3244, 496, 255, 2493),
        social="https://www.huggingtweets.com/dril/1607000000000/predictions.png")),
    "prose-2020-09-07": ("70e4951", single_card_val(
        "elon", "Elon", AVATAR.format(35, "st"), (3200, 100, 200, 2900))),
    "prose-2020-09-07 (preview thumbnail)": ("ca5ef7e", single_card_val(
        "elon2", "Elon 2", AVATAR.format(36, "uv"), (3200, 100, 200, 2900),
        social="https://www.huggingtweets.com/elon2/1599800000000/predictions.png")),
    "prose-2020-08-28": ("4982ef1", single_card_val(
        "cat", "cat <3 & dog", AVATAR.format(37, "wx"), (500, 20, 30, 450))),
    "prose-2020-08-28-typo": ("89d7124", single_card_val(
        "typo", "Typo", AVATAR.format(38, "yz"), (500, 20, 30, 450))),
    "prose-2020-08-24": ("1b58fcb", single_card_val(
        "first", "First Prose", AVATAR.format(39, "ab"), (800, 8, 80, 712))),
    "table-2020-08-12": ("bd3b43d", single_card_val(
        "tbl", "Table 2", AVATAR.format(40, "cd"), (600, 6, 60, 534))),
    "table-2020-08-08": ("34f5910", single_card_val(
        "tbl1", "Table 1", AVATAR.format(41, "ef"), (600, 6, 60, 534))),
    "exbert-2020-07-27": ("fb55600", single_card_val(
        "xb", "Ex Bert", AVATAR.format(42, "gh"), (3000, 30, 300, 2670))),
    "exbert-2020-07-27 (WANDB_TRAIN never set)": ("fb55600", single_card_val(
        "xb2", "Ex Bert 2", AVATAR.format(43, "ij"), (3000, 30, 300, 2670), train=False)),
    "exbert-2020-07-24": ("d74557e", single_card_val(
        "epochs", "Four Epochs", AVATAR.format(44, "kl"), (3000, 30, 300, 2670))),
    "exbert-2020-07-21": ("1a4c805", single_card_val(
        "early", "Early", AVATAR.format(45, "mn"), (3000, 30, 300, 2670))),
}  # fmt: skip


def _classic(case: str) -> str:
    users, thumbnail = CLASSIC_CASES[case]
    return notebook_card("c74eb83", classic_card_val(users, thumbnail))


def _single(case: str) -> str:
    commit, card_val = SINGLE_CASES[case]
    return notebook_card(commit, card_val)


def _all_cards() -> list[tuple[str, str, str]]:
    cards = [("classic", case, _classic(case)) for case in CLASSIC_CASES]
    cards += [(case.split(" ")[0], case, _single(case)) for case in SINGLE_CASES]
    return cards


@pytest.mark.parametrize(("layout", "case", "text"), _all_cards(), ids=[c[1] for c in _all_cards()])
def test_notebook_card_parses_to_its_layout_and_renders_back_byte_for_byte(layout, case, text):
    card = parse_card(text, repair=False)
    assert card.layout == layout
    assert render_card(card, layout) == text
    # through card.json and back, as `publisher parse` then `publisher render --template LAYOUT`
    assert render_card(loads_manifest(dumps_manifest(card)), layout) == text
    assert round_trip(text).status == "unedited"


def test_every_layout_has_a_golden_card():
    assert {layout for layout, _case, _text in _all_cards()} == set(LAYOUT_NAMES)


def test_a_multi_user_card_keeps_every_user_and_shows_three_avatars():
    card = parse_card(_classic("six users, emoji and a pipe"))
    assert [u.handle for u in card.users] == [f"user{i}" for i in range(6)]
    assert card.users[1].name == "Zoë | writer" and card.users[5].stats.kept == 90
    assert [u.avatar_url is not None for u in card.users] == [True, True, True, False, False, False]
    assert "| Tweets kept | 100 | 98 | 96 | 94 | 92 | 90 |" in render_card(card, "huggingtweets")


def test_a_bot_name_on_a_multi_user_card_is_read_from_the_table_header():
    card = parse_card(_classic("two users, a BOT name, quotes and ampersands"))
    assert [u.name for u in card.users] == ['The "BOT" Lab', "Amy & Tom <3"]
    assert 'The "BOT" Lab' in render_card(card, "huggingtweets")


def test_the_padding_width_and_the_thumbnail_as_written_are_kept():
    card = parse_card(_single("prose-2020-09-18"))
    assert card.layout_padding == 37
    assert card.thumbnail == "http://www.huggingtweets.com/pad_me/1600000000000/predictions.png"
    wider = dataclasses.replace(card, layout_padding=38)
    assert render_card(wider, "prose-2020-09-18").endswith("file " + " " * 38 + " -->")


def test_a_single_user_card_gives_the_user_stats_and_runs():
    card = parse_card(_single("single-2021-03"))
    user = card.users[0]
    assert (user.handle, user.name, user.stats.kept) == ("k_doe", "Kay O'Doe ✨", 2863)
    assert user.avatar_url == AVATAR.format(31, "kl")
    assert (card.wandb.app_url, card.wandb.preprocess_run, card.wandb.train_run) == (
        "https://wandb.ai", "2prep0ab", "9train1z")  # fmt: skip
    old = parse_card(_single("exbert-2020-07-27 (WANDB_TRAIN never set)"))
    assert old.wandb.app_url == "https://app.wandb.ai" and old.wandb.train_run is None


@pytest.mark.parametrize(("layout", "case", "text"), _all_cards(), ids=[c[1] for c in _all_cards()])
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

    original = _classic(case)
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

    garbled = mis_decode(_single("prose-2020-09-18"), "cp1252")
    card = parse_card(garbled, repair=False)
    assert (card.layout, card.layout_mojibake, card.layout_padding) == ("prose-2020-09-18", "cp1252", 37)
    assert render_card(card, card.layout) == garbled


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
        text = mis_decode(_classic("two users, a BOT name, quotes and ampersands"), "cp1254")
    else:
        text = _classic(case) if layout == "classic" else _single(case)
    readme, manifest = tmp_path / "README.md", tmp_path / "card.json"
    readme.write_bytes(text.encode("utf-8"))
    root = Path(__file__).resolve().parents[1]
    run = [sys.executable, "-m", "publisher"]
    parsed = subprocess.run([*run, "parse", str(readme), "-o", str(manifest)], capture_output=True, cwd=root)
    assert parsed.returncode == 0, parsed.stderr
    assert f"{layout} layout".encode() in parsed.stderr
    rendered = subprocess.run(
        [*run, "render", str(manifest), "--template", layout], capture_output=True, cwd=root
    )
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stdout == text.encode("utf-8")


@pytest.mark.parametrize(("layout", "case", "text"), _all_cards(), ids=[c[1] for c in _all_cards()])
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
    text = _single("classic-2021-05-07-single")
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
    edited = _single(case).replace("## How does it work?", "## How does it work? (edited)", 1)
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
