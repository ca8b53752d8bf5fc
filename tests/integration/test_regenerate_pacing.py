"""Pacing of `publisher regenerate`: the Hub's RateLimit budget, its commit quota, announced waits, Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time

import pytest
from regen_seed import make_cards, seed_hub

from publisher.hubclient.bulk import BulkHub
from publisher.hubclient.pacing import ApiBudget, CommitPacer, Interrupted, RateGate, Stop
from publisher.regenerate.pipeline import COMMIT_TITLE, Options, run
from publisher.regenerate.sources import Target


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_budget_pauses_everyone_when_only_the_reserve_of_the_window_is_left():
    clock = FakeClock()
    gate = RateGate(clock=clock)
    budget = ApiBudget(gate, reserve=8, clock=clock)
    budget.observe({"RateLimit": '"api";r=10;t=120', "RateLimit-Policy": '"fixed window";"api";q=1000;w=300'})
    budget.spend("api")  # 9 left: go on
    assert gate._until <= clock.now
    budget.spend("resolvers")  # another bucket, never announced: not limited
    budget.spend("api")  # 8 left = the reserve: wait for the reset
    assert gate._until == pytest.approx(clock.now + 120.5)
    clock.now += 121
    budget.spend("api")  # a new window: unknown until the next answer, so no pause
    assert gate._until < clock.now


def test_a_sleep_ends_at_once_when_the_run_is_stopped():
    stop = Stop()
    pacer = CommitPacer(1, history=[time.time()], sleep=stop.sleep)
    outcome: list[BaseException] = []

    def _commit() -> None:
        try:
            pacer.acquire()  # the cap is used: would sleep for an hour
        except Interrupted as exc:
            outcome.append(exc)

    worker = threading.Thread(target=_commit)
    worker.start()
    time.sleep(0.2)
    stop.set()
    worker.join(timeout=5)
    assert not worker.is_alive() and outcome


def test_a_429_naming_the_commit_quota_waits_for_the_reset_and_commits_once(hub_clean):
    seed = seed_hub(hub_clean.url, hub_clean.token, make_cards("pace-quota", "pace-nobody", mix={"legacy": 2}),
                    owner_token=hub_clean.token)  # fmt: skip
    hub_clean.server.set_faults(
        "commit:429:times=1:retry_after=1:message=You have exceeded our hourly quotas for commits"
    )
    pacer = CommitPacer(None)
    bulk = BulkHub(hub_clean.url, hub_clean.token, concurrency=1)
    report = run([Target(r) for r in seed.ids()], bulk, Options(concurrency=1), pacer=pacer)
    assert [r.status for r in report.results] == ["changed", "changed"]
    assert pacer.quota_hits == 1 and report.rate_limited == 1
    from huggingface_hub import HfApi

    api = HfApi(endpoint=hub_clean.url, token=hub_clean.token)
    for repo_id in seed.ids():
        assert [c.title for c in api.list_repo_commits(repo_id)].count(COMMIT_TITLE) == 1


def test_a_wait_is_announced_even_without_a_progress_bar(hub_clean, monkeypatch):
    from click.testing import CliRunner

    from publisher.cli import cli
    from publisher.commands import regenerate as regenerate_command

    # a wait of LOUD_WAIT seconds or more is printed as a line; 1 s here, so the test does not sleep 5 s
    monkeypatch.setattr(regenerate_command._Progress, "LOUD_WAIT", 1.0)
    seed_hub(hub_clean.url, hub_clean.token, make_cards("pace-say", "pace-nobody", mix={"edited": 1}),
             owner_token=hub_clean.token)  # fmt: skip
    hub_clean.server.set_faults("resolve:429:times=1:retry_after=1")
    result = CliRunner().invoke(cli, ["regenerate", "--author", "pace-say", "--no-progress"],
                                env={"HF_TOKEN": hub_clean.token, "HF_ENDPOINT": hub_clean.url})  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "429 rate limited, waiting 1s" in result.stderr and "Ctrl-C" in result.stderr


def test_ctrl_c_stops_a_run_sleeping_on_the_commit_cap(hub_clean, tmp_path):
    seed_hub(hub_clean.url, hub_clean.token, make_cards("pace-int", "pace-nobody", mix={"legacy": 3}),
             owner_token=hub_clean.token)  # fmt: skip
    journal = tmp_path / "journal.jsonl"
    cmd = [sys.executable, "-m", "publisher", "regenerate", "--author", "pace-int", "--max-commits-per-hour", "1",
           "--concurrency", "1", "--journal", str(journal), "--no-progress"]  # fmt: skip
    proc = subprocess.Popen(
        cmd, env=hub_clean.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (journal.exists() and '"changed"' in journal.read_text()):
        time.sleep(0.1)
    time.sleep(1.0)  # the second commit is now waiting for the hour to pass
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)  # generous: a loaded machine exits slowly; a hang would not end
    assert proc.returncode != 0
    assert "commit cap (1/hour) reached: waiting" in stderr
    statuses = [json.loads(line)["status"] for line in journal.read_text().splitlines()]
    assert statuses.count("changed") == 1 and "committing" not in statuses[statuses.index("changed") + 1 :]


def test_the_retry_settings_of_the_environment_hold_for_regenerate_as_for_publish(hub_clean):
    from click.testing import CliRunner

    from publisher.cli import cli

    seed_hub(hub_clean.url, hub_clean.token, make_cards("pace-env", "pace-nobody", mix={"edited": 1}),
             owner_token=hub_clean.token)  # fmt: skip
    hub_clean.server.set_faults("resolve:503:times=1")
    env = {"HF_TOKEN": hub_clean.token, "HF_ENDPOINT": hub_clean.url, "PUBLISHER_HUB_RETRIES": "1"}
    once = CliRunner().invoke(cli, ["regenerate", "--author", "pace-env", "--no-progress"], env=env)
    assert once.exit_code == 1, once.stderr  # one try: the 503 fails the repo
    assert [e["status"] for e in hub_clean.server.requests if e["route"] == "resolve"] == [503]
    hub_clean.server.set_faults("resolve:503:times=1")
    hub_clean.server.clear_requests()
    env["PUBLISHER_HUB_RETRIES"] = "2"
    twice = CliRunner().invoke(cli, ["regenerate", "--author", "pace-env", "--no-progress"], env=env)
    assert twice.exit_code == 0, twice.stderr
    assert [e["status"] for e in hub_clean.server.requests if e["route"] == "resolve"] == [503, 200]
