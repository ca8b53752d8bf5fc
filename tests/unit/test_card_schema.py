"""card.schema.json, the published JSON Schema of card.json, agrees with the manifest loader.

The loader (publisher.card.manifest) is the authority; the schema is for editors and other tools. These tests
keep the two from drifting: every card.json the project has validates, the schema's constants are the code's,
and a few invalid manifests are refused by both, the loader naming the same field the schema points at.
"""

from __future__ import annotations

import copy
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from layout_cards import all_cards

from publisher.card import manifest
from publisher.card.check import KNOWN_LICENSES, claims_default_template
from publisher.card.manifest import card_from_dict, card_to_dict, load_manifest
from publisher.card.parse import parse_card
from publisher.card.text import CARD_MOJIBAKE
from publisher.errors import ManifestError
from publisher.naming import CARD_HANDLE_PATTERN

# a dev extra (pyproject.toml); skipped, not failed, in a virtualenv made before it was added (`make install`)
jsonschema = pytest.importorskip("jsonschema")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cards"
MANIFESTS = sorted(FIXTURES.glob("*.json"))
# the legacy cards (notebook/ holds unfilled templates; a card publisher rendered has its card.json already)
GOLDEN_CARDS = [
    p for p in sorted(FIXTURES.glob("*.md")) if not claims_default_template(p.read_text(encoding="utf-8"))
]


def _schema() -> dict[str, Any]:
    return json.loads(
        resources.files("publisher.card").joinpath("card.schema.json").read_text(encoding="utf-8")
    )


def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(_schema())


def _schema_errors(data: Any) -> list[str]:
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in _validator().iter_errors(data)]


def test_the_schema_is_a_valid_draft_2020_12_schema_shipped_with_the_package():
    jsonschema.Draft202012Validator.check_schema(_schema())


@pytest.mark.parametrize("path", MANIFESTS, ids=[p.name for p in MANIFESTS])
def test_every_fixture_card_json_validates(path):
    load_manifest(path)  # the loader accepts it ...
    assert _schema_errors(json.loads(path.read_text(encoding="utf-8"))) == []  # ... and so does the schema


@pytest.mark.parametrize("path", MANIFESTS, ids=[p.name for p in MANIFESTS])
def test_every_card_json_the_loader_writes_validates(path):
    """card_to_dict writes every field, nulls included: the schema accepts that form too."""
    assert _schema_errors(card_to_dict(load_manifest(path))) == []


@pytest.mark.parametrize("path", GOLDEN_CARDS, ids=[p.name for p in GOLDEN_CARDS])
def test_the_manifest_of_every_golden_card_validates(path):
    card = parse_card(path.read_text(encoding="utf-8"), repair=False)
    assert _schema_errors(card_to_dict(card)) == []


def test_the_manifest_of_every_historical_layout_validates():
    for _layout, case, text in all_cards():
        assert _schema_errors(card_to_dict(parse_card(text, repair=False))) == [], case


def test_the_schema_constants_are_the_loaders():
    schema = _schema()
    top, defs = schema["properties"], schema["$defs"]
    assert top["license"]["enum"] == sorted(KNOWN_LICENSES)
    assert top["users"]["maxItems"] == manifest.MAX_USERS
    assert top["layout_mojibake"]["anyOf"][1]["enum"] == list(CARD_MOJIBAKE)
    assert top["layout"]["anyOf"][1]["pattern"] == manifest.LAYOUT_PATTERN.pattern
    assert top["layout_padding"]["anyOf"][1]["maximum"] == manifest.MAX_LAYOUT_PADDING
    assert top["language"]["anyOf"][1]["pattern"] == manifest.LANGUAGE_PATTERN.pattern
    assert defs["user"]["properties"]["handle"]["pattern"] == CARD_HANDLE_PATTERN.pattern
    assert defs["wandb_id"]["pattern"] == manifest.WANDB_ID_PATTERN.pattern
    picture = top["pictures"]["anyOf"][1]["properties"]["preview"]["anyOf"][1]["pattern"]
    assert picture == manifest.PICTURE_PATH_PATTERN.pattern
    assert set(top) == set(manifest.TOP_LEVEL_KEYS)


def _full() -> dict[str, Any]:
    return json.loads((FIXTURES / "full.json").read_text(encoding="utf-8"))


def _set(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(data)
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


_DELETE = object()
INVALID = [
    # (where, value, the field the loader names)
    (("users",), _DELETE, "users"),
    (("users",), [], "users"),
    (("users", 0, "handle"), "@dril", "users[0].handle"),
    (("users", 0, "name"), " ", "users[0].name"),
    (("users", 0, "nickname"), "x", "users[0].nickname"),
    (("users", 1, "stats", "kept"), -1, "users[1].stats.kept"),
    (("users", 0, "avatar_url"), "javascript:alert(1)", "users[0].avatar_url"),
    (("wandb", "app_url"), "ftp://wandb.ai", "wandb.app_url"),
    (("wandb", "train_run"), "run id", "wandb.train_run"),
    (("repo_id",), "huggingtweets/a--b", "repo_id"),
    (("base_model",), "x.git", "base_model"),
    (("license",), "no-such-license", "license"),
    (("schema_version",), 2, "schema_version"),
    (("widget", 0), "", "widget[0]"),
    (("samples", 0, "text"), _DELETE, "samples[0].text"),
    (("training", "metrics", "eval_loss"), "low", "training.metrics.eval_loss"),
    (("layout_padding",), 1001, "layout_padding"),
    (("layout_mojibake",), "utf-16", "layout_mojibake"),
    (("pictures",), {"preview": "../secret.png"}, "pictures.preview"),
]


@pytest.mark.parametrize(("where", "value", "field"), INVALID, ids=[case[2] for case in INVALID])
def test_the_schema_and_the_loader_refuse_the_same_invalid_manifests(where, value, field):
    data = _set(_full(), where, value)
    with pytest.raises(ManifestError) as info:
        card_from_dict(data)
    assert info.value.field == field
    errors = list(_validator().iter_errors(data))
    assert errors, f"the schema accepts what the loader refuses ({field})"
    # the schema points at the field or at the object holding it (under anyOf/null it reports the parent)
    dotted = re.sub(r"\[(\d+)\]", r".\1", field)
    paths = [".".join(map(str, e.absolute_path)) for e in errors]
    assert any(dotted == path or dotted.startswith(path + ".") or not path for path in paths), paths
