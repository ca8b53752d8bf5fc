"""snscrape JSONL, API v1.1/v2 JSON, plain JSONL/CSV: each imports; bad files fail naming file and line."""

from __future__ import annotations

import json

import pytest

from publisher.data.counting import process_users
from publisher.data.demo import write_demo_archive
from publisher.data.readers import read_input
from publisher.errors import DataError
from publisher.training.prepare import PrepareOptions, prepare_run


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def test_snscrape_jsonl_v07_and_v04_fields(tmp_path):
    user = {
        "username": "Dril",
        "displayname": "wint",
        "profileImageUrl": "https://pbs.twimg.com/profile_images/1/a_normal.jpg",
        "protected": False,
    }
    records = [
        {
            "_type": "snscrape.modules.twitter.Tweet",
            "id": 1600000000000000001,
            "rawContent": "new style &amp; escaped",
            "content": "new style &amp; escaped",
            "user": user,
            "retweetedTweet": None,
        },
        {
            "_type": "snscrape.modules.twitter.Tweet",
            "id": 1600000000000000002,
            "rawContent": "RT @x: retweeted",
            "user": user,
            "retweetedTweet": {"id": 5},
        },
        {"id": 1500000000000000003, "content": "old v0.4 content field", "user": user, "username": "dril"},
    ]
    src = read_input(write_jsonl(tmp_path / "scrape.jsonl", records))
    assert src.format == "snscrape"
    assert (src.user.handle, src.user.name) == ("dril", "wint")
    assert src.user.avatar_url == "https://pbs.twimg.com/profile_images/1/a_400x400.jpg"
    assert [t.is_retweet for t in src.tweets] == [False, True, False]
    assert src.tweets[0].id == "1600000000000000001"  # ids beyond 2**53 stay exact


def test_api_v1_1_json_array_uses_retweeted_status_not_retweeted(tmp_path):
    user = {
        "screen_name": "simonw",
        "name": "Simon",
        "profile_image_url_https": "https://pbs.twimg.com/p/x_normal.jpeg",
    }
    statuses = [
        {"id": 10, "id_str": "10", "full_text": "an original tweet here", "retweeted": True, "user": user},
        {
            "id": 11,
            "id_str": "11",
            "full_text": "RT @drvox: My new post…",
            "retweeted": False,
            "retweeted_status": {"id": 1},
            "user": user,
        },
        {
            "id": 12,
            "id_str": "12",
            "full_text": "RT @manual: typed by hand",
            "retweeted": False,
            "user": user,
        },
    ]
    path = tmp_path / "timeline.json"
    path.write_text(json.dumps(statuses), encoding="utf-8")
    src = read_input(path)
    assert src.format == "api-v1.1" and src.user.handle == "simonw"
    assert [t.is_retweet for t in src.tweets] == [False, True, False]


def test_api_v1_1_jsonl_and_v2_json_with_handle_from_file_name(tmp_path):
    v2 = {
        "data": [
            {"id": "20", "text": "a v2 tweet", "edit_history_tweet_ids": ["20"]},
            {"id": "21", "text": "RT @a: b", "referenced_tweets": [{"type": "retweeted", "id": "3"}]},
        ]
    }
    path = tmp_path / "jack.json"
    path.write_text(json.dumps(v2), encoding="utf-8")
    src = read_input(path)
    assert (
        src.format == "api-v2"
        and src.user.handle == "jack"
        and [t.is_retweet for t in src.tweets] == [False, True]
    )
    line = write_jsonl(
        tmp_path / "t.ndjson", [{"id_str": "1", "full_text": "hi", "user": {"screen_name": "Someone"}}]
    )
    assert read_input(line).user.handle == "someone"


