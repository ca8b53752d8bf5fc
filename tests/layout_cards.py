"""Cards of every historical huggingtweets layout, made the way the notebooks made them (shared test data).

The goldens are not written by publisher: `notebook_card` fills huggingtweets' own model_card/README.md of
that date (tests/fixtures/cards/notebook/<commit>.md, the files as they were) with invented data, with the
notebook's algorithm: `for k, v in card_val.items(): card = card.replace(k, v)`, card_val in the order that
era's notebook first assigned its keys. Quirks included: a "BOT" inside a name on a multi-user card, the
random-size padding comment, the day the notebook forgot WANDB_TRAIN (2020-07-29), http:// previews.
Used by test_card_layouts (parse and re-render) and test_regenerate_layouts (regenerate over a hub of them).
"""

from __future__ import annotations

from pathlib import Path

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


def classic_case(case: str) -> str:
    users, thumbnail = CLASSIC_CASES[case]
    return notebook_card("c74eb83", classic_card_val(users, thumbnail))


def single_case(case: str) -> str:
    commit, card_val = SINGLE_CASES[case]
    return notebook_card(commit, card_val)


def all_cards() -> list[tuple[str, str, str]]:
    cards = [("classic", case, classic_case(case)) for case in CLASSIC_CASES]
    cards += [(case.split(" ")[0], case, single_case(case)) for case in SINGLE_CASES]
    return cards
