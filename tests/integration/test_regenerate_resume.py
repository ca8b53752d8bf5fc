"""`publisher regenerate` under trouble: injected faults, concurrent commits (412), and `kill -9` + resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from hang_guard import HANG_GUARD
from regen_seed import make_cards, seed_hub

from publisher.hubclient.bulk import BulkHub
from publisher.hubclient.pacing import RateGate
from publisher.hubclient.retry import RetryPolicy
from publisher.regenerate.journal import Journal
from publisher.regenerate.pipeline import COMMIT_TITLE, Options, run
from publisher.regenerate.sources import Target

OWNER = "regen-nobody"
MIX = {"legacy": 24, "mojibake": 2, "edited": 3, "current": 3, "unsupported": 2}


def _seed(hub, namespace: str, mix: dict[str, int] = MIX, seed: int = 1):
    cards = make_cards(namespace, OWNER, mix=mix, seed=seed)
    return seed_hub(hub.url, hub.token, cards, owner_token=hub.token)


def regen_commits(hub, repo_id: str) -> int:
    from huggingface_hub import HfApi

    return [c.title for c in HfApi(endpoint=hub.url, token=hub.token).list_repo_commits(repo_id)].count(
        COMMIT_TITLE
    )


def test_faults_429_503_and_dropped_connections_end_with_every_repo_correct(hub_clean):
    seed = _seed(hub_clean, "regen-faults")
    hub_clean.server.clear_requests()
    hub_clean.server.set_faults(
        "list:429:times=1:retry_after=1,resolve:429:times=2:retry_after=1,resolve:503:nth=5,resolve:drop:nth=9,"
        "commit:503:times=2,commit:drop:nth=4,commit:drop:nth=8,resolve:503:nth=14"
    )
    bulk = BulkHub(hub_clean.url, hub_clean.token, gate=RateGate(), policy=RetryPolicy(base_wait=0.05))
    targets = [Target(r.repo_id, r.sha, r.files) for r in bulk.list_models("regen-faults")]
    report = run(targets, bulk, Options(max_commits_per_hour=None, concurrency=4))
    assert {r.repo: r.status for r in report.results} == seed.expected()
    faults = [e for e in hub_clean.server.requests if e.get("fault")]
    assert len(faults) == 10  # every injected fault fired
    assert not [
        e for e in hub_clean.server.requests if e["route"] in {"preupload", "validate"}
    ]  # 1 request/commit
    # the listing's 429 and both reads' 429s wait through the session's gate (and count), none fails a repo
    assert report.rate_limited == 3 and report.retries >= 5
    for repo in seed.repos:
        assert regen_commits(hub_clean, repo.repo_id) == (1 if repo.expected == "changed" else 0), (
            repo.repo_id
        )


class _ConcurrentWriter(BulkHub):
    """A real second writer: before each of our first `times` commits, someone else commits to the repo."""

    def __init__(self, *args, times: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.times = times
        self.interrupted = 0

    def commit(self, repo_id, files, **kwargs):
        if self.interrupted < self.times:
            self.interrupted += 1
            self.api.upload_file(path_or_fileobj=f"note {self.interrupted}".encode(), path_in_repo="NOTES.txt",
                                 repo_id=repo_id, commit_message="someone else")  # fmt: skip
        return super().commit(repo_id, files, **kwargs)


@pytest.mark.parametrize(("interruptions", "expected"), [(1, "changed"), (2, "conflict")])
def test_412_rereads_and_retries_once_then_reports_conflict(hub_clean, interruptions, expected):
    seed = _seed(hub_clean, f"regen-race{interruptions}", mix={"legacy": 1})
    repo_id = seed.ids()[0]
    writer = _ConcurrentWriter(hub_clean.url, hub_clean.token, times=interruptions)
    report = run([Target(repo_id)], writer, Options(max_commits_per_hour=None))
    assert [r.status for r in report.results] == [expected]
    assert regen_commits(hub_clean, repo_id) == (1 if expected == "changed" else 0)
    assert report.exit_code == (0 if expected == "changed" else 1)


def _journal_statuses(path) -> dict[str, str]:
    return {repo: record["status"] for repo, record in Journal(path).records().items()}


def test_kill_9_mid_run_then_resume_processes_every_repo_exactly_once(hub_clean, tmp_path):
    seed = _seed(hub_clean, "regen-kill", mix={"legacy": 30, "current": 4, "edited": 2}, seed=7)
    journal = tmp_path / "journal.jsonl"
    cmd = [sys.executable, "-m", "publisher", "regenerate", "--author", "regen-kill", "--journal", str(journal),
           "--concurrency", "3", "--max-commits-per-hour", "0", "--no-progress", "--json"]  # fmt: skip
    env = hub_clean.env()
    hub_clean.server.set_faults("commit:hold:after=6")  # six commits land, the server holds every later one
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert hub_clean.server.wait_held(1, timeout=HANG_GUARD), "the run never reached its seventh commit"
    deadline = time.monotonic() + HANG_GUARD
    while time.monotonic() < deadline:  # the six answered commits reach the journal; no later one can
        done = (
            sum(1 for s in _journal_statuses(journal).values() if s == "changed") if journal.exists() else 0
        )
        if done >= 6:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    hub_clean.server.set_faults(None)
    first = _journal_statuses(journal)
    assert 0 < len(first) < len(seed.repos), "the run was not killed in the middle"

    resumed = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=HANG_GUARD)
    assert resumed.returncode == 0, resumed.stderr
    report = json.loads(resumed.stdout)
    assert report["skipped_from_journal"] >= 6
    final = _journal_statuses(journal)
    assert final == seed.expected()
    assert hub_clean.token not in journal.read_text(encoding="utf-8") + resumed.stdout + resumed.stderr
    for repo in seed.repos:
        assert regen_commits(hub_clean, repo.repo_id) == (1 if repo.expected == "changed" else 0), (
            repo.repo_id
        )


def test_kill_between_commit_and_journal_is_recognised_not_committed_twice(hub_clean, tmp_path):
    seed = _seed(hub_clean, "regen-window", mix={"legacy": 1})
    repo_id = seed.ids()[0]
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    run([Target(repo_id)], BulkHub(hub_clean.url, hub_clean.token), Options(), journal=journal)
    journal.close()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["status"] for line in lines] == ["committing", "changed"]
    path.write_text(lines[0] + "\n", encoding="utf-8")  # as if killed right after the commit landed

    journal = Journal(path)
    report = run([Target(repo_id)], BulkHub(hub_clean.url, hub_clean.token), Options(), journal=journal)
    journal.close()
    (result,) = report.results
    assert result.status == "changed" and "recovered" in result.note
    assert result.new_sha is not None and result.old_sha == json.loads(lines[0])["old_sha"]
    assert regen_commits(hub_clean, repo_id) == 1
    assert Journal(path).is_done(repo_id)


def test_commits_wait_for_the_hourly_cap(hub_clean):
    from publisher.hubclient.pacing import CommitPacer

    class Clock:
        now = 10_000.0

        def __call__(self) -> float:
            return self.now

        def sleep(self, seconds: float) -> None:
            self.now += seconds

    seed = _seed(hub_clean, "regen-paced", mix={"legacy": 3})
    clock = Clock()
    pacer = CommitPacer(2, clock=clock, sleep=clock.sleep)
    report = run(
        [Target(r) for r in seed.ids()], BulkHub(hub_clean.url, hub_clean.token), Options(), pacer=pacer
    )
    assert [r.status for r in report.results] == ["changed"] * 3
    assert clock.now - 10_000.0 == pytest.approx(3600.0)  # the third commit waited for the window
