"""From imported tweets to the card's numbers: dedupe, cap to the most recent N, count, size checks.

Semantics (docs/tweet-data.md §1.7, §6): downloaded = unique tweets after the cap (retweets included),
retweets = those detected as retweets, short = non-retweets that are short after cleaning,
kept = the rest; so downloaded = retweets + short + kept always holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from publisher.card.model import UserStats
from publisher.data.cleaning import EOS, is_short, prepare_tweet
from publisher.data.records import ImportedSource, Tweet, UserInfo
from publisher.errors import DataError
from publisher.output import warn

DEFAULT_MAX_TWEETS = 3200
MIN_CHARS = 6000  # huggingtweets: error below this many characters of kept text
WARN_CHARS = 40000  # huggingtweets: warning below this


@dataclass
class UserData:
    """One user's tweets, merged from every input with the same handle, and what came of them."""

    user: UserInfo
    sources: list[str]
    tweets: list[Tweet]
    superseded_ids: set[str] = field(default_factory=set)
    duplicates_removed: int = 0
    edits_collapsed: int = 0
    beyond_cap: int = 0
    stats: UserStats = field(default_factory=UserStats)
    kept_texts: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)  # "retweet" | "short" | "kept", aligned with `tweets`

    @property
    def kept_chars(self) -> int:
        return len(EOS.join(self.kept_texts))


def merge_sources(sources: list[ImportedSource], max_users: int = 3) -> list[UserData]:
    """Group inputs by handle (several exports of one user are merged), in first-seen order."""
    users: dict[str, UserData] = {}
    for source in sources:
        data = users.get(source.user.handle)
        if data is None:
            users[source.user.handle] = UserData(
                source.user, [source.path], list(source.tweets), set(source.superseded_ids)
            )
            continue
        data.sources.append(source.path)
        data.tweets.extend(source.tweets)
        data.superseded_ids |= source.superseded_ids
        data.user.avatar_url = data.user.avatar_url or source.user.avatar_url
    if len(users) > max_users:
        raise DataError(
            f"{len(users)} users given ({', '.join(users)}); a model is trained on 1 to {max_users}"
        )
    return list(users.values())


def dedupe_and_cap(data: UserData, max_tweets: int | None) -> None:
    """Drop repeated ids and earlier edit revisions, then keep the most recent `max_tweets`."""
    seen: set[str] = set()
    unique: list[Tweet] = []
    for tweet in data.tweets:
        if tweet.id in seen:
            data.duplicates_removed += 1
        elif tweet.id in data.superseded_ids:
            data.edits_collapsed += 1
            seen.add(tweet.id)
        else:
            seen.add(tweet.id)
            unique.append(tweet)
    unique.sort(key=lambda t: t.order, reverse=True)
    if max_tweets is not None and len(unique) > max_tweets:
        data.beyond_cap = len(unique) - max_tweets
        unique = unique[:max_tweets]
    data.tweets = unique


def count_user(data: UserData, short_threshold_chars: int | None = None, repair: bool = True) -> None:
    """Clean every non-retweet and sort it into short or kept; fills `stats` and `kept_texts`."""
    retweets = short = 0
    kept: list[str] = []
    statuses: list[str] = []
    for tweet in data.tweets:
        if tweet.is_retweet:
            retweets += 1
            statuses.append("retweet")
            continue
        text = prepare_tweet(tweet.text, repair=repair)
        if is_short(text, short_threshold_chars):
            short += 1
            statuses.append("short")
        else:
            kept.append(text)
            statuses.append("kept")
    stats = UserStats(downloaded=len(data.tweets), retweets=retweets, short=short, kept=len(kept))
    assert stats.downloaded == stats.retweets + stats.short + stats.kept
    data.stats = stats
    data.kept_texts = kept
    data.statuses = statuses


def check_size(data: UserData) -> None:
    """huggingtweets' size checks on one user's kept text: error under 6,000 chars, warning under 40,000."""
    s, handle = data.stats, data.user.handle
    if s.downloaded == 0:
        raise DataError(f"@{handle}: no tweets: the input holds no tweets at all ({', '.join(data.sources)})")
    counts = f"{s.downloaded} downloaded, {s.retweets} retweets, {s.short} short, {s.kept} kept"
    if data.kept_chars < MIN_CHARS:
        raise DataError(
            f"@{handle}: not enough tweets to train a model: {data.kept_chars} characters of kept text, "
            f"{MIN_CHARS} needed ({counts})"
        )
    if data.kept_chars < WARN_CHARS:
        warn(f"@{handle} has few tweets ({data.kept_chars} characters kept, {counts}); results may be poor")


def process_users(
    sources: list[ImportedSource],
    *,
    max_tweets: int | None = DEFAULT_MAX_TWEETS,
    short_threshold_chars: int | None = None,
) -> list[UserData]:
    """Merge, dedupe, cap, count and size-check every user; raises DataError on the first failure."""
    users = merge_sources(sources)
    for data in users:
        dedupe_and_cap(data, max_tweets)
        count_user(data, short_threshold_chars)
        check_size(data)
        if data.user.protected:
            warn(f"@{data.user.handle} is a protected account: publish its model privately, or not at all")
    return users
