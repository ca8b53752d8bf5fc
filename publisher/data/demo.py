"""A seeded synthetic X archive for a fictional user: the real layout and formatting, no real tweets.

It exercises the edge cases of docs/tweet-data.md §5: HTML entities (also double-escaped), t.co URLs at the
start, middle, end and on their own line, retweets (`RT @…`, `"retweeted" : false` as in real archives),
replies and self-reply threads, hashtags, emoji with joiners and skin tones, CJK text, zero-width
characters, mojibake, a literal `<|endoftext|>`, edited tweets (two revisions), a tweet repeated in two
parts, a long post truncated in `tweets.js` and whole in `note-tweet.js`, a multi-part `tweets.js` in non-chronological order, and decoys (`deleted-tweets.js`,
`tweet-headers.js`) that must not be read.
"""

from __future__ import annotations

import json
import random
import shutil
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

from publisher.errors import BadInputError

TWITTER_EPOCH_MS = 1288834974657
START = datetime(2023, 1, 2, 9, 0, tzinfo=timezone.utc)

SUBJECTS = [
    "my cat",
    "the kettle",
    "this tiny model",
    "our garden",
    "the night bus",
    "my sourdough starter",
    "the group chat",
    "a pigeon outside",
    "my houseplant",
    "the old laptop",
    "the city library",
    "the weather app",
    "my running shoes",
    "the coffee machine",
    "the neighbour's dog",
]
VERBS = [
    "is plotting",
    "keeps asking about",
    "has opinions on",
    "just discovered",
    "refuses to discuss",
    "wrote a poem about",
    "is suspicious of",
    "fell in love with",
    "is training for",
    "dreams about",
]
OBJECTS = [
    "the meaning of Mondays",
    "a second breakfast",
    "quantum spreadsheets",
    "rainy afternoons",
    "the perfect pun",
    "tiny umbrellas",
    "jazz for robots",
    "the last biscuit",
    "an unread novel",
    "the moon landing",
    "recursive soup",
    "my to-do list",
    "a very long nap",
    "the bus timetable",
]
ENDINGS = [
    "and honestly same.",
    "which explains a lot.",
    "Send help.",
    "Thoughts?",
    "10/10 would recommend.",
    "I am not making this up.",
    "Day three of this.",
    "Science, probably.",
    "Stay tuned.",
    "",
]
FRIENDS = ["pixelpenguin", "quietkettle", "nobody_real", "fictional_fred", "demo_friend"]
TAGS = ["#MondayMood", "#TinyModels", "#coffee", "#NotARealTweet", "#demo"]


def _snowflake(moment: datetime, salt: int) -> str:
    ms = int(moment.timestamp() * 1000)
    return str(((ms - TWITTER_EPOCH_MS) << 22) + salt)


def _created_at(moment: datetime) -> str:
    return moment.strftime("%a %b %d %H:%M:%S +0000 %Y")


def _sentence(rng: random.Random) -> str:
    ending = rng.choice(ENDINGS)
    text = f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(VERBS)} {rng.choice(OBJECTS)}"
    return f"{text} {ending}".strip() if ending else text + rng.choice([".", "!", "..."])


def _tco(rng: random.Random) -> str:
    return "https://t.co/" + "".join(rng.choice("abcdefghijkLMNOPQ0123456789") for _ in range(10))


EDGE_TEXTS = [
    # (kind, text) with HTML escaping as in real archives
    ("plain", "Fish &amp; chips &gt; everything else, fight me &lt;3"),
    ("plain", "I typed &amp;lt;b&amp;gt; literally and it still looks odd here"),
    ("url-end", "Read the whole thread about tiny models here {url}"),
    ("url-start", "{url} this link goes first and the words come after it"),
    ("url-middle", "Look at this {url} and then tell me what you think"),
    ("url-line", "line one of the post\n{url}\nline three is here"),
    ("url-only", "{url}"),
    ("short", "Hello world {url}"),
    ("emoji", "Family day 👨‍👩‍👧 with ❤️ and 👍🏽 plus 🇺🇸 flags everywhere"),
    ("emoji-short", "🤖🤖🤖"),
    ("emoji-spaced", "🤖 🔥 💯 🚀"),
    ("cjk", "今日はとても良い天気ですね。散歩に行きました。"),
    ("zwsp", "word\u200bjoined\u200bby\u200bzero\u200bwidth spaces but readable anyway"),
    ("mojibake", "ðŸ¤– AI BOT ðŸ¤– says donâ€™t panic about the robots"),
    ("eos", "a literal &lt;|endoftext|&gt; inside a tweet must not split the text"),
    ("hashtags", "#MondayMood #coffee #TinyModels"),
    ("mention-short", "@pixelpenguin @quietkettle yes"),
    ("crlf", "windows line\r\nendings in this tweet are fine too"),
]


