"""Pick the reader for an input path: X archive (zip or folder), snscrape / API v1.1 / plain JSONL, JSON, CSV."""

from __future__ import annotations

from pathlib import Path

from publisher.data.archive import looks_like_x_archive, read_x_archive
from publisher.data.records import ImportedSource
from publisher.errors import DataError


def read_input(path: str | Path) -> ImportedSource:
    """Import one input; the format is chosen from the path (and, for JSON/JSONL, the first record)."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    suffix = path.suffix.lower()
    if path.is_dir() or suffix == ".zip":
        if not looks_like_x_archive(path):
            raise DataError(f"{path}: no tweets found: not an X archive (no account.js or tweets.js inside)")
        return read_x_archive(path)
    if suffix in {".jsonl", ".ndjson", ".json", ".csv", ".js"}:
        from publisher.data import dumps

        return dumps.read_dump(path)
    raise DataError(
        f"{path}: unknown input type (expected an X archive .zip or folder, .jsonl, .json or .csv)"
    )
