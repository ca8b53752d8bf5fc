"""The one retrier of Hub calls and the one reading of the server's "wait this long" headers.

Single calls (`call_with_retries`, used by publish) and the bulk session of regenerate (`hubclient.bulk`) both
retry through `retrying`: 408/429/5xx and dropped connections are tried again with exponential backoff, or
after what the Hub asks (`Retry-After`, `RateLimit`); everything else is mapped to a PublisherError at once.
The bulk session plugs in its own pacing (a shared gate before each try, 429 waits that do not count as a try);
the rules of what is retried and how long to wait are the same for both.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import timezone
from typing import Any, TypeVar

from publisher.errors import BadInputError, PublisherError
from publisher.hubclient.errors import headers_of, is_connection_error, map_hub_error, status_of
from publisher.output import info
from publisher.settings import environ

T = TypeVar("T")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_SECONDS = re.compile(r"\d+", re.ASCII)
_RATELIMIT_FIELD = re.compile(r"(?:^|;)\s*([rt])\s*=\s*(\d+)", re.ASCII)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry: exponential backoff, or what the Hub asks (Retry-After / RateLimit)."""

    attempts: int = 6
    base_wait: float = 1.0
    max_wait: float = 16.0
    max_server_wait: float = 120.0


DEFAULT_RETRY = RetryPolicy()


def retry_policy_from_env(env: Mapping[str, str] | None = None) -> RetryPolicy:
    """The default policy, with `PUBLISHER_HUB_RETRIES` (total tries) and `PUBLISHER_HUB_RETRY_WAIT` (first
    backoff, seconds) overrides: CI jobs and tests can fail fast, slow links can wait longer."""
    env = environ() if env is None else env
    policy = DEFAULT_RETRY
    try:
        if env.get("PUBLISHER_HUB_RETRIES"):
            policy = replace(policy, attempts=max(1, int(env["PUBLISHER_HUB_RETRIES"])))
        if env.get("PUBLISHER_HUB_RETRY_WAIT"):
            policy = replace(policy, base_wait=max(0.0, float(env["PUBLISHER_HUB_RETRY_WAIT"])))
    except ValueError as exc:
        raise BadInputError(
            f"PUBLISHER_HUB_RETRIES / PUBLISHER_HUB_RETRY_WAIT: not a number ({exc})"
        ) from None
    return policy


# ---------------------------------------------------------------------------------------------------------
# What the server asks: Retry-After (seconds or an HTTP date), RateLimit (r=0;t=N)


def _get(headers: Any, *names: str) -> str | None:
    """The first of `names` present in a header mapping (httpx2's is case-insensitive; a plain dict is not)."""
    if not headers:
        return None
    try:
        return next((value for name in names if (value := headers.get(name))), None)
    except AttributeError:
        return None


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a `Retry-After` value: delay-seconds, or an HTTP date (a past date is 0); else None."""
    value = (value or "").strip()
    if not value:
        return None
    if _SECONDS.fullmatch(value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": the HTTP date is GMT all the same
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def ratelimit_reset_wait(value: str | None) -> float | None:
    """Seconds until the window resets when a `RateLimit: "api";r=0;t=N` value says it is spent; else None."""
    fields = dict(_RATELIMIT_FIELD.findall(value or ""))
    if fields.get("r") == "0" and "t" in fields:
        return float(fields["t"])
    return None


def retry_after_seconds(headers: Any, *, now: float | None = None) -> float | None:
    """Seconds the server asks us to wait: `Retry-After` (seconds or HTTP date), else `RateLimit` (r=0;t=N)."""
    asked = parse_retry_after(_get(headers, "retry-after", "Retry-After"), now=now)
    return asked if asked is not None else ratelimit_reset_wait(_get(headers, "ratelimit", "RateLimit"))


# ---------------------------------------------------------------------------------------------------------
# The retrier


def retry_delay(exc: BaseException, attempt: int, policy: RetryPolicy = DEFAULT_RETRY) -> float | None:
    """How long to wait before retrying after `exc` on try number `attempt` (1-based); None = do not retry.

    Retried: 408/429/5xx (waiting what Retry-After or RateLimit asks, if anything) and dropped connections.
    """
    if attempt >= policy.attempts:
        return None
    backoff = min(policy.max_wait, policy.base_wait * (2 ** (attempt - 1)))
    status = status_of(exc)
    if status is not None:
        if status not in RETRY_STATUSES:
            return None
        asked = retry_after_seconds(headers_of(exc))
        return min(policy.max_server_wait, asked + 0.5) if asked is not None else backoff
    return backoff if is_connection_error(exc) else None


def retrying(
    what: str,
    fn: Callable[[], T],
    *,
    policy: RetryPolicy,
    where: str = "",
    sleep: Callable[[float], None] = time.sleep,
    before_try: Callable[[], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    on_rate_limit: Callable[[BaseException, float | None], None] | None = None,
    on_retry: Callable[[BaseException, float, int], None] | None = None,
) -> T:
    """Call `fn` until it succeeds, retrying what `retry_delay` allows; map the final error (`where`: endpoint).

    Hooks, for a caller that paces many calls: `before_try` runs before every try (a shared gate);
    `on_error` sees every failure first; `on_rate_limit(exc, asked_seconds)`, when given, takes every 429
    instead (it waits, or raises) and that try is not counted; `on_retry(exc, delay, attempt)` announces a
    retry before its backoff sleep. A PublisherError raised by `fn` passes through untouched.
    """
    attempt = 0
    while True:
        if before_try is not None:
            before_try()
        try:
            return fn()
        except PublisherError:
            raise
        except Exception as exc:  # noqa: BLE001 - retried or mapped below, nothing swallowed
            if on_error is not None:
                on_error(exc)
            if on_rate_limit is not None and status_of(exc) == 429:
                on_rate_limit(exc, retry_after_seconds(headers_of(exc)))
                continue
            attempt += 1
            delay = retry_delay(exc, attempt, policy)
            if delay is None:
                raise map_hub_error(exc, what, where) from exc
            if on_retry is not None:
                on_retry(exc, delay, attempt)
            sleep(delay)


def call_with_retries(
    what: str,
    fn: Callable[..., T],
    *args: Any,
    policy: RetryPolicy | None = None,
    where: str = "",
    sleep: Callable[[float], None] = time.sleep,
    **kwargs: Any,
) -> T:
    """Call a Hub function, retrying 429/5xx/dropped connections with backoff; map the final error.

    Use it for calls that are safe to repeat: reads, and writes that are idempotent or guarded (a commit with
    `parent_commit` cannot land twice: a repeat after a lost answer gets 412 instead).
    """
    policy = policy or retry_policy_from_env()

    def _announce(exc: BaseException, delay: float, attempt: int) -> None:
        status = status_of(exc)
        reason = f"{status}" if status else "connection lost"
        info(f"{what}: {reason}, retrying in {delay:.1f}s (try {attempt + 1}/{policy.attempts})")

    return retrying(
        what, lambda: fn(*args, **kwargs), policy=policy, where=where, sleep=sleep, on_retry=_announce
    )
