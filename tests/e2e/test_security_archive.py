"""Hostile tweet archives: nesting bombs, oversized whole-read files, symlinks in an extracted folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from hang_guard import HANG_GUARD

ACCOUNT = 'window.YTD.account.part0 = [{"account": {"username": "bomber", "accountDisplayName": "Bomber"}}]'


def tweet(i: int, text: str) -> dict:
    return {
        "tweet": {
            "id_str": str(1_000_000 + i),
            "full_text": text,
            "created_at": "Mon Jan 01 00:00:00 +0000 2024",
            "entities": {"user_mentions": [{"indices": [0, 4]}], "urls": []},
        }
    }


def real_tweets(n: int = 400) -> str:
    texts = [
        f'tweet number {i} has [brackets] {{braces}} and \\"quotes\\" and \\\\ backslashes' for i in range(n)
    ]
    return "window.YTD.tweets.part0 = " + json.dumps([tweet(i, t) for i, t in enumerate(texts)], indent=2)


def write_zip(path: Path, files: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return path


def prepare(archive: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "publisher", "prepare", str(archive), "--out", str(out), "--seed", "1"],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )


def test_a_17_kb_zip_of_200000_nested_brackets_fails_fast_naming_the_file(tmp_path):
    bomb = write_zip(
        tmp_path / "bomb.zip",
        {"data/account.js": ACCOUNT, "data/tweets.js": "window.YTD.tweets.part0 = " + "[" * 200_000},
    )
    assert bomb.stat().st_size < 20_000
    started = time.monotonic()
    result = prepare(bomb, tmp_path / "run")
    assert result.returncode == 2, result.stderr
    assert "bomb.zip!data/tweets.js" in result.stderr and "nested deeper than" in result.stderr
    assert "Traceback" not in result.stderr
    assert time.monotonic() - started < 120  # a hang guard: it grew to 24 GB before the fix
    assert not (tmp_path / "run").exists()


def test_nested_objects_are_refused_too(tmp_path):
    deep = "[" + '{"a":' * 100 + "1" + "}" * 100 + "]"
    archive = write_zip(tmp_path / "deep.zip", {"data/account.js": ACCOUNT, "data/tweets.js": deep})
    result = prepare(archive, tmp_path / "run")
    assert result.returncode == 2 and "nested deeper than" in result.stderr


def test_a_huge_string_in_tweets_js_is_refused(tmp_path):
    huge = '[{"tweet": {"id_str": "1", "full_text": "' + "a" * (3 * 1024 * 1024) + '"}}]'
    archive = write_zip(tmp_path / "string.zip", {"data/account.js": ACCOUNT, "data/tweets.js": huge})
    result = prepare(archive, tmp_path / "run")
    assert result.returncode == 2 and "string longer than" in result.stderr, result.stderr


def test_a_huge_account_js_is_refused(tmp_path):
    padding = " " * (65 * 1024 * 1024)
    archive = write_zip(
        tmp_path / "account.zip", {"data/account.js": ACCOUNT + padding, "data/tweets.js": real_tweets()}
    )
    assert archive.stat().st_size < 1_000_000
    result = prepare(archive, tmp_path / "run")
    assert result.returncode == 2, result.stderr
    assert "account.zip!data/account.js" in result.stderr and "larger than" in result.stderr


def test_a_deeply_nested_account_js_is_refused(tmp_path):
    archive = write_zip(
        tmp_path / "acc.zip", {"data/account.js": "[" * 100_000, "data/tweets.js": real_tweets()}
    )
    result = prepare(archive, tmp_path / "run")
    assert result.returncode == 2 and "account.js" in result.stderr and "Traceback" not in result.stderr


def test_brackets_quotes_and_backslashes_inside_tweets_are_not_nesting(tmp_path):
    from publisher.data.archive import read_x_archive

    archive = write_zip(
        tmp_path / "ok.zip", {"data/account.js": ACCOUNT, "data/tweets.js": real_tweets(2000)}
    )
    source = read_x_archive(archive)
    assert len(source.tweets) == 2000
    assert source.tweets[0].text.startswith("tweet number 0 has [brackets]")


@pytest.mark.parametrize("piece", [1, 2, 3, 7, 64, 4096])
def test_the_guard_follows_strings_split_across_any_piece_boundary(piece):
    from publisher.data.jsstream import JsonDepthError, JsonGuard

    text = json.dumps([{"t": 'x\\"[[[[' * 20 + "\\\\", "u": [[["a]]]{{{"]]]} for _ in range(50)]).encode()
    guard = JsonGuard("t.js", max_depth=5)  # [{"u": [[[ is 5 deep
    for start in range(0, len(text), piece):
        guard.feed(text[start : start + piece])
    assert guard.depth == 0 and not guard.in_string
    guard = JsonGuard("t.js", max_depth=4)
    with pytest.raises(JsonDepthError, match="t.js"):
        for start in range(0, len(text), piece):
            guard.feed(text[start : start + piece])


def extracted_archive(root: Path) -> Path:
    (root / "data").mkdir(parents=True)
    (root / "data" / "account.js").write_text(ACCOUNT)
    (root / "data" / "tweets.js").write_text(real_tweets())
    return root


@pytest.mark.parametrize("name", ["account.js", "tweets.js"])
def test_a_symlinked_file_in_an_extracted_archive_is_refused(tmp_path, name):
    folder = extracted_archive(tmp_path / "archive")
    secret = tmp_path / "secret.js"
    secret.write_text((folder / "data" / name).read_text())
    (folder / "data" / name).unlink()
    (folder / "data" / name).symlink_to(secret)
    result = prepare(folder, tmp_path / "run")
    assert result.returncode == 2, result.stderr
    assert name in result.stderr and "a symlink in the archive" in result.stderr
    assert not (tmp_path / "run").exists()


def test_a_symlinked_folder_in_an_extracted_archive_is_not_followed(tmp_path):
    folder = extracted_archive(tmp_path / "archive")
    outside = tmp_path / "outside"
    (folder / "data").rename(outside)
    os.symlink(outside, folder / "data")
    result = prepare(folder, tmp_path / "run")
    assert result.returncode == 2 and "a symlinked folder in the archive" in result.stderr, result.stderr


def test_an_extracted_archive_without_links_still_prepares(tmp_path):
    folder = extracted_archive(tmp_path / "archive")
    result = prepare(folder, tmp_path / "run")
    assert result.returncode == 0, result.stderr


def test_a_jsonl_dump_nested_too_deep_is_exit_2(tmp_path):
    dump = tmp_path / "tweets.jsonl"
    dump.write_text('{"id_str": "1", "full_text": "fine"}\n' + "[" * 100_000 + "\n")
    result = prepare(dump, tmp_path / "run")
    assert (
        result.returncode == 2 and "tweets.jsonl:2" in result.stderr and "nested too deeply" in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_a_json_dump_nested_too_deep_is_exit_2(tmp_path):
    dump = tmp_path / "tweets.json"
    dump.write_text("[" * 200_000)
    result = prepare(dump, tmp_path / "run")
    assert result.returncode == 2 and "tweets.json" in result.stderr and "nested deeper than" in result.stderr
