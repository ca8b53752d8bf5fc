"""YAML alias bombs and other hostile front matter: `publisher check`, and the local hub's validate-yaml,
model info, listing and model page, which all parse front matter with the one bounded parser."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from hang_guard import HANG_GUARD
from huggingface_hub import HfApi

ROOT = Path(__file__).resolve().parents[2]


def alias_bomb(levels: int = 7) -> str:
    """The 408-byte README of the attack review: each level lists the previous one ten times (10^7 values)."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [{','.join([f'*a{level - 1}'] * 10)}]")
    return "---\nlicense: mit\n" + "\n".join(lines) + "\n---\n# A model\n"


def check_cli(path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "publisher", "check", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=HANG_GUARD,
    )


def test_check_refuses_an_alias_bomb_quickly_with_the_line(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(alias_bomb())
    started = time.monotonic()
    result = check_cli(readme)
    assert result.returncode == 1, result.stdout + result.stderr  # check's code for a card that fails
    assert f"{readme}:4: error: YAML aliases" in result.stdout + result.stderr  # the line of the first *a0
    assert time.monotonic() - started < 60  # a hang guard; the attack took over a minute before the fix


@pytest.mark.parametrize(
    ("front", "message"),
    [
        ("x: &a [1]\ny: *a\n", "aliases"),
        ("x: " + "[" * 100 + "]" * 100 + "\n", "deeper than"),
        ("x: " + "1" * 5000 + "\n", "invalid value"),
        ("x: !!set {a, b}\n", "set"),
        ("x: '" + "y" * (1024 * 1024) + "'\n", "bytes, more than"),
    ],
)
def test_check_refuses_hostile_front_matter_with_a_message(tmp_path, front, message):
    readme = tmp_path / "README.md"
    readme.write_text("---\nlicense: mit\n" + front + "---\n# A model\n")
    result = check_cli(readme)
    assert result.returncode == 1, result.stdout + result.stderr
    assert message in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_validate_yaml_answers_400_quickly_for_an_alias_bomb(hub):
    started = time.monotonic()
    response = requests.post(
        f"{hub.url}/api/validate-yaml",
        json={"content": alias_bomb(), "repoType": "model"},
        headers={"Authorization": f"Bearer {hub.token}"},
        timeout=HANG_GUARD,
    )
    assert response.status_code == 400, response.text
    assert "aliases" in response.json()["error"]
    assert time.monotonic() - started < 30


def raw_commit(hub, repo_id: str, readme: str) -> None:
    """Commit README.md with the commit API itself (NDJSON), as an attacker would: no client-side validation."""
    lines = [
        {"key": "header", "value": {"summary": "bomb", "description": ""}},
        {
            "key": "file",
            "value": {
                "path": "README.md",
                "encoding": "base64",
                "content": base64.b64encode(readme.encode()).decode(),
            },
        },
    ]
    response = requests.post(
        f"{hub.url}/api/models/{repo_id}/commit/main",
        data="\n".join(json.dumps(line) for line in lines).encode(),
        headers={"Authorization": f"Bearer {hub.token}", "Content-Type": "application/x-ndjson"},
        timeout=HANG_GUARD,
    )
    assert response.status_code == 200, response.text


def test_a_stored_alias_bomb_does_not_inflate_model_info_listing_or_page(hub):
    repo_id = "bomber/alias-bomb"
    HfApi(endpoint=hub.url, token=hub.token).create_repo(repo_id, exist_ok=True)
    raw_commit(hub, repo_id, alias_bomb())
    info = requests.get(f"{hub.url}/api/models/{repo_id}", timeout=HANG_GUARD)
    assert info.status_code == 200 and len(info.content) < 100_000
    assert info.json().get("cardData") in (None, {})
    listing = requests.get(
        f"{hub.url}/api/models",
        params={"author": "bomber", "full": "true", "cardData": "true"},
        timeout=HANG_GUARD,
    )
    assert listing.status_code == 200 and len(listing.content) < 100_000
    page = requests.get(f"{hub.url}/{repo_id}", timeout=HANG_GUARD)
    assert page.status_code == 200 and len(page.content) < 1_000_000
