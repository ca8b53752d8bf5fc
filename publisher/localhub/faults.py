"""Fault injection for tests and benchmarks: make a route answer 429/500/503, drop or hold the connection.

SPEC is comma-separated rules `ROUTE:KIND[:key=val...]`:
  ROUTE  one of ROUTES below (`any` matches every request)
  KIND   429 | 500 | 503 | drop | hold   (drop closes the connection without answering; hold keeps the
         request unanswered until the faults change or the server stops, then drops it: a test waits for
         `held` and kills the client while the server holds its request, an event rather than a time window)
  rate=0.3        fail that share of matching requests (seeded random, reproducible; seed=N to change it)
  nth=2           fail only the 2nd matching request
  times=N         fail the first N matching requests
  after=N         let the first N matching requests through, then apply the rule
  retry_after=S   Retry-After seconds sent with 429 (default 1)
  message=TEXT    the error message sent (X-Error-Message), e.g. the Hub's words for its commit quota
With none of rate/nth/times, every matching request fails.
Example: commit:503:times=1,lfs-put:drop:nth=1,list:429:times=1:retry_after=1,commit:hold:after=6
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

ROUTES = (
    "any",
    "whoami",
    "create",
    "delete",
    "settings",
    "info",
    "tree",
    "paths-info",
    "refs",
    "commits",
    "tag",
    "branch",
    "validate",
    "preupload",
    "commit",
    "lfs-batch",
    "lfs-put",
    "lfs-verify",
    "resolve",
    "list",
    "discussions",
    "page",
    "signin",
)
KINDS = ("429", "500", "503", "drop", "hold")
HOLD_LIMIT_S = 3600.0  # a held request is dropped after this even if nobody releases it (a hang guard)


@dataclass
class FaultRule:
    route: str
    kind: str
    rate: float | None = None
    nth: int | None = None
    times: int | None = None
    after: int | None = None
    retry_after: int = 1
    seed: int = 0
    message: str | None = None
    seen: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def fires(self) -> bool:
        """Count one matching request; True when this one must fail."""
        self.seen += 1
        if self.after is not None:
            if self.seen <= self.after:
                return False
            if self.nth is None and self.times is None and self.rate is None:
                return True
        if self.nth is not None:
            return self.seen == self.nth
        if self.times is not None:
            return self.seen <= self.times
        if self.rate is not None:
            return self._rng.random() < self.rate
        return True


def parse_rule(text: str) -> FaultRule:
    parts = text.strip().split(":")
    if len(parts) < 2:
        raise ValueError(f"fault rule {text!r}: expected ROUTE:KIND[:key=val...]")
    route, kind = parts[0], parts[1]
    if route not in ROUTES:
        raise ValueError(f"fault rule {text!r}: unknown route {route!r}; one of {', '.join(ROUTES)}")
    if kind not in KINDS:
        raise ValueError(f"fault rule {text!r}: unknown kind {kind!r}; one of {', '.join(KINDS)}")
    rule = FaultRule(route, kind)
    for option in parts[2:]:
        name, sep, value = option.partition("=")
        try:
            if name == "rate" and sep:
                rule.rate = float(value)
            elif name in ("nth", "times", "after", "retry_after", "seed") and sep:
                setattr(rule, name, int(value))
            elif name == "message" and sep and value:
                rule.message = value
            else:
                raise ValueError
        except ValueError:
            raise ValueError(
                f"fault rule {text!r}: bad option {option!r} (rate=F, nth=N, times=N, after=N, retry_after=S, seed=N)"
            ) from None
    rule._rng.seed(rule.seed)
    return rule


def parse_spec(spec: str | None) -> list[FaultRule]:
    if not spec:
        return []
    return [parse_rule(part) for part in spec.split(",") if part.strip()]


class Faults:
    """The active rules; `pick(route)` returns the rule to apply to this request, if any."""

    def __init__(self, spec: str | None = None) -> None:
        self._lock = threading.Lock()
        self._rules = parse_spec(spec)
        self._held = threading.Condition(self._lock)
        self._held_count = 0
        self._release = threading.Event()

    def set(self, spec: str | None) -> None:
        """New rules; requests held by the old ones are released (and dropped by their handlers)."""
        rules = parse_spec(spec)
        with self._lock:
            self._rules = rules
            self._release_held()

    def release(self) -> None:
        """Let every held request go (the server is stopping)."""
        with self._lock:
            self._release_held()

    def _release_held(self) -> None:
        self._release.set()
        self._release = threading.Event()
        self._held_count = 0

    def hold(self) -> None:
        """Called by a request's handler for a `hold` rule: count it as held, then wait to be released."""
        with self._lock:
            released = self._release
            self._held_count += 1
            self._held.notify_all()
        released.wait(HOLD_LIMIT_S)

    def wait_held(self, count: int = 1, timeout: float = HOLD_LIMIT_S) -> bool:
        """Block until `count` requests are held (True), or until `timeout` seconds passed (False)."""
        with self._lock:
            return self._held.wait_for(lambda: self._held_count >= count, timeout)

    def pick(self, route: str) -> FaultRule | None:
        with self._lock:
            hit = None
            for rule in self._rules:
                if rule.route in (route, "any") and rule.fires() and hit is None:
                    hit = rule
            return hit
