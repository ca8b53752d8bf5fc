"""Read an X ("Download an archive of your data") export, zipped or extracted, without extracting media.

Tweets come from `data/tweets.js`, `data/tweets-partN.js` or the older `data/tweet.js` (docs/tweet-data.md §2),
streamed with ijson straight out of the zip; `account.js` gives the handle and display name, `profile.js`
the avatar, `protected-history.js` whether the account is protected. Look-alikes such as
`deleted-tweets.js` and `tweet-headers.js` are never read; `note-tweet.js` only restores the full text of
long posts.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from publisher.data.jsstream import MAX_SMALL_FILE_BYTES, JSPayloadReader, read_small_js
from publisher.data.records import ImportedSource, Tweet, UserInfo, https_or_none, order_key
from publisher.errors import DataError
from publisher.naming import normalize_handle

TWEET_FILE = re.compile(r"^tweets?(-part\d+)?\.js$")
_PART_NUMBER = re.compile(r"-part(\d+)\.js$")


class ArchiveFiles:
    """The members of an archive, whether it is a zip or an extracted folder, by POSIX path."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        if path.is_dir():
            self.names = folder_js_files(path)
        else:
            try:
                self._zip = zipfile.ZipFile(path)
            except (zipfile.BadZipFile, OSError) as exc:
                raise DataError(f"{path}: not a readable zip archive ({exc})") from exc
            self.names = [n for n in self._zip.namelist() if n.endswith(".js")]

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    @contextmanager
    def open(self, name: str) -> Iterator[BinaryIO]:
        if self._zip is not None:
            with self._zip.open(name) as handle:
                yield handle  # type: ignore[misc]
        else:
            from publisher._util.regular_files import UnsafeFileError, open_regular

            try:
                handle = open_regular(self.path / name)
            except UnsafeFileError as exc:
                raise DataError(exc.message) from None
            with handle:
                yield handle

    def read_bytes(self, name: str, limit: int = MAX_SMALL_FILE_BYTES) -> bytes:
        """A member read whole, at most `limit` bytes (a bigger one is a DataError, not a memory blow-up)."""
        with self.open(name) as handle:
            data = handle.read(limit + 1)
        if len(data) > limit:
            raise DataError(f"{self.label(name)}: larger than {limit} bytes; not a file of a real archive")
        return data

    def label(self, name: str) -> str:
        """How errors name a member: `archive.zip!data/tweets.js` or `folder/data/tweets.js`."""
        return f"{self.path}!{name}" if self._zip is not None else str(self.path / name)


def folder_js_files(root: Path) -> list[str]:
    """The .js files under an extracted archive folder, never through a symlink: a symlinked .js file or
    folder (which could point anywhere, e.g. at a secret the card would then show) is a DataError naming it."""
    import os

    names = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        here = Path(folder)
        for name in dirs:
            if (here / name).is_symlink():
                raise DataError(
                    f"{here / name}: a symlinked folder in the archive; symlinks are not followed"
                )
        for name in files:
            if not name.endswith(".js"):
                continue
            if (here / name).is_symlink():
                raise DataError(f"{here / name}: a symlink in the archive; only regular files are read")
            names.append((here / name).relative_to(root).as_posix())
    return sorted(names)


def looks_like_x_archive(path: Path) -> bool:
    """A zip, or a folder holding an `account.js` or a tweet file somewhere under it."""
    if path.is_dir():
        return any(
            TWEET_FILE.match(PurePosixPath(n).name) or n.endswith("account.js") for n in folder_js_files(path)
        )
    return path.suffix.lower() == ".zip"


def _data_dir(files: ArchiveFiles) -> str:
    """The folder holding account.js / tweets.js: `data/`, the root (2018 layout) or a top-level folder."""
    candidates = [n for n in files.names if PurePosixPath(n).name == "account.js"]
    candidates += [n for n in files.names if TWEET_FILE.match(PurePosixPath(n).name)]
    if not candidates:
        raise DataError(f"{files.path}: no tweets found: the archive has no data/tweets.js (or tweet.js)")
    parents = sorted({str(PurePosixPath(n).parent) for n in candidates}, key=lambda p: (p.count("/"), p))
    return "" if parents[0] == "." else parents[0] + "/"


def _tweet_files(files: ArchiveFiles, data_dir: str) -> list[str]:
    """tweets.js first, then its parts in numeric order; never deleted-tweets.js or headers."""
    names = [
        n
        for n in files.names
        if str(PurePosixPath(n).parent) + "/" == (data_dir or "./")
        and TWEET_FILE.match(PurePosixPath(n).name)
    ]

    def part(name: str) -> int:
        match = _PART_NUMBER.search(name)
        return int(match.group(1)) if match else 0

    return sorted(names, key=lambda n: (part(n), n))


def _first_object(value: object, key: str) -> dict:
    """`[{"account": {...}}]` -> the inner dict (tolerating a missing wrapper or a bare object)."""
    item = value[0] if isinstance(value, list) and value else value
    if isinstance(item, dict):
        inner = item.get(key, item)
        return inner if isinstance(inner, dict) else {}
    return {}


def _read_optional(files: ArchiveFiles, name: str) -> Any:
    """The parsed JSON of an optional archive file (None when absent): any JSON value, checked by the caller."""
    if name not in files.names:
        return None
    try:
        return read_small_js(files.read_bytes(name), label=files.label(name))
    except RecursionError:
        raise DataError(f"{files.label(name)}: malformed file (nested too deeply)") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"{files.label(name)}: malformed file ({exc})") from exc


