"""Attacks on the local hub, each against a real server on 127.0.0.1 (and real Chromium where installed).

Every request here is sent raw (http.client or a socket) so the path, the headers and the body are exactly
what an attacker sends; the real huggingface_hub client is used where the attack goes through it, and to check
that it keeps working.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import http.server
import json
import shutil
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
from hang_guard import HANG_GUARD
from huggingface_hub import CommitOperationAdd, HfApi, hf_hub_download
from huggingface_hub.errors import HfHubHTTPError

from publisher.localhub import HubServer

ALICE, ALICE_TOKEN = "alice", "hf_alicesecrettoken000000001"
BOB, BOB_TOKEN = "bob", "hf_bobsecrettoken00000000002"
DEFAULT_TOKEN = "hf_publisherlocalhub"
USERS = [
    {"name": ALICE, "token": ALICE_TOKEN, "orgs": []},
    {"name": BOB, "token": BOB_TOKEN, "orgs": []},
    {"name": "local", "token": DEFAULT_TOKEN, "orgs": ["*"]},
]


@pytest.fixture
def server(tmp_path: Path):
    """A hub of its own, with its root two levels down so anything written outside it is visible."""
    hub = HubServer(tmp_path / "outer" / "inner" / "root", port=0, users=USERS).start()
    yield hub
    hub.stop()


def files_under(path: Path) -> set[str]:
    return {str(p.relative_to(path)) for p in path.rglob("*")}


def raw(server: HubServer, method: str, path: str, *, body: bytes = b"", token: str | None = None,
        content_type: str | None = "application/json", headers: dict[str, str] | None = None) -> tuple[int, dict]:  # fmt: skip
    """One request exactly as written (the path is not re-quoted); returns (status, JSON body or {})."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    sent = dict(headers or {})
    if token:
        sent["Authorization"] = f"Bearer {token}"
    if content_type and body:
        sent["Content-Type"] = content_type
    conn.putrequest(method, path, skip_host="Host" in sent, skip_accept_encoding=True)
    for name, value in {**sent, "Content-Length": str(len(body))}.items():
        conn.putheader(name, value)
    conn.endheaders(body)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    try:
        return response.status, json.loads(data) if data else {}
    except ValueError:
        return response.status, {"raw": data.decode("utf-8", "replace")}


def ndjson(*lines: dict) -> bytes:
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def header(**extra) -> dict:
    return {"key": "header", "value": {"summary": "attack", "description": "", **extra}}


def a_file(path: str, content: bytes = b"x") -> dict:
    return {
        "key": "file",
        "value": {"path": path, "content": base64.b64encode(content).decode(), "encoding": "base64"},
    }


def api(server: HubServer, token: str = ALICE_TOKEN) -> HfApi:
    return HfApi(endpoint=server.url, token=token)


def head_of(server: HubServer, repo_id: str) -> str:
    return api(server).model_info(repo_id).sha


# ----------------------------------------------------------------------------------------- #2 segments first
TRAVERSALS = [
    ("POST", "/api/models/..%2F..%2F..%2Foutside/x/tag/main", b'{"tag": "v1"}'),
    ("POST", "/api/models/%2Ftmp%2Fabsolute-{u}/x/tag/main", b'{"tag": "v1"}'),
    ("DELETE", "/api/models/..%2F..%2Foutside/x/branch/dev", b""),
    ("POST", "/api/models/..%2F..%2Foutside/x/branch/dev", b"{}"),
    ("PUT", "/api/models/..%2F..%2Foutside/x/settings", b'{"private": true}'),
    ("POST", "/api/models/..%2F..%2Foutside/x/preupload/main", b'{"files": []}'),
    ("POST", "/api/models/..%2F..%2Foutside/x/commit/main", ndjson(header(), a_file("a.txt"))),
    ("POST", "/api/models/alice/..%2F..%2F..%2Foutside/commit/main", ndjson(header(), a_file("a.txt"))),
    ("POST", "/api/models/alice/%2Ftmp%2Fabsolute-{u}/discussions", b'{"pullRequest": true}'),
    ("POST", "/..%2F..%2Foutside/x.git/info/lfs/objects/batch", b'{"operation": "upload", "objects": []}'),
    ("POST", "/_lfs/verify/model/..%2F..%2Foutside/x", b'{"oid": "' + b"0" * 64 + b'", "size": 1}'),
    ("PUT", "/_lfs/upload/model/..%2F..%2Foutside/x/" + "0" * 64 + "?size=1&expires=9999999999&sig=x", b"x"),
    ("GET", "/..%2F..%2Foutside/x/resolve/main/a.txt", b""),
    ("GET", "/api/models/..%2F..%2Foutside/x", b""),
    ("GET", "/api/models?author=..%2F..%2F..%2F..", b""),
    ("GET", "/..%2F..%2Foutside/x", b""),
    ("POST", "/api/repos/create", b'{"name": "x", "organization": "../../../outside"}'),
    ("POST", "/api/repos/create", b'{"name": "../../../outside", "organization": "alice"}'),
    ("POST", "/api/repos/create", b'{"name": "x", "organization": "/tmp/absolute-{u}"}'),
    ("DELETE", "/api/repos/delete", b'{"name": "x", "organization": "../../outside"}'),
]


