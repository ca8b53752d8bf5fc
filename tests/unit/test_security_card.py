"""Hostile card data: display names that try to inject Markdown or HTML, manifests nested too deep."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hang_guard import HANG_GUARD

ROOT = Path(__file__).resolve().parents[2]
EVIL_NAME = (
    "Evil\n\n# Injected heading\n![img](https://evil.example/x.png) [link](https://evil.example/a) "
    "<img src=https://evil.example/y.png> <b>bold</b> **strong** `code` ~~gone~~ &copy; | pipe "
    "www.evil.example https://evil.example/b mail@evil.example"
)


def publisher(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "publisher", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=HANG_GUARD,
    )


def evil_card(tmp_path: Path) -> Path:
    card = tmp_path / "card.json"
    card.write_text(json.dumps({"users": [{"handle": "demo", "name": EVIL_NAME}], "widget": ["My dream is"]}))
    return card


@pytest.mark.slow  # spawns Python processes
def test_a_display_name_injects_no_markdown_or_html_into_the_default_card(tmp_path):
    from publisher.localhub.pages import render_card as page_html

    result = publisher("render", str(evil_card(tmp_path)))
    assert result.returncode == 0, result.stderr
    html = page_html(result.stdout)
    assert "evil.example" in html  # the name is shown...
    assert not re.search(r"<(a|img)\b[^>]*evil\.example", html), html  # ...but links and images are not made
    assert "<h1" not in html and "Injected heading</h" not in html
    assert "<b>bold" not in html and "<strong>strong" not in html and "<code>code" not in html
    assert "<del>" not in html and "<s>" not in html
    assert "©" not in html  # the entity is shown as written, not decoded


@pytest.mark.slow  # spawns Python processes
def test_a_display_name_renders_as_written(tmp_path):
    from markdown_it import MarkdownIt

    result = publisher("render", str(evil_card(tmp_path)))
    prose = next(line for line in result.stdout.splitlines() if line.startswith("A GPT-2 model"))
    text = MarkdownIt("commonmark").render(prose)
    folded = EVIL_NAME.replace("\n", " ")
    assert folded.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in text


@pytest.mark.slow  # spawns Python processes
def test_the_classic_template_is_unchanged_for_a_real_name(tmp_path):
    card = tmp_path / "card.json"
    card.write_text(json.dumps({"users": [{"handle": "demo", "name": "Dr. Jean-Paul (parody) & co_op"}]}))
    classic = publisher("render", str(card), "--template", "classic")
    assert classic.returncode == 0, classic.stderr
    assert (
        "Dr. Jean-Paul (parody) & co_op" in classic.stdout
        or "Dr. Jean-Paul (parody) &amp; co_op" in classic.stdout
    )


@pytest.mark.slow  # spawns Python processes
def test_a_card_json_nested_too_deep_is_exit_2_with_a_message(tmp_path):
    card = tmp_path / "card.json"
    card.write_text('{"users": ' + "[" * 100_000 + "]" * 100_000 + "}")
    result = publisher("render", str(card))
    assert result.returncode == 2, result.stderr
    assert "nested too deeply" in result.stderr and "card.json" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow  # spawns Python processes
def test_a_huge_card_json_is_refused(tmp_path):
    card = tmp_path / "card.json"
    card.write_text(
        '{"users": [{"handle": "demo", "name": "x"}], "intended_use": "' + "y" * (5 * 1024 * 1024) + '"}'
    )
    result = publisher("render", str(card))
    assert result.returncode == 2 and "larger than" in result.stderr, result.stderr


def test_a_remote_card_json_nested_too_deep_fails_its_repo_not_the_run():
    from publisher.errors import PublisherError
    from publisher.regenerate.decide import _card_from_json

    with pytest.raises(PublisherError, match="nested too deeply"):
        _card_from_json(b"[" * 100_000, "someone/model")
