"""Attacks on `publish` through the run directory: symlinks, non-regular files, hard links, forged files.

Each test runs the real CLI against the session's local hub with a recognizable token in the environment
(a user of the hub who may write to huggingtweets), and checks that nothing of it reached the hub.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
from pathlib import Path

import pytest
from helpers import hf_api, publish, write_card

CANARY_TOKEN = "hf_CanaryTokenMustNeverLeave7777777"


@pytest.fixture
def canary_env(hub_clean):
    """An environment whose HF_TOKEN is a real, writing token of the hub, shaped to be found if it leaks."""
    hub_clean.server.add_user("canary", CANARY_TOKEN, orgs=["huggingtweets"])
    return hub_clean.env(HF_TOKEN=CANARY_TOKEN)


def hub_holds(hub, needle: bytes) -> list[Path]:
    """Every file under the hub's storage whose bytes contain `needle`."""
    found = []
    for path in Path(hub.root).rglob("*"):
        if path.is_file() and not path.is_symlink():
            try:
                if needle in path.read_bytes():
                    found.append(path)
            except OSError:
                continue
    return found


def assert_refused(hub, run: Path, repo: str, env: dict, name: str) -> str:
    code, doc, err = publish(hub, run, repo, env=env)
    assert code == 2, err
    assert doc["status"] == "failed"
    assert name in err, err
    assert not hf_api(hub).repo_exists(repo)
    assert not [e for e in hub.server.requests if e["method"] not in ("GET", "HEAD")], hub.server.requests
    assert not hub_holds(hub, CANARY_TOKEN.encode())
    assert CANARY_TOKEN not in err + json.dumps(doc)
    return err


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("chat_template.jinja", "/proc/self/environ"),
        ("vocab.txt", "/etc/passwd"),
        ("added_tokens.json", "/etc/passwd"),
        ("model-00009-of-00009.safetensors", "/etc/passwd"),
    ],
)
def test_symlinked_model_file_is_refused_and_nothing_is_uploaded(
    hub_clean, canary_env, run_dir, name, target
):
    (run_dir / name).symlink_to(target)
    err = assert_refused(hub_clean, run_dir, f"huggingtweets/sec-link-{name.split('.')[0]}", canary_env, name)
    assert "symlink" in err


def test_symlinked_weights_inside_a_checkout_are_refused(hub_clean, canary_env, run_dir, tmp_path):
    real = tmp_path / "elsewhere.safetensors"
    (run_dir / "model.safetensors").rename(real)
    (run_dir / "model.safetensors").symlink_to(real)
    assert_refused(hub_clean, run_dir, "huggingtweets/sec-link-weights", canary_env, "model.safetensors")


def test_symlinked_directory_named_like_a_model_file_is_refused(hub_clean, canary_env, run_dir, tmp_path):
    (run_dir / "tokenizer.model").symlink_to(tmp_path, target_is_directory=True)
    assert_refused(hub_clean, run_dir, "huggingtweets/sec-link-dir", canary_env, "tokenizer.model")


def test_symlinked_card_json_is_refused(hub_clean, canary_env, run_dir, tmp_path):
    (run_dir / "card.json").rename(tmp_path / "card.json")
    (run_dir / "card.json").symlink_to(tmp_path / "card.json")
    assert_refused(hub_clean, run_dir, "huggingtweets/sec-link-card", canary_env, "card.json")


def test_fifo_named_like_a_model_file_is_refused_without_blocking(hub_clean, canary_env, run_dir):
    os.mkfifo(run_dir / "merges.txt")
    err = assert_refused(hub_clean, run_dir, "huggingtweets/sec-fifo", canary_env, "merges.txt")
    assert "regular file" in err


def test_hard_link_to_a_file_outside_is_refused(hub_clean, canary_env, run_dir, tmp_path):
    secret = tmp_path / "token"
    secret.write_text(CANARY_TOKEN)
    os.link(secret, run_dir / "chat_template.jinja")
    err = assert_refused(hub_clean, run_dir, "huggingtweets/sec-hardlink", canary_env, "chat_template.jinja")
    assert "hard link" in err


def test_shard_with_a_forged_header_is_refused(hub_clean, canary_env, run_dir):
    header = json.dumps({"x": {"dtype": "F32", "shape": [1000], "data_offsets": [0, 4000]}}).encode()
    (run_dir / "model-00002-of-00002.safetensors").write_bytes(
        struct.pack("<Q", len(header)) + header + b"\0" * 8
    )
    err = assert_refused(hub_clean, run_dir, "huggingtweets/sec-badshard", canary_env, "model-00002-of-00002")
    assert "safetensors" in err


