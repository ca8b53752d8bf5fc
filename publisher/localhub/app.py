"""HTTP layer of the local hub: a stdlib ThreadingHTTPServer (HTTP/1.1, keep-alive) routing on the RAW path.

Revisions arrive URL-quoted (`refs%2Fpr%2F1`), so the path is split on "/" first and each segment unquoted
after (docs/hub-api.md §2). The route table is `routing.py`, the handlers
`handlers/` and `pages.py`, the request/response vocabulary `http.py`; this module owns the socket, the
request plumbing, latency, fault injection and the request log.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

from publisher.localhub.auth import User, Users
from publisher.localhub.faults import Faults
from publisher.localhub.http import Body, HTTPError, Request, Response, body_limit, json_response
from publisher.localhub.lfs import UrlSigner
from publisher.localhub.log import RequestLog
from publisher.localhub.routing import Router
from publisher.localhub.storage import Storage, StorageError

UPLOAD_MODES = ("auto", "regular")
_DRAIN_LIMIT = 1024 * 1024
# Write requests whose own credential is not the Authorization header (the signed LFS PUT), and POSTs that
# only read (paths-info takes a form, as on the Hub; validate-yaml checks a card, with or without a token).
UNAUTHENTICATED_POSTS = frozenset({"lfs-put", "paths-info", "validate"})
# Every answer, pages and API alike, refuses to be framed by another site (clickjacking).
SECURITY_HEADERS = {"Content-Security-Policy": "frame-ancestors 'none'", "X-Frame-Options": "DENY",
                    "X-Content-Type-Options": "nosniff"}  # fmt: skip
JSON_CONTENT_TYPES = ("application/json", "application/x-ndjson", "application/vnd.git-lfs+json")


def _header_safe(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ").encode("latin-1", "replace").decode("latin-1")[:1000]


def error_response(exc: HTTPError | StorageError) -> Response:
    headers = {"X-Error-Message": _header_safe(exc.message)}
    if exc.code:
        headers["X-Error-Code"] = exc.code
    headers.update(getattr(exc, "headers", {}))
    return json_response({"error": exc.message}, exc.status, headers)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "publisher-local-hub"
    # headers and body go out in two sends; without TCP_NODELAY every response would wait ~40 ms for the
    # client's delayed ACK (Nagle), a stall the real Hub does not have
    disable_nagle_algorithm = True
    timeout = 300  # idle keep-alive connections are dropped after this many seconds
    server: _ThreadingServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silence the stdlib access log; the JSON-lines request log replaces it."""

    def do_GET(self) -> None:
        self._handle()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def _handle(self) -> None:
        hub = self.server.hub
        started = time.perf_counter()
        hub.log.begin()
        try:
            self._handle_logged(hub, started)
        except BaseException:
            hub.log.abandon()
            raise

    def _handle_logged(self, hub: HubServer, started: float) -> None:
        raw_path, _, raw_query = self.path.partition("?")
        segments = [unquote(s) for s in raw_path.split("/")[1:]]
        if segments and segments[-1] == "" and len(segments) > 1:
            segments.pop()
        body = self._body()
        host = self.headers.get("Host") or hub.netloc
        query = parse_qs(raw_query, keep_blank_values=True)
        request = Request(self.command, self.path, segments, query, self.headers, body, f"http://{host}")
        route, func = hub.router.match(request)
        entry: dict[str, Any] = {"method": self.command, "path": raw_path, "route": route}
        if hub.latency_ms > 0:
            time.sleep(hub.latency_ms / 1000)
        fault = hub.faults.pick(route)
        if fault is not None and fault.kind == "hold":
            hub.faults.hold()  # until the faults change or the server stops
            self._drop()
            entry.update(status=0, fault="hold")
        elif fault is not None and fault.kind == "drop":
            self._drop()
            entry.update(status=0, fault="drop")
        else:
            if fault is not None:
                headers = {"Retry-After": str(fault.retry_after)} if fault.kind == "429" else {}
                message = fault.message or f"injected fault ({fault.kind}) on {route}"
                response = error_response(HTTPError(int(fault.kind), message, None, headers))
                entry["fault"] = fault.kind
            else:
                response = self._run(route, func, request)
            self._send(response)
            entry.update(status=response.status, bytes_out=response.length if self.command != "HEAD" else 0)
        self._finish_body(body)
        entry.update(bytes_in=body.consumed, duration_ms=round((time.perf_counter() - started) * 1000, 3))
        hub.log.add(entry)

    def _body(self) -> Body:
        """The body, unread: a handler reads it only after routing, authentication and the route's size limit."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return Body(self.rfile, None)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True  # the rest of the stream cannot be framed
            return Body(self.rfile, 0)
        return Body(self.rfile, length)

    def _run(self, route: str, func: Any, request: Request) -> Response:
        hub = self.server.hub
        try:
            hub.check_host(request)
            if route not in ("invalid", "unknown"):  # those answer 400/404 from the path alone
                request.user = hub.authenticate(request)
                hub.check_cross_site(route, request)
            request.body.limit = body_limit(route)
            return func(request)
        except (HTTPError, StorageError) as exc:
            return error_response(exc)
        except Exception as exc:  # noqa: BLE001 - one bad request must not kill the server
            print(f"local hub: internal error on {self.command} {request.segments}: {exc!r}", file=sys.stderr)
            return error_response(HTTPError(500, f"internal error: {type(exc).__name__}"))

    def _request_id(self) -> str:
        """The caller's X-Request-Id, else its X-Amzn-Trace-Id, else a new uuid (the Hub echoes what it gets)."""
        given = self.headers.get("X-Request-Id") or self.headers.get("X-Amzn-Trace-Id") or ""
        return _header_safe(given)[:200] if given.strip() else str(uuid.uuid4())

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        headers = {**SECURITY_HEADERS, **response.headers}
        if "frame-ancestors" not in headers["Content-Security-Policy"]:
            headers["Content-Security-Policy"] += "; frame-ancestors 'none'"
        for name, value in headers.items():
            self.send_header(name, value)
        if "X-Request-Id" not in response.headers:
            self.send_header("X-Request-Id", self._request_id())
        self.send_header("Content-Length", str(response.length))
        self.end_headers()
        if self.command == "HEAD":
            return
        try:
            if response.file is None:
                self.wfile.write(response.body)
            else:
                self._stream_file(response)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _stream_file(self, response: Response) -> None:
        assert response.file is not None
        with open(response.file, "rb") as fh:
            fh.seek(response.offset)
            remaining = response.length
            while remaining > 0:
                chunk = fh.read(min(1024 * 1024, remaining))
                if not chunk:
                    break
                self.wfile.write(chunk)
                remaining -= len(chunk)

    def _drop(self) -> None:
        """Close the connection without an answer (an injected network failure)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _finish_body(self, body: Body) -> None:
        """Keep the connection usable: drain a small unread body, or close the connection on a large one."""
        if body.exhausted or self.close_connection:
            return
        if not body.drain(_DRAIN_LIMIT):
            self.close_connection = True


class _ThreadingServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    hub: HubServer


class HubServer:
    """The local hub. Binds in the constructor (so `.url` is known), serves after `.start()` or `.serve_forever()`."""

    def __init__(
        self,
        root: str | Path,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        users: list[dict] | None = None,
        latency_ms: float = 0,
        faults: str | None = None,
        request_log: str | Path | None = None,
        upload_mode: str = "auto",
        page_size: int = 1000,
    ) -> None:
        if upload_mode not in UPLOAD_MODES:
            raise ValueError(f"upload_mode must be one of {', '.join(UPLOAD_MODES)}, not {upload_mode!r}")
        self.root = Path(root).resolve()
        self.storage = Storage(self.root)
        self.users = Users(users)
        self.faults = Faults(faults)
        self.log = RequestLog(request_log)
        self.signer = UrlSigner()
        self.latency_ms = float(latency_ms)
        self.upload_mode = upload_mode
        self.page_size = page_size
        self.router = Router(self)
        self._httpd = _ThreadingServer((host, port), _Handler)
        self._httpd.hub = self
        self.host = host
        self.port = self._httpd.server_address[1]
        self._thread: threading.Thread | None = None
        self._serving = False

    # ----------------------------------------------------------------- lifecycle
    @property
    def netloc(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        return f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.netloc}"

    def start(self) -> HubServer:
        """Serve in a background thread; returns self."""
        self._serving = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._serving = True
        self._httpd.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        """Stop accepting, close the socket and the log. Safe to call twice."""
        self.faults.release()  # a held request must not keep its handler thread waiting
        if self._serving:
            self._serving = False
            self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.log.close()

    def __enter__(self) -> HubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------- runtime knobs (tests, benchmarks)
    def set_latency(self, ms: float) -> None:
        self.latency_ms = float(ms)

    def set_faults(self, spec: str | None) -> None:
        self.faults.set(spec)

    def wait_held(self, count: int = 1, timeout: float = 3600.0) -> bool:
        """True once `count` requests are held by a `hold` fault (a test's cue to kill its client)."""
        return self.faults.wait_held(count, timeout)

    def add_user(self, name: str, token: str, orgs: list[str] | tuple[str, ...] = ()) -> None:
        self.users.add(User(name, token, tuple(orgs)))

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self.log.entries()

    def clear_requests(self) -> None:
        self.log.clear()

    # ----------------------------------------------------------------- who may ask
    @property
    def server_names(self) -> frozenset[str]:
        """The Host values that name this server: loopback names and the bound host, with the port."""
        names = {"127.0.0.1", "localhost", "[::1]", self.host if ":" not in self.host else f"[{self.host}]"}
        hosts = {f"{n}:{self.port}".lower() for n in names if n}
        if self.port == 80:
            hosts |= {n.lower() for n in names if n}
        return frozenset(hosts)

    def check_host(self, request: Request) -> None:
        """Refuse a Host that is not one of ours: a DNS-rebinding page names its own domain (421)."""
        host = request.headers.get("Host")
        if host is not None and host.strip().lower() not in self.server_names:
            raise HTTPError(421, f"this server does not answer for host {host[:100]!r}; use {self.url}")

    @staticmethod
    def check_cross_site(route: str, request: Request) -> None:
        """A write needs the Authorization header and a JSON/NDJSON body: what no cross-site simple request has.

        A page on another origin can make the browser POST `text/plain` or a form without a preflight, but
        it cannot add an Authorization header or a JSON content type. The signed LFS PUT carries its own
        credential in the URL; paths-info and validate-yaml only read.
        """
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return
        if route == "signin":  # the browser's token form (browse.py): checks its Origin itself; its session
            return  # cookie only lets pages show private repos, and no write or API request ever reads it
        if route not in UNAUTHENTICATED_POSTS and request.user is None:
            raise HTTPError(
                401, "You must be authenticated (Authorization: Bearer <token>) for this request."
            )
        if route in ("lfs-put", "paths-info") or request.body.exhausted:
            return
        content_type = (request.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        if content_type not in JSON_CONTENT_TYPES:
            raise HTTPError(
                415, f"a request body here must be JSON or NDJSON, not {content_type or 'untyped'!r}"
            )

    # ----------------------------------------------------------------- auth
    def authenticate(self, request: Request) -> User | None:
        """The caller, or None for anonymous; an unknown token is a 401 (never echoed back)."""
        header = request.headers.get("Authorization") or ""
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        user = self.users.by_token(token)
        if user is None:
            raise HTTPError(401, "Invalid credentials in Authorization header")
        return user