def test_plain_csv_with_documented_columns(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(
        'id,text,is_retweet,handle,name,avatar_url\n1,"hello, ""quoted"" world",false,@Alice,Alice A,https://x.example/a.png\n'
        '2,RT @b: hi,true,alice,,\n3,"multi\nline tweet",0,alice,,\n',
        encoding="utf-8",
    )
    src = read_input(path)
    assert (src.format, src.user.handle, src.user.name, src.user.avatar_url) == (
        "plain",
        "alice",
        "Alice A",
        "https://x.example/a.png",
    )
    assert [t.text for t in src.tweets] == ['hello, "quoted" world', "RT @b: hi", "multi\nline tweet"]
    assert [t.is_retweet for t in src.tweets] == [False, True, False]


def test_twint_and_old_archive_csv_columns(tmp_path):
    twint = tmp_path / "twint.csv"
    twint.write_text(
        "id,username,name,tweet,retweet\n5,bob,Bob,a tweet by bob,False\n6,bob,Bob,something,True\n",
        encoding="utf-8",
    )
    assert [t.is_retweet for t in read_input(twint).tweets] == [False, True]
    old = tmp_path / "carol.csv"
    old.write_text("tweet_id,text,retweeted_status_id\n7,mine,\n8,RT @x: theirs,123\n", encoding="utf-8")
    src = read_input(old)
    assert src.user.handle == "carol" and [t.is_retweet for t in src.tweets] == [False, True]


def test_plain_jsonl_without_retweet_flag_detects_rt_prefix_and_orders_by_position(tmp_path):
    src = read_input(
        write_jsonl(tmp_path / "dave.jsonl", [{"text": "old"}, {"text": "RT @x: y"}, {"text": "new"}])
    )
    assert [t.is_retweet for t in src.tweets] == [False, True, False]
    assert [t.order for t in src.tweets] == [0, 1, 2]


def test_prepare_s_own_tweets_jsonl_imports_back_with_the_same_counts(tmp_path):
    first = prepare_run(
        [write_demo_archive(tmp_path / "demo.zip", n_tweets=200, seed=9)],
        tmp_path / "a",
        PrepareOptions(seed=1, wandb=False),
    )
    again = process_users([read_input(tmp_path / "a" / "dataset" / "tweets.jsonl")])
    assert again[0].stats == first.users[0].stats


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.jsonl", '{"text": "ok"}\n{"text": "broken\n', r"bad.jsonl:2: not valid JSON"),
        ("notext.jsonl", '{"text": "ok"}\n{"body": "x"}\n', r"notext.jsonl:2: no tweet text"),
        ("flag.jsonl", '{"text": "ok", "is_retweet": "maybe"}\n', r"flag.jsonl:1: is_retweet must be"),
        (
            "cut.json",
            '[{"id": "1", "full_text": "a", "user": {"screen_name": "u"}}, {"id": "2", "full_te',
            r"cut.json: truncated or malformed JSON after item 1",
        ),
        ("nocol.csv", "id,body\n1,x\n", r"nocol.csv: no text column \(header has id, body"),
        ("extra.csv", "id,text\n1,a,b\n", r"extra.csv:2: more fields than the header"),
        (
            "mixed.jsonl",
            '{"text": "a", "handle": "one"}\n{"text": "b", "handle": "two"}\n',
            r"mixed.jsonl:2: tweet of @two in a file of @one",
        ),
        ("bad handle!.jsonl", '{"text": "a"}\n', r"no handle: add a `handle` column"),
        ("tweets.js", "window.YTD.tweets.part0 = []", r"pass the whole archive"),
    ],
)
def test_malformed_dumps_fail_naming_file_and_position(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        read_input(path)


def test_not_utf8_is_a_data_error_with_the_line(tmp_path):
    path = tmp_path / "latin.jsonl"
    path.write_bytes(b'{"text": "ok"}\n{"text": "caf\xe9"}\n')
    with pytest.raises(DataError, match=r"latin.jsonl:2: not UTF-8"):
        read_input(path)


def test_empty_dump_is_an_error_saying_there_are_no_tweets(tmp_path):
    path = tmp_path / "erin.jsonl"
    path.write_text("\n", encoding="utf-8")
    with pytest.raises(DataError, match="no tweets"):
        process_users([read_input(path)])