def test_shard_header_length_beyond_the_file_is_refused(hub_clean, canary_env, run_dir):
    (run_dir / "model-00001-of-00001.safetensors").write_bytes(struct.pack("<Q", 2**62) + b"{}")
    assert_refused(hub_clean, run_dir, "huggingtweets/sec-hugeheader", canary_env, "model-00001-of-00001")


def test_shards_must_match_their_index(hub_clean, canary_env, run_dir):
    shutil.copy(run_dir / "model.safetensors", run_dir / "model-00001-of-00002.safetensors")
    err = assert_refused(hub_clean, run_dir, "huggingtweets/sec-noindex", canary_env, "model-00001-of-00002")
    assert "model.safetensors.index.json" in err


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("added_tokens.json", b"not json at all"),
        ("generation_config.json", b"[" * 200_000),
        ("special_tokens_map.json", b"\xff\xfe{}"),
        ("vocab.txt", b"\xff\xfe\x00 not utf-8"),
    ],
)
def test_malformed_tokenizer_files_are_refused(hub_clean, canary_env, run_dir, name, content):
    (run_dir / name).write_bytes(content)
    assert_refused(hub_clean, run_dir, f"huggingtweets/sec-bad-{name.split('.')[0]}", canary_env, name)


def test_files_outside_the_upload_list_may_be_symlinks(hub_clean, canary_env, run_dir):
    """A run directory's own links (dataset, logs) are never read by publish, so they are not an error."""
    (run_dir / "notes.txt").symlink_to("/etc/passwd")
    code, doc, err = publish(hub_clean, run_dir, "huggingtweets/sec-other-links", env=canary_env)
    assert code == 0, err
    assert "notes.txt" not in hf_api(hub_clean).list_repo_files("huggingtweets/sec-other-links")


def test_a_file_changed_after_it_was_hashed_is_refused(tiny_model_dir, tmp_path):
    from publisher._util import regular_files
    from publisher.publish.modelcheck import run_file

    run = tmp_path / "run"
    shutil.copytree(tiny_model_dir, run)
    weights = run_file(run, "model.safetensors")
    assert weights is not None and weights.identity is not None
    with open(run / "model.safetensors", "ab") as handle:
        handle.write(b"appended after the check")
    with pytest.raises(regular_files.UnsafeFileError, match="changed"):
        regular_files.assert_unchanged(weights.source, weights.identity)
    with pytest.raises(regular_files.UnsafeFileError, match="changed"):
        _ = weights.sha256


def test_a_file_swapped_for_a_symlink_after_the_check_is_not_read(tiny_model_dir, tmp_path):
    from publisher._util import regular_files
    from publisher.publish.modelcheck import run_file

    run = tmp_path / "run"
    shutil.copytree(tiny_model_dir, run)
    weights = run_file(run, "model.safetensors")
    (run / "model.safetensors").rename(tmp_path / "moved")
    (run / "model.safetensors").symlink_to(tmp_path / "moved")
    with pytest.raises(regular_files.UnsafeFileError, match="symlink"):
        _ = weights.sha256


def test_a_failed_first_publish_deletes_the_repo_it_created(hub_clean, run_dir):
    hub_clean.server.set_faults("commit:503")
    code, doc, err = publish(
        hub_clean, run_dir, "huggingtweets/sec-first-fails", env=hub_clean.env(PUBLISHER_HUB_RETRIES="2")
    )
    assert code == 1, err
    assert "was deleted again" in err
    assert "create" in [e["route"] for e in hub_clean.server.requests]
    hub_clean.server.set_faults(None)
    assert not hf_api(hub_clean).repo_exists("huggingtweets/sec-first-fails")


def test_a_failed_first_publish_says_when_the_empty_repo_could_not_be_deleted(hub_clean, run_dir):
    hub_clean.server.set_faults("commit:503,delete:503")
    code, doc, err = publish(
        hub_clean, run_dir, "huggingtweets/sec-first-stays", env=hub_clean.env(PUBLISHER_HUB_RETRIES="2")
    )
    assert code == 1, err
    assert "left EMPTY" in err and "sec-first-stays" in err
    hub_clean.server.set_faults(None)
    assert hf_api(hub_clean).repo_exists("huggingtweets/sec-first-stays")


def test_a_failed_publish_to_an_existing_repo_keeps_it(hub_clean, run_dir):
    assert publish(hub_clean, run_dir, "huggingtweets/sec-second-fails")[0] == 0
    write_card(run_dir, widget=["Something new"])
    hub_clean.server.set_faults("commit:503")
    code, doc, err = publish(
        hub_clean, run_dir, "huggingtweets/sec-second-fails", env=hub_clean.env(PUBLISHER_HUB_RETRIES="2")
    )
    assert code == 1 and "deleted" not in err
    hub_clean.server.set_faults(None)
    assert hf_api(hub_clean).repo_exists("huggingtweets/sec-second-fails")
