"""Pacing a bulk run within the Hub's quotas, and only there.

Three limits apply against the Hub (none against a local hub, which has no quota):
  * API calls per window: every answer's `RateLimit: "api";r=R;t=T` (and `RateLimit-Policy: q=Q;w=W`, the
    IETF draft the Hub follows; free accounts get 1,000 API and 5,000 resolver calls per 5 minutes) tells
    how many calls are left and when the window resets. ApiBudget counts the calls sent since, and when
    only a reserve of `concurrency` calls is left it pauses every worker until the reset: the run neither
    trips the quota nor idles while budget remains;
  * commits per hour: a sliding-hour cap (`--max-commits-per-hour`; default 100 against the Hub, none
    against a local hub), seeded from the journal so a resumed run cannot burst past it; a 429 that names
    the commit quota waits for the reset the Hub gives (Retry-After / RateLimit), else for the oldest commit
    of this run's last hour to leave the window (else a minute), then commits again;
  * `Retry-After` / `RateLimit: r=0` on any 429: every worker waits for the reset through one shared gate
    (hammering the Hub from the other threads would only earn more 429s).
Every wait is announced (`on_wait`), and every sleep ends at once on Ctrl-C (Stop).
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Iterable, Mapping


class Interrupted(Exception):
    """The run was stopped (Ctrl-C) while this worker slept."""


class Stop:
    """One switch for every sleep of a run: `set()` (on Ctrl-C) wakes the sleepers, which raise Interrupted."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def sleep(self, seconds: float) -> None:
        if self._event.wait(max(0.0, seconds)):
            raise Interrupted("stopped while waiting")


class ApiBudget:
    """Calls left in the Hub's current window, per resource ("api", "resolvers"), from RateLimit headers."""

    def __init__(self, gate: RateGate, *, reserve: int = 8, clock: Callable[[], float] = time.monotonic,
                 on_wait: Callable[[str], None] | None = None) -> None:  # fmt: skip
        self.gate = gate
        self.reserve = max(1, reserve)
        self._clock = clock
        self._on_wait = on_wait
        self._lock = threading.Lock()
        self._left: dict[str, tuple[int, float]] = {}  # resource -> (calls left, monotonic reset time)

    def observe(self, headers: Mapping[str, str] | None) -> None:
        """Take the Hub's count from an answer (the latest answer is the truth, minus calls still in flight)."""
        from huggingface_hub.utils import parse_ratelimit_headers

        info = parse_ratelimit_headers(headers or {})
        if info is None:
            return
        with self._lock:
            self._left[info.resource_type] = (info.remaining, self._clock() + info.reset_in_seconds)

    def spend(self, resource: str) -> None:
        """Count one call about to be sent; when only the reserve is left, pause everyone until the reset."""
        with self._lock:
            known = self._left.get(resource)
            if known is None:
                return
            left, reset_at = known
            now = self._clock()
            if now >= reset_at:  # a new window: the next answer says how much it holds
                del self._left[resource]
                return
            self._left[resource] = (left - 1, reset_at)
            wait = reset_at - now if left - 1 <= self.reserve else 0.0
        if wait > 0:
            self.gate.pause(wait + 0.5)
            if self._on_wait is not None:
                self._on_wait(f"{resource} budget of this window used up: waiting {wait:.0f}s for the reset")


class RateGate:
    """A pause shared by all workers: after a 429 every request waits until the Hub's reset time."""

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ):
        """`sleep` may raise (Stop.sleep on Ctrl-C): the waiting worker then gives up."""
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._until = 0.0

    def pause(self, seconds: float) -> None:
        """Hold every worker for `seconds` from now (a longer pause already in place is kept)."""
        with self._lock:
            until = self._clock() + max(0.0, seconds)
            self._until = max(self._until, until)

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
        return slept


class CommitPacer:
    """At most `max_per_hour` commits in any sliding hour (None or 0: no cap; a 429 on commits sets one)."""

    def __init__(
        self,
        max_per_hour: int | None,
        *,
        window: float = 3600.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        history: Iterable[float] = (),
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        self.max_per_hour = max_per_hour or None
        self._on_wait = on_wait
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._times: collections.deque[float] = collections.deque(sorted(history))
        self.quota_hits = 0

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
                    return waited
                delay = self._times[0] + self.window - now
            if self._on_wait is not None:
                self._on_wait(f"commit cap ({self.max_per_hour}/hour) reached: waiting {delay:.0f}s")
            self._sleep(delay)
            waited += delay

    def quota_reached(self) -> float | None:
        """The Hub refused a commit for its hourly quota: forget that reservation; return the seconds until
        our oldest commit of the last hour leaves the window (None if this run made none in it)."""
        with self._lock:
            now = self._clock()
            while self._times and self._times[0] <= now - self.window:
                self._times.popleft()
            if self._times:
                self._times.pop()  # the refused commit did not happen
            self.quota_hits += 1
            return self._times[0] + self.window - now if self._times else None
