"""`check_card_text`: the Hub's front-matter parse and the offline metadata rules, with line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from publisher.card.check import check_card_text, has_errors
from publisher.card.frontmatter import FrontMatterError, parse_front_matter, split_front_matter

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "cards"

GOOD = """---
language: en
license: mit
library_name: transformers
pipeline_tag: text-generation
base_model: openai-community/gpt2
tags:
- huggingtweets
widget:
- text: My dream is
  output:
    text: My dream is to fly
model-index:
- name: huggingtweets/dril
  results:
  - task:
      type: text-generation
    dataset:
      type: tweets
      name: Tweets
    metrics:
    - type: perplexity
      value: 22.2
---

# Hello
"""


def _golden(name: str) -> str:
    return (GOLDEN / f"{name}.md").read_text(encoding="utf-8")


def test_good_card_has_no_problems_even_when_strict():
    assert check_card_text(GOOD) == []
    assert check_card_text(GOOD, require_default_fields=True) == []


@pytest.mark.parametrize("name", ["k_saifullaah", "purefulsoul-turtlebreezee-wnrstweets"])
def test_legacy_cards_pass_the_hub_rules_but_lack_the_default_template_fields(name):
    text = _golden(name)
    assert check_card_text(text) == []
    strict = check_card_text(text, require_default_fields=True)
    errors = [p.message for p in strict if p.severity == "error"]
    assert len(errors) == 2 and "'library_name' is missing" in errors[0] and "pipeline_tag" in errors[1]


def test_a_string_where_the_hub_accepts_one_passes_and_only_strict_wants_a_list():
    text = GOOD.replace("tags:\n- huggingtweets", "tags: huggingtweets\ndatasets: glue\nmetrics: acc", 1)
    assert not [p for p in check_card_text(text) if p.severity == "error"]
    strict = [p.message for p in check_card_text(text, require_default_fields=True) if p.severity == "error"]
    assert "'tags' must be a list of strings" in strict and "'datasets' must be a list of strings" in strict


@pytest.mark.parametrize(
    ("replace", "by", "line", "message"),
    [
        ("license: mit", "license: mitt", 3, "not a Hub license id"),
        ("pipeline_tag: text-generation", "pipeline_tag: text-gen", 5, "not a Hub task id"),
        ("language: en", "language: English", 2, "ISO 639"),
        ("- text: My dream is\n", "- txt: My dream is\n", 10, "widget[0] needs a 'text' string"),
        (
            "    text: My dream is to fly",
            "    - My dream is to fly",
            11,
            "widget[0].output must be a mapping",
        ),
        ("tags:\n- huggingtweets", "tags: 3", 7, "'tags' must be a string or a list of strings"),
        ("      name: Tweets\n", "", 18, "dataset needs 'type' and 'name'"),
        ("      value: 22.2\n", "", 22, "metrics[0] needs 'type' and 'value'"),
        ("base_model: openai-community/gpt2", "base_model: not a repo", 6, "not a Hub model id"),
        ("language: en", "language: en\nlicense: apache-2.0", 4, "duplicate key 'license'"),
        (
            "library_name: transformers",
            "library_name: transformers\nthumbnail: javascript:alert(1)",
            5,
            "https://",
        ),
    ],
)
def test_bad_metadata_is_an_error_on_its_line(replace, by, line, message):
    text = GOOD.replace(replace, by, 1)
    assert text != GOOD
    problems = check_card_text(text)
    matching = [p for p in problems if message in p.message]
    assert matching, problems
    assert matching[0].severity == "error" and matching[0].line == line


def test_invalid_yaml_is_reported_with_its_line():
    problems = check_card_text("---\nlanguage: en\ntags: [a, b\nwidget: x\n---\nbody\n")
    assert len(problems) == 1 and problems[0].severity == "error"
    assert "invalid YAML" in problems[0].message and problems[0].line in (3, 4, 5)


def test_unclosed_front_matter_and_non_mapping_are_errors():
    assert check_card_text("---\nlanguage: en\nbody\n")[0].message.startswith("front matter starts with")
    problems = check_card_text("---\n- a\n- b\n---\nbody\n")
    assert problems[0].severity == "error" and "mapping" in problems[0].message


def test_http_thumbnail_is_a_warning_for_the_hub_and_an_error_for_the_default_template():
    text = GOOD.replace("tags:", "thumbnail: http://www.huggingtweets.com/x/1/predictions.png\ntags:")
    lenient = check_card_text(text)
    assert [p.severity for p in lenient] == ["warning"] and lenient[0].line == 7
    assert has_errors(check_card_text(text, require_default_fields=True))


def test_card_without_metadata_is_a_warning_unless_default_fields_are_required():
    assert [p.severity for p in check_card_text("# just text\n")] == ["warning"]
    assert has_errors(check_card_text("# just text\n", require_default_fields=True))


def test_parse_front_matter_matches_what_the_hub_stores_as_card_data():
    text = _golden("k_saifullaah")
    assert parse_front_matter(text) == {
        "language": "en",
        "thumbnail": "https://github.com/borisdayma/huggingtweets/blob/master/img/logo.png?raw=true",
        "tags": ["huggingtweets"],
        "widget": [{"text": "My dream is"}],
    }
    assert parse_front_matter("no metadata") == {}
    assert parse_front_matter("---\n---\nbody") == {}


def test_split_front_matter_returns_body_and_its_first_line():
    data, body, line = split_front_matter("---\r\na: 1\r\n---\r\nbody\r\n")
    assert data == {"a": 1} and body == "body\r\n" and line == 4
    assert split_front_matter("plain") == (None, "plain", 1)
    with pytest.raises(FrontMatterError) as info:
        split_front_matter("---\na: [\n---\n")
    assert info.value.line is not None
