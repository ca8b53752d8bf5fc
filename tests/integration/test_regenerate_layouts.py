"""`publisher regenerate` over one card of every historical layout, pristine and hand-edited, on the local hub.

Pristine cards (as the notebooks wrote them, tests/layout_cards.py) are upgraded to the default template
(`changed`), hand-edited ones are left alone (`edited`), a card of no known layout is `unsupported`; a second
run changes nothing.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from layout_cards import all_cards

from publisher.card.text import mis_decode
from publisher.cli import cli
from publisher.regenerate.pipeline import COMMIT_TITLE

ORG = "layouts-org"
UNKNOWN = "---\nlicense: mit\n---\n\n# my-bot\n\nA card in a layout of its own.\n"


def _edit(text: str) -> str:
    return text.replace("## Training procedure", "## Training procedure\n\nRetrained by me in 2022.", 1)


def _seed_cards() -> dict[str, tuple[str, str, str]]:
    """repo id -> (README text, expected status, layout)."""
    cards: dict[str, tuple[str, str, str]] = {}
    for index, (layout, _case, text) in enumerate(all_cards()):
        cards[f"{ORG}/pristine-{index:02d}-{layout}"] = (text, "changed", layout)
        cards[f"{ORG}/edited-{index:02d}-{layout}"] = (_edit(text), "edited", layout)
    garbled = mis_decode(all_cards()[3][2], "cp1254")
    cards[f"{ORG}/garbled-classic"] = (garbled, "changed", "classic")
    cards[f"{ORG}/unknown-layout"] = (UNKNOWN, "unsupported", "")
    return cards


@pytest.fixture(scope="module")
def seeded(hub, tmp_path_factory):
    from huggingface_hub import CommitOperationAdd, HfApi

    api = HfApi(endpoint=hub.url, token=hub.token)
    cards = _seed_cards()
    for repo_id, (text, _status, _layout) in cards.items():
        api.create_repo(repo_id, exist_ok=True)
        api.create_commit(
            repo_id, [CommitOperationAdd("README.md", text.encode("utf-8"))], commit_message="Seed"
        )
    repos = tmp_path_factory.mktemp("layouts") / "repos.txt"
    repos.write_text("\n".join(cards) + "\n", encoding="utf-8")
    return cards, str(repos)


def _regenerate(hub, repos: str) -> dict:
    result = CliRunner().invoke(
        cli,
        ["regenerate", "--repos", repos, "--json", "--no-progress", "--max-commits-per-hour", "0"],
        env={"HF_TOKEN": hub.token, "HF_ENDPOINT": hub.url},
    )
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def first_run(hub, seeded) -> dict:
    """The one regenerate over the seeded cards; the second-run test asks for it, so any test order works."""
    return _regenerate(hub, seeded[1])


def _readme(api, repo_id: str, cache: str) -> str:
    with open(api.hf_hub_download(repo_id, "README.md", cache_dir=cache), encoding="utf-8") as handle:
        return handle.read()


def test_every_layout_is_upgraded_when_pristine_and_left_alone_when_edited(
    hub_clean, seeded, first_run, tmp_path
):
    from huggingface_hub import HfApi

    cards, _repos = seeded
    report = first_run
    got = {r["repo"]: r["status"] for r in report["repos"]}
    assert got == {repo_id: status for repo_id, (_t, status, _l) in cards.items()}
    api = HfApi(endpoint=hub_clean.url, token=hub_clean.token)
    for repo_id, (text, status, layout) in cards.items():
        titles = [c.title for c in api.list_repo_commits(repo_id)]
        if status != "changed":
            assert COMMIT_TITLE not in titles and _readme(api, repo_id, str(tmp_path)) == text, repo_id
            continue
        assert titles.count(COMMIT_TITLE) == 1, repo_id
        new = _readme(api, repo_id, str(tmp_path))
        assert "<!-- publisher:template=huggingtweets" in new and "🤖 AI" in new, repo_id
        with open(api.hf_hub_download(repo_id, "card.json", cache_dir=str(tmp_path)), encoding="utf-8") as f:
            manifest = json.load(f)
        assert manifest["layout"] == layout and "layout_mojibake" not in manifest, repo_id


def test_a_second_run_changes_nothing(hub_clean, seeded, first_run):
    cards, repos = seeded
    report = _regenerate(hub_clean, repos)
    got = {r["repo"]: r["status"] for r in report["repos"]}
    expected = {
        repo_id: "unchanged" if status == "changed" else status for repo_id, (_t, status, _l) in cards.items()
    }
    assert got == expected
    assert not [e for e in hub_clean.server.requests if e["method"] in {"POST", "PUT", "DELETE", "PATCH"}]
