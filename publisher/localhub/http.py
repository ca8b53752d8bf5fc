"""The HTTP vocabulary of the local hub: the request a handler sees, the response it returns, the error it
raises, and the bounded request body. It imports nothing that answers requests, so app, routing, handlers and
pages all build on it without importing each other.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from email.message import Message
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlencode

from publisher.localhub.auth import User

MAX_JSON_BODY = 64 * 1024 * 1024
MAX_COMMIT_BODY = 4 * 1024**3
MAX_COMMIT_LINE = 1024**3  # one inline (regular) file, base64: use LFS (upload mode auto) for bigger ones
MAX_LFS_OBJECT = 50 * 1000**3  # the Hub's per-file limit
MAX_CHUNK_LINE = 1024


class RequestStream(Protocol):
    """The connection's input as the body reads it (the handler's rfile)."""

    def read(self, size: int, /) -> bytes: ...

    def readline(self, size: int, /) -> bytes: ...


class HTTPError(Exception):
    """An error answer: JSON body {"error": message}, X-Error-Code / X-Error-Message headers.

    Its own root, not a StorageError: the HTTP vocabulary sits below everything that answers requests, and
    the storage below it knows nothing of HTTP (app.py turns either into an answer)."""

    def __init__(
        self, status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}


class _ChunkedReader:
    """Decodes a `Transfer-Encoding: chunked` body as it is read, so nothing is buffered ahead of the handler."""

    def __init__(self, rfile: RequestStream) -> None:
        self._rfile = rfile
        self._left = 0  # bytes left in the current chunk
        self.done = False

    def _next_chunk(self) -> None:
        line = self._rfile.readline(MAX_CHUNK_LINE + 1)
        size_text = line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            size = -1
        if (
            size < 0
            or len(line) > MAX_CHUNK_LINE
            or not size_text
            or not all(c in b"0123456789abcdefABCDEF" for c in size_text)
        ):
            raise HTTPError(400, f"malformed chunk size line {line[:40]!r} in the chunked request body")
        if size == 0:
            self.done = True
            for _ in range(64):  # trailers, then the blank line
                if self._rfile.readline(MAX_CHUNK_LINE + 1) in (b"\r\n", b"\n", b""):
                    break
            return
        self._left = size

    def read(self, n: int) -> bytes:
        if self.done:
            return b""
        if self._left == 0:
            self._next_chunk()
            if self.done:
                return b""
        data = self._rfile.read(min(n, self._left))
        if not data:
            raise HTTPError(400, "the chunked request body ended in the middle of a chunk")
        self._left -= len(data)
        if self._left == 0:
            self._rfile.readline(3)  # the CRLF after the chunk's data
        return data


class Body:
    """The request body, read lazily and at most once, never past Content-Length, and never past `limit`.

    The limit is the route's (set after routing and authentication, before a handler reads anything); a body
    over it is a 413 before it is read (Content-Length) or as soon as it grows past it (chunked).
    """

    def __init__(self, rfile: RequestStream, length: int | None) -> None:
        self._chunked = _ChunkedReader(rfile) if length is None else None
        self._rfile = rfile
        self.declared = length  # None for chunked
        self.consumed = 0
        self.limit = 0
        self.exhausted = length == 0

    @property
    def length(self) -> int:
        """The announced size (Content-Length); for a chunked body, what has arrived so far."""
        return self.consumed if self.declared is None else self.declared

    @property
    def remaining(self) -> int:
        """Bytes still unread (for chunked: unknown, so 1 until its last chunk was read)."""
        if self.declared is None:
            return 0 if self.exhausted else 1
        return self.declared - self.consumed if not self.exhausted else 0

    def check_size(self) -> None:
        if self.declared is not None and self.declared > self.limit:
            raise HTTPError(
                413, f"request body of {self.declared} bytes is over this endpoint's {self.limit}-byte limit"
            )

    def read(self, n: int = -1) -> bytes:
        """Up to `n` bytes (all of it for n < 0), 413 past the limit."""
        if self.exhausted:
            return b""
        if n < 0:
            parts = []
            while chunk := self.read(_CHUNK):
                parts.append(chunk)
            return b"".join(parts)
        if self.declared is None:
            assert self._chunked is not None
            data = self._chunked.read(min(n, self.limit - self.consumed + 1))
            self.exhausted = self._chunked.done
        else:
            self.check_size()
            want = min(n, self.declared - self.consumed)
            data = self._rfile.read(want) if want > 0 else b""
            self.exhausted = len(data) < want or self.consumed + len(data) >= self.declared
        self.consumed += len(data)
        if self.consumed > self.limit:
            raise HTTPError(413, f"request body is over this endpoint's {self.limit}-byte limit")
        return data

    def lines(self, max_line: int) -> Iterator[bytes]:
        """The body split after each newline, as it streams in; a line longer than `max_line` is a 413."""
        parts: list[bytes] = []
        size = 0
        while chunk := self.read(_CHUNK):
            start = 0
            while (cut := chunk.find(b"\n", start)) >= 0:
                size += cut + 1 - start
                if size > max_line:
                    raise HTTPError(413, f"a line of the request body is over the {max_line}-byte limit")
                parts.append(chunk[start : cut + 1])
                yield b"".join(parts)
                parts, size, start = [], 0, cut + 1
            if start < len(chunk):
                parts.append(chunk[start:])
                size += len(chunk) - start
                if size > max_line:
                    raise HTTPError(413, f"a line of the request body is over the {max_line}-byte limit")
        if parts:
            yield b"".join(parts)

    def drain(self, budget: int) -> bool:
        """Read and drop what is left, up to `budget` bytes; True if the body was read to its end."""
        self.limit = self.consumed + budget
        try:
            while not self.exhausted and self.consumed < self.limit:
                if not self.read(_CHUNK):
                    break
        except (HTTPError, OSError):
            return False
        return self.exhausted


_CHUNK = 1024 * 1024


class Request:
    """What a route handler sees: method, unquoted path segments, query, headers, body, the caller."""

    def __init__(
        self,
        method: str,
        target: str,
        segments: list[str],
        query: dict[str, list[str]],
        headers: Message,
        body: Body,
        base_url: str,
    ) -> None:
        self.method = method
        self.target = target  # the raw request target, path and query, as the client sent it
        self.segments = segments
        self.query = query
        self.headers = headers
        self.body = body
        self.user: User | None = None
        self.base_url = base_url

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def flag(self, name: str) -> bool:
        return truthy(self.param(name) or "")

    def json(self) -> Any:
        raw = self.body.read()
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise HTTPError(400, f"request body is not valid JSON: {str(exc)[:200]}") from exc

    def json_object(self) -> dict[str, Any]:
        """The JSON body, which must be an object (400 otherwise, never a 500 further down)."""
        data = self.json()
        if not isinstance(data, dict):
            raise HTTPError(400, f"request body must be a JSON object, not {type(data).__name__}")
        return data

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


Handler = Callable[[Request], Response]


def truthy(value: Any) -> bool:
    """A flag as the Hub reads one from a query, a form or a JSON body: 1, true or yes (any case)."""
    return str(value).lower() in ("1", "true", "yes")


def next_link(req: Request, last_id: str | None) -> dict[str, str]:
    """The `Link: <next>; rel="next"` header of a cursor-paged listing, resuming after `last_id`."""
    query = {k: v for k, v in req.query.items() if k != "cursor"}
    query["cursor"] = [last_id or ""]
    raw_path = req.target.partition("?")[0]
    return {"Link": f'<{req.base_url}{raw_path}?{urlencode(query, doseq=True)}>; rel="next"'}


def page(req: Request, page_size: int, items: list[Any]) -> tuple[list[Any], dict[str, str]]:
    """One page of `items` (offset cursor, at most `page_size`) and its `Link: <next>` header, GitHub-style
    as the Hub."""
    size = page_size
    try:
        size = max(1, min(size, int(req.param("limit") or size)))
        start = max(0, int(req.param("cursor") or 0))
    except ValueError as exc:
        raise HTTPError(400, "limit and cursor must be integers") from exc
    items_page = items[start : start + size]
    if start + size >= len(items):
        return items_page, {}
    query = {k: v[0] for k, v in req.query.items()}
    query["cursor"] = str(start + size)
    raw_path = req.target.partition("?")[0]
    return items_page, {"Link": f'<{req.base_url}{raw_path}?{urlencode(query)}>; rel="next"'}


def body_limit(route: str) -> int:
    """How many body bytes a route may read; set before its handler runs, so nothing larger is ever buffered."""
    if route == "lfs-put":
        return MAX_LFS_OBJECT  # the handler also requires exactly the signed size
    if route == "commit":
        return MAX_COMMIT_BODY  # streamed line by line, each line bounded by MAX_COMMIT_LINE
    return MAX_JSON_BODY
