"""Unit tests of publisher.publish's pure parts: oids, the plan, local checks."""

from __future__ import annotations

import json
import subprocess

import pytest

from publisher.errors import BadInputError
from publisher.hubclient.ops import RemoteFile, RemoteState
from publisher.publish.files import LocalFile
from publisher.publish.modelcheck import check_model_files, safetensors_header
from publisher.publish.plan import human_size, plan_publish, readme_diff


def test_git_oid_matches_git_hash_object(tmp_path):
    path = tmp_path / "f.txt"
    path.write_bytes(b"hello\nworld\n" * 1000)
    expected = subprocess.run(
        ["git", "hash-object", str(path)], capture_output=True, text=True
    ).stdout.strip()
    assert LocalFile("f.txt", source=path).git_oid == expected
    assert LocalFile("f.txt", data=path.read_bytes()).git_oid == expected


def test_local_file_matches_lfs_by_sha256_and_regular_by_git_oid():
    local = LocalFile("a", data=b"abc")
    assert local.matches(RemoteFile("a", 3, git_oid="whatever", lfs_sha256=local.sha256))
    assert local.matches(RemoteFile("a", 3, git_oid=local.git_oid))
    assert not local.matches(RemoteFile("a", 3, git_oid="0" * 40))
    assert not local.matches(RemoteFile("a", 4, git_oid=local.git_oid))


class _Prepared:
    repo_id = "ns/m"

    def __init__(self, files):
        self.files = files


def test_plan_classifies_added_changed_unchanged_and_sends_only_differences():
    same, edited, new = (
        LocalFile("same", data=b"1"),
        LocalFile("edited", data=b"2"),
        LocalFile("new", data=b"3"),
    )
    remote = RemoteState(
        "ns/m",
        True,
        "main",
        head="a" * 40,
        files={
            "same": RemoteFile("same", 1, same.git_oid),
            "edited": RemoteFile("edited", 1, LocalFile("x", data=b"9").git_oid),
            "only-remote": RemoteFile("only-remote", 1, "b" * 40),
        },
    )
    plan = plan_publish(_Prepared([same, edited, new]), remote)
    assert [(e.path, e.status) for e in plan.entries] == [
        ("same", "unchanged"),
        ("edited", "changed"),
        ("new", "added"),
    ]
    assert [f.path for f in plan.to_send] == ["edited", "new"] and plan.bytes_to_send == 2


@pytest.mark.slow  # builds the session's tiny model (torch)
def test_truncated_safetensors_is_refused(tiny_model_dir, tmp_path):
    data = (tiny_model_dir / "model.safetensors").read_bytes()
    assert safetensors_header(tiny_model_dir / "model.safetensors")
    cut = tmp_path / "model.safetensors"
    cut.write_bytes(data[:-100])
    with pytest.raises(BadInputError, match="truncated"):
        safetensors_header(cut)


@pytest.mark.slow  # builds the session's tiny model (torch)
def test_vocab_mismatch_between_config_and_weights_is_refused(tiny_model_dir, tmp_path):
    for f in tiny_model_dir.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    config = json.loads((tmp_path / "config.json").read_text())
    config["vocab_size"] += 10
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(BadInputError, match="vocab_size"):
        check_model_files(tmp_path, tmp_path / "model.safetensors")


def test_readme_diff_is_unified_and_empty_when_equal():
    assert readme_diff("a\nb\n", "a\nb\n", "ns/m") == ""
    diff = readme_diff("a\nb\n", "a\nc\n", "ns/m")
    assert "--- ns/m/README.md (Hub)" in diff and "-b" in diff and "+c" in diff


def test_human_size():
    assert [human_size(n) for n in (5, 1500, 2_500_000)] == ["5 B", "1.5 kB", "2.5 MB"]


class _FakeWandb:
    """Records what the back-link asks of wandb (no W&B server exists offline; docs/wandb.md A4)."""

    def __init__(self):
        self.calls = []
        outer = self

        class Artifact:
            def __init__(self, name, type, metadata):  # noqa: A002 - wandb's signature
                outer.calls.append(("artifact", name, type, metadata))

            def add_reference(self, uri, name=None, checksum=True):
                outer.calls.append(("reference", uri, checksum))

        class Run:
            def log_artifact(self, artifact, aliases=()):
                outer.calls.append(("log", list(aliases)))

            def finish(self):
                outer.calls.append(("finish",))

        self.Artifact = Artifact
        self.Settings = lambda **kw: kw
        self.init = lambda **kw: outer.calls.append(("init", kw)) or Run()


def _prepared_with_wandb():
    from publisher.card.manifest import card_from_dict
    from publisher.publish.plan import PreparedRun

    card = card_from_dict(
        {
            "users": [{"handle": "demo", "name": "D"}],
            "wandb": {"entity": "ent", "project": "huggingtweets", "train_run": "run42"},
        }
    )
    return PreparedRun(run_dir=None, repo_id="huggingtweets/demo", card=card, readme="", files=[])


def test_wandb_backlink_online_logs_a_reference_pinned_to_the_commit(monkeypatch):
    import sys

    from publisher.publish.run import record_wandb_backlink

    fake = _FakeWandb()
    monkeypatch.setitem(sys.modules, "wandb", fake)
    monkeypatch.setenv("WANDB_MODE", "online")
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    sha = "c" * 40
    outcome = record_wandb_backlink(_prepared_with_wandb(), "https://huggingface.co", sha)
    assert outcome.startswith("recorded on ent/huggingtweets/run42")
    init = next(c[1] for c in fake.calls if c[0] == "init")
    assert init["id"] == "run42" and init["resume"] == "must"
    assert ("reference", f"https://huggingface.co/huggingtweets/demo/tree/{sha}", False) in fake.calls
    assert not any("resolve/main" in str(c) for c in fake.calls)


def test_wandb_backlink_offline_is_skipped_and_says_so(monkeypatch, capsys):
    from publisher.publish.run import record_wandb_backlink

    monkeypatch.setenv("WANDB_MODE", "offline")
    assert (
        record_wandb_backlink(_prepared_with_wandb(), "http://127.0.0.1:1", "c" * 40)
        == "skipped: W&B is offline"
    )
    assert "W&B back-link skipped: W&B is offline" in capsys.readouterr().err