@pytest.mark.parametrize("token", [None, ALICE_TOKEN, DEFAULT_TOKEN], ids=["anonymous", "alice", "default"])
def test_traversal_segments_create_nothing_outside_or_inside_the_root(server, tmp_path, token):
    unique = uuid.uuid4().hex[:8]
    before = files_under(tmp_path)
    for method, path, body in TRAVERSALS:
        status, doc = raw(
            server,
            method,
            path.replace("{u}", unique),
            body=body.replace(b"{u}", unique.encode()),
            token=token,
        )
        assert status in (400, 401, 403, 404) or (path.startswith("/api/models?") and doc == []), (
            path,
            status,
            doc,
        )
    assert files_under(tmp_path) == before
    assert not list(Path("/tmp").glob(f"absolute-{unique}*"))


def test_an_invalid_segment_is_refused_before_authentication(server):
    status, doc = raw(
        server, "POST", "/api/models/..%2Foutside/x/tag/main", body=b'{"tag": "v"}', token="hf_not_a_token"
    )
    assert status == 400 and "Invalid repo id" in doc["error"]


# ----------------------------------------------------------------------------------------- #3 tolerant storage
def _seed_public_repo(server: HubServer) -> None:
    api(server).create_repo("alice/good")
    api(server).create_commit(
        "alice/good", [CommitOperationAdd("README.md", b"# good\n")], commit_message="c"
    )


def _litter(root: Path) -> None:
    models = root / "repos" / "model"
    (models / "alice" / "zz.lock").write_bytes(b"")  # the attack's stray lock file
    (models / "stray-file").write_text("not a namespace")
    (models / "alice" / "broken").mkdir()
    (models / "alice" / "broken" / "state.json").write_text("{not json")
    (models / "alice" / "wrong-shape").mkdir()
    (models / "alice" / "wrong-shape" / "state.json").write_text('["a list"]')
    (models / "alice" / "dir-state" / "state.json").mkdir(parents=True)
    (models / "-bad--name" / "x").mkdir(parents=True)
    (models / "-bad--name" / "x" / "state.json").write_text("{}")
    (models / "alice" / "good-but-commitless").mkdir()
    (models / "alice" / "good-but-commitless" / "state.json").write_text(
        json.dumps({"branches": {"main": "f" * 40}, "tags": {}, "prs": {}})
    )


def test_stray_files_on_disk_are_skipped_and_listing_stays_up_across_restarts(server, tmp_path, capfd):
    _seed_public_repo(server)
    _litter(server.root)
    for hub in (server, None):
        if hub is None:  # a restart on the same root
            server.stop()
            hub = HubServer(server.root, port=0, users=USERS).start()
        try:
            listed = [m.id for m in HfApi(endpoint=hub.url).list_models(author=ALICE)]
            assert listed == ["alice/good"]
            assert [m.id for m in HfApi(endpoint=hub.url).list_models()] == ["alice/good"]
            for path in (
                "/",
                "/alice/good",
                "/api/models",
                "/api/models?author=alice&full=true",
                "/alice/broken",
            ):
                status, _ = raw(hub, "GET", path)
                assert status in (200, 404), (path, status)
            assert raw(hub, "GET", "/")[0] == 200
            assert raw(hub, "GET", "/api/models/alice/broken")[0] == 404
        finally:
            if hub is not server:
                hub.stop()
    err = capfd.readouterr().err
    assert "Traceback" not in err and "internal error" not in err
    assert "skipping" in err and "zz.lock" in err


