"""Model pages of the local hub: the card rendered as on the Hub, sanitized, checked in headless Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from hang_guard import HANG_GUARD

from publisher.localhub.pages import render_card

REFERENCE_CARD = Path("/work/shared/reference/cards/k_saifullaah.md")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
HOSTILE_NAME = (
    'Khalid Saifullah<script>document.title="pwned"</script>'
    "<img src=x onerror=\"document.title='pwned'\"><a href=\"javascript:document.title='pwned'\">x</a>"
)
CARD = """---
language: en
thumbnail: https://github.com/borisdayma/huggingtweets/blob/master/img/logo.png?raw=true
tags:
- huggingtweets
widget:
- text: "My dream is"
---

<div class="inline-flex flex-col" style="line-height: 1.5;">
    <div class="flex">
        <div
\t\t\tstyle="display:inherit; margin-left: 4px; margin-right: 4px; width: 92px; height:92px; border-radius: 50%; background-size: cover; background-image: url(&#39;https://pbs.twimg.com/profile_images/1/a_400x400.jpg&#39;)">
        </div>
    </div>
    <div style="text-align: center; margin-top: 3px; font-size: 16px; font-weight: 800">🤖 AI BOT 🤖</div>
    <div style="text-align: center; font-size: 16px; font-weight: 800">NAME</div>
    <div style="text-align: center; font-size: 14px;">@k_saifullaah</div>
</div>

