"""HTML pages of the local hub (filled in later)."""

from __future__ import annotations

from typing import Any


class Pages:
    def __init__(self, router: Any) -> None:
        self.router = router

    def match(self, segments: list[str], method: str, repo_type: str) -> Any:
        return None