def test_regenerate_author_listing_survives_a_stray_lock_file(hub_clean, tmp_path):
    """The session hub (what `regenerate --author` reads) with the attack's stray file in a namespace."""
    from click.testing import CliRunner

    from publisher.cli import cli

    namespace = "stray-lock-ns"
    client = HfApi(endpoint=hub_clean.url, token=hub_clean.token)
    client.create_repo(f"{namespace}/only", exist_ok=True)
    (hub_clean.root / "repos" / "model" / namespace / "zz.lock").write_bytes(b"")
    env = {"HF_TOKEN": hub_clean.token, "HF_ENDPOINT": hub_clean.url}
    result = CliRunner().invoke(
        cli, ["regenerate", "--author", namespace, "--dry-run", "--json", "--no-progress"], env=env
    )
    assert result.exit_code in (0, 1), result.stderr
    assert [r["repo"] for r in json.loads(result.stdout)["repos"]] == [f"{namespace}/only"]


# ----------------------------------------------------------------------------------------- #4 cross-site, Host
def test_a_rebinding_host_is_refused_even_with_the_default_token(server):
    for host in (
        f"rebind.example:{server.port}",
        "evil.test",
        f"127.0.0.1.nip.io:{server.port}",
        "localhost:1",
    ):
        status, doc = raw(server, "POST", "/api/repos/create", body=b'{"name": "rebound", "organization": "alice"}',
                          token=DEFAULT_TOKEN, headers={"Host": host})  # fmt: skip
        assert status == 421, (host, status, doc)
        assert raw(server, "GET", "/api/models", headers={"Host": host})[0] == 421
    assert not (server.root / "repos" / "model" / "alice" / "rebound").exists()
    for host in (
        f"127.0.0.1:{server.port}",
        f"localhost:{server.port}",
        f"[::1]:{server.port}",
        f"LOCALHOST:{server.port}",
    ):
        assert raw(server, "GET", "/api/whoami-v2", token=ALICE_TOKEN, headers={"Host": host})[0] == 200, host


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
)
def test_a_write_with_a_simple_request_content_type_is_refused(server, content_type):
    body = b'{"name": "csrf", "organization": "alice"}'
    status, doc = raw(
        server, "POST", "/api/repos/create", body=body, token=ALICE_TOKEN, content_type=content_type
    )
    assert status == 415, doc
    assert raw(server, "POST", "/api/repos/create", body=body, content_type="application/json")[0] == 401
    assert not (server.root / "repos" / "model" / "alice" / "csrf").exists()


def test_a_commit_needs_the_authorization_header_and_an_ndjson_body(server):
    _seed_public_repo(server)
    head = head_of(server, "alice/good")
    body = ndjson(header(), a_file("csrf.txt"))
    assert (
        raw(server, "POST", "/api/models/alice/good/commit/main", body=body, content_type="text/plain")[0]
        == 401
    )
    assert (
        raw(
            server,
            "POST",
            "/api/models/alice/good/commit/main",
            body=body,
            token=ALICE_TOKEN,
            content_type="text/plain",
        )[0]
        == 415
    )
    assert head_of(server, "alice/good") == head


def test_every_answer_forbids_framing(server):
    _seed_public_repo(server)
    for path in ("/", "/alice/good", "/api/models", "/api/models/alice/nope", "/nothing/here/at/all"):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        assert "frame-ancestors 'none'" in response.getheader("Content-Security-Policy", ""), path
        assert response.getheader("X-Frame-Options") == "DENY"
        conn.close()


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