I was made with [huggingtweets](https://github.com/borisdayma/huggingtweets).

## Training data

| Data | Khalid Saifullah |
| --- | --- |
| Tweets kept | 1638 |
"""


@pytest.fixture(scope="module")
def card_repo(hub) -> str:
    from huggingface_hub import HfApi

    api = HfApi(endpoint=hub.url, token=hub.token)
    repo_id = f"local/page-{uuid.uuid4().hex[:8]}"
    api.create_repo(repo_id)
    api.upload_file(
        path_or_fileobj=CARD.replace("NAME", HOSTILE_NAME).encode(), path_in_repo="README.md", repo_id=repo_id
    )
    api.upload_file(
        path_or_fileobj=b"\0" * 2048,
        path_in_repo="model.safetensors",
        repo_id=repo_id,
        commit_message="Add weights",
    )
    return repo_id


def _get(url: str):
    import httpx2

    return httpx2.get(url)


def test_model_page_renders_the_card_without_front_matter_or_scripts(hub, card_repo):
    response = _get(f"{hub.url}/{card_repo}")
    assert response.status_code == 200
    assert (
        "script-src" not in response.headers["Content-Security-Policy"]
        and "default-src 'none'" in response.headers["Content-Security-Policy"]
    )
    page = response.text
    assert "Khalid Saifullah" in page and "<table>" in page and "border-radius:50%" in page
    assert "thumbnail:" not in page, "front matter is hidden"
    for hostile in ("<script", "onerror", "javascript:", "pwned"):
        assert hostile not in page
    assert "model.safetensors" in page and "LFS" in page, "the file list is shown"
    assert "Add weights" in page and "initial commit" in page, "the commit history is shown"


def test_index_lists_public_models_and_private_pages_are_404(hub, card_repo):
    from huggingface_hub import HfApi

    assert card_repo in _get(f"{hub.url}/").text
    private = f"local/private-page-{uuid.uuid4().hex[:6]}"
    HfApi(endpoint=hub.url, token=hub.token).create_repo(private, private=True)
    assert private not in _get(f"{hub.url}/").text
    assert _get(f"{hub.url}/{private}").status_code == 404


def test_sanitizer_keeps_layout_styles_and_drops_script_urls():
    html = render_card(REFERENCE_CARD.read_text() if REFERENCE_CARD.exists() else CARD)
    assert 'class="inline-flex flex-col"' in html and "text-align:center" in html
    assert "background-image:url(" in html
    dirty = render_card(
        '<div style="background-image: url(javascript:alert(1)); color: red" onclick="x()">a</div>'
    )
    assert dirty.strip() == '<div style="color:red">a</div>'


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _run_chromium(binary: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--hide-scrollbars",
        "--window-size=1100,1400",
    ]
    return subprocess.run([binary, *flags, *args], capture_output=True, text=True, timeout=HANG_GUARD)


@pytest.mark.skipif(
    _chromium() is None,
    reason="headless check needs Debian's chromium (apt-get install chromium; .ci/run installs it)",
)
def test_page_in_headless_chromium_runs_no_script_and_is_saved_as_a_screenshot(hub, card_repo, tmp_path):
    binary = _chromium()
    assert binary is not None
    url = f"{hub.url}/{card_repo}"
    dom = _run_chromium(binary, tmp_path, "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert f"<title>{card_repo} - local hub</title>" in dom.stdout, (
        "document.title was not changed by a script"
    )
    assert "pwned" not in dom.stdout and "Khalid Saifullah" in dom.stdout
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "hub_model_page.png"
    shot.unlink(missing_ok=True)
    result = _run_chromium(binary, tmp_path, f"--screenshot={shot}", url)
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


PICTURES_CARD = """---
thumbnail: https://huggingface.co/REPO/resolve/main/predictions.png
---

## Training procedure

![Training loss](training_curve.png)
"""


@pytest.fixture(scope="module")
def pictures_repo(hub) -> str:
    """A repo as `publisher publish` leaves it: a relative curve image and the preview as the thumbnail."""
    import sys

    from huggingface_hub import CommitOperationAdd, HfApi

    from publisher.pictures.curve import training_curve_png
    from publisher.pictures.preview import PreviewUser, preview_png

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from helpers import history

    repo_id = f"local/pictures-{uuid.uuid4().hex[:8]}"
    preview = preview_png(
        [PreviewUser("alice", "Alice 🤖")], ["My dream is a picture"], prompts=["My dream is"]
    )
    files = {
        "README.md": PICTURES_CARD.replace("REPO", repo_id).encode(),
        "training_curve.png": training_curve_png(history()),
        "predictions.png": preview,
    }
    api = HfApi(endpoint=hub.url, token=hub.token)
    api.create_repo(repo_id)
    api.create_commit(
        repo_id, [CommitOperationAdd(p, data) for p, data in files.items()], commit_message="Publish"
    )
    return repo_id


def test_relative_images_resolve_within_the_repo_and_other_sources_are_dropped():
    html = render_card(
        "![a](img/curve.png) ![b](../../other/x.png) ![c](//evil.example/x.png) ![d](https://e.com/x.png)"
        ' <img src="/ns/other/resolve/main/y.png"> <img src="/etc/passwd">',
        repo_id="ns/name",
        revision="abc",
    )
    sources = re.findall(r'<img src="([^"]*)"', html)
    assert sources == [
        "/ns/name/resolve/abc/img/curve.png",
        "https://e.com/x.png",
        "/ns/other/resolve/main/y.png",
    ]


@pytest.mark.skipif(
    _chromium() is None,
    reason="headless check needs Debian's chromium (apt-get install chromium; .ci/run installs it)",
)
def test_page_with_the_curve_and_the_thumbnail_in_headless_chromium_is_saved_as_a_screenshot(
    hub, pictures_repo, tmp_path
):
    from PIL import Image

    binary = _chromium()
    assert binary is not None
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "hub_model_page_pictures.png"
    shot.unlink(missing_ok=True)
    result = _run_chromium(binary, tmp_path, f"--screenshot={shot}", f"{hub.url}/{pictures_repo}")
    assert result.returncode == 0, result.stderr[-2000:]
    with Image.open(shot) as image:
        colors = {color for _, color in image.convert("RGB").getcolors(maxcolors=1 << 20)}
    assert (31, 111, 235) in colors, (
        "the training curve's line is on the page (the image loaded under the CSP)"
    )
    assert (255, 210, 30) in colors, "the preview's accent bar is on the page (the thumbnail loaded)"


# ------------------------------------------------------------------------------------ browse pages and sign-in
META_CARD = """---
language: en
license: apache-2.0
base_model: openai-community/gpt2
tags:
- huggingtweets
- "<b>bold-tag</b>"
widget:
- text: "My dream is"
  output:
    text: "My dream is to <script>document.title='pwned'</script> sleep"
---

# A card
"""


@pytest.fixture(scope="module")
def browse_repo(hub) -> str:
    from huggingface_hub import CommitOperationAdd, HfApi

    api = HfApi(endpoint=hub.url, token=hub.token)
    repo_id = f"local/browse-{uuid.uuid4().hex[:8]}"
    api.create_repo(repo_id)
    api.create_commit(
        repo_id,
        [
            CommitOperationAdd("README.md", META_CARD.encode()),
            CommitOperationAdd("config.json", b'{"model_type": "gpt2"}'),
            CommitOperationAdd("sub/notes <i>.txt", b"<script>alert(1)</script> notes"),
        ],
        commit_message="Add <the> card",
    )
    api.upload_file(
        path_or_fileobj=b"\0" * 4096,
        path_in_repo="model.safetensors",
        repo_id=repo_id,
        commit_message="Add weights",
    )
    return repo_id


def _assert_page(response, *, status: int = 200) -> str:
    assert response.status_code == status, response.text[:500]
    assert response.headers["Content-Type"].startswith("text/html")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    return response.text


def test_tree_blob_and_commits_pages_are_html_like_the_hubs(hub, browse_repo):
    tree = _assert_page(_get(f"{hub.url}/{browse_repo}/tree/main"))
    assert f'href="/{browse_repo}/blob/main/model.safetensors"' in tree and "LFS" in tree
    assert f'href="/{browse_repo}/tree/main/sub">sub/</a>' in tree
    sub = _assert_page(_get(f"{hub.url}/{browse_repo}/tree/main/sub"))
    assert "notes &lt;i&gt;.txt" in sub and "<i>" not in sub
    blob = _assert_page(_get(f"{hub.url}/{browse_repo}/blob/main/sub/notes%20%3Ci%3E.txt"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt; notes" in blob and "<script" not in blob
    weights = _assert_page(_get(f"{hub.url}/{browse_repo}/blob/main/model.safetensors"))
    assert "binary or too large" in weights and "LFS sha256" in weights
    commits = _assert_page(_get(f"{hub.url}/{browse_repo}/commits/main"))
    assert "Add weights" in commits and "Add &lt;the&gt; card" in commits and "initial commit" in commits
    assert _get(f"{hub.url}/{browse_repo}/blob/main/missing.txt").status_code == 404
    assert _get(f"{hub.url}/{browse_repo}/tree/no-such-branch").status_code == 404


def test_model_page_shows_license_language_base_model_tags_and_widget_outputs_escaped(hub, browse_repo):
    page = _assert_page(_get(f"{hub.url}/{browse_repo}"))
    meta = page.split('id="metadata"', 1)[1].split("</aside>", 1)[0]
    assert "<dt>License</dt><dd>apache-2.0</dd>" in meta and "<dt>Language</dt><dd>en</dd>" in meta
    assert '<a href="/openai-community/gpt2">openai-community/gpt2</a>' in meta
    assert '<span class="badge">huggingtweets</span>' in meta and "&lt;b&gt;bold-tag&lt;/b&gt;" in meta
    assert "My dream is to &lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt; sleep" in meta
    assert "<script" not in page and "<b>bold-tag" not in page


def _sign_in(hub, token: str):
    import httpx2

    client = httpx2.Client(base_url=hub.url, follow_redirects=False)
    response = client.post("/signin", data={"token": token}, headers={"Origin": hub.url})
    return client, response


def test_the_owner_browses_a_private_repo_after_a_token_sign_in_and_the_cookie_never_authorizes_the_api(hub):
    from huggingface_hub import HfApi

    owner_token = "hf_browseowner000000000001"
    hub.server.add_user("browse-owner", owner_token, [])
    repo = f"browse-owner/secret-{uuid.uuid4().hex[:6]}"
    HfApi(endpoint=hub.url, token=owner_token).create_repo(repo, private=True)
    assert _get(f"{hub.url}/{repo}").status_code == 404
    assert 'action="/signin"' in _assert_page(_get(f"{hub.url}/signin"))
    assert "form-action 'self'" in _get(f"{hub.url}/signin").headers["Content-Security-Policy"]

    client, response = _sign_in(hub, owner_token)
    assert response.status_code == 303
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and owner_token not in cookie
    page = _assert_page(client.get(f"/{repo}"))
    assert "private" in page and "signed in as <b>browse-owner</b>" in page and owner_token not in page
    assert repo in client.get("/").text and repo not in _get(f"{hub.url}/").text
    assert client.get(f"/{repo}/tree/main").status_code == 200

    # the session is for pages only: the API still wants the Authorization header
    assert client.get(f"/api/models/{repo}").status_code == 404
    write = client.post(
        "/api/repos/create", json={"name": "from-cookie", "organization": "browse-owner", "type": "model"}
    )
    assert write.status_code == 401 and not HfApi(endpoint=hub.url, token=owner_token).repo_exists(
        "browse-owner/from-cookie"
    )

    # another user's session does not open it; a foreign-origin post does not sign in; sign-out ends it
    hub.server.add_user("browse-other", "hf_browseother000000000001", [])
    other, _ = _sign_in(hub, "hf_browseother000000000001")
    assert other.get(f"/{repo}").status_code == 404
    import httpx2

    forged = httpx2.post(
        f"{hub.url}/signin", data={"token": owner_token}, headers={"Origin": "https://evil.example"}
    )
    assert forged.status_code == 403 and "Set-Cookie" not in forged.headers
    assert _sign_in(hub, "hf_notatoken0000000000")[1].status_code == 401
    assert client.post("/signout", headers={"Origin": hub.url}).status_code == 303
    assert client.get(f"/{repo}").status_code == 404


@pytest.mark.skipif(
    _chromium() is None,
    reason="headless check needs Debian's chromium (apt-get install chromium; .ci/run installs it)",
)
def test_browse_pages_in_headless_chromium_run_no_script(hub, browse_repo, tmp_path):
    binary = _chromium()
    assert binary is not None
    for path, title in (
        (f"/{browse_repo}", f"{browse_repo} - local hub"),
        (
            f"/{browse_repo}/blob/main/sub/notes%20%3Ci%3E.txt",
            f"sub/notes &lt;i&gt;.txt - {browse_repo} - local hub",
        ),
        (f"/{browse_repo}/commits/main", f"{browse_repo} commits - local hub"),
    ):
        dom = _run_chromium(binary, tmp_path, "--dump-dom", f"{hub.url}{path}")
        assert dom.returncode == 0, dom.stderr[-2000:]
        assert f"<title>{title}</title>" in dom.stdout, "document.title was not changed by a script"
        assert "<script" not in dom.stdout  # the widget output's and the file's scripts are shown as text
