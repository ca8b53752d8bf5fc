"""Pacing a bulk run within the Hub's quotas.

Two limits apply: an hourly commit cap (`--max-commits-per-hour`, a sliding window, so a resumed run that
seeds it from the journal cannot burst past the cap), and the Hub's own rate-limit signals (`Retry-After`,
`RateLimit: "api";r=0;t=N`). Those pause every worker at once through one shared gate: when the Hub says
"wait", hammering it from the other threads would only earn more 429s.
"""

from __future__ import annotations

import collections
import email.utils
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping

_RATELIMIT_FIELD = re.compile(r";\s*([rt])\s*=\s*(\d+)")


def retry_after_seconds(headers: Mapping[str, str] | None, *, now: float | None = None) -> float | None:
    """Seconds the Hub asks us to wait, from `Retry-After` (seconds or HTTP date) or `RateLimit` (r=0;t=N)."""
    if not headers:
        return None
    value = headers.get("retry-after") or headers.get("Retry-After")
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        if parsed is not None:
            return max(0.0, parsed.timestamp() - (time.time() if now is None else now))
    ratelimit = headers.get("ratelimit") or headers.get("RateLimit")
    if ratelimit:
        fields = dict(_RATELIMIT_FIELD.findall(ratelimit))
        if fields.get("r") == "0" and "t" in fields:
            return float(fields["t"])
    return None


class RateGate:
    """A pause shared by all workers: after a 429 every request waits until the Hub's reset time."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._until = 0.0
        self.pauses = 0
        self.waited = 0.0

    def pause(self, seconds: float) -> None:
        """Hold every worker for `seconds` from now (a longer pause already in place is kept)."""
        with self._lock:
            until = self._clock() + max(0.0, seconds)
            if until > self._until:
                self._until = until
                self.pauses += 1

    def wait(self) -> float:
        """Block while a pause is in effect; returns the seconds slept."""
        slept = 0.0
        while True:
            with self._lock:
                remaining = self._until - self._clock()
            if remaining <= 0:
                break
            self._sleep(remaining)
            slept += remaining
        if slept:
            with self._lock:
                self.waited += slept
        return slept


class CommitPacer:
    """At most `max_per_hour` commits in any sliding hour (None or 0: no cap)."""

    def __init__(
        self,
        max_per_hour: int | None,
        *,
        window: float = 3600.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        history: Iterable[float] = (),
    ) -> None:
        self.max_per_hour = max_per_hour or None
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._times: collections.deque[float] = collections.deque(sorted(history))
        self.waited = 0.0

    def acquire(self) -> float:
        """Block until one more commit fits in the window, reserve it, and return the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                while self._times and self._times[0] <= now - self.window:
                    self._times.popleft()
                if self.max_per_hour is None or len(self._times) < self.max_per_hour:
                    self._times.append(now)
                    self.waited += waited
                    return waited
                delay = self._times[0] + self.window - now
            self._sleep(delay)
            waited += delay
