"""Rendering: golden bytes for both templates, escaping of untrusted text, determinism, template lookup."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from publisher.card.check import check_card_text
from publisher.card.frontmatter import parse_front_matter, split_front_matter
from publisher.card.layouts import LAYOUT_NAMES
from publisher.card.manifest import card_from_dict, load_manifest
from publisher.card.model import Card, Sample, User, UserStats
from publisher.card.parse import parse_card
from publisher.card.render import html_attribute, html_text, render_card
from publisher.card.templates import available_templates
from publisher.errors import TemplateError

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cards"
REFERENCE_CARDS = ["k_saifullaah", "purefulsoul-turtlebreezee-wnrstweets"]


def _fixture(name: str) -> Card:
    return load_manifest(FIXTURES / f"{name}.json")


def _read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", REFERENCE_CARDS)
def test_classic_reproduces_the_reference_card_byte_for_byte(name):
    rendered = render_card(_fixture(name), "classic")
    assert rendered.encode("utf-8") == (FIXTURES / f"{name}.md").read_bytes()


@pytest.mark.parametrize(
    ("template", "golden"), [("huggingtweets", "full.huggingtweets.md"), ("classic", "full.classic.md")]
)
def test_full_manifest_matches_its_golden_card(template, golden):
    assert render_card(_fixture("full"), template) == _read(golden)


@pytest.mark.parametrize("name", [*REFERENCE_CARDS, "full"])
def test_default_template_output_passes_check_with_default_fields_required(name):
    text = render_card(_fixture(name))
    assert check_card_text(text, require_default_fields=True) == []


def test_default_front_matter_has_what_the_hub_expects():
    meta = parse_front_matter(render_card(_fixture("full")))
    assert meta["library_name"] == "transformers"
    assert meta["pipeline_tag"] == "text-generation"
    assert meta["base_model"] == "openai-community/gpt2"
    assert meta["license"] == "mit" and meta["language"] == "en"
    assert meta["tags"] == ["huggingtweets", "dril", "robotics_lab"]
    assert meta["widget"][0] == {"text": "My dream is", "output": {"text": _fixture("full").samples[0].text}}
    assert meta["widget"][1] == {"text": "I think that"}
    metrics = meta["model-index"][0]["results"][0]["metrics"]
    assert [(m["type"], m["value"]) for m in metrics] == [("loss", 3.1023), ("perplexity", 22.2468)]
    assert meta["model-index"][0]["name"] == "huggingtweets/dril-robotics_lab"
    assert "thumbnail" not in meta


def test_default_template_shows_optional_sections_only_with_data():
    bare = card_from_dict({"users": [{"handle": "dril", "name": "wint"}]})
    text = render_card(bare)
    for heading in (
        "## Sample generations",
        "### Training hyperparameters",
        "## Evaluation results",
        "## Intended use",
    ):
        assert heading not in text
        assert heading in render_card(_fixture("full"))
    assert "model-index" not in parse_front_matter(text)
    assert "| Data |" not in text and "W&B training run" not in text
    assert check_card_text(text, require_default_fields=True) == []


def test_usage_snippet_names_the_real_repo_id():
    card = _fixture("k_saifullaah")
    assert 'model="huggingtweets/k_saifullaah"' in render_card(card)
    assert 'model="someone/k_saifullaah"' in render_card(card, namespace="someone")
    card.repo_id = "org/my-bot"
    assert 'model="org/my-bot"' in render_card(card)
    assert "model='org/my-bot'" in render_card(card, "classic")


def _hostile_card() -> Card:
    names = ["<script>alert('x')</script> | pipe", 'Line\nbreak: "quoted" # not a comment', "---\nkey: value"]
    users = [
        User(handle=f"user{i}", name=name, stats=UserStats(10, 1, 2, 7), avatar_url=None)
        for i, name in enumerate(names)
    ]
    return Card(
        users=users,
        widget=["key: value # comment", "---", 'She said "hi" & left\nnext'],
        samples=[Sample(prompt="key: value # comment", text="</div><img src=x onerror=alert(1)>\n---\n```")],
    )


def test_hostile_names_and_prompts_cannot_break_html_markdown_or_yaml():
    card = _hostile_card()
    text = render_card(card, "huggingtweets")
    meta, body, _ = split_front_matter(text)
    assert [w["text"] for w in meta["widget"]] == card.widget
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "<img" not in body.split("```")[0]
    assert not [p for p in check_card_text(text) if p.severity == "error"]
    rows = [line for line in body.splitlines() if line.startswith("| Tweets kept")]
    assert rows == ["| Tweets kept | 7 | 7 | 7 |"]
    header = next(line for line in body.splitlines() if line.startswith("| Data |"))
    assert len(re.findall(r"(?<!\\)\|", header)) == 5  # 4 cell borders + 1 escaped pipe left unsplit
    assert "\\| pipe" in header and "Line break" in header


def test_classic_escapes_markup_in_names_but_writes_the_rest_as_the_notebook_did():
    """The legacy layouts keep the notebook's raw " | " table (real cards look like that) but never let a
    name open a tag: the only bytes that differ from the notebook's are those a browser would run."""
    card = _hostile_card()
    text = render_card(card, "classic")
    meta, body, _ = split_front_matter(text)
    assert [w["text"] for w in meta["widget"]] == card.widget
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "<img" not in body
    assert not [p for p in check_card_text(text) if p.severity == "error"]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("haley o'shaughnessy", "haley o'shaughnessy"),
        ('say "hi"', 'say "hi"'),
        ("Tom & Jerry", "Tom & Jerry"),
        ("AT&T", "AT&T"),
        ("i <3 cats >_<", "i <3 cats >_<"),
        ("R&amp;D", "R&amp;amp;D"),
        ("&copy", "&amp;copy"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("a <!-- b", "a &lt;!-- b"),
    ],
)
def test_html_text_escapes_only_what_starts_markup(name, text):
    assert html_text(name) == text
    rendered = render_card(Card(users=[User("a", name, stats=UserStats(3, 1, 1, 1))]), "classic")
    assert f'font-weight: 800">{text}</div>' in rendered
    assert parse_card(rendered).users[0].name == name