class _TweetWriter:
    """Builds tweet objects in the archive's shape: every number a string, booleans real."""

    def __init__(self, rng: random.Random, account_id: str, handle: str) -> None:
        self.rng = rng
        self.account_id = account_id
        self.handle = handle
        self.moment = START
        self.salt = 0

    def next_id(self) -> tuple[str, datetime]:
        self.moment += timedelta(minutes=self.rng.randint(7, 600))
        self.salt += 1
        return _snowflake(self.moment, self.salt), self.moment

    def tweet(
        self,
        text: str,
        *,
        reply_to: tuple[str, str, str] | None = None,
        edit_ids: list[str] | None = None,
        tweet_id: str | None = None,
        moment: datetime | None = None,
    ) -> dict:
        if tweet_id is None or moment is None:
            tweet_id, moment = self.next_id()
        urls = [
            {
                "url": u,
                "expanded_url": "https://example.com/" + u[-4:],
                "display_url": "example.com/" + u[-4:],
                "indices": [str(text.find(u)), str(text.find(u) + len(u))],
            }
            for u in text.split()
            if u.startswith("https://t.co/")
        ]
        mentions = [
            {
                "name": w[1:].rstrip(":").title(),
                "screen_name": w[1:].rstrip(":"),
                "indices": [str(text.find(w)), str(text.find(w) + len(w))],
                "id_str": str(1000 + i),
                "id": str(1000 + i),
            }
            for i, w in enumerate(text.split())
            if w.startswith("@")
        ]
        body: dict = {
            "edit_info": {
                "initial": {
                    "editTweetIds": edit_ids or [tweet_id],
                    "editableUntil": "2023-01-01T00:00:00.000Z",
                    "editsRemaining": "5",
                    "isEditEligible": True,
                }
            },
            "retweeted": False,
            "source": '<a href="https://mobile.twitter.com" rel="nofollow">Twitter Web App</a>',
            "entities": {"hashtags": [], "symbols": [], "user_mentions": mentions, "urls": urls},
            "display_text_range": ["0", str(len(text))],
            "favorite_count": str(self.rng.randint(0, 40)),
            "id_str": tweet_id,
            "truncated": False,
            "retweet_count": "0",
            "id": tweet_id,
            "created_at": _created_at(moment),
            "favorited": False,
            "full_text": text,
            "lang": "en",
        }
        if reply_to:
            body.update(
                {
                    "in_reply_to_status_id_str": reply_to[0],
                    "in_reply_to_status_id": reply_to[0],
                    "in_reply_to_user_id": reply_to[1],
                    "in_reply_to_user_id_str": reply_to[1],
                    "in_reply_to_screen_name": reply_to[2],
                }
            )
        return {"tweet": body}


def iter_tweets(rng: random.Random, handle: str, account_id: str, n_tweets: int) -> Iterator[dict]:
    """The fictional timeline, one tweet object at a time: every edge case first (an edit, a thread),
    then ordinary tweets, retweets, replies, hashtags, links and one-word tweets."""
    w = _TweetWriter(rng, account_id, handle)
    count = 0
    for _kind, template in EDGE_TEXTS:
        count += 1
        yield w.tweet(template.format(url=_tco(rng)))
    first, moment = w.next_id()  # an edited tweet: two revisions, the archive holds both
    second, moment2 = w.next_id()
    yield w.tweet(
        "First draft of this tweet has a typo in teh middle",
        edit_ids=[first, second],
        tweet_id=first,
        moment=moment,
    )
    yield w.tweet(
        "First draft of this tweet has a typo in the middle",
        edit_ids=[first, second],
        tweet_id=second,
        moment=moment2,
    )
    previous = None
    for part in range(3):  # a self-reply thread
        item = w.tweet(
            f"Thread part {part + 1}: {_sentence(rng)}",
            reply_to=(previous, account_id, handle) if previous else None,
        )
        previous = item["tweet"]["id_str"]
        yield item
    count += 5
    while count < n_tweets:
        count += 1
        yield _ordinary_tweet(w, rng)


