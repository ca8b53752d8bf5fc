"""Human output to stderr, machine output (one JSON document) to stdout, secrets redacted from both.

Every message the tool prints goes through `redact`, which removes any token the process knows about
(HF_TOKEN, WANDB_API_KEY, tokens registered at run time) and anything shaped like a Hugging Face token.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from publisher.settings import environ

_SECRET_ENV_VARS = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "WANDB_API_KEY")
_TOKEN_PATTERN = re.compile(r"\bhf_[A-Za-z0-9]{8,}\b")
_registered: set[str] = set()
REDACTED = "***"


def register_secret(secret: str | None) -> None:
    """Remember a secret (e.g. a token read from the login cache) so it is never printed."""
    if secret and len(secret) >= 4:
        _registered.add(secret)


def _known_secrets() -> set[str]:
    env = environ()  # settings.py is the one reader of the environment
    found = {env.get(name, "") for name in _SECRET_ENV_VARS}
    return {s for s in found | _registered if s and len(s) >= 4}


def _secret_pattern() -> re.Pattern[str]:
    """One pattern for every known secret (longest first) and every hf_… token."""
    secrets = sorted(_known_secrets(), key=len, reverse=True)
    return re.compile("|".join([*map(re.escape, secrets), _TOKEN_PATTERN.pattern]))


def redact(text: str, pattern: re.Pattern[str] | None = None) -> str:
    """Replace every known secret and every hf_… token in `text` with ***."""
    return (pattern or _secret_pattern()).sub(REDACTED, text)


def redact_obj(value: Any, pattern: re.Pattern[str] | None = None) -> Any:
    """Redact every string inside a JSON-like value (the pattern is built once, not per string)."""
    pattern = pattern or _secret_pattern()
    if isinstance(value, str):
        return pattern.sub(REDACTED, value)
    if isinstance(value, dict):
        return {k: redact_obj(v, pattern) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_obj(v, pattern) for v in value]
    return value


def info(message: str) -> None:
    """A line for people, on stderr."""
    print(redact(message), file=sys.stderr, flush=True)


def warn(message: str) -> None:
    print(redact(f"warning: {message}"), file=sys.stderr, flush=True)


def error(message: str) -> None:
    print(redact(f"error: {message}"), file=sys.stderr, flush=True)


def emit_json(document: Any) -> None:
    """The one JSON document of a --json run, on stdout."""
    sys.stdout.write(json.dumps(redact_obj(document), indent=2, ensure_ascii=False, sort_keys=False) + "\n")
    sys.stdout.flush()