def test_html_attribute_escapes_quotes_too():
    assert html_attribute("""a'b"c<d>e&f&amp;""") == "a&#39;b&quot;c&lt;d&gt;e&f&amp;amp;"


def test_classic_names_go_through_the_notebooks_replacements_in_order():
    """card_val was filled in order: USER_NAME before BOT, TABLE_USER after it. So on a multi-user card a
    name containing BOT reads CYBORG in the names line, and stays as it is in the table header."""
    stats = UserStats(3, 1, 1, 1)
    card = Card(users=[User("a", "ROBOTICS BOT", stats=stats), User("b", "Bob", stats=stats)])
    text = render_card(card, "classic")
    assert 'font-weight: 800">ROCYBORGICS CYBORG & Bob</div>' in text
    assert "The model was trained on tweets from ROCYBORGICS CYBORG & Bob." in text
    assert "| Data | ROBOTICS BOT | Bob |" in text
    assert [u.name for u in parse_card(text).users] == ["ROBOTICS BOT", "Bob"]
    single = render_card(Card(users=[User("a", "ROBOTICS BOT")]), "classic")
    assert 'font-weight: 800">ROBOTICS BOT</div>' in single


@pytest.mark.parametrize("template", ["huggingtweets", "classic"])
@pytest.mark.parametrize("name", ["🍂 ✨", "محمد بن سلمان", "東京タワー 🗼", "Zoë Ünal-Çelik"])
def test_unicode_names_are_written_as_is(template, name):
    text = render_card(Card(users=[User("u", name, stats=UserStats(3, 1, 1, 1))]), template)
    assert text.count(name) >= 2
    text.encode("utf-8")


def test_one_user_is_a_bot_and_two_or_three_are_a_cyborg():
    one = render_card(Card(users=[User("a", "A")]), "classic")
    two = render_card(Card(users=[User("a", "A"), User("b", "B")]), "classic")
    assert "🤖 AI BOT 🤖" in one and "CYBORG" not in one
    assert "🤖 AI CYBORG 🤖" in two


def test_classic_hides_missing_avatars_with_an_empty_url():
    text = render_card(Card(users=[User("a", "A", avatar_url=None)]), "classic")
    assert text.count("display:none") == 3 and "url(&#39;&#39;)" in text


def test_mojibake_manifest_renders_real_emoji():
    card = card_from_dict({"users": [{"handle": "a", "name": "ðŸ¤– Weâ€™re"}]})
    text = render_card(card)
    assert "🤖 We’re" in text
    assert "ðŸ" not in text and "â€" not in text