def read_user(files: ArchiveFiles, data_dir: str) -> UserInfo:
    """Handle, display name, avatar and protection from account.js, profile.js, manifest.js."""
    account = _first_object(_read_optional(files, data_dir + "account.js"), "account")
    profile = _first_object(_read_optional(files, data_dir + "profile.js"), "profile")
    manifest = _read_optional(files, data_dir + "manifest.js")
    user_info = manifest.get("userInfo", {}) if isinstance(manifest, dict) else {}
    raw_handle = account.get("username") or user_info.get("userName")
    if not raw_handle:
        raise DataError(f"{files.path}: no handle: account.js (or manifest.js) has no username")
    handle = normalize_handle(str(raw_handle), source=str(files.path))
    name = account.get("accountDisplayName") or user_info.get("displayName") or handle
    history = _read_optional(files, data_dir + "protected-history.js")
    actions = [
        _first_object([e], "protectedHistory").get("action") for e in history or [] if isinstance(e, dict)
    ]
    return UserInfo(
        handle=handle,
        name=str(name),
        avatar_url=https_or_none(profile.get("avatarMediaUrl")),
        protected=bool(actions) and actions[-1] == "Protect",
    )


def edit_chain(tweet: dict) -> list[str]:
    """All ids of an edited tweet's revisions (empty for unedited tweets)."""
    info = tweet.get("edit_info") or {}
    for key, inner in (("initial", "editTweetIds"), ("edit", "editControlInitial")):
        part = info.get(key) or {}
        ids = part.get(inner) if key == "initial" else (part.get(inner) or {}).get("editTweetIds")
        if ids:
            return [str(i) for i in ids]
    return []


ARCHIVE_TIME_FORMAT = "%a %b %d %H:%M:%S +0000 %Y"
_TRUNCATION_TAIL = re.compile(r"\s*…?\s*(https://t\.co/\S+\s*)?$")


def read_note_tweets(files: ArchiveFiles, data_dir: str) -> dict[str, list[str]]:
    """Full texts of long posts (note-tweet.js), keyed by creation time in tweets.js's `created_at` format.

    tweets.js holds only a truncated `full_text` for posts over 280 characters. The join key between the
    two files is undocumented (docs/tweet-data.md §2.4), so a note replaces a tweet only when both were created
    in the same second and the tweet's visible text is a prefix of the note."""
    notes: dict[str, list[str]] = {}
    for item in _read_optional(files, data_dir + "note-tweet.js") or []:
        note = item.get("noteTweet", item) if isinstance(item, dict) else {}
        core = found if isinstance(found := note.get("core"), dict) else {}
        text, created = core.get("text") or note.get("text"), note.get("createdAt")
        if isinstance(text, str) and isinstance(created, str):
            try:
                moment = datetime.fromisoformat(created.replace("Z", "+00:00")).astimezone(timezone.utc)
            except ValueError:
                continue
            notes.setdefault(moment.strftime(ARCHIVE_TIME_FORMAT), []).append(text)
    return notes


def expand_note(text: str, created_at: object, notes: dict[str, list[str]]) -> str:
    """The note's full text when this tweet is its truncated copy, else the tweet's own text."""
    candidates = notes.get(created_at) if isinstance(created_at, str) else None
    if not candidates:
        return text
    visible = _TRUNCATION_TAIL.sub("", text)
    for note in candidates:
        if visible and len(note) >= len(visible) and note.startswith(visible):
            return note
    return text


def iter_archive_tweets(
    stream: BinaryIO,
    label: str,
    superseded: set[str],
    start: int = 0,
    notes: dict[str, list[str]] | None = None,
) -> Iterator[Tweet]:
    """Stream the tweets of one tweets.js file; a truncated or malformed file raises DataError."""
    import ijson

    reader = JSPayloadReader(stream, label=label)
    count = 0
    try:
        for item in ijson.items(reader, "item", use_float=True):
            tweet = item.get("tweet", item) if isinstance(item, dict) else None
            if not isinstance(tweet, dict):
                raise DataError(f"{label}: item {count + 1} is not a tweet object")
            tweet_id = str(tweet.get("id_str") or tweet.get("id") or "")
            text = tweet.get("full_text", tweet.get("text"))
            if not tweet_id or not isinstance(text, str):
                raise DataError(f"{label}: item {count + 1} has no id_str or full_text")
            chain = edit_chain(tweet)
            if len(chain) > 1:
                last = max(chain, key=lambda i: (len(i), i))
                superseded.update(i for i in chain if i != last)
            count += 1
            if notes:
                text = expand_note(text, tweet.get("created_at"), notes)
            yield Tweet(tweet_id, text, text.startswith("RT @"), order_key(tweet_id, start + count))
    except ijson.JSONError as exc:
        raise DataError(
            f"{label}: truncated or malformed JSON after tweet {count} (near byte {reader.position}): {exc}"
        ) from exc
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise DataError(f"{label}: damaged zip member after tweet {count}: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise DataError(f"{label}: not UTF-8 after tweet {count} (near byte {reader.position})") from exc


def read_x_archive(path: str | Path) -> ImportedSource:
    """Import one X archive (zip or folder): user info plus every tweet of every tweet file."""
    path = Path(path)
    files = ArchiveFiles(path)
    try:
        data_dir = _data_dir(files)
        user = read_user(files, data_dir)
        names = _tweet_files(files, data_dir)
        if not names:
            raise DataError(f"{path}: no tweets found: the archive has no {data_dir}tweets.js (or tweet.js)")
        notes = read_note_tweets(files, data_dir)
        tweets: list[Tweet] = []
        superseded: set[str] = set()
        for name in names:
            with files.open(name) as stream:
                tweets.extend(iter_archive_tweets(stream, files.label(name), superseded, len(tweets), notes))
        return ImportedSource(str(path), "x-archive", user, tweets, superseded, names)
    finally:
        files.close()
