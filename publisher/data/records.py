"""Normalized records every reader produces: one compact tweet record and one user record.

Tweets are kept small (slots, no parsed dates, no entities) because a 100k-tweet archive is held in
memory between import and the "most recent N" cap.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Tweet:
    """One post as delivered (text still HTML-escaped, URLs still in it)."""

    id: str
    text: str
    is_retweet: bool
    order: int  # chronological sort key: the numeric id (ids grow with time), else the input position


@dataclass
class UserInfo:
    """Who the tweets belong to. `avatar_url` is https or None."""

    handle: str
    name: str
    avatar_url: str | None = None
    protected: bool = False


@dataclass
class ImportedSource:
    """Everything read from one input path."""

    path: str
    format: str
    user: UserInfo
    tweets: list[Tweet]
    superseded_ids: set[str] = field(default_factory=set)  # earlier revisions of edited tweets
    files: list[str] = field(default_factory=list)  # which tweet files were read (archive members)


def https_or_none(url: object) -> str | None:
    """Keep an avatar URL only when it is https (the card refuses anything else)."""
    if isinstance(url, str) and url.startswith("https://") and len(url) > len("https://"):
        return url
    return None


def order_key(tweet_id: str, position: int) -> int:
    """Sort key: numeric ids are chronological; without one, the input position is."""
    return int(tweet_id) if tweet_id.isdigit() else position
