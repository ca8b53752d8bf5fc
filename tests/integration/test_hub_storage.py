"""Durability of the local hub: restarts keep everything, and `kill -9` mid-upload never corrupts a repo."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hang_guard import HANG_GUARD

from publisher.localhub import DEFAULT_LOCAL_TOKEN, HubServer
from publisher.localhub.rules import RepoKey
from publisher.localhub.storage import Storage

WEIGHTS = bytes(range(256)) * 4096  # 1 MiB with NUL bytes: the server picks LFS for it


def _api(url: str):
    from huggingface_hub import HfApi

    return HfApi(endpoint=url, token=DEFAULT_LOCAL_TOKEN)


def _start_subprocess_hub(root: Path) -> tuple[subprocess.Popen, str]:
    """`publisher hub serve` as a child process; waits for its server.json."""
    marker = root / "server.json"
    marker.unlink(missing_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "publisher", "hub", "serve", "--root", str(root), "--port", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + HANG_GUARD
    while not marker.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"hub did not start: {proc.stderr.read().decode() if proc.stderr else ''}")
        time.sleep(0.05)
    info = json.loads(marker.read_text())
    assert info["pid"] == proc.pid
    return proc, info["url"]


def _snapshot(api, repo_id: str, tmp: Path) -> dict[str, bytes]:
    from huggingface_hub import snapshot_download

    local = Path(snapshot_download(repo_id, endpoint=api.endpoint, cache_dir=tmp, token=DEFAULT_LOCAL_TOKEN))
    return {p.relative_to(local).as_posix(): p.read_bytes() for p in local.rglob("*") if p.is_file()}


def test_restart_on_the_same_root_serves_the_same_repos(tmp_path):
    root = tmp_path / "root"
    with HubServer(root) as first:
        api = _api(first.url)
        api.create_repo("local/keep")
        api.create_repo("local/hidden", private=True)
        api.upload_file(path_or_fileobj=WEIGHTS, path_in_repo="model.bin", repo_id="local/keep")
        api.upload_file(path_or_fileobj=b"card", path_in_repo="README.md", repo_id="local/keep")
        api.create_tag("local/keep", tag="v1")
        sha = api.model_info("local/keep").sha
        files = _snapshot(api, "local/keep", tmp_path / "c1")
    with HubServer(root) as second:
        api = _api(second.url)
        assert api.model_info("local/keep").sha == sha
        assert api.model_info("local/hidden").private is True
        assert [t.name for t in api.list_repo_refs("local/keep").tags] == ["v1"]
        assert _snapshot(api, "local/keep", tmp_path / "c2") == files
        assert len(api.list_repo_commits("local/keep")) == 3


def _signed_upload_url(url: str, repo_id: str, oid: str, size: int) -> str:
    body = json.dumps(
        {"operation": "upload", "transfers": ["basic"], "objects": [{"oid": oid, "size": size}]}
    )
    request = urllib.request.Request(
        f"{url}/{repo_id}.git/info/lfs/objects/batch",
        data=body.encode(),
        headers={
            "Authorization": f"Bearer {DEFAULT_LOCAL_TOKEN}",
            "Content-Type": "application/vnd.git-lfs+json",
        },
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)["objects"][0]["actions"]["upload"]["href"]


def _start_partial_put(href: str, size: int, sent: int) -> http.client.HTTPConnection:
    """Begin a PUT that announces `size` bytes and sends only `sent` of them (an upload in flight)."""
    parts = urlsplit(href)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.putrequest("PUT", f"{parts.path}?{parts.query}")
    conn.putheader("Content-Length", str(size))
    conn.endheaders()
    conn.send(b"\1" * sent)
    return conn


def _wait_for_partial_file(root: Path, min_bytes: int) -> None:
    deadline = time.monotonic() + HANG_GUARD
    while time.monotonic() < deadline:
        if any(p.stat().st_size >= min_bytes for p in (root / "tmp").iterdir() if p.is_file()):
            return
        time.sleep(0.02)
    raise AssertionError("the server never started writing the upload")


def _start_partial_commit(url: str, repo_id: str) -> http.client.HTTPConnection:
    """Begin a commit POST whose body stops after the header and one file line."""
    parts = urlsplit(url)
    lines = [
        {"key": "header", "value": {"summary": "never finished"}},
        {"key": "file", "value": {"path": "half.txt", "content": "aGFsZg==", "encoding": "base64"}},
    ]
    payload = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.putrequest("POST", f"/api/models/{repo_id}/commit/main")
    conn.putheader("Authorization", f"Bearer {DEFAULT_LOCAL_TOKEN}")
    conn.putheader("Content-Type", "application/x-ndjson")
    conn.putheader("Content-Length", str(len(payload) + 10_000))
    conn.endheaders()
    conn.send(payload)
    return conn


def test_kill_9_during_uploads_keeps_the_last_commit_and_the_next_upload_succeeds(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    repo_id = "local/crashy"
    proc, url = _start_subprocess_hub(root)
    try:
        api = _api(url)
        api.create_repo(repo_id)
        api.upload_file(path_or_fileobj=WEIGHTS, path_in_repo="model.bin", repo_id=repo_id)
        sha_before = api.model_info(repo_id).sha
        files_before = _snapshot(api, repo_id, tmp_path / "c1")

        size = 64 * 1024 * 1024
        oid = hashlib.sha256(b"\1" * size).hexdigest()
        put = _start_partial_put(_signed_upload_url(url, repo_id, oid, size), size, 8 * 1024 * 1024)
        commit = _start_partial_commit(url, repo_id)
        _wait_for_partial_file(root, 1024 * 1024)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        put.close()
        commit.close()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert (root / "server.json").exists(), "a killed server leaves its marker (pid no longer alive)"

    proc, url = _start_subprocess_hub(root)
    try:
        assert list((root / "tmp").iterdir()) == [], (
            "the restarted server clears the dead one's partial writes"
        )
        api = _api(url)
        assert api.model_info(repo_id).sha == sha_before
        assert _snapshot(api, repo_id, tmp_path / "c2") == files_before
        assert not Storage(root).has_blob(oid)
        api.upload_file(
            path_or_fileobj=WEIGHTS[::-1],
            path_in_repo="model.bin",
            repo_id=repo_id,
            commit_message="after crash",
        )
        assert api.list_repo_commits(repo_id)[0].title == "after crash"
        assert api.model_info(repo_id).sha != sha_before
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    assert not (root / "server.json").exists(), "a clean shutdown removes server.json"


def test_lfs_upload_whose_bytes_do_not_match_the_oid_is_rejected(hub_clean):
    api = _api(hub_clean.url)
    repo_id = "local/wrong-bytes"
    api.create_repo(repo_id, exist_ok=True)
    size = 1000
    oid = hashlib.sha256(os.urandom(size)).hexdigest()
    href = _signed_upload_url(hub_clean.url, repo_id, oid, size)
    conn = _start_partial_put(href, size, 0)
    conn.send(b"b" * size)
    response = conn.getresponse()
    assert response.status == 400
    assert b"hash" in response.read()
    assert not Storage(hub_clean.root).has_blob(oid)


def test_lfs_upload_url_with_a_forged_signature_is_refused(hub_clean):
    api = _api(hub_clean.url)
    repo_id = "local/forged"
    api.create_repo(repo_id, exist_ok=True)
    content = os.urandom(16)
    oid = hashlib.sha256(content).hexdigest()
    href = _signed_upload_url(hub_clean.url, repo_id, oid, len(content)).replace("sig=", "sig=0")
    request = urllib.request.Request(href, data=content, method="PUT")
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(request)
    assert exc.value.code == 403


def test_concurrent_commits_to_one_branch_all_land_in_one_linear_history(hub_clean):
    from concurrent.futures import ThreadPoolExecutor

    api = _api(hub_clean.url)
    repo_id = f"local/concurrent-{os.getpid()}-{time.monotonic_ns()}"
    api.create_repo(repo_id)

    def upload(i: int) -> str:
        return api.upload_file(
            path_or_fileobj=f"file {i}".encode(), path_in_repo=f"f{i}.txt", repo_id=repo_id
        ).oid

    with ThreadPoolExecutor(8) as pool:
        oids = list(pool.map(upload, range(8)))
    commits = api.list_repo_commits(repo_id)
    assert len(commits) == 9 and {c.commit_id for c in commits[:8]} == set(oids)
    assert sorted(api.list_repo_files(repo_id)) == [".gitattributes", *sorted(f"f{i}.txt" for i in range(8))]


def test_repo_type_outside_the_known_ones_never_touches_the_filesystem(tmp_path):
    storage = Storage(tmp_path)
    assert storage.load_state(RepoKey("../..", "etc", "passwd")) is None


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc status")


@pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="needs Linux /proc to read the server's peak memory"
)
def test_large_lfs_upload_streams_to_disk_with_bounded_server_memory(tmp_path):
    size, chunk = 160 * 1024 * 1024, b"\2" * (1024 * 1024)
    digest = hashlib.sha256()
    for _ in range(size // len(chunk)):
        digest.update(chunk)
    oid = digest.hexdigest()
    root = tmp_path / "root"
    root.mkdir()
    proc, url = _start_subprocess_hub(root)
    try:
        _api(url).create_repo("local/big")
        before = _peak_rss_mb(proc.pid)
        conn = _start_partial_put(_signed_upload_url(url, "local/big", oid, size), size, 0)
        for _ in range(size // len(chunk)):
            conn.send(chunk)
        assert conn.getresponse().status == 200
        growth = _peak_rss_mb(proc.pid) - before
        assert Storage(root).has_blob(oid)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    assert growth < 40, f"server memory grew by {growth:.0f} MB for a {size >> 20} MB upload"
