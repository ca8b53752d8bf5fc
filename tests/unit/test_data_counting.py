"""Card counts: downloaded = retweets + short + kept, dedupe, edit chains, the cap, the size checks."""

from __future__ import annotations

import random

import pytest

from publisher.data.counting import check_size, count_user, dedupe_and_cap, merge_sources, process_users
from publisher.data.dataset import build_dataset, split_eval, training_text
from publisher.data.records import ImportedSource, Tweet, UserInfo
from publisher.errors import DataError
from publisher.naming import normalize_handle

LONG = "this tweet has plenty of real words in it number {}"


def source(
    handle: str, texts: list[str], *, superseded: set[str] | None = None, ids: list[str] | None = None
) -> ImportedSource:
    ids = ids or [str(1000 + i) for i in range(len(texts))]
    tweets = [Tweet(i, t, t.startswith("RT @"), int(i)) for i, t in zip(ids, texts, strict=True)]
    return ImportedSource(
        f"{handle}.zip", "x-archive", UserInfo(handle, handle.title()), tweets, superseded or set()
    )


def test_counts_split_every_tweet_into_retweet_short_or_kept():
    texts = [
        "RT @other: a retweet with many words in it",
        "Hello world https://t.co/x",
        "🤖🤖🤖",
        "@friend this one is a reply and kept",
        "Fish &amp; chips are the best food",
        "今日はとても良い天気ですね。",
    ]
    data = merge_sources([source("alice", texts)])[0]
    dedupe_and_cap(data, None)
    count_user(data)
    s = data.stats
    assert (s.downloaded, s.retweets, s.short, s.kept) == (6, 1, 3, 2)
    assert s.downloaded == s.retweets + s.short + s.kept
    assert "Fish & chips are the best food" in data.kept_texts
    assert sorted(data.statuses) == ["kept", "kept", "retweet", "short", "short", "short"]


def test_character_threshold_keeps_cjk_tweets():
    data = merge_sources([source("alice", ["今日はとても良い天気ですね。", "ok"])])[0]
    dedupe_and_cap(data, None)
    count_user(data, short_threshold_chars=5)
    assert (data.stats.short, data.stats.kept) == (1, 1)


def test_duplicate_ids_count_once_and_earlier_edit_revisions_are_dropped():
    texts = [
        "first draft has a typo in teh text",
        "first draft has a typo in the text",
        LONG.format(1),
        LONG.format(1),
    ]
    src = source("alice", texts, ids=["10", "11", "12", "12"], superseded={"10"})
    data = merge_sources([src])[0]
    dedupe_and_cap(data, None)
    assert [t.id for t in data.tweets] == ["12", "11"]
    assert (data.duplicates_removed, data.edits_collapsed) == (1, 1)


def test_cap_keeps_the_most_recent_tweets_by_id():
    texts = [LONG.format(i) for i in range(10)]
    data = merge_sources([source("alice", texts, ids=[str(5 + i * 7 % 10) for i in range(10)])])[0]
    dedupe_and_cap(data, 3)
    assert [t.id for t in data.tweets] == ["14", "13", "12"]
    assert data.beyond_cap == 7


def test_two_exports_of_one_user_merge_and_dedupe():
    a = source("alice", [LONG.format(1), LONG.format(2)], ids=["1", "2"])
    b = source("alice", [LONG.format(2), LONG.format(3)], ids=["2", "3"])
    users = merge_sources([a, b])
    assert len(users) == 1
    dedupe_and_cap(users[0], None)
    assert len(users[0].tweets) == 3


def test_more_than_three_users_is_an_error():
    with pytest.raises(DataError, match="1 to 3"):
        merge_sources([source(h, [LONG]) for h in ("a", "b", "c", "d")])


def test_under_6000_characters_is_an_error_with_the_real_counts():
    data = merge_sources([source("alice", [LONG.format(i) for i in range(20)] + ["RT @x: y"])])[0]
    dedupe_and_cap(data, None)
    count_user(data)
    with pytest.raises(
        DataError, match=r"@alice: not enough tweets.*21 downloaded, 1 retweets, 0 short, 20 kept"
    ):
        check_size(data)


def test_under_40000_characters_is_a_warning(capsys):
    users = process_users([source("alice", [LONG.format(i) for i in range(200)])])
    assert 6000 <= users[0].kept_chars < 40000
    assert "few tweets" in capsys.readouterr().err


def test_no_tweets_is_an_error_saying_so():
    with pytest.raises(DataError, match="no tweets"):
        process_users([source("alice", [])])


@pytest.mark.parametrize(
    ("raw", "handle"),
    [
        (" @Dril ", "dril"),
        ("@@x", None),
        ("a" * 16, None),
        ("bad-name", None),
        ("under_score_15c", "under_score_15c"),
        ("", None),
    ],
)
def test_handles_are_normalized_and_validated(raw, handle):
    if handle is None:
        with pytest.raises(DataError, match="invalid handle"):
            normalize_handle(raw)
    else:
        assert normalize_handle(raw) == handle


def test_training_text_is_huggingtweets_epochs_with_oversampling_and_separators():
    big = [f"big tweet {i}" for i in range(10)]
    small = ["small one", "small two"]
    text = training_text([big, small], random.Random(0), epochs=4)
    assert text.startswith("<|endoftext|>") and text.endswith("<|endoftext|>")
    parts = text.split("<|endoftext|>")[1:-1]
    assert sum(p.startswith("big") for p in parts) == 40
    small_chars = sum(len(p) for p in parts if p.startswith("small"))
    assert small_chars >= 4 * len("".join(big))  # oversampled up to the largest user, every epoch


def test_training_text_is_reproducible_from_the_seed():
    tweets = [[f"tweet {i}" for i in range(50)]]
    assert build_dataset(tweets, 7).train_text == build_dataset(tweets, 7).train_text
    assert build_dataset(tweets, 7).train_text != build_dataset(tweets, 8).train_text


def test_evaluation_tweets_are_held_out_of_training():
    tweets = [f"unique tweet number {i}" for i in range(100)]
    train, held = split_eval(tweets, random.Random(1))
    assert len(held) == 5 and not set(held) & set(train) and len(train) == 95
    ds = build_dataset([tweets], 3)
    for t in ds.eval_tweets[0]:
        assert f"<|endoftext|>{t}<|endoftext|>" not in ds.train_text
        assert t in ds.eval_text


EXPECTED_EDGE = {
    "plain": "kept",
    "url-end": "kept",
    "url-start": "kept",
    "url-middle": "kept",
    "url-line": "kept",
    "url-only": "short",
    "short": "short",
    "emoji": "kept",
    "emoji-short": "short",
    "emoji-spaced": "kept",
    "cjk": "short",
    "zwsp": "kept",
    "mojibake": "kept",
    "eos": "kept",
    "hashtags": "short",
    "mention-short": "short",
    "crlf": "kept",
}


def test_every_demo_edge_case_is_classified_as_huggingtweets_would():
    from publisher.data.demo import EDGE_TEXTS

    for kind, template in EDGE_TEXTS:
        data = merge_sources([source("alice", [template.format(url="https://t.co/abcdef1234")])])[0]
        dedupe_and_cap(data, None)
        count_user(data)
        assert data.statuses == [EXPECTED_EDGE[kind]], (kind, template, data.kept_texts)
