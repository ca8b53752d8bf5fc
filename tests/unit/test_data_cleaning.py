"""Parity with huggingtweets' cleaning and counting rules (docs/tweet-data.md §1.4-1.8), on crafted tweets."""

from __future__ import annotations

import pytest

from publisher.data.cleaning import (
    boring_tweet,
    clean_tweet,
    fix_text,
    is_short,
    prepare_tweet,
    repair_text,
    short_by_chars,
)


def test_fix_text_replaces_the_three_entities_in_order_and_unescapes_amp_lt_twice():
    assert fix_text("Fish &amp; chips &gt; all &lt;3") == "Fish & chips > all <3"
    assert fix_text("I typed &amp;lt; literally") == "I typed < literally"
    assert fix_text("&quot;kept&quot; &#39;too&#39;") == "&quot;kept&quot; &#39;too&#39;"


@pytest.mark.parametrize(
    ("raw", "cleaned", "short"),
    [
        ("Hello world https://t.co/abc123", "Hello world", True),
        ("https://t.co/abc123 starts with a url here ok", "starts with a url here ok", False),
        ("line one\nhttps://t.co/x\nline three is here", "line one line three is here", False),
        ("Visit https://example.com/a?b=c, it's great", "Visit it's great", False),
        ("see (https://t.co/x) for more info on this", "see (for more info on this", False),
        ("http://t.co/old and https://t.co/new only", "and only", True),
        ("https://t.co/x", "", True),
        ("🤖🤖🤖", "🤖🤖🤖", True),
        ("🤖 🔥 💯 🚀", "🤖 🔥 💯 🚀", False),
        (
            "今日はとても良い天気ですね。散歩に行きました。",
            "今日はとても良い天気ですね。散歩に行きました。",
            True,
        ),
        (
            "RT @elonmusk: Starship launch today, go go go",
            "RT @elonmusk: Starship launch today, go go go",
            False,
        ),
        ("word\u200bjoined\u200bby\u200bzwsp", "word\u200bjoined\u200bby\u200bzwsp", True),
        ("many    spaces\t\tand\n\nnewlines here", "many spaces and newlines here", False),
        (
            "example.com and pic.twitter.com/abc stay put",
            "example.com and pic.twitter.com/abc stay put",
            False,
        ),
    ],
)
def test_clean_tweet_and_boring_tweet_match_huggingtweets(raw, cleaned, short):
    assert clean_tweet(raw) == cleaned
    assert boring_tweet(cleaned) is short


def test_words_with_mentions_hashtags_or_http_do_not_count():
    assert boring_tweet("@a @b #c #d httpbin me too")
    assert boring_tweet("email me@example.com ok")
    assert not boring_tweet("@friend this one counts three")
    assert boring_tweet("@FRIEND #TAG HTTPS_thing two words")


def test_new_lines_are_kept_only_when_allowed():
    assert clean_tweet("a\nb  c", allow_new_lines=True) == "a\nb c"
    assert clean_tweet("a\nb  c") == "a b c"


def test_character_threshold_counts_cjk_text_as_long():
    cjk = "今日はとても良い天気ですね。散歩に行きました。"
    assert not is_short(cjk, short_threshold_chars=10)
    assert is_short("ok @someone #tag https://t.co/x", short_threshold_chars=10)
    assert short_by_chars("🤖🤖🤖", 4)  # 3 code points
    assert is_short("two words") and not is_short("two words", short_threshold_chars=5)


def test_repair_fixes_mojibake_but_keeps_curly_quotes_and_clean_text():
    assert repair_text("ðŸ¤– AI BOT ðŸ¤–") == "🤖 AI BOT 🤖"
    assert repair_text("donâ€™t") == "don’t"
    assert repair_text("naïve café ñ") == "naïve café ñ"
    assert repair_text("Привет, 日本語") == "Привет, 日本語"


def test_repair_removes_word_gluing_invisibles_but_keeps_joiners():
    family = "👨\u200d👩\u200d👧"
    assert repair_text(f"a\u200bb\u2060c\ufeffd\u00ade {family} ❤️ 👍🏽 🇺🇸") == f"abcde {family} ❤️ 👍🏽 🇺🇸"
    assert repair_text("\u202eevil\u202c text") == "evil text"
    assert repair_text("زن\u200cها") == "زن\u200cها"  # ZWNJ is part of Persian spelling
    assert len(family) == 5


def test_prepare_tweet_runs_repair_fix_text_and_clean_and_drops_literal_separators():
    assert prepare_tweet("Fish &amp; chips https://t.co/x") == "Fish & chips"
    assert prepare_tweet("word\u200bjoined\u200bby\u200bzwsp now") == "wordjoinedbyzwsp now"
    assert prepare_tweet("a literal &lt;|endoftext|&gt; inside") == "a literal inside"
    assert prepare_tweet("ðŸ¤– AI BOT ðŸ¤– rocks") == "🤖 AI BOT 🤖 rocks"
    assert prepare_tweet("word\u200bglued", repair=False) == "word\u200bglued"
