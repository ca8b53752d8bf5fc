"""huggingtweets' cleaning rules, verbatim, plus the input repairs its API source never needed.

`fix_text`, `clean_tweet` and `boring_tweet` reproduce borisdayma/huggingtweets byte for byte
(docs/tweet-data.md §1.4-1.6), quirks included (`&amp;lt;` is unescaped twice, a comma glued to a URL goes
with it), so card counts match what the original would have shown. `repair_text` runs before them: it
fixes mojibake and removes invisible characters that glue words together, which archives and scraper
dumps contain and the original's API source did not.
"""

from __future__ import annotations

import re
import unicodedata

EOS = "<|endoftext|>"
BORING_STUFF = ("http", "@", "#")

# Invisible characters that are not whitespace for str.split() and so glue words together:
# ZWSP, word joiner, BOM, soft hyphen, bidi embeddings/overrides/isolates. ZWJ/ZWNJ/VS16 and LRM/RLM stay:
# they are part of emoji sequences and of Persian/Indic/RTL text.
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u00ad\u202a-\u202e\u2066-\u2069]")


def fix_text(text: str) -> str:
    """huggingtweets' HTML unescaping: three literal replacements, in this order."""
    text = text.replace("&amp;", "&")
    text = text.replace("&lt;", "<")
    text = text.replace("&gt;", ">")
    return text


def clean_tweet(tweet: str, allow_new_lines: bool = False) -> str:
    """huggingtweets' URL stripping and whitespace collapsing (ALLOW_NEW_LINES=False by default)."""
    bad_start = ["http:", "https:"]
    for w in bad_start:
        tweet = re.sub(f" {w}\\S+", "", tweet)  # removes white space before url
        tweet = re.sub(f"{w}\\S+ ", "", tweet)  # in case a tweet starts with a url
        tweet = re.sub(f"\n{w}\\S+ ", "", tweet)  # in case the url is on a new line
        tweet = re.sub(f"\n{w}\\S+", "", tweet)  # in case the url is alone on a new line
        tweet = re.sub(f"{w}\\S+", "", tweet)  # any other case
    tweet = re.sub(" +", " ", tweet)
    if not allow_new_lines:
        tweet = " ".join(tweet.split())
    return tweet.strip()


def counted_words(tweet: str) -> list[str]:
    """The words huggingtweets counts: those without http, @ or # (case-insensitive)."""
    return [w for w in tweet.split() if all(bs not in w.lower() for bs in BORING_STUFF)]


def boring_tweet(tweet: str) -> bool:
    """huggingtweets' "short tweet" rule: fewer than 3 counted words."""
    return len(counted_words(tweet)) < 3


def short_by_chars(tweet: str, threshold: int) -> bool:
    """Character-based alternative for scripts without spaces (CJK, Thai): fewer than `threshold`
    characters in the counted words (whitespace, mentions, hashtags and URLs excluded)."""
    return sum(len(w) for w in counted_words(tweet)) < threshold


def is_short(tweet: str, short_threshold_chars: int | None = None) -> bool:
    """The short-tweet test in use: huggingtweets' word rule, or the character rule when a threshold is set."""
    if short_threshold_chars is None:
        return boring_tweet(tweet)
    return short_by_chars(tweet, short_threshold_chars)


def repair_text(text: str) -> str:
    """Undo damage archives carry: mojibake (only where ftfy detects it; curly quotes kept), invisible
    word-gluing characters, and non-NFC forms."""
    import ftfy

    if ftfy.is_bad(text):
        text = ftfy.fix_text(text, uncurl_quotes=False, fix_character_width=False, unescape_html=False)
    text = _INVISIBLE.sub("", text)
    return unicodedata.normalize("NFC", text)


def prepare_tweet(raw_text: str, *, repair: bool = True) -> str:
    """The full cleaning pipeline for one non-retweet: repair, fix_text, drop literal separators, clean."""
    text = repair_text(raw_text) if repair else raw_text
    text = fix_text(text)
    # a literal "<|endoftext|>" typed by the user would become a document separator in the training text
    text = text.replace(EOS, " ")
    return clean_tweet(text)
