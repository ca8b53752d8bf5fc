"""Pictures published with the model: both in the one commit, the card's links resolved by the real client on
the local hub, unchanged pictures never re-sent, the classic card left alone, the model page showing them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from huggingface_hub import HfApi

from publisher.card.frontmatter import parse_front_matter
from publisher.pictures.curve import training_curve_png
from publisher.pictures.png import png_chunks, png_size

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers import assert_pixels_only, history, publish_cmd  # noqa: E402

CARD = {
    "users": [{"handle": "alice", "name": "محمد 🤖"}, {"handle": "bob", "name": "山田太郎"}],
    "widget": ["My dream is"],
    "samples": [{"prompt": "My dream is", "text": f"My dream is number {i} of three"} for i in range(3)],
}


@pytest.fixture
def run_dir(tmp_path: Path, tiny_model_dir: Path) -> Path:
    run = tmp_path / "run"
    shutil.copytree(tiny_model_dir, run)
    (run / "card.json").write_text(json.dumps(CARD, ensure_ascii=False), encoding="utf-8")
    (run / "training_curve.png").write_bytes(training_curve_png(history()))
    return run


def publish(hub, run: Path, repo_id: str, *args: str) -> tuple[int, dict, str]:
    proc = subprocess.run(publish_cmd(run, repo_id, *args), env=hub.env(), capture_output=True, text=True)
    return proc.returncode, (json.loads(proc.stdout) if proc.stdout.strip() else {}), proc.stderr


def statuses(doc: dict) -> dict[str, str]:
    return {f["path"]: f["status"] for f in doc["files"]}


def new_repo() -> str:
    return f"huggingtweets/pictures-{uuid.uuid4().hex[:8]}"


def test_both_pictures_land_in_the_one_commit_and_the_card_links_resolve_on_the_hub(
    hub_clean, run_dir, tmp_path
):
    repo = new_repo()
    code, doc, err = publish(hub_clean, run_dir, repo)
    assert code == 0, err
    api = HfApi(endpoint=hub_clean.url, token=hub_clean.token)
    commits = api.list_repo_commits(repo)
    assert len(commits) == 2, "the repo's initial commit and the one publish commit"
    assert {"training_curve.png", "predictions.png"} <= {p for p, s in statuses(doc).items() if s == "added"}
    readme = Path(
        api.hf_hub_download(repo, "README.md", revision=doc["commit_sha"], cache_dir=tmp_path)
    ).read_text()

    thumbnail = parse_front_matter(readme)["thumbnail"]
    assert thumbnail == f"https://huggingface.co/{repo}/resolve/main/predictions.png"
    ns, name, resolve, revision, path = urlsplit(thumbnail).path.lstrip("/").split("/", 4)
    assert (f"{ns}/{name}", resolve) == (repo, "resolve")
    preview = Path(
        api.hf_hub_download(repo, unquote(path), revision=unquote(revision), cache_dir=tmp_path)
    ).read_bytes()
    assert png_size(preview) == (1200, 630)
    assert_pixels_only(preview)

    links = re.findall(
        r"!\[[^\]]*\]\(([^)\s]+)\)", readme.split("## Training procedure", 1)[1].split("##", 1)[0]
    )
    assert links == ["training_curve.png"], "the curve is a relative link under Training procedure"
    curve = Path(
        api.hf_hub_download(repo, links[0], revision=doc["commit_sha"], cache_dir=tmp_path)
    ).read_bytes()
    assert curve == (run_dir / "training_curve.png").read_bytes()
    card = json.loads(
        Path(
            api.hf_hub_download(repo, "card.json", revision=doc["commit_sha"], cache_dir=tmp_path)
        ).read_text()
    )
    assert card["pictures"] == {"training_curve": "training_curve.png", "preview": "predictions.png"}
    assert card["thumbnail"] == thumbnail


def test_a_card_only_republish_sends_no_picture_and_a_rename_redraws_only_the_preview(hub_clean, run_dir):
    repo = new_repo()
    assert publish(hub_clean, run_dir, repo)[0] == 0
    card = dict(CARD, limitations="Trained on public tweets only.")
    (run_dir / "card.json").write_text(json.dumps(card, ensure_ascii=False), encoding="utf-8")
    hub_clean.server.clear_requests()
    code, doc, err = publish(hub_clean, run_dir, repo)
    assert code == 0, err
    assert {p for p, s in statuses(doc).items() if s != "unchanged"} == {"README.md", "card.json"}
    assert "lfs-put" not in [entry["route"] for entry in hub_clean.server.requests]

    card["users"] = [{"handle": "alice", "name": "Alice Renamed"}, CARD["users"][1]]
    (run_dir / "card.json").write_text(json.dumps(card, ensure_ascii=False), encoding="utf-8")
    code, doc, err = publish(hub_clean, run_dir, repo)
    assert code == 0, err
    assert {p for p, s in statuses(doc).items() if s != "unchanged"} == {
        "README.md",
        "card.json",
        "predictions.png",
    }


def test_the_classic_template_publishes_no_pictures(hub_clean, run_dir):
    repo = new_repo()
    code, doc, err = publish(hub_clean, run_dir, repo, "--template", "classic")
    assert code == 0, err
    assert not {"training_curve.png", "predictions.png"} & set(statuses(doc))


def test_a_training_curve_that_is_not_a_png_is_refused_before_any_upload(hub_clean, run_dir):
    (run_dir / "training_curve.png").write_bytes(b"GIF89a not a png")
    code, _, err = publish(hub_clean, run_dir, new_repo())
    assert code == 2 and "training_curve.png: not a valid PNG" in err


def test_the_model_page_shows_the_curve_and_the_thumbnail_from_the_repo(hub_clean, run_dir):
    import httpx2

    repo = new_repo()
    assert publish(hub_clean, run_dir, repo)[0] == 0
    page = httpx2.get(f"{hub_clean.url}/{repo}")
    assert "img-src 'self'" in page.headers["Content-Security-Policy"]
    sources = re.findall(r'<img src="([^"]+)"', page.text)
    local = [s for s in sources if s.startswith("/")]
    assert (
        any(s.endswith("/training_curve.png") for s in local)
        and f"/{repo}/resolve/main/predictions.png" in local
    )
    assert f'<meta property="og:image" content="/{repo}/resolve/main/predictions.png">' in page.text
    for src in local:
        image = httpx2.get(hub_clean.url + src.replace("&amp;", "&"))
        assert image.status_code == 200 and png_chunks(image.content)[0][0] == "IHDR", src
