"""publisher._util.fs: the one atomic writer and the one JSON-lines appender."""

from __future__ import annotations

import json
import os
import stat

import pytest

from publisher._util import fs


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_write_replaces_the_file_whole_with_plain_permissions_and_no_temp_left(tmp_path):
    target = tmp_path / "card.json"
    target.write_text("old")
    fs.write_json(target, {"name": "Zoë", "n": 1})
    assert target.read_bytes() == '{\n  "name": "Zoë",\n  "n": 1\n}\n'.encode()
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~_umask()  # not mkstemp's 0600
    assert [p.name for p in tmp_path.iterdir()] == ["card.json"]


def test_write_text_keeps_newlines_as_given(tmp_path):
    fs.write_text(tmp_path / "README.md", "a\r\nb\n")
    assert (tmp_path / "README.md").read_bytes() == b"a\r\nb\n"


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path):
    target = tmp_path / "state.json"
    target.write_text("old")
    with pytest.raises(TypeError):
        fs.write_bytes(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_append_jsonl_isolates_a_torn_last_line(tmp_path):
    path = tmp_path / "sub" / "journal.jsonl"
    handle = fs.open_jsonl(path)  # the folder is made
    fs.append_jsonl(handle, {"repo": "a/b", "status": "changed"}, durable=True)
    handle.close()
    with open(path, "ab") as torn:
        torn.write(b'{"repo": "a/c", "sta')  # a crash mid-record
    handle = fs.open_jsonl(path)
    fs.append_jsonl(handle, {"repo": "a/d", "status": "unchanged"}, durable=False)
    handle.close()
    lines = path.read_bytes().split(b"\n")
    assert json.loads(lines[0]) == {"repo": "a/b", "status": "changed"}
    assert lines[1] == b'{"repo": "a/c", "sta'
    assert json.loads(lines[2]) == {"repo": "a/d", "status": "unchanged"}
    assert lines[3] == b""
