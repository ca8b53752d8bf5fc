"""`publisher hub serve`: options, bad input, and a served repo of another type (datasets)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from hang_guard import HANG_GUARD

SERVE = [sys.executable, "-m", "publisher", "hub", "serve"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--faults", "comit:503"], "unknown route 'comit'"),
        (["--token", "justaname"], "NAME:TOKEN"),
        (["--upload-mode", "xet"], "Invalid value for '--upload-mode'"),
    ],
)
def test_bad_options_exit_2_with_a_clear_message_and_write_no_server_json(tmp_path, args, message):
    result = subprocess.run(
        [*SERVE, "--root", str(tmp_path), *args], capture_output=True, text=True, timeout=HANG_GUARD
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert not (tmp_path / "server.json").exists()


def test_serve_with_token_flag_serves_that_user_and_prints_the_url(tmp_path):
    from huggingface_hub import HfApi

    proc = subprocess.Popen(
        [*SERVE, "--root", str(tmp_path), "--token", "ann:hf_anntoken99:team"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + HANG_GUARD
        while not (tmp_path / "server.json").exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        url = json.loads((tmp_path / "server.json").read_text())["url"]
        assert url.startswith("http://127.0.0.1:")
        who = HfApi(endpoint=url, token="hf_anntoken99").whoami()
        assert who["name"] == "ann" and [o["name"] for o in who["orgs"]] == ["team"]
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert url in err and "hf_anntoken99" not in err
    assert proc.returncode == 0 and not (tmp_path / "server.json").exists()


def test_dataset_repos_upload_and_download_like_models(hub, tmp_path):
    from huggingface_hub import HfApi, hf_hub_download

    api = HfApi(endpoint=hub.url, token=hub.token)
    repo_id = f"local/data-{uuid.uuid4().hex[:6]}"
    url = api.create_repo(repo_id, repo_type="dataset")
    assert "/datasets/" in str(url)
    api.upload_file(
        path_or_fileobj=b"a,b\n1,2\n", path_in_repo="train.csv", repo_id=repo_id, repo_type="dataset"
    )
    api.upload_file(
        path_or_fileobj=b"\0" * 1024, path_in_repo="blob.bin", repo_id=repo_id, repo_type="dataset"
    )
    path = hf_hub_download(repo_id, "blob.bin", repo_type="dataset", endpoint=hub.url, cache_dir=tmp_path)
    assert Path(path).read_bytes() == b"\0" * 1024
    assert sorted(api.list_repo_files(repo_id, repo_type="dataset")) == [
        ".gitattributes",
        "blob.bin",
        "train.csv",
    ]


def test_importing_the_server_pulls_in_no_client_or_ml_library():
    code = (
        "import sys, publisher.localhub, publisher.commands.hub;"
        "print([m for m in ('huggingface_hub', 'transformers', 'torch', 'wandb') if m in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=HANG_GUARD)
    assert result.stdout.strip() == "[]", result.stderr
