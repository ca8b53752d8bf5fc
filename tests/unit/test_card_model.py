"""card.json: validation names the bad field, round trips are exact, files are written atomically."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import pytest

from publisher.card.manifest import (
    card_from_dict,
    card_to_dict,
    dumps_manifest,
    load_manifest,
    loads_manifest,
    write_manifest,
)
from publisher.card.model import Card, User
from publisher.errors import EXIT_BAD_INPUT, ManifestError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cards"


def _three_users() -> dict:
    """The reference card's manifest as a hand-written one (no legacy `layout`)."""
    data = json.loads((FIXTURES / "purefulsoul-turtlebreezee-wnrstweets.json").read_text(encoding="utf-8"))
    data.pop("layout")
    return data


@pytest.mark.parametrize("name", ["k_saifullaah", "purefulsoul-turtlebreezee-wnrstweets"])
def test_fixture_manifest_round_trips_byte_for_byte(name):
    path = FIXTURES / f"{name}.json"
    card = load_manifest(path)
    assert dumps_manifest(card) == path.read_text(encoding="utf-8")
    assert card_from_dict(card_to_dict(card)) == card


def test_minimal_manifest_gets_documented_defaults():
    card = card_from_dict({"users": [{"handle": "dril", "name": "wint"}]})
    assert card.schema_version == 1
    assert card.language == "en"
    assert card.widget == ["My dream is"]
    assert card.base_model == "openai-community/gpt2"
    assert card.license == "mit"
    assert card.samples == [] and card.training is None and card.wandb is None


def test_effective_repo_id_sorts_handles_and_prefers_explicit_repo_id():
    card = _card_with_handles("zeta", "alpha", "mid")
    assert card.effective_repo_id() == "huggingtweets/alpha-mid-zeta"
    assert card.effective_repo_id("me") == "me/alpha-mid-zeta"
    card.repo_id = "org/custom"
    assert card.effective_repo_id() == "org/custom"


def _card_with_handles(*handles: str) -> Card:
    return Card(users=[User(handle=h, name=h.title()) for h in handles])


def test_unknown_top_level_keys_pass_through_untouched():
    data = _three_users()
    data["x_future"] = {"nested": [1, 2]}
    card = card_from_dict(data)
    assert card.extra == {"x_future": {"nested": [1, 2]}}
    assert card_to_dict(card)["x_future"] == {"nested": [1, 2]}
    assert card.warnings == ["x_future: unknown field, kept in card.json as is (not shown on the card)"]


@pytest.mark.parametrize(
    ("typo", "known"),
    [
        ("lisence", "license"),
        ("License", "license"),
        ("base-model", "base_model"),
        ("widgets", "widget"),
        ("languge", "language"),
        ("thumbnails", "thumbnail"),
    ],
)
def test_a_misspelt_top_level_key_is_an_error_naming_the_known_key(typo, known):
    data = _three_users()
    data[typo] = "apache-2.0"
    with pytest.raises(ManifestError) as caught:
        card_from_dict(data, source="card.json")
    assert caught.value.field == typo
    assert str(caught.value) == f"card.json: {typo}: unknown field: did you mean `{known}`?"


@pytest.mark.parametrize(
    ("mutate", "field", "message"),
    [
        (lambda d: d["users"][1]["stats"].update(kept=-1), "users[1].stats.kept", "must be an integer >= 0"),
        (
            lambda d: d["users"][1]["stats"].update(kept="12"),
            "users[1].stats.kept",
            "must be an integer >= 0",
        ),
        (lambda d: d["users"][0]["stats"].update(downloaded=True), "users[0].stats.downloaded", "integer"),
        (lambda d: d["users"][2]["stats"].pop("retweets"), "users[2].stats.retweets", "is required"),
        (lambda d: d["users"][0].update(handle="@purefulsoul"), "users[0].handle", "handle"),
        (lambda d: d["users"][0].update(name=""), "users[0].name", "non-empty"),
        (lambda d: d["users"][0].update(name=5), "users[0].name", "must be a string"),
        (
            lambda d: d["users"][1].update(avatar_url="file:///pbs.twimg.com/a.jpg"),
            "users[1].avatar_url",
            "https://",
        ),
        (lambda d: d["users"][1].update(avatar_url="javascript:alert(1)"), "users[1].avatar_url", "https://"),
        (lambda d: d["users"][1].update(avatar_url="https://x.y/a.jpg');x"), "users[1].avatar_url", "quotes"),
        (lambda d: d["users"][2].update(handle="PurefulSoul"), "users[2].handle", "duplicate handle"),
        (lambda d: d["users"][0].update(avatar="https://x"), "users[0].avatar", "unknown field"),
        (lambda d: d.update(users=[]), "users", "1 to 64 users"),
        (
            lambda d: d.update(users=[{"handle": f"u{i}", "name": "U"} for i in range(65)]),
            "users",
            "1 to 64 users",
        ),
        (lambda d: d.update(users=d["users"] + [d["users"][0]]), "users[3].handle", "duplicate handle"),
        (lambda d: d.update(layout="Classic!"), "layout", "template name"),
        (lambda d: d.update(layout_padding=-1), "layout_padding", "integer"),
        (lambda d: d.pop("users"), "users", "is required"),
        (lambda d: d.update(thumbnail="ftp://example.com/t.png"), "thumbnail", "https://"),
        (lambda d: d.update(language="English!"), "language", "language code"),
        (lambda d: d.update(license="gpl-99"), "license", "license id"),
        (lambda d: d.update(widget="My dream is"), "widget", "JSON array"),
        (lambda d: d.update(widget=["ok", ""]), "widget[1]", "non-empty"),
        (lambda d: d.update(schema_version=2), "schema_version", "unsupported"),
        (lambda d: d.update(repo_id="no spaces/allowed here"), "repo_id", "repo id"),
        (lambda d: d["wandb"].update(train_run="a/b"), "wandb.train_run", "W&B id"),
        (lambda d: d.update(samples=[{"prompt": "x"}]), "samples[0].text", "must be a string"),
        (
            lambda d: d.update(training={"metrics": {"eval_loss": "low"}}),
            "training.metrics.eval_loss",
            "number",
        ),
        (
            lambda d: d.update(training={"hyperparameters": {"lr": [1]}}),
            "training.hyperparameters.lr",
            "string",
        ),
    ],
)
def test_invalid_manifest_error_names_the_field(mutate, field, message):
    data = copy.deepcopy(_three_users())
    mutate(data)
    with pytest.raises(ManifestError) as info:
        card_from_dict(data, source="card.json")
    assert info.value.field == field
    assert message in str(info.value)
    assert str(info.value).startswith(f"card.json: {field}: ")
    assert info.value.exit_code == EXIT_BAD_INPUT


