"""Scraper and API dumps: snscrape JSONL, Twitter API v1.1 (and v2) JSON/JSONL, plain JSONL/CSV.

The shape is recognised per record (docs/tweet-data.md §3), so one reader serves all of them:
  snscrape   `rawContent` (or `content`), `retweetedTweet`, `user.username/displayname/profileImageUrl`
  API v1.1   `full_text` (or `text`), `retweeted_status`, `user.screen_name/name/profile_image_url_https`
  API v2     `text`, `referenced_tweets[].type == "retweeted"` (the handle comes from the file name)
  plain      the documented columns below (JSONL keys or a CSV header)
Plain columns: `text` (required; also `full_text`, `tweet`), `id` (also `id_str`, `tweet_id`),
`is_retweet` (true/false/1/0/yes/no; also twint's `retweet`, or the old archive CSV's non-empty
`retweeted_status_id`; absent: the text starts with "RT @"), `handle` (also `username`, `screen_name`),
`name` (also `display_name`), `avatar_url`. Without any handle, the file name is the handle (`dril.csv`).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from publisher.data.records import ImportedSource, Tweet, UserInfo, https_or_none, order_key
from publisher.errors import DataError
from publisher.naming import normalize_handle

TEXT_KEYS = ("text", "full_text", "tweet", "rawContent", "content")
ID_KEYS = ("id", "id_str", "tweet_id")
HANDLE_KEYS = ("handle", "username", "screen_name")
NAME_KEYS = ("name", "display_name", "displayname")
TRUE = {"true", "1", "yes", "y", "t"}
FALSE = {"false", "0", "no", "n", "f", ""}


def _first(record: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = record.get(key)
        if value not in (None, ""):
            return value
    return None


def record_shape(record: dict[str, Any]) -> str:
    user = found if isinstance(found := record.get("user"), dict) else {}
    if str(record.get("_type", "")).startswith("snscrape") or "rawContent" in record or "username" in user:
        return "snscrape"
    if "full_text" in record or "screen_name" in user or "retweeted_status" in record:
        return "api-v1.1"
    if "referenced_tweets" in record or "edit_history_tweet_ids" in record or "author_id" in record:
        return "api-v2"
    return "plain"


def _flag(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise DataError(f"{where}: is_retweet must be true/false/1/0/yes/no, got {value!r}")


def _is_retweet(record: dict[str, Any], shape: str, text: str, where: str) -> bool:
    if shape == "snscrape":
        return record.get("retweetedTweet") is not None
    if shape == "api-v1.1":
        return record.get("retweeted_status") is not None
    if shape == "api-v2":
        return any(
            r.get("type") == "retweeted" for r in record.get("referenced_tweets") or [] if isinstance(r, dict)
        )
    for key in ("is_retweet", "retweet"):
        if key in record and record[key] is not None:
            return _flag(record[key], where)
    if "retweeted_status_id" in record:
        return bool(str(record["retweeted_status_id"] or "").strip())
    return text.startswith("RT @")


def _user_fields(record: dict[str, Any], shape: str) -> dict[str, Any]:
    """Handle, name, avatar and protection as this record states them (possibly none)."""
    user = found if isinstance(found := record.get("user"), dict) else {}
    if shape == "snscrape":
        handle, name, avatar = (
            user.get("username") or record.get("username"),
            user.get("displayname"),
            user.get("profileImageUrl"),
        )
    elif shape == "api-v1.1":
        handle, name, avatar = user.get("screen_name"), user.get("name"), user.get("profile_image_url_https")
    else:
        handle, name, avatar = (
            _first(record, HANDLE_KEYS),
            _first(record, NAME_KEYS),
            record.get("avatar_url"),
        )
    if isinstance(avatar, str):
        avatar = avatar.replace("_normal.", "_400x400.")  # huggingtweets' larger avatar variant
    return {
        "handle": handle,
        "name": name,
        "avatar_url": https_or_none(avatar),
        "protected": bool(user.get("protected")),
    }


def normalize_record(record: Any, position: int, where: str) -> tuple[Tweet, dict[str, Any], str]:
    """One dump record -> (tweet, user fields, shape)."""
    if not isinstance(record, dict):
        raise DataError(f"{where}: expected a JSON object per tweet, got {type(record).__name__}")
    shape = record_shape(record)
    text = _first(record, TEXT_KEYS)
    if not isinstance(text, str):
        raise DataError(f"{where}: no tweet text (expected one of the fields {', '.join(TEXT_KEYS)})")
    raw_id = _first(record, ("id_str",) + ID_KEYS)
    tweet_id = str(raw_id) if raw_id is not None else f"#{position}"
    tweet = Tweet(tweet_id, text, _is_retweet(record, shape, text, where), order_key(tweet_id, position))
    return tweet, _user_fields(record, shape), shape


def iter_jsonl(path: Path) -> Iterator[tuple[str, Any]]:
    """One JSON object per line; lines are decoded one by one so errors name the right line."""
    from publisher.data.jsstream import MAX_STRING_BYTES

    limit = 16 * MAX_STRING_BYTES  # one tweet record per line: a few kB; a longer line is not a dump
    with path.open("rb") as handle:
        for lineno, raw in enumerate(iter(lambda: handle.readline(limit + 1), b""), start=1):
            if len(raw) > limit:
                raise DataError(f"{path}:{lineno}: a line longer than {limit} bytes; not a tweet dump")
            try:
                line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise DataError(f"{path}:{lineno}: not UTF-8 text") from exc
            if line.strip():
                try:
                    record = json.loads(line)
                except RecursionError:
                    raise DataError(f"{path}:{lineno}: JSON nested too deeply; not a tweet record") from None
                except ValueError as exc:
                    raise DataError(f"{path}:{lineno}: not valid JSON ({exc})") from exc
                yield f"{path}:{lineno}", record


def iter_json(path: Path) -> Iterator[tuple[str, Any]]:
    """A JSON array of tweets (API v1.1 timeline dump), or an object with a `data` array (API v2), streamed."""
    import ijson

    from publisher.data.jsstream import JSPayloadReader

    with path.open("rb") as raw:
        head = raw.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
        raw.seek(0)
        prefix = "data.item" if head.startswith(b"{") else "item"
        reader = JSPayloadReader(raw, label=str(path))
        index = 0
        try:
            for index, item in enumerate(ijson.items(reader, prefix, use_float=True), start=1):
                yield f"{path}: item {index}", item
        except ijson.JSONError as exc:
            raise DataError(
                f"{path}: truncated or malformed JSON after item {index} (near byte {reader.position}): {exc}"
            ) from exc
        except UnicodeDecodeError as exc:
            raise DataError(f"{path}: not UTF-8 after item {index}") from exc


def iter_csv(path: Path) -> Iterator[tuple[str, Any]]:
    csv.field_size_limit(1 << 24)
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        try:
            columns = reader.fieldnames or []
            if not any(k in columns for k in TEXT_KEYS):
                raise DataError(
                    f"{path}: no text column (header has {', '.join(columns) or 'nothing'}; expected one of {', '.join(TEXT_KEYS)})"
                )
            for row in reader:
                if None in row:
                    raise DataError(f"{path}:{reader.line_num}: more fields than the header has")
                yield f"{path}:{reader.line_num}", row
        except csv.Error as exc:
            raise DataError(f"{path}:{reader.line_num}: malformed CSV ({exc})") from exc
        except UnicodeDecodeError as exc:
            raise DataError(f"{path}:{reader.line_num + 1}: not UTF-8 text") from exc


def _user_from(path: Path, seen: dict[str, Any]) -> UserInfo:
    raw_handle = seen.get("handle")
    if raw_handle:
        handle = normalize_handle(str(raw_handle), source=str(path))
    else:
        try:
            handle = normalize_handle(path.stem, source=str(path))
        except DataError as exc:
            raise DataError(
                f"{path}: no handle: add a `handle` column, or name the file <handle>{path.suffix}"
            ) from exc
    return UserInfo(
        handle, str(seen.get("name") or handle), seen.get("avatar_url"), bool(seen.get("protected"))
    )


def _same_user(a: object, b: object) -> bool:
    return str(a).strip().lstrip("@").lower() == str(b).strip().lstrip("@").lower()


def read_dump(path: Path) -> ImportedSource:
    """Import one dump file; every record must belong to the same user."""
    suffix = path.suffix.lower()
    if suffix == ".js":
        raise DataError(
            f"{path}: a single archive .js file has no account data; pass the whole archive (zip or folder)"
        )
    records = (
        iter_csv(path) if suffix == ".csv" else iter_json(path) if suffix == ".json" else iter_jsonl(path)
    )
    tweets: list[Tweet] = []
    seen: dict[str, Any] = {}
    shapes: set[str] = set()
    for position, (where, record) in enumerate(records):
        tweet, fields, shape = normalize_record(record, position, where)
        shapes.add(shape)
        if fields["handle"] and seen.get("handle") and _same_user(fields["handle"], seen["handle"]) is False:
            raise DataError(
                f"{where}: tweet of @{fields['handle']} in a file of @{seen['handle']}; use one file per user"
            )
        for key, value in fields.items():
            if value and key not in seen:
                seen[key] = value
        tweets.append(tweet)
    fmt = "+".join(sorted(shapes)) or "empty"
    return ImportedSource(str(path), fmt, _user_from(path, seen), tweets, set(), [path.name])