ATTACK_PAGE = """<!doctype html><html><head><title>waiting</title></head><body><script>
const hub = "{hub}";
const body = JSON.stringify({{name: "{victim}", organization: "alice"}});
const attempts = [
  // the issue's attack: a cross-origin simple request, text/plain, no preflight
  fetch(hub + "/api/repos/create", {{method: "POST", mode: "no-cors", headers: {{"Content-Type": "text/plain"}}, body}}),
  fetch(hub + "/api/models/alice/good/commit/main", {{method: "POST", mode: "no-cors",
        headers: {{"Content-Type": "text/plain"}}, body: {commit}}}),
  // a CORS request with the well-known default token needs a preflight the hub never grants
  fetch(hub + "/api/repos/create", {{method: "POST", headers: {{"Content-Type": "application/json",
        "Authorization": "Bearer {token}"}}, body}}),
  // DNS rebinding: the same origin as this page, whose name now points at the hub
  fetch("/api/repos/create", {{method: "POST", headers: {{"Content-Type": "application/json",
        "Authorization": "Bearer {token}"}}, body: JSON.stringify({{name: "{victim}-rebound", organization: "alice"}})}}),
];
Promise.allSettled(attempts).then(r => {{ document.title = "done " + r.map(x => x.status).join(","); }});
</script></body></html>"""


class _Attacker(http.server.BaseHTTPRequestHandler):
    """The attacker's site: serves the page, and forwards anything else to the hub unchanged (Host included),
    which is what the hub sees after a DNS rebinding of the attacker's name to 127.0.0.1."""

    page = b""
    hub_port = 0

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/attack":
            self._answer(200, {"Content-Type": "text/html"}, self.page)
        else:
            self._forward()

    def do_POST(self) -> None:
        self._forward()

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        conn = http.client.HTTPConnection("127.0.0.1", self.hub_port, timeout=30)
        conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for name, value in self.headers.items():
            conn.putheader(name, value)
        conn.endheaders(body)
        answer = conn.getresponse()
        self._answer(
            answer.status, {"Content-Type": answer.getheader("Content-Type") or "text/plain"}, answer.read()
        )
        conn.close()

    def _answer(self, status: int, headers: dict[str, str], data: bytes) -> None:
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(data))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


@pytest.mark.skipif(
    _chromium() is None, reason="needs Debian's chromium (apt-get install chromium; .ci/run installs it)"
)
def test_a_cross_origin_page_in_chromium_changes_nothing(server, tmp_path):
    _seed_public_repo(server)
    head = head_of(server, "alice/good")
    victim = f"csrf-{uuid.uuid4().hex[:6]}"
    commit = json.dumps(ndjson(header(), a_file("pwned.txt")).decode())
    attacker = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Attacker)
    _Attacker.hub_port = server.port
    _Attacker.page = ATTACK_PAGE.format(
        hub=server.url, victim=victim, commit=commit, token=DEFAULT_TOKEN
    ).encode()
    threading.Thread(target=attacker.serve_forever, daemon=True).start()
    server.clear_requests()
    try:
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
                 "--host-resolver-rules=MAP attacker.test 127.0.0.1", "--virtual-time-budget=15000", "--dump-dom"]  # fmt: skip
        url = f"http://attacker.test:{attacker.server_address[1]}/attack"
        result = subprocess.run(
            [_chromium(), *flags, url], capture_output=True, text=True, timeout=HANG_GUARD
        )
    finally:
        attacker.shutdown()
        attacker.server_close()
    assert "<title>done" in result.stdout, result.stderr[-2000:]
    seen = [(e["method"], e["path"], e["status"]) for e in server.requests if e["method"] == "POST"]
    assert ("POST", "/api/repos/create", 401) in seen, seen  # the browser did send the simple request
    assert ("POST", "/api/repos/create", 421) in seen, seen  # and the rebound one
    assert head_of(server, "alice/good") == head
    names = {m.id for m in api(server).list_models(author=ALICE)}
    assert names == {"alice/good"}, names