def _ordinary_tweet(w: _TweetWriter, rng: random.Random) -> dict:
    roll = rng.random()
    if roll < 0.12:
        return w.tweet(f"RT @{rng.choice(FRIENDS)}: {_sentence(rng)} {_tco(rng)}")
    if roll < 0.22:
        friend = rng.choice(FRIENDS)
        return w.tweet(f"@{friend} {_sentence(rng)}", reply_to=(str(10**17), "1001", friend))
    if roll < 0.30:
        return w.tweet(f"{_sentence(rng)} {rng.choice(TAGS)}")
    if roll < 0.36:
        return w.tweet(f"{_sentence(rng)} {_tco(rng)}")
    if roll < 0.40:
        return w.tweet(rng.choice(["lol", "same", "good morning", "ok ok ok", "yes!"]))
    return w.tweet(_sentence(rng) + (" " + _sentence(rng) if rng.random() < 0.5 else ""))


def generate_tweets(rng: random.Random, handle: str, account_id: str, n_tweets: int) -> list[dict]:
    return list(iter_tweets(rng, handle, account_id, n_tweets))


def write_large_archive(out: str | Path, n_tweets: int, *, handle: str = "demo", seed: int = 0) -> Path:
    """A big single-part archive zip, streamed tweet by tweet (for benchmarks: 100k tweets is ~100 MB)."""
    out = Path(out)
    rng = random.Random(seed)
    small = archive_files(handle, "Demo Bot", 30, seed)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in ("data/manifest.js", "data/account.js", "data/profile.js"):
            zf.writestr(name, small[name].encode("utf-8"))
        with zf.open("data/tweets.js", "w", force_zip64=True) as member:
            member.write(b"window.YTD.tweets.part0 = [")
            for i, item in enumerate(iter_tweets(rng, handle, "123456789", n_tweets)):
                body = json.dumps(item, indent=2, ensure_ascii=False, separators=(",", " : ")).replace(
                    "\n", "\n  "
                )
                member.write(((", " if i else " ") + body).encode("utf-8"))
            member.write(b" ]")
    return out


LONG_POST = (
    "This is a long post, written to test the note-tweet path of the importer. The archive keeps only the "
    "first part of it in tweets.js, followed by an ellipsis and a link, and the whole text in note-tweet.js. "
    "A good importer puts the two back together, so the model learns from complete sentences, not from "
    "fragments that stop in the middle of a thought and then point to a link nobody will ever open again."
)


def _long_post(handle: str, account_id: str, seed: int) -> tuple[dict, dict]:
    """A premium long post: truncated in tweets.js, whole in note-tweet.js (same creation second)."""
    moment = START - timedelta(days=1)
    writer = _TweetWriter(random.Random(seed + 1), account_id, handle)
    tweet_id = _snowflake(moment, 0)
    truncated = LONG_POST[:270].rstrip() + "… https://t.co/LongPost01"
    tweet = writer.tweet(truncated, tweet_id=tweet_id, moment=moment)
    note = {
        "noteTweet": {
            "noteTweetId": str(int(tweet_id) - 7),
            "updatedAt": moment.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "lifecycle": {"value": "3", "name": "Tombstoned", "originalName": "Tombstoned"},
            "createdAt": moment.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "core": {
                "styletags": [],
                "urls": [],
                "text": LONG_POST,
                "mentions": [],
                "cashtags": [],
                "hashtags": [],
            },
        }
    }
    return tweet, note