@pytest.mark.slow  # spawns Python processes
def test_rendering_is_deterministic_across_processes():
    script = (
        "import sys; from publisher.card.manifest import load_manifest; from publisher.card.render import render_card;"
        f"sys.stdout.buffer.write(render_card(load_manifest({str(FIXTURES / 'full.json')!r})).encode())"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert outputs == {render_card(_fixture("full")).encode()}


def test_available_templates_lists_the_built_ins():
    assert available_templates() == sorted({*LAYOUT_NAMES, "huggingtweets"})


def test_unknown_template_is_a_template_error_listing_the_built_ins():
    with pytest.raises(TemplateError, match="'fancy' not found.*classic, classic-2021-05-07-single, exbert"):
        render_card(_fixture("k_saifullaah"), "fancy")


def test_custom_template_file_can_use_card_data_filters_and_extend_a_built_in(tmp_path):
    custom = tmp_path / "mine.md.j2"
    custom.write_text(
        "---\n{{ card_metadata | to_yaml }}---\n# {{ names | map('html') | join(', ') }}\n", encoding="utf-8"
    )
    text = render_card(_fixture("full"), str(custom))
    assert text.endswith("# wint, ROBOTICS | Lab: &#34;bots&#34; &amp; &lt;friends&gt;\n")
    child = tmp_path / "child.j2"
    child.write_text('{% extends "classic" %}', encoding="utf-8")
    assert render_card(_fixture("k_saifullaah"), str(child)) == _read("k_saifullaah.md")


def test_undefined_variable_in_a_template_is_an_error_not_an_empty_string(tmp_path):
    bad = tmp_path / "bad.j2"
    bad.write_text("Hello {{ card.nickname }}\n", encoding="utf-8")
    with pytest.raises(TemplateError, match="nickname"):
        render_card(_fixture("k_saifullaah"), str(bad))
    broken = tmp_path / "broken.j2"
    broken.write_text("{% if %}", encoding="utf-8")
    with pytest.raises(TemplateError, match="line 1"):
        render_card(_fixture("k_saifullaah"), str(broken))


@pytest.mark.slow  # spawns Python processes
def test_installed_wheel_ships_the_templates_and_renders_outside_the_source_tree(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "publisher", src / "publisher", ignore=ignore)
    shutil.copytree(ROOT / "templates", src / "templates", ignore=ignore)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"), str(src)],
        check=True,
    )
    wheel = next((tmp_path / "dist").glob("huggingtweets_publisher-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert {"publisher/templates/classic.md.j2", "publisher/templates/huggingtweets.md.j2"} <= set(names)
    assert "publisher/py.typed" in names  # PEP 561 marker
    assert "publisher/card/card.schema.json" in names  # the published JSON Schema of card.json
    links = [p for p in (ROOT / "publisher").rglob("*") if p.is_symlink()]
    assert not links  # templates/ is mapped to publisher.templates by setup.py, not linked into publisher/
    target = tmp_path / "site"
    subprocess.run(
        [*pip, "install", "--no-deps", "--no-compile", "--target", str(target), str(wheel)], check=True
    )
    script = (
        "import publisher.card.render as r, sys; from publisher.card.manifest import load_manifest;"
        "assert r.__file__.startswith(sys.argv[2]), r.__file__;"
        "sys.stdout.write(r.render_card(load_manifest(sys.argv[1]), 'classic'))"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, sys.argv[2]); {script}",
         str(FIXTURES / "k_saifullaah.json"), str(target)],
        cwd=tmp_path, capture_output=True, text=True, encoding="utf-8", check=True,
    )  # fmt: skip
    assert result.stdout == _read("k_saifullaah.md")


@pytest.mark.parametrize("template", ["huggingtweets", "classic"])
def test_yaml_lookalike_values_stay_strings_in_front_matter(template):
    card = Card(
        users=[User("a", "A")],
        language="no",  # Norwegian, a YAML 1.1 boolean when unquoted
        thumbnail="https://example.com/t.png?a=1&b=2#frag",
        widget=["yes", "123", "null", "@mention: #tag"],
    )
    meta = parse_front_matter(render_card(card, template))
    assert meta["language"] == "no"
    assert meta["thumbnail"] == "https://example.com/t.png?a=1&b=2#frag"
    assert [w["text"] for w in meta["widget"]] == ["yes", "123", "null", "@mention: #tag"]


def test_card_without_base_model_claims_no_pretrained_base():
    from publisher.card.check import check_card_text
    from publisher.card.manifest import card_from_dict
    from publisher.card.render import render_card

    card = card_from_dict({"users": [{"handle": "demo", "name": "Demo"}], "base_model": None})
    text = render_card(card)
    assert "base_model" not in text.split("\n---\n")[0]
    assert "random initialisation" in text and "based on the pre-trained" not in text
    assert not [p for p in check_card_text(text, require_default_fields=True) if p.severity == "error"]