# ----------------------------------------------------------------------------------------- #7 LFS per repo
def _lfs_batch(server: HubServer, repo_id: str, oid: str, size: int, token: str) -> dict:
    body = json.dumps(
        {
            "operation": "upload",
            "transfers": ["basic"],
            "objects": [{"oid": oid, "size": size}],
            "hash_algo": "sha256",
        }
    )
    status, doc = raw(server, "POST", f"/{repo_id}.git/info/lfs/objects/batch", body=body.encode(), token=token,
                      content_type="application/vnd.git-lfs+json")  # fmt: skip
    assert status == 200, doc
    return doc["objects"][0]


def test_another_repos_lfs_object_can_neither_be_seen_nor_committed(server, tmp_path):
    secret = b"alice's private weights " + uuid.uuid4().bytes * 64
    oid = hashlib.sha256(secret).hexdigest()
    alice = api(server, ALICE_TOKEN)
    alice.create_repo("alice/private", private=True)
    alice.create_commit(
        "alice/private", [CommitOperationAdd("secret.safetensors", secret)], commit_message="secret"
    )
    bob = api(server, BOB_TOKEN)
    bob.create_repo("bob/mine")

    answer = _lfs_batch(server, "bob/mine", oid, len(secret), BOB_TOKEN)
    assert "upload" in answer["actions"], "the batch answer must not reveal that another repo has the object"
    line = {
        "key": "lfsFile",
        "value": {"path": "stolen.bin", "algo": "sha256", "oid": oid, "size": len(secret)},
    }
    status, doc = raw(server, "POST", "/api/models/bob/mine/commit/main", body=ndjson(header(), line), token=BOB_TOKEN,
                      content_type="application/x-ndjson")  # fmt: skip
    assert status == 422 and "never uploaded to bob/mine" in doc["error"]
    assert raw(server, "POST", "/_lfs/verify/model/bob/mine", body=json.dumps({"oid": oid, "size": len(secret)}).encode(),
               token=BOB_TOKEN)[0] == 404  # fmt: skip
    assert "stolen.bin" not in bob.list_repo_files("bob/mine")

    # an upload URL granted for one repo does not open another
    href = answer["actions"]["upload"]["href"]
    forged = href.replace("/bob/mine/", "/alice/private/")
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request("PUT", forged.split(str(server.port), 1)[1], body=secret)
    assert conn.getresponse().status == 403
    conn.close()


def test_the_same_bytes_uploaded_by_bob_himself_are_his_to_commit(server, tmp_path):
    """Owning the bytes is the proof: Bob uploads them (the real client's LFS path) and may commit them."""
    shared = b"public weights everybody has " * 1000
    api(server, ALICE_TOKEN).create_repo("alice/one")
    api(server, ALICE_TOKEN).create_commit(
        "alice/one", [CommitOperationAdd("w.safetensors", shared)], commit_message="a"
    )
    api(server, BOB_TOKEN).create_repo("bob/two")
    api(server, BOB_TOKEN).create_commit(
        "bob/two", [CommitOperationAdd("w.safetensors", shared)], commit_message="b"
    )
    path = hf_hub_download("bob/two", "w.safetensors", endpoint=server.url, cache_dir=str(tmp_path / "cache"))
    assert Path(path).read_bytes() == shared
    # and a copy inside Bob's own history needs no upload
    api(server, BOB_TOKEN).create_commit(
        "bob/two", [CommitOperationAdd("again.safetensors", shared)], commit_message="c"
    )
    assert "again.safetensors" in api(server, BOB_TOKEN).list_repo_files("bob/two")


def test_a_repo_stored_before_lfs_scoping_keeps_its_history(server, tmp_path):
    """Repos written by an older server have no per-repo LFS index: their own history still counts."""
    weights = b"old weights " * 500
    api(server, ALICE_TOKEN).create_repo("alice/old")
    api(server, ALICE_TOKEN).create_commit(
        "alice/old", [CommitOperationAdd("w.safetensors", weights)], commit_message="a"
    )
    shutil.rmtree(server.root / "repos" / "model" / "alice" / "old" / "lfs")
    oid = hashlib.sha256(weights).hexdigest()
    assert "actions" not in _lfs_batch(server, "alice/old", oid, len(weights), ALICE_TOKEN)
    line = {
        "key": "lfsFile",
        "value": {"path": "copy.safetensors", "algo": "sha256", "oid": oid, "size": len(weights)},
    }
    status, doc = raw(server, "POST", "/api/models/alice/old/commit/main", body=ndjson(header(), line), token=ALICE_TOKEN,
                      content_type="application/x-ndjson")  # fmt: skip
    assert status == 200, doc