def _ytd(global_name: str, value: object) -> str:
    """A file in the archive's style: `window.YTD.x.part0 = [ ... ]`, Jackson-style `"key" : value`."""
    body = json.dumps(value, indent=2, ensure_ascii=False, separators=(",", " : "))
    return f"window.{global_name} = {body}"


def archive_files(handle: str, name: str, n_tweets: int, seed: int) -> dict[str, str]:
    """Every file of the synthetic archive, by path inside the zip."""
    rng = random.Random(seed)
    account_id = str(rng.randint(10**8, 10**9))
    tweets = generate_tweets(rng, handle, account_id, n_tweets)
    rng.shuffle(tweets)  # real parts are not chronological
    long_post, note = _long_post(handle, account_id, seed)
    cut = len(tweets) * 2 // 3
    part0, part1 = [long_post] + tweets[:cut], tweets[cut:] + tweets[:1]  # one tweet appears in both parts
    manifest = {
        "userInfo": {"accountId": account_id, "userName": handle, "displayName": name},
        "archiveInfo": {
            "sizeBytes": "0",
            "generationDate": "2024-01-01T00:00:00.000Z",
            "isPartialArchive": False,
        },
        "dataTypes": {
            "tweets": {
                "mediaDirectory": "data/tweets_media",
                "files": [
                    {
                        "fileName": "data/tweets.js",
                        "globalName": "YTD.tweets.part0",
                        "count": str(len(part0)),
                    },
                    {
                        "fileName": "data/tweets-part1.js",
                        "globalName": "YTD.tweets.part1",
                        "count": str(len(part1)),
                    },
                ],
            }
        },
    }
    account = [
        {
            "account": {
                "email": "demo@example.invalid",
                "createdVia": "web",
                "username": handle,
                "accountId": account_id,
                "createdAt": "2015-03-01T10:00:00.000Z",
                "accountDisplayName": name,
            }
        }
    ]
    profile = [
        {
            "profile": {
                "description": {
                    "bio": "A fictional account for demos. Not a real person.",
                    "website": "",
                    "location": "",
                },
                "avatarMediaUrl": "https://example.invalid/profile_images/demo/avatar.png",
            }
        }
    ]
    deleted = [
        {
            "tweet": {
                "id_str": "1",
                "id": "1",
                "full_text": "DELETED TWEET MUST NOT BE IMPORTED",
                "created_at": _created_at(START),
                "deleted_at": _created_at(START),
            }
        }
    ]
    headers = [{"tweet": {"tweet_id": "2", "user_id": account_id, "created_at": _created_at(START)}}]
    return {
        "Your archive.html": "<!doctype html><title>Your archive</title><p>Synthetic demo archive.</p>\n",
        "data/manifest.js": "window.__THAR_CONFIG = "
        + json.dumps(manifest, indent=2, separators=(",", " : ")),
        "data/account.js": _ytd("YTD.account.part0", account),
        "data/profile.js": _ytd("YTD.profile.part0", profile),
        "data/tweets.js": _ytd("YTD.tweets.part0", part0),
        "data/tweets-part1.js": _ytd("YTD.tweets.part1", part1),
        "data/deleted-tweets.js": _ytd("YTD.deleted_tweets.part0", deleted),
        "data/tweet-headers.js": _ytd("YTD.tweet_headers.part0", headers),
        "data/note-tweet.js": _ytd("YTD.note_tweet.part0", [note]),
        "data/like.js": _ytd("YTD.like.part0", []),
    }


def write_demo_archive(
    out: str | Path, *, handle: str = "demo", name: str = "Demo Bot 🤖", n_tweets: int = 600, seed: int = 0
) -> Path:
    """Write the archive as a zip (OUT ends with .zip) or as an extracted folder; atomically."""
    out = Path(out)
    files = archive_files(handle, name, n_tweets, seed)
    if out.exists():
        raise BadInputError(f"{out}: already exists; remove it or choose another path")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    if tmp.is_dir():
        shutil.rmtree(tmp)
    elif tmp.exists():
        tmp.unlink()
    if out.suffix.lower() == ".zip":
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for path, text in files.items():
                zf.writestr(path, text.encode("utf-8"))
    else:
        for path, text in files.items():
            target = tmp / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8", newline="")
    tmp.rename(out)
    return out
