"""`parse_card`: classic cards back to manifests; parse -> render classic gives the original bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from publisher.card.manifest import load_manifest
from publisher.card.model import Card, User, UserStats, WandbInfo
from publisher.card.parse import classic_round_trip, parse_card
from publisher.card.render import render_card
from publisher.errors import EXIT_BAD_INPUT, UnsupportedLayoutError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cards"
REFERENCE_CARDS = ["k_saifullaah", "purefulsoul-turtlebreezee-wnrstweets"]


def _read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", REFERENCE_CARDS)
def test_parse_then_render_classic_gives_back_the_reference_bytes(name):
    text = _read(f"{name}.md")
    assert render_card(parse_card(text), "classic").encode("utf-8") == (FIXTURES / f"{name}.md").read_bytes()


@pytest.mark.parametrize("name", REFERENCE_CARDS)
def test_parse_recovers_the_fixture_manifest(name):
    assert parse_card(_read(f"{name}.md")) == load_manifest(FIXTURES / f"{name}.json")


def test_parse_recovers_users_stats_wandb_thumbnail_widget_and_language():
    card = parse_card(_read("purefulsoul-turtlebreezee-wnrstweets.md"))
    assert [u.handle for u in card.users] == ["purefulsoul", "turtlebreezee", "wnrstweets"]
    assert [u.name for u in card.users] == ["🍂", "🐢", "We’re Not Really Strangers"]
    assert card.users[1].stats == UserStats(downloaded=3229, retweets=20, short=304, kept=2905)
    assert (
        card.users[2].avatar_url
        == "https://pbs.twimg.com/profile_images/1298808587070840834/L82EHBfC_400x400.jpg"
    )
    assert card.wandb.preprocess_run == "2qftmfj6" and card.wandb.train_run == "2tfqt7kw"
    assert (card.wandb.app_url, card.wandb.entity, card.wandb.project) == (
        "https://wandb.ai",
        "wandb",
        "huggingtweets",
    )
    assert card.thumbnail.endswith("/1629924128930/predictions.png")
    assert card.widget == ["My dream is"] and card.language == "en" and card.repo_id is None


def test_escaped_names_with_separators_round_trip():
    text = _read("full.classic.md")
    card = parse_card(text)
    assert card.users[1].name == 'ROBOTICS | Lab: "bots" & <friends>'
    assert render_card(card, "classic") == text


def test_round_trip_holds_for_unusual_but_valid_cards():
    card = Card(
        users=[
            User("zed", "Zed & Co", stats=UserStats(5, 1, -2, 6)),
            User("amy", "Amy | A.", avatar_url=None),
        ],
        wandb=WandbInfo(app_url="https://app.wandb.ai", entity="me", project="p", train_run="abc"),
        thumbnail=None,
        language=None,
        widget=['Hello "world"', "I think"],
        repo_id="someone/custom-name",
    )
    text = render_card(card, "classic")
    assert render_card(parse_card(text), "classic") == text
    assert parse_card(text).repo_id == "someone/custom-name"


@pytest.mark.parametrize(
    ("edit", "old", "new"),
    [
        ("added paragraph", "## Limitations and bias", "Follow me for more!\n\n## Limitations and bias"),
        ("changed sentence", "The model uses the following pipeline.", "The model uses this pipeline."),
        ("front matter key", "tags:\n", "license: mit\ntags:\n"),
    ],
)
def test_hand_edited_classic_card_still_parses_and_is_detected_as_edited(edit, old, new):
    original = _read("k_saifullaah.md")
    edited = original.replace(old, new, 1)
    assert edited != original, edit
    card = parse_card(edited)
    assert card.users[0].handle == "k_saifullaah" and card.users[0].stats.kept == 1638
    assert render_card(card, "classic") != edited
    assert classic_round_trip(edited).status == "edited"
    assert classic_round_trip(original).status == "unedited"


def test_mojibake_card_is_repaired_and_lossy_names_are_kept_with_warnings():
    original = _read("purefulsoul-turtlebreezee-wnrstweets.md")
    broken = original.encode("utf-8").decode(
        "cp1254", errors="ignore"
    )  # 🤖 -> ğŸ¤–, ’ -> â€™, 🍂 loses a byte
    assert "ğŸ¤– AI CYBORG ğŸ¤–" in broken and "Weâ€™re" in broken
    result = classic_round_trip(broken)
    assert result.status == "mojibake" and result.mojibake_repairs == 1
    names = [u.name for u in result.card.users]
    assert names == ["ğŸ‚", "ğŸ¢", "We’re Not Really Strangers"]
    lossy = [w for w in result.card.warnings if w.startswith("mojibake not repaired")]
    assert [w.split(":")[0] for w in lossy] == [
        "mojibake not repaired in users[0].name",
        "mojibake not repaired in users[1].name",
    ]
    regenerated = render_card(result.card, "classic")
    assert "🤖 AI CYBORG 🤖" in regenerated and "We’re" in regenerated and "â€" not in regenerated


def test_http_thumbnails_are_kept_as_written_with_a_warning():
    """Cause 1: from December 2021 on, cards carry http://www.huggingtweets.com/.../predictions.png."""
    original = _read("k_saifullaah.md")
    text = original.replace(
        "thumbnail: https://github.com/borisdayma/huggingtweets/blob/master/img/logo.png?raw=true",
        "thumbnail: http://www.huggingtweets.com/k_saifullaah/1640000000000/predictions.png",
    )
    assert text != original
    card = parse_card(text)
    assert card.thumbnail == "http://www.huggingtweets.com/k_saifullaah/1640000000000/predictions.png"
    assert "thumbnail: insecure http:// URL (kept as written)" in card.warnings
    assert classic_round_trip(text).status == "unedited"
    assert render_card(card, "classic") == text


@pytest.mark.parametrize(
    "thumbnail", ["javascript:alert(1)", "data:image/png;base64,AAAA", "file:///etc/passwd"]
)
def test_other_thumbnail_schemes_stay_errors(thumbnail):
    text = _read("k_saifullaah.md").replace(
        "https://github.com/borisdayma/huggingtweets/blob/master/img/logo.png?raw=true", thumbnail
    )
    with pytest.raises(UnsupportedLayoutError, match="thumbnail"):
        parse_card(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# My model\n\nA fine model.\n", "unknown card layout"),
        ("---\nlanguage: en\n---\n\n# Model card for gpt2\n", "unknown card layout"),
        ("---\nlanguage: [en\n---\nbody\n", "not valid YAML"),
    ],
)
def test_unknown_layouts_are_an_error_that_says_so(text, message):
    with pytest.raises(UnsupportedLayoutError, match=message) as info:
        parse_card(text, source="README.md")
    assert str(info.value).startswith("README.md: ")
    assert info.value.exit_code == EXIT_BAD_INPUT


def test_a_card_rendered_by_the_default_template_points_to_its_manifest():
    text = render_card(load_manifest(FIXTURES / "k_saifullaah.json"))
    with pytest.raises(UnsupportedLayoutError, match="use the card.json"):
        parse_card(text)


def test_classic_card_without_its_handle_line_still_parses_and_is_edited():
    text = _read("k_saifullaah.md").replace(
        '<div style="text-align: center; font-size: 14px;">@k_saifullaah</div>', ""
    )
    result = classic_round_trip(text)
    assert result.card.handles == ["k_saifullaah"] and result.status == "edited"


def test_classic_signature_without_any_handle_is_unsupported():
    text = _read("k_saifullaah.md").replace("k_saifullaah", "")
    with pytest.raises(UnsupportedLayoutError, match="handles"):
        parse_card(text)
