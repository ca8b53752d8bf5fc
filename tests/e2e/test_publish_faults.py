"""Publishing through a flaky Hub, an interrupted publish, and tokens that must never leak."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from hang_guard import HANG_GUARD
from helpers import hf_api, publish, publish_cmd, routes, statuses, write_card
from huggingface_hub import HfApi

FAKE_TOKEN = "hf_NeverPrintMeFakeToken4242424242"


@pytest.mark.parametrize(
    ("name", "faults"),
    [
        (
            "commit-503-lfs-drop-preupload-429",
            "commit:503:times=1,lfs-put:drop:nth=1,preupload:429:times=1:retry_after=1",
        ),
        ("commit-drop-batch-503", "commit:drop:times=1,lfs-batch:503:times=1,lfs-verify:drop:nth=1"),
        ("commit-429-put-503", "commit:429:times=1:retry_after=1,lfs-put:503:times=2"),
        (
            "unretried-routes",
            "whoami:503:times=1,info:429:times=1:retry_after=1,create:drop:times=1,validate:503:times=1",
        ),
    ],
)
def test_publish_succeeds_after_retries(hub_clean, run_dir, name, faults):
    hub_clean.server.set_faults(faults)
    code, doc, err = publish(hub_clean, run_dir, f"huggingtweets/pub-faults-{name}")
    assert code == 0, err
    assert doc["status"] == "published"
    injected = [e for e in hub_clean.server.requests if e.get("fault")]
    assert injected, "no fault fired"
    files = set(hf_api(hub_clean).list_repo_files(f"huggingtweets/pub-faults-{name}"))
    assert {"README.md", "card.json", "model.safetensors"} <= files
    hub_clean.server.set_faults(None)
    again = publish(hub_clean, run_dir, f"huggingtweets/pub-faults-{name}")[1]
    assert again["status"] == "unchanged"


def test_persistent_5xx_fails_with_exit_1_and_the_hub_message(hub_clean, run_dir):
    hub_clean.server.set_faults("commit:503")
    env = hub_clean.env(PUBLISHER_HUB_RETRIES="2")
    code, doc, err = publish(hub_clean, run_dir, "huggingtweets/pub-faults-persistent", env=env)
    assert code == 1 and doc["status"] == "failed"
    assert "503" in err and "injected fault" in err
    assert len(err.strip().splitlines()[-1]) < 400  # one clear line


def test_kill_9_mid_upload_leaves_previous_commit_and_rerun_completes(hub_clean, run_dir):
    from publisher.training.tiny_model import save_tiny_model

    repo = "huggingtweets/pub-kill9"
    first = publish(hub_clean, run_dir, repo)[1]
    save_tiny_model(run_dir, seed=7)
    write_card(run_dir, widget=["Breaking news:"])

    hub_clean.server.clear_requests()
    hub_clean.server.set_faults("lfs-put:hold")  # the server holds the upload: kill while it is in flight
    cmd = publish_cmd(run_dir, repo, json_out=False)
    proc = subprocess.Popen(cmd, env=hub_clean.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    held = hub_clean.server.wait_held(1, timeout=HANG_GUARD)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    hub_clean.server.set_faults(None)
    assert held and {"lfs-put", "lfs-batch"} & set(routes(hub_clean)), "the upload never started"
    assert "commit" not in routes(hub_clean)
    assert hf_api(hub_clean).model_info(repo).sha == first["commit_sha"]  # nothing half-published

    code, doc, err = publish(hub_clean, run_dir, repo, verify=True)
    assert code == 0, err
    assert doc["status"] == "published" and doc["verification"]["ok"] is True
    assert statuses(doc)["model.safetensors"] == "changed"
    assert publish(hub_clean, run_dir, repo)[1]["status"] == "unchanged"


def _files_containing(root: Path, needle: bytes) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink() and needle in path.read_bytes():
            found.append(path)
    return found


def test_a_recognizable_token_never_appears_in_output_logs_or_files(hub_clean, run_dir, tmp_path):
    hub_clean.server.add_user("tokuser", FAKE_TOKEN, orgs=["huggingtweets"])
    hf_home = tmp_path / "hf_home"
    env = hub_clean.env(HF_TOKEN=FAKE_TOKEN, HF_HOME=str(hf_home))
    outputs = []
    repo = "huggingtweets/pub-token-leak"
    hub_clean.server.set_faults("commit:503:times=1")
    for args in ([], ["--dry-run"], ["--tag", "v1"], ["--create-pr"], ["--repo-id", "someone-else/x"]):
        a = args if "--repo-id" not in args else []
        target = args[1] if "--repo-id" in args else repo
        code, doc, err = publish(hub_clean, run_dir, target, *a, env=env, verify=not args)
        outputs.append(err + json.dumps(doc))
    # a failure path too: the server rejects everything
    hub_clean.server.set_faults("any:500")
    code, doc, err = publish(
        hub_clean, run_dir, repo, env=hub_clean.env(HF_TOKEN=FAKE_TOKEN, PUBLISHER_HUB_RETRIES="1")
    )
    outputs.append(err + json.dumps(doc))
    hub_clean.server.set_faults(None)
    assert code == 1 and outputs[-1].count("error:") == 1
    assert all(FAKE_TOKEN not in text and FAKE_TOKEN[3:] not in text for text in outputs)
    assert not _files_containing(run_dir, FAKE_TOKEN.encode())
    assert not _files_containing(hf_home, FAKE_TOKEN.encode()) if hf_home.exists() else True
    assert not _files_containing(Path(hub_clean.root) / "repos", FAKE_TOKEN.encode())
    info = HfApi(endpoint=hub_clean.url, token=hub_clean.token)
    messages = [c.title + c.message for c in info.list_repo_commits(repo)]
    assert all(FAKE_TOKEN not in m for m in messages)


def test_concurrent_commit_during_publish_is_a_clear_412_and_rerun_publishes(hub_clean, run_dir):
    from huggingface_hub import CommitOperationAdd

    repo = "huggingtweets/pub-race"
    publish(hub_clean, run_dir, repo)
    write_card(run_dir, widget=["Racing ahead"])
    hub_clean.server.clear_requests()
    hub_clean.server.set_latency(300)
    cmd = publish_cmd(run_dir, repo, json_out=False)
    proc = subprocess.Popen(
        cmd, env=hub_clean.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + HANG_GUARD
    while time.monotonic() < deadline and "tree" not in routes(hub_clean):
        time.sleep(0.02)
    other = hf_api(hub_clean).create_commit(  # someone else pushes between the plan and the commit
        repo, [CommitOperationAdd("notes.txt", b"hello")], commit_message="a concurrent edit"
    )
    _, err = proc.communicate(timeout=120)
    hub_clean.server.set_latency(0)
    assert proc.returncode == 1, err
    assert "moved while publishing (someone else committed)" in err and "run the publish again" in err
    assert hf_api(hub_clean).model_info(repo).sha == other.oid

    code, doc, err = publish(hub_clean, run_dir, repo)
    assert code == 0 and doc["status"] == "published", err
    assert "notes.txt" in hf_api(hub_clean).list_repo_files(repo)  # the other commit is kept