def test_stats_invariant_violation_and_negative_short_are_warnings_not_errors():
    data = _three_users()
    data["users"][0]["stats"] = {"downloaded": 100, "retweets": 10, "short": -5, "kept": 90}
    data["users"][1]["stats"]["kept"] = 1
    card = card_from_dict(data)
    assert card.users[0].stats.short == -5
    assert any("users[0].stats.short: negative" in w for w in card.warnings)
    assert any(
        w.startswith("users[1].stats: downloaded (3229) != retweets + short + kept") for w in card.warnings
    )


def test_mojibake_in_names_is_repaired_on_load_with_a_warning():
    data = _three_users()
    data["users"][2]["name"] = "Weâ€™re Not Really Strangers"
    data["widget"] = ["ðŸ¤– says"]
    card = card_from_dict(data)
    assert card.users[2].name == "We’re Not Really Strangers"
    assert card.widget == ["🤖 says"]
    repaired = [w for w in card.warnings if w.startswith("mojibake")]
    assert len(repaired) == 2 and "users[2].name" in repaired[0]


def test_a_manifest_parsed_from_a_legacy_card_keeps_its_text_as_written():
    """So `render --template LAYOUT` gives the card back byte for byte; regenerate repairs it."""
    data = _three_users()
    data["users"][2]["name"] = "Weâ€™re Not Really Strangers"
    data["layout"] = "classic"
    assert card_from_dict(data).users[2].name == "Weâ€™re Not Really Strangers"
    assert card_from_dict(data, repair=True).users[2].name == "We’re Not Really Strangers"


def test_lossy_mojibake_is_kept_and_warned_naming_the_field():
    data = _three_users()
    data["users"][0]["name"] = "ğŸ‚"
    card = card_from_dict(data)
    assert card.users[0].name == "ğŸ‚"
    assert any(w.startswith("mojibake not repaired in users[0].name") for w in card.warnings)


def test_load_manifest_reports_json_syntax_errors_with_line(tmp_path):
    path = tmp_path / "card.json"
    path.write_text('{\n  "users": [\n    {"handle": "a",}\n  ]\n}\n', encoding="utf-8")
    with pytest.raises(ManifestError, match=r"card.json: invalid JSON at line 3"):
        load_manifest(path)


def test_load_manifest_rejects_duplicate_keys_missing_files_and_non_utf8(tmp_path):
    dup = tmp_path / "dup.json"
    dup.write_text('{"users": [], "users": []}', encoding="utf-8")
    with pytest.raises(ManifestError, match="duplicate key 'users'"):
        load_manifest(dup)
    with pytest.raises(ManifestError, match="file not found"):
        load_manifest(tmp_path / "missing.json")
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"users": [{"handle": "a", "name": "café"}]}'.encode("cp1252"))
    with pytest.raises(ManifestError, match="not valid UTF-8"):
        load_manifest(latin)


def test_write_manifest_is_utf8_deterministic_and_leaves_no_temp_files(tmp_path):
    card = card_from_dict(_three_users())
    target = tmp_path / "card.json"
    write_manifest(card, target)
    first = target.read_bytes()
    write_manifest(load_manifest(target), target)
    assert target.read_bytes() == first
    assert "🍂".encode() in first and first.endswith(b"}\n")
    assert [p.name for p in tmp_path.iterdir()] == ["card.json"]


def test_http_urls_are_kept_as_written_with_a_warning():
    data = _three_users()
    data["thumbnail"] = "http://www.huggingtweets.com/a-b-c/1640000000000/predictions.png"
    data["users"][0]["avatar_url"] = "http://pbs.twimg.com/profile_images/1/a_400x400.jpg"
    card = card_from_dict(data)
    assert card.thumbnail == data["thumbnail"]
    assert card.users[0].avatar_url == data["users"][0]["avatar_url"]
    assert "thumbnail: insecure http:// URL (kept as written)" in card.warnings
    assert "users[0].avatar_url: insecure http:// URL (kept as written)" in card.warnings


def test_six_users_are_a_valid_manifest():
    data = _three_users()
    data["users"] += [{"handle": f"extra{i}", "name": f"Extra {i}"} for i in range(3)]
    assert len(card_from_dict(data).users) == 6


def test_layout_fields_are_written_only_when_set_so_old_manifests_keep_their_bytes():
    text = (FIXTURES / "full.json").read_text(encoding="utf-8")
    card = loads_manifest(text)
    assert card.layout is None and dumps_manifest(card) == text
    padded = dataclasses.replace(card, layout="prose-2020-09-18", layout_padding=17)
    again = loads_manifest(dumps_manifest(padded))
    assert (again.layout, again.layout_padding) == ("prose-2020-09-18", 17)
