"""A client with hf_xet importable and Xet NOT disabled: works against `--upload-mode regular`, and fails
recognisably (ConnectionError naming xet-write-token) against `auto`. Runs the client in a subprocess because
HF_HUB_DISABLE_XET is read at import time and this test process has it set.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import pytest
from hang_guard import HANG_GUARD

from publisher.localhub import DEFAULT_LOCAL_TOKEN, HubServer

pytestmark = pytest.mark.skipif(importlib.util.find_spec("hf_xet") is None, reason="hf_xet is not installed")

CLIENT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from huggingface_hub import HfApi, snapshot_download
    from huggingface_hub.utils._runtime import is_xet_available

    folder, repo = sys.argv[1], sys.argv[2]
    api = HfApi()
    out = {"xet": is_xet_available()}
    api.create_repo(repo, exist_ok=True)
    try:
        first = api.upload_folder(repo_id=repo, folder_path=folder, commit_message="upload")
    except Exception as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
        print(json.dumps(out)); sys.exit(0)
    again = api.upload_folder(repo_id=repo, folder_path=folder, commit_message="again")
    (Path(folder) / "extra.txt").write_text("pr content")
    pr = api.upload_folder(repo_id=repo, folder_path=folder, commit_message="pr", create_pr=True)
    local = Path(snapshot_download(repo))
    out.update(
        same_commit=first.oid == again.oid,
        commits=len(api.list_repo_commits(repo)),
        pr=pr.pr_revision,
        pr_files=sorted(api.list_repo_files(repo, revision=pr.pr_revision)),
        identical=all((local / p.name).read_bytes() == p.read_bytes() for p in Path(folder).iterdir() if p.name != "extra.txt"),
    )
    print(json.dumps(out))
    """
)


def _run_xet_client(server: HubServer, folder, repo: str, tmp_path) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("HF_HUB_DISABLE_XET", "HF_HUB_DISABLE_IMPLICIT_TOKEN")
    }
    env.update(HF_ENDPOINT=server.url, HF_TOKEN=DEFAULT_LOCAL_TOKEN, HF_HOME=str(tmp_path / "hf_home"))
    result = subprocess.run(
        [sys.executable, "-c", CLIENT, str(folder), repo],
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def folder(tiny_model_dir, tmp_path):
    import shutil

    target = tmp_path / "model"
    shutil.copytree(tiny_model_dir, target)
    (target / "README.md").write_text("---\nlicense: mit\n---\n# xet test\n")
    return target


def test_xet_enabled_client_uploads_everything_inline_with_upload_mode_regular(folder, tmp_path):
    with HubServer(tmp_path / "root", upload_mode="regular") as server:
        out = _run_xet_client(server, folder, "local/xet-regular", tmp_path)
        routes = {e["route"] for e in server.requests}
    assert out["xet"] is True
    assert "error" not in out, out.get("error")
    assert out["same_commit"] and out["commits"] == 2, "the identical re-upload made no commit"
    assert out["pr"] == "refs/pr/1" and "extra.txt" in out["pr_files"]
    assert out["identical"]
    assert "xet" not in routes and "lfs-batch" not in routes


def test_xet_enabled_client_against_upload_mode_auto_fails_naming_the_xet_endpoint(folder, tmp_path):
    with HubServer(tmp_path / "root", upload_mode="auto") as server:
        out = _run_xet_client(server, folder, "local/xet-auto", tmp_path)
        routes = [e["route"] for e in server.requests]
    assert out["error"].startswith("ConnectionError") and "xet-write-token" in out["error"]
    assert "xet" in routes and "commit" not in routes
