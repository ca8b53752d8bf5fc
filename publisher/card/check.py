"""Offline model-card metadata checks, as the Hub applies them (stub: the card engineer replaces the rules).

One implementation serves `publisher check` and the local hub's `validate-yaml` endpoint.
Public contract (keep it stable):
    Problem(severity: "error" | "warning", message: str, line: int | None)
    check_card_text(text: str, *, require_default_fields: bool = False) -> list[Problem]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import yaml


@dataclass(frozen=True)
class Problem:
    severity: Literal["error", "warning"]
    message: str
    line: int | None = None


def check_card_text(text: str, *, require_default_fields: bool = False) -> list[Problem]:
    """Problems in the card's front matter (an empty list means the Hub would accept it)."""
    if not text.startswith("---"):
        return []
    end = text.find("\n---", 3)
    if end < 0:
        return [Problem("error", "front matter is not closed by a '---' line", 1)]
    try:
        data = yaml.safe_load(text[3:end])
    except yaml.YAMLError as exc:
        return [Problem("error", f"invalid YAML: {exc}", None)]
    if data is not None and not isinstance(data, dict):
        return [Problem("error", "front matter must be a YAML mapping", 2)]
    return []
