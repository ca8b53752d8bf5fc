"""Fault injection, latency, the request log and HTTP/1.1 keep-alive of the local hub."""

from __future__ import annotations

import http.client
import json
import time
import uuid
from urllib.parse import urlsplit

import pytest

from publisher.localhub import HubServer
from publisher.localhub.faults import Faults, parse_spec


def _api(hub):
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub.url, token=hub.token)


def _get(url: str, path: str, conn: http.client.HTTPConnection | None = None) -> http.client.HTTPResponse:
    parts = urlsplit(url)
    conn = conn or http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    return response


def test_fault_spec_parses_the_documented_example_and_rejects_typos():
    rules = parse_spec("commit:503:times=1,lfs-put:drop:nth=1,list:429:times=1:retry_after=1")
    assert [(r.route, r.kind, r.times, r.nth) for r in rules] == [
        ("commit", "503", 1, None),
        ("lfs-put", "drop", None, 1),
        ("list", "429", 1, None),
    ]
    with pytest.raises(ValueError, match="unknown route 'comit'"):
        parse_spec("comit:503")
    with pytest.raises(ValueError, match="unknown kind"):
        parse_spec("commit:404")
    with pytest.raises(ValueError, match="bad option"):
        parse_spec("commit:503:often")


def test_nth_times_and_seeded_rate_pick_the_same_requests_every_run():
    nth = Faults("info:500:nth=2")
    assert [nth.pick("info") is not None for _ in range(4)] == [False, True, False, False]
    times = Faults("any:503:times=2")
    assert [times.pick(r) is not None for r in ("tree", "info", "tree")] == [True, True, False]
    first = Faults("tree:503:rate=0.3:seed=7")
    second = Faults("tree:503:rate=0.3:seed=7")
    picks = [first.pick("tree") is not None for _ in range(50)]
    assert picks == [second.pick("tree") is not None for _ in range(50)]
    assert 5 < sum(picks) < 25


def test_injected_429_carries_retry_after_and_is_logged(hub_clean):
    hub_clean.server.set_faults("list:429:times=1:retry_after=3")
    first = _get(hub_clean.url, "/api/models")
    second = _get(hub_clean.url, "/api/models")
    assert (first.status, first.getheader("Retry-After"), second.status) == (429, "3", 200)
    log = [e for e in hub_clean.server.requests if e["route"] == "list"]
    assert [(e["status"], e.get("fault")) for e in log] == [(429, "429"), (200, None)]


def test_commit_503_fails_the_client_once_then_the_next_commit_succeeds(hub_clean):
    from huggingface_hub.errors import HfHubHTTPError

    api = _api(hub_clean)
    repo_id = f"local/faulty-{uuid.uuid4().hex[:6]}"
    api.create_repo(repo_id)
    hub_clean.server.set_faults("commit:503:times=1")
    with pytest.raises(HfHubHTTPError) as exc:
        api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo_id)
    assert exc.value.response.status_code == 503
    api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo_id)
    assert "x.txt" in api.list_repo_files(repo_id)


def test_dropped_lfs_put_is_retried_by_the_client(hub_clean):
    api = _api(hub_clean)
    repo_id = f"local/dropped-{uuid.uuid4().hex[:6]}"
    api.create_repo(repo_id)
    hub_clean.server.set_faults("lfs-put:drop:nth=1")
    api.upload_file(path_or_fileobj=b"\0" * 4096, path_in_repo="w.bin", repo_id=repo_id)
    puts = [e for e in hub_clean.server.requests if e["route"] == "lfs-put"]
    assert [e["status"] for e in puts] == [0, 200]
    assert "w.bin" in api.list_repo_files(repo_id)


def test_after_lets_the_first_requests_through():
    after = Faults("commit:503:after=2")
    assert [after.pick("commit") is not None for _ in range(4)] == [False, False, True, True]


def test_a_held_request_is_unanswered_until_the_faults_change_then_dropped(hub_clean):
    import threading

    hub_clean.server.set_faults("list:hold:nth=1")
    outcome: list[object] = []

    def call() -> None:
        try:
            outcome.append(_get(hub_clean.url, "/api/models").status)
        except (OSError, http.client.HTTPException) as exc:
            outcome.append(type(exc).__name__)

    caller = threading.Thread(target=call)
    caller.start()
    assert hub_clean.server.wait_held(1, timeout=60)
    assert outcome == [] and caller.is_alive()  # held: no answer yet
    hub_clean.server.set_faults(None)  # releases it
    caller.join(timeout=60)
    assert outcome and outcome[0] != 200  # dropped, never answered
    assert _get(hub_clean.url, "/api/models").status == 200
    assert ("list", 0, "hold") in [
        (e["route"], e["status"], e.get("fault")) for e in hub_clean.server.requests
    ]


def test_latency_is_added_to_every_request(hub_clean):
    hub_clean.server.set_latency(150)
    started = time.perf_counter()
    _get(hub_clean.url, "/api/models")
    assert time.perf_counter() - started >= 0.15
    assert hub_clean.server.requests[-1]["duration_ms"] >= 150


def test_request_log_file_has_one_json_line_per_request_without_secrets(tmp_path):
    from huggingface_hub import HfApi

    log = tmp_path / "requests.jsonl"
    with HubServer(tmp_path / "root", request_log=log) as server:
        api = HfApi(endpoint=server.url, token="hf_publisherlocalhub")
        api.create_repo("local/logged")
        api.upload_file(path_or_fileobj=b"\0" * 2048, path_in_repo="w.bin", repo_id="local/logged")
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert {"method", "path", "route", "status", "duration_ms", "bytes_in", "bytes_out"} <= set(entries[0])
    routes = [e["route"] for e in entries]
    assert routes[:1] == ["create"] and "lfs-put" in routes and routes[-1] == "commit"
    put = next(e for e in entries if e["route"] == "lfs-put")
    assert put["bytes_in"] == 2048 and "sig" not in put["path"]
    assert "hf_publisherlocalhub" not in log.read_text()


def test_connections_are_kept_alive_across_requests(hub_clean):
    parts = urlsplit(hub_clean.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    for _ in range(3):
        response = _get(hub_clean.url, "/api/models", conn)
        assert response.status == 200 and response.version == 11
    assert conn.sock is not None, "the server did not close the connection"
    conn.close()