# ----------------------------------------------------------------------------------------- #8 body bounds
def _log_entry(server: HubServer, path: str) -> dict:
    for _ in range(100):
        found = [e for e in server.requests if e["path"] == path]
        if found:
            return found[-1]
        time.sleep(0.05)
    raise AssertionError(f"no log entry for {path}: {server.requests}")


def test_a_huge_chunked_body_to_a_missing_url_is_refused_without_reading_it(server):
    total = 300 * 1024 * 1024
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=60)
    sock.sendall(f"POST /no/such/endpoint/here HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                 "Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n".encode())  # fmt: skip
    chunk = b"%x\r\n" % (1024 * 1024) + b"x" * (1024 * 1024) + b"\r\n"
    sent = [0]

    def flood() -> None:
        try:
            while sent[0] < total:
                sock.sendall(chunk)
                sent[0] += 1024 * 1024
        except OSError:
            pass

    pump = threading.Thread(target=flood, daemon=True)
    pump.start()
    status_line = sock.makefile("rb").readline()
    pump.join(timeout=60)
    sock.close()
    assert status_line.split()[1] == b"404", status_line
    entry = _log_entry(server, "/no/such/endpoint/here")
    assert entry["bytes_in"] <= 2 * 1024 * 1024, entry
    assert sent[0] < total, "the server read the whole body"


def test_an_oversized_body_is_refused_before_it_is_read(server):
    big = 200 * 1024 * 1024
    for token, expected in ((None, 401), (ALICE_TOKEN, 413)):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=60)
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        sock.sendall(f"POST /api/repos/create HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n{auth}"
                     f"Content-Type: application/json\r\nContent-Length: {big}\r\n\r\n".encode())  # fmt: skip
        status_line = sock.makefile("rb").readline()
        sock.close()
        assert status_line.split()[1] == str(expected).encode(), status_line
    assert _log_entry(server, "/api/repos/create")["bytes_in"] <= 2 * 1024 * 1024


# ----------------------------------------------------------------------------------------- #9 the small ones
@pytest.fixture
def repo(server):
    _seed_public_repo(server)
    return "alice/good"


def _commit(server, repo_id: str, *lines: dict, token: str = ALICE_TOKEN, raw_body: bytes | None = None):
    body = raw_body if raw_body is not None else ndjson(*lines)
    return raw(
        server,
        "POST",
        f"/api/models/{repo_id}/commit/main",
        body=body,
        token=token,
        content_type="application/x-ndjson",
    )


def test_parent_commit_must_be_a_commit_id_and_the_head(server, repo):
    head = head_of(server, repo)
    for bad in (head[:1], head[:6], "main", "zzzzzzz", head + "0", 12345):
        status, doc = _commit(server, repo, header(parentCommit=bad), a_file("a.txt"))
        assert status == 400 and "parentCommit" in doc["error"], (bad, status, doc)
    other = "0123456" if not head.startswith("0123456") else "7654321"
    assert _commit(server, repo, header(parentCommit=other), a_file("a.txt"))[0] == 412
    assert head_of(server, repo) == head
    status, doc = _commit(server, repo, header(parentCommit=head[:7]), a_file("a.txt"))
    assert status == 200, doc
    new_head = head_of(server, repo)
    assert _commit(server, repo, header(parentCommit=new_head.upper()), a_file("b.txt"))[0] == 200
    # the real client, with a full sha and with its own validation
    client = api(server)
    current = head_of(server, repo)
    client.create_commit(
        repo, [CommitOperationAdd("c.txt", b"c")], commit_message="ok", parent_commit=current
    )
    with pytest.raises(HfHubHTTPError) as stale:
        client.create_commit(
            repo, [CommitOperationAdd("d.txt", b"d")], commit_message="stale", parent_commit=current
        )
    assert stale.value.response.status_code == 412


