"""The X archive reader: zip and folder, multi-part, old layouts, decoys, and clear errors for bad files."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from publisher.data.archive import read_x_archive
from publisher.data.demo import write_demo_archive
from publisher.data.readers import read_input
from publisher.errors import DataError

ACCOUNT = 'window.YTD.account.part0 = [ {\n  "account" : {\n    "username" : "Alice_B",\n    "accountId" : "42",\n    "accountDisplayName" : "Alice | B"\n  }\n} ]'


def tweet(tweet_id: str, text: str, *, wrapped: bool = True) -> dict:
    body = {
        "id_str": tweet_id,
        "id": tweet_id,
        "full_text": text,
        "retweeted": False,
        "favorite_count": "0",
        "created_at": "Sat Aug 12 16:10:37 +0000 2023",
    }
    return {"tweet": body} if wrapped else body


def ytd(name: str, items: list) -> str:
    return f"window.YTD.{name}.part0 = " + json.dumps(items, indent=2, separators=(",", " : "))


def write_zip(path: Path, files: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def test_demo_archive_zip_and_folder_import_the_same_tweets(tmp_path):
    zipped = read_x_archive(write_demo_archive(tmp_path / "demo.zip", n_tweets=100, seed=3))
    folder = read_x_archive(write_demo_archive(tmp_path / "demo", n_tweets=100, seed=3))
    assert zipped.user.handle == folder.user.handle == "demo"
    assert zipped.user.name == "Demo Bot 🤖"
    assert zipped.user.avatar_url.startswith("https://")
    assert [t.id for t in zipped.tweets] == [t.id for t in folder.tweets]
    assert zipped.files == ["data/tweets.js", "data/tweets-part1.js"]
    assert len(zipped.superseded_ids) == 1
    assert not any("DELETED" in t.text for t in zipped.tweets)


def test_demo_archive_is_deterministic(tmp_path):
    a = write_demo_archive(tmp_path / "a", seed=5, n_tweets=50)
    b = write_demo_archive(tmp_path / "b", seed=5, n_tweets=50)
    for name in ("data/tweets.js", "data/tweets-part1.js", "data/account.js"):
        assert (a / name).read_bytes() == (b / name).read_bytes()


def test_retweets_are_detected_by_text_because_archives_say_retweeted_false(tmp_path):
    path = write_zip(
        tmp_path / "a.zip",
        {
            "data/account.js": ACCOUNT,
            "data/tweets.js": ytd("tweets", [tweet("1", "RT @x: hi"), tweet("2", "RT not a retweet")]),
        },
    )
    src = read_x_archive(path)
    assert [t.is_retweet for t in src.tweets] == [True, False]
    assert src.user.handle == "alice_b" and src.user.name == "Alice | B" and src.user.avatar_url is None


def test_multi_part_archives_read_every_part_in_order_and_skip_look_alikes(tmp_path):
    files = {
        "data/account.js": ACCOUNT,
        "data/tweets.js": ytd("tweets", [tweet("1", "one")]),
        "data/tweets-part2.js": ytd("tweets", [tweet("3", "three")]).replace("part0", "part2"),
        "data/tweets-part1.js": ytd("tweets", [tweet("2", "two")]).replace("part0", "part1"),
        "data/deleted-tweets.js": ytd("deleted_tweets", [tweet("9", "deleted")]),
        "data/tweet-headers.js": ytd("tweet_headers", [tweet("8", "header")]),
        "data/tweets_media/1-photo.js": "not json at all",
    }
    src = read_x_archive(write_zip(tmp_path / "a.zip", files))
    assert src.files == ["data/tweets.js", "data/tweets-part1.js", "data/tweets-part2.js"]
    assert [t.text for t in src.tweets] == ["one", "two", "three"]


def test_old_layouts_bare_items_bom_crlf_trailing_semicolon_and_top_folder(tmp_path):
    old = "\ufeff" + ytd("tweet", [tweet("5", "old style", wrapped=False)]).replace("\n", "\r\n") + ";\r\n"
    files = {"twitter-2019/account.js": ACCOUNT, "twitter-2019/tweet.js": old}
    src = read_x_archive(write_zip(tmp_path / "old.zip", files))
    assert [(t.id, t.text) for t in src.tweets] == [("5", "old style")]


def test_edit_chains_record_the_superseded_revisions(tmp_path):
    first = tweet("10", "draft")
    first["tweet"]["edit_info"] = {"initial": {"editTweetIds": ["10", "11"]}}
    second = tweet("11", "final")
    second["tweet"]["edit_info"] = {
        "edit": {"initialTweetId": "10", "editControlInitial": {"editTweetIds": ["10", "11"]}}
    }
    src = read_x_archive(
        write_zip(
            tmp_path / "e.zip", {"data/account.js": ACCOUNT, "data/tweets.js": ytd("tweets", [first, second])}
        )
    )
    assert src.superseded_ids == {"10"}


def test_truncated_tweets_file_fails_with_file_name_and_position(tmp_path):
    text = ytd("tweets", [tweet(str(i), f"tweet {i}") for i in range(50)])
    path = write_zip(
        tmp_path / "cut.zip", {"data/account.js": ACCOUNT, "data/tweets.js": text[: len(text) * 2 // 3]}
    )
    with pytest.raises(DataError) as info:
        read_x_archive(path)
    message = str(info.value)
    assert (
        "cut.zip!data/tweets.js" in message
        and "truncated or malformed" in message
        and "after tweet 3" in message
    )


def test_malformed_tweets_file_in_a_folder_names_the_file(tmp_path):
    (tmp_path / "arch" / "data").mkdir(parents=True)
    (tmp_path / "arch" / "data" / "account.js").write_text(ACCOUNT)
    (tmp_path / "arch" / "data" / "tweets.js").write_text(
        'window.YTD.tweets.part0 = [ {"tweet": {"id_str": "1", "full_text": "a"}}, {oops} ]'
    )
    with pytest.raises(DataError, match=r"arch/data/tweets.js: truncated or malformed JSON after tweet 1"):
        read_x_archive(tmp_path / "arch")


def test_damaged_zip_member_is_a_data_error(tmp_path):
    path = write_zip(
        tmp_path / "z.zip",
        {"data/account.js": ACCOUNT, "data/tweets.js": ytd("tweets", [tweet("1", "x" * 5000)])},
    )
    raw = bytearray(path.read_bytes())
    start = raw.find(b"data/tweets.js") + 40
    raw[start : start + 50] = b"\x00" * 50
    path.write_bytes(bytes(raw))
    with pytest.raises(DataError, match="z.zip"):
        read_x_archive(path)


def test_not_a_zip_is_a_data_error(tmp_path):
    path = tmp_path / "fake.zip"
    path.write_text("hello")
    with pytest.raises(DataError, match="fake.zip: not a readable zip"):
        read_input(path)


def test_empty_archive_says_there_are_no_tweets(tmp_path):
    empty_list = write_zip(
        tmp_path / "e1.zip", {"data/account.js": ACCOUNT, "data/tweets.js": "window.YTD.tweets.part0 = [ ]"}
    )
    assert read_x_archive(empty_list).tweets == []
    no_file = write_zip(
        tmp_path / "e2.zip", {"data/account.js": ACCOUNT, "data/like.js": "window.YTD.like.part0 = [ ]"}
    )
    with pytest.raises(DataError, match="no tweets found"):
        read_input(no_file)
    nothing = write_zip(tmp_path / "e3.zip", {"README.txt": "hi"})
    with pytest.raises(DataError, match="no tweets found"):
        read_input(nothing)


def test_invalid_handle_in_account_js_is_rejected(tmp_path):
    account = ACCOUNT.replace("Alice_B", "not a handle!")
    path = write_zip(tmp_path / "h.zip", {"data/account.js": account, "data/tweets.js": ytd("tweets", [])})
    with pytest.raises(DataError, match="invalid handle"):
        read_x_archive(path)


def test_protected_history_marks_the_account_protected(tmp_path):
    history = ytd(
        "protected_history",
        [{"protectedHistory": {"action": "Unprotect"}}, {"protectedHistory": {"action": "Protect"}}],
    )
    path = write_zip(
        tmp_path / "p.zip",
        {
            "data/account.js": ACCOUNT,
            "data/tweets.js": ytd("tweets", []),
            "data/protected-history.js": history,
        },
    )
    assert read_x_archive(path).user.protected


def test_long_posts_get_their_full_text_from_note_tweet_js(tmp_path):
    from publisher.data.demo import LONG_POST

    src = read_x_archive(write_demo_archive(tmp_path / "d.zip", n_tweets=60, seed=1))
    assert sum(t.text == LONG_POST for t in src.tweets) == 1
    assert not any(t.text.startswith(LONG_POST[:50]) and t.text != LONG_POST for t in src.tweets)


def test_a_note_is_not_applied_to_a_different_tweet_of_the_same_second(tmp_path):
    # tweet() gives every tweet created_at "Sat Aug 12 16:10:37 +0000 2023", the note's second
    note = {
        "noteTweet": {
            "createdAt": "2023-08-12T16:10:37.000Z",
            "core": {"text": "A long post that goes on and on"},
        }
    }
    files = {
        "data/account.js": ACCOUNT,
        "data/note-tweet.js": ytd("note_tweet", [note]),
        "data/tweets.js": ytd(
            "tweets", [tweet("1", "A long post that… https://t.co/x"), tweet("2", "Something else entirely")]
        ),
    }
    src = read_x_archive(write_zip(tmp_path / "n.zip", files))
    assert [t.text for t in src.tweets] == ["A long post that goes on and on", "Something else entirely"]
