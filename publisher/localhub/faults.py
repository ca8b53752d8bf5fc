"""Fault injection for tests and benchmarks: make a route answer 429/500/503 or drop the connection.

SPEC is comma-separated rules `ROUTE:KIND[:key=val...]`:
  ROUTE  one of ROUTES below (`any` matches every request)
  KIND   429 | 500 | 503 | drop   (drop closes the connection without answering)
  rate=0.3        fail that share of matching requests (seeded random, reproducible; seed=N to change it)
  nth=2           fail only the 2nd matching request
  times=N         fail the first N matching requests
  retry_after=S   Retry-After seconds sent with 429 (default 1)
  message=TEXT    the error message sent (X-Error-Message), e.g. the Hub's words for its commit quota
With none of rate/nth/times, every matching request fails.
Example: commit:503:times=1,lfs-put:drop:nth=1,list:429:times=1:retry_after=1
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
KINDS = ("429", "500", "503", "drop")


@dataclass
class FaultRule:
    route: str
    kind: str
    rate: float | None = None
    nth: int | None = None
    times: int | None = None
    retry_after: int = 1
    seed: int = 0
    message: str | None = None
    seen: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def fires(self) -> bool:
        """Count one matching request; True when this one must fail."""
        self.seen += 1
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
            elif name in ("nth", "times", "retry_after", "seed") and sep:
                setattr(rule, name, int(value))
            elif name == "message" and sep and value:
                rule.message = value
            else:
                raise ValueError
        except ValueError:
            raise ValueError(
                f"fault rule {text!r}: bad option {option!r} (rate=F, nth=N, times=N, retry_after=S, seed=N)"
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

    def set(self, spec: str | None) -> None:
        rules = parse_spec(spec)
        with self._lock:
            self._rules = rules

    def pick(self, route: str) -> FaultRule | None:
        with self._lock:
            hit = None
            for rule in self._rules:
                if rule.route in (route, "any") and rule.fires() and hit is None:
                    hit = rule
            return hit
