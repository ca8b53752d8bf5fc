"""What a failed Hub call says, read from huggingface_hub / httpx2 exceptions, the one mapping of such an
exception to a PublisherError (its message and exit code), and the two refusals of a commit a bulk session
reports as such (the hourly quota, a moved branch).

Why apart from the retrier: retrying and reporting read the same facts (status, headers, "the connection
dropped"), and the bulk session and the single calls must agree on them.
"""

from __future__ import annotations

from typing import Any

from publisher.errors import AuthError, CardCheckError, HubError, PublisherError
from publisher.output import redact


class CommitQuotaExceeded(PublisherError):
    """A 429 that names the hourly commit quota: the caller waits for the reset (`wait`, if the Hub said)."""

    def __init__(self, message: str, *, wait: float | None) -> None:
        super().__init__(message)
        self.wait = wait


class CommitConflict(PublisherError):
    """The branch moved since the read (412). `uncertain`: an earlier try may have landed (lost answer)."""

    def __init__(self, message: str, *, uncertain: bool) -> None:
        super().__init__(message)
        self.uncertain = uncertain


def status_of(exc: BaseException) -> int | None:
    """The HTTP status of the answer that caused `exc`, if there was an answer."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def headers_of(exc: BaseException) -> Any:
    """The answer's headers (case-insensitive with httpx2), or an empty mapping when there was no answer."""
    return getattr(getattr(exc, "response", None), "headers", None) or {}


def header_of(exc: BaseException, name: str) -> str | None:
    """One header of the answer that caused `exc` (None if absent, or if the headers are not a mapping)."""
    headers = headers_of(exc)
    try:
        return headers.get(name)
    except AttributeError:
        return None


def is_connection_error(exc: BaseException) -> bool:
    """A dropped or refused connection / timeout (httpx2 transport errors, or the builtin ones)."""
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    try:
        import httpx2
    except ImportError:  # pragma: no cover - huggingface_hub always brings it
        return False
    return isinstance(exc, httpx2.TransportError)


def hub_message(exc: BaseException) -> str:
    """The Hub's own words for an error: its server message if it sent one, else the exception's first line."""
    server = getattr(exc, "server_message", None) or getattr(exc.__cause__, "server_message", None)
    text = server.strip() if isinstance(server, str) and server.strip() else str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return redact(first)


def map_hub_error(exc: BaseException, what: str, endpoint: str = "") -> PublisherError:
    """Turn a huggingface_hub / httpx2 exception into a PublisherError with one clear line and its exit code.

    401/403 and a missing token are AuthError (exit 2, nothing uploaded); an invalid README front matter
    rejected by the Hub is CardCheckError (exit 2); everything else is HubError (exit 1) carrying the status.
    """
    if isinstance(exc, PublisherError):
        return exc
    name = type(exc).__name__
    status = status_of(exc)
    message = hub_message(exc)
    where = f" ({endpoint})" if endpoint else ""
    if name == "LocalTokenNotFoundError":
        return AuthError(f"{what}: no Hugging Face token", hint="set HF_TOKEN or run `hf auth login`")
    if status == 401:
        return AuthError(
            f"{what}: the Hub rejected the token (401){where}: {message}",
            hint="check HF_TOKEN (or `hf auth login`); it must be a valid write token",
        )
    if status == 403:
        return AuthError(f"{what}: permission denied (403){where}: {message}")
    if name == "RepositoryNotFoundError":
        return HubError(f"{what}: repository not found (404){where}: {message}", status=status or 404)
    if name == "RevisionNotFoundError":
        return HubError(f"{what}: revision not found (404){where}: {message}", status=status or 404)
    if status is not None:
        return HubError(f"{what}: the Hub answered {status}{where}: {message}", status=status)
    if isinstance(exc, ValueError) and "Invalid metadata in README.md" in str(exc):
        return CardCheckError(f"{what}: the Hub rejected the card's metadata: {redact(str(exc)).strip()}")
    if is_connection_error(exc):
        return HubError(f"{what}: cannot reach the Hub{where}: {message}")
    return HubError(f"{what}: {name}: {message}")
