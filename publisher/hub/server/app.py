"""HTTP layer of the local hub: a stdlib ThreadingHTTPServer (HTTP/1.1, keep-alive) routing on the RAW path.

Revisions arrive URL-quoted (`refs%2Fpr%2F1`), so the path is split on "/" first and each segment unquoted
after (hub-api.md §2). Handlers live in `routes.py`; this module owns the socket, the request/response
plumbing, latency, fault injection and the request log.
"""

from __future__ import annotations

import contextlib
import io
import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qs, unquote

from publisher.hub.server.auth import User, Users
from publisher.hub.server.faults import Faults
from publisher.hub.server.lfs import UrlSigner
from publisher.hub.server.log import RequestLog
from publisher.hub.server.storage import Storage, StorageError

UPLOAD_MODES = ("auto", "regular")
_DRAIN_LIMIT = 1024 * 1024
MAX_JSON_BODY = 64 * 1024 * 1024


class HTTPError(StorageError):
    """An error answer: JSON body {"error": message}, X-Error-Code / X-Error-Message headers."""

    def __init__(self, status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(status, message, code)
        self.headers = headers or {}


class Body:
    """The request body, read at most once, never past Content-Length (keep-alive stays in sync)."""

    def __init__(self, rfile: BinaryIO, length: int) -> None:
        self._rfile = rfile
        self.length = length
        self.remaining = length

    def read(self, n: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        n = self.remaining if n < 0 else min(n, self.remaining)
        data = self._rfile.read(n)
        self.remaining -= len(data)
        if len(data) < n:
            self.remaining = 0
        return data

    def lines(self) -> Iterator[bytes]:
        while self.remaining > 0:
            line = self._rfile.readline(self.remaining)
            if not line:
                return
            self.remaining -= len(line)
            yield line


def _read_chunked(rfile: BinaryIO) -> bytes:
    out = io.BytesIO()
    while True:
        size = int(rfile.readline().split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            return out.getvalue()
        out.write(rfile.read(size))
        rfile.readline()


class Request:
    """What a route handler sees: method, unquoted path segments, query, headers, body, the caller."""

    def __init__(self, handler: _Handler, segments: list[str], query: dict[str, list[str]], body: Body) -> None:
        self.handler = handler
        self.method = handler.command
        self.segments = segments
        self.query = query
        self.headers = handler.headers
        self.body = body
        self.user: User | None = None
        host = handler.headers.get("Host") or handler.server.hub.netloc
        self.base_url = f"http://{host}"

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def flag(self, name: str) -> bool:
        return (self.param(name) or "").lower() in ("1", "true", "yes")

    def json(self) -> Any:
        if self.body.length > MAX_JSON_BODY:
            raise HTTPError(413, f"JSON body of {self.body.length} bytes is over the {MAX_JSON_BODY}-byte limit")
        raw = self.body.read()
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise HTTPError(400, f"request body is not valid JSON: {exc}") from exc

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.read().decode("utf-8", "replace"), keep_blank_values=True)


class Response:
    """A status, headers and either bytes or a slice of a file streamed from disk."""

    def __init__(
        self,
        status: int = 200,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        *,
        file: Path | None = None,
        offset: int = 0,
        length: int | None = None,
    ) -> None:
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.file = file
        self.offset = offset
        self.length = len(body) if length is None else length


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data).encode()
    return Response(status, body, {"Content-Type": "application/json; charset=utf-8", **(headers or {})})


def _header_safe(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ").encode("latin-1", "replace").decode("latin-1")[:1000]


def error_response(exc: StorageError) -> Response:
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
        request = Request(self, segments, parse_qs(raw_query, keep_blank_values=True), body)
        route, func = hub.router.match(request)
        entry: dict[str, Any] = {"method": self.command, "path": raw_path, "route": route}
        if hub.latency_ms > 0:
            time.sleep(hub.latency_ms / 1000)
        fault = hub.faults.pick(route)
        if fault is not None and fault.kind == "drop":
            self._drop()
            entry.update(status=0, fault="drop")
        else:
            if fault is not None:
                headers = {"Retry-After": str(fault.retry_after)} if fault.kind == "429" else {}
                response = error_response(HTTPError(int(fault.kind), f"injected fault ({fault.kind}) on {route}", None, headers))
                entry["fault"] = fault.kind
            else:
                response = self._run(func, request)
            self._send(response)
            entry.update(status=response.status, bytes_out=response.length if self.command != "HEAD" else 0)
        self._finish_body(body)
        entry.update(bytes_in=body.length - body.remaining, duration_ms=round((time.perf_counter() - started) * 1000, 3))
        hub.log.add(entry)

    def _body(self) -> Body:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            data = _read_chunked(self.rfile)
            return Body(io.BytesIO(data), len(data))
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        return Body(self.rfile, max(length, 0))

    def _run(self, func: Any, request: Request) -> Response:
        try:
            request.user = self.server.hub.authenticate(request)
            return func(request)
        except StorageError as exc:
            return error_response(exc)
        except Exception as exc:  # noqa: BLE001 - one bad request must not kill the server
            print(f"local hub: internal error on {self.command} {request.segments}: {exc!r}", file=sys.stderr)
            return error_response(HTTPError(500, f"internal error: {type(exc).__name__}"))

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
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
        """Keep the connection usable: drain a small unread body, or close it for a large one."""
        if body.remaining <= 0 or self.close_connection:
            return
        if body.remaining > _DRAIN_LIMIT:
            self.close_connection = True
            return
        try:
            body.read()
        except OSError:
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
        from publisher.hub.server.routes import Router

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
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._serving = True
        self._httpd.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        """Stop accepting, close the socket and the log. Safe to call twice."""
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

    def add_user(self, name: str, token: str, orgs: list[str] | tuple[str, ...] = ()) -> None:
        self.users.add(User(name, token, tuple(orgs)))

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self.log.entries()

    def clear_requests(self) -> None:
        self.log.clear()

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