BAD_PATHS = [".git/config", "a/.git/hooks/post-checkout", ".git", "a\nb.txt", "tab\there", "nul\x00byte", "esc\x1b[31m",
             "del\x7f", "x" * 5000, "/".join(["d" * 200] * 25), "../escape.txt", "a/../../b", "d" * 256]  # fmt: skip


@pytest.mark.parametrize("path", BAD_PATHS, ids=lambda p: repr(p)[:30])
def test_paths_the_hub_refuses_are_refused(server, repo, path):
    head = head_of(server, repo)
    status, doc = _commit(server, repo, header(), a_file(path))
    assert status == 400 and "path" in doc["error"].lower(), (status, doc)
    assert _commit(server, repo, header(), {"key": "deletedFile", "value": {"path": path}})[0] == 400
    assert head_of(server, repo) == head


def test_a_file_and_a_folder_of_the_same_name_are_refused(server, repo):
    client = api(server)
    client.create_commit(repo, [CommitOperationAdd("weights", b"a file")], commit_message="file")
    head = head_of(server, repo)
    with pytest.raises(HfHubHTTPError) as clash:
        client.create_commit(repo, [CommitOperationAdd("weights/part1", b"inside")], commit_message="folder")
    assert clash.value.response.status_code == 400
    status, doc = _commit(server, repo, header(), a_file("new/x"), a_file("new"))
    assert status == 400 and "both a file and a folder" in doc["error"]
    assert head_of(server, repo) == head


MALFORMED = [
    ("POST", "/api/repos/create", b"[1, 2]"),
    ("POST", "/api/repos/create", b'{"name": 5, "organization": "alice"}'),
    ("POST", "/api/repos/create", b'{"name": "x", "organization": ["alice"]}'),
    ("POST", "/api/repos/create", b'{"name": "x", "type": ["model"]}'),
    ("POST", "/api/repos/create", b"{" * 100_000),
    ("POST", "/api/repos/create", b"[" * 100_000 + b"]" * 100_000),
    ("POST", "/api/repos/create", b"\xff\xfe not utf-8"),
    ("DELETE", "/api/repos/delete", b'"alice/good"'),
    ("PUT", "/api/models/alice/good/settings", b"[]"),
    ("POST", "/api/models/alice/good/tag/main", b'{"tag": ["v1"]}'),
    ("POST", "/api/models/alice/good/tag/main", b'{"tag": "bad tag name"}'),
    ("POST", "/api/models/alice/good/tag/main", b'{"tag": "a..b"}'),
    ("POST", "/api/models/alice/good/branch/dev", b'{"startingPoint": 5}'),
    ("POST", "/api/models/alice/good/branch/a..b", b"{}"),
    ("POST", "/api/models/alice/good/preupload/main", b'{"files": "README.md"}'),
    ("POST", "/api/models/alice/good/preupload/main", b'{"files": [1, 2]}'),
    ("POST", "/api/models/alice/good/preupload/main", b'{"files": [{"path": "a", "size": "big"}]}'),
    (
        "POST",
        "/api/models/alice/good/preupload/main",
        b'{"files": [{"path": "a", "size": 1, "sample": "***"}]}',
    ),
    ("POST", "/api/models/alice/good/preupload/main", b'{"files": [{"path": 7, "size": 1}]}'),
    ("POST", "/alice/good.git/info/lfs/objects/batch", b'{"operation": "upload", "objects": "x"}'),
    ("POST", "/alice/good.git/info/lfs/objects/batch", b'{"operation": "upload", "objects": [1]}'),
    ("POST", "/api/models/alice/good/discussions", b"[]"),
    ("POST", "/_lfs/verify/model/alice/good", b"[]"),
    ("POST", "/api/validate-yaml", b"[]"),
]
MALFORMED_COMMITS = [
    b"[]\n",
    b'{"key": "header"}\n',
    b'{"key": "header", "value": []}\n',
    b'{"key": "header", "value": {"summary": 5}}\n',
    b'{"key": "header", "value": {"summary": "s", "description": {"x": 1}}}\n',
    b'{"key": "header", "value": {"summary": "s"}}\n{"key": "file", "value": []}\n',
    b'{"key": "header", "value": {"summary": "s"}}\n{"key": "file", "value": {"path": 5, "content": ""}}\n',
    b'{"key": "header", "value": {"summary": "s"}}\n{"key": "file", "value": {"path": "a", "content": 5}}\n',
    b'{"key": "header", "value": {"summary": "s"}}\n{"key": "file", "value": {"path": "a", "content": "@@@"}}\n',
    b'{"key": "header", "value": {"summary": "s"}}\n{"key": "lfsFile", "value": {"path": "a", "oid": "zz"}}\n',
    b'{"key": "header", "value": {"summary": "s"}}\n{"key": "deletedFolder", "value": {"path": null}}\n',
    b'{"key": "header", "value": {"summary": "s"}}\n{"key": 5, "value": {}}\n',
    b"\xff\xfe\n",
    b"[" * 100_000 + b"\n",
    b"just text\n",
]


def test_malformed_bodies_are_400_with_a_message_never_500(server, repo, capfd):
    for method, path, body in MALFORMED:
        status, doc = raw(server, method, path, body=body, token=ALICE_TOKEN)
        assert 400 <= status < 500 and status not in (401, 403, 404), (path, body[:60], status, doc)
        assert doc.get("error"), (path, body[:60], doc)
    for body in MALFORMED_COMMITS:
        status, doc = _commit(server, repo, raw_body=body)
        assert 400 <= status < 500, (body[:60], status, doc)
        assert doc.get("error"), (body[:60], doc)
    err = capfd.readouterr().err
    assert "internal error" not in err and "Traceback" not in err


@pytest.mark.parametrize("size_line", [b"zz", b"-5", b"1" * 2000, b"0x10", b""])
def test_a_bad_chunk_size_is_a_400_without_a_traceback(server, repo, capfd, size_line):
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=60)
    sock.sendall(f"POST /api/models/alice/good/commit/main HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                 f"Authorization: Bearer {ALICE_TOKEN}\r\nContent-Type: application/x-ndjson\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n".encode() + size_line + b"\r\nabc\r\n0\r\n\r\n")  # fmt: skip
    status_line = sock.makefile("rb").readline()
    sock.close()
    assert status_line.split()[1] == b"400", status_line
    err = capfd.readouterr().err
    assert "Traceback" not in err and "internal error" not in err


def test_a_well_formed_chunked_commit_still_works(server, repo):
    body = ndjson(header(), a_file("chunked.txt", b"chunked content"))
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    conn.request("POST", f"/api/models/{repo}/commit/main", body=iter([body[:10], body[10:]]),
                 headers={"Authorization": f"Bearer {ALICE_TOKEN}", "Content-Type": "application/x-ndjson"},
                 encode_chunked=True)  # fmt: skip
    response = conn.getresponse()
    assert response.status == 200, response.read()
    conn.close()
    assert "chunked.txt" in api(server).list_repo_files(repo)


# ----------------------------------------------------------------------------------------- what must keep holding
def test_private_repos_stay_404_to_others_everywhere(server, tmp_path):
    api(server, ALICE_TOKEN).create_repo("alice/hidden", private=True)
    api(server, ALICE_TOKEN).create_commit(
        "alice/hidden", [CommitOperationAdd("a.txt", b"secret")], commit_message="s"
    )
    for token in (None, BOB_TOKEN):
        for method, path in (("GET", "/api/models/alice/hidden"), ("GET", "/alice/hidden/resolve/main/a.txt"),
                             ("GET", "/alice/hidden"), ("GET", "/api/models/alice/hidden/tree/main"),
                             ("GET", "/api/models/alice/hidden/refs")):  # fmt: skip
            assert raw(server, method, path, token=token)[0] == 404, (token, path)
    assert "alice/hidden" not in {m.id for m in HfApi(endpoint=server.url, token=BOB_TOKEN).list_models()}
