"""`publisher regenerate` at org scale: request counts per repo, the state file, --refresh, the concurrency bound.

Counts come from the local hub's request log (the real huggingface_hub client on the other side), never from
timings.
"""

from __future__ import annotations

import json
import math
from collections import Counter

from click.testing import CliRunner
from regen_seed import make_cards, seed_hub

from publisher.cli import cli

OWNER = "scale-nobody"
MIX = {"legacy": 12, "edited": 3, "current": 4, "stale_json": 2, "unsupported": 2}


def _seed(hub, namespace: str, mix: dict[str, int] = MIX, seed: int = 5):
    return seed_hub(
        hub.url, hub.token, make_cards(namespace, OWNER, mix=mix, seed=seed), owner_token=hub.token
    )


def regenerate(hub, *args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(cli, ["regenerate", *args, "--json", "--no-progress", "--max-commits-per-hour", "0"],
                                env={"HF_TOKEN": hub.token, "HF_ENDPOINT": hub.url})  # fmt: skip
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, json.loads(result.stdout)


def per_repo(entries: list[dict]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for entry in entries:
        parts = entry["path"].strip("/").split("/")
        if parts[:2] == ["api", "models"] and len(parts) >= 4:
            counts[f"{parts[2]}/{parts[3]}"] += 1
        elif parts[0] not in {"api", ""} and len(parts) >= 2:
            counts[f"{parts[0]}/{parts[1]}"] += 1
    return counts


def test_a_changed_card_costs_two_requests_and_an_unchanged_or_edited_one_costs_one(hub_clean):
    seed = _seed(hub_clean, "scale-count")
    hub_clean.server.clear_requests()
    code, report = regenerate(hub_clean, "--author", "scale-count")
    assert code == 0
    assert {r["repo"]: r["status"] for r in report["repos"]} == seed.expected()
    counts, kinds = per_repo(hub_clean.server.requests), {r.repo_id: r.kind for r in seed.repos}
    for repo_id, kind in kinds.items():
        # a repo with card.json (the listing's siblings say so) whose README declares a digest (the listing's
        # cardData gives it) is read by its card.json alone; one with a classic README needs both reads
        expected = {"legacy": 2, "edited": 1, "unsupported": 1, "current": 1, "stale_json": 3}[kind]
        assert counts[repo_id] == expected, (repo_id, kind)
    routes = Counter(e["route"] for e in hub_clean.server.requests)
    assert routes["validate"] == 0 and routes["preupload"] == 0  # `check` runs offline; cards go inline


def test_a_rerun_with_the_state_file_reads_no_repo(hub_clean, tmp_path):
    seed = _seed(hub_clean, "scale-state")
    state = tmp_path / "state.jsonl"
    regenerate(hub_clean, "--author", "scale-state", "--state", str(state))
    hub_clean.server.clear_requests()
    code, report = regenerate(hub_clean, "--author", "scale-state", "--state", str(state))
    assert code == 0
    requests = hub_clean.server.requests
    assert not per_repo(requests), per_repo(requests)
    assert len(requests) <= math.ceil(len(seed.repos) / 1000) + 1  # the listing and whoami, nothing else
    assert report["settled_from_state"] == len(seed.repos)
    changed_first = set(seed.ids("legacy", "stale_json"))
    got = {r["repo"]: r["status"] for r in report["repos"]}
    assert all(got[r] == "unchanged" for r in changed_first)  # committed last time: current now
    assert all(got[r] == "edited" for r in seed.ids("edited"))  # the same outcome as when it was decided


def test_refresh_ignores_the_state_file(hub_clean, tmp_path):
    seed = _seed(hub_clean, "scale-refresh")
    state = tmp_path / "state.jsonl"
    regenerate(hub_clean, "--author", "scale-refresh", "--state", str(state))
    hub_clean.server.clear_requests()
    code, report = regenerate(hub_clean, "--author", "scale-refresh", "--state", str(state), "--refresh")
    assert code == 0 and report["settled_from_state"] == 0
    assert set(per_repo(hub_clean.server.requests)) == set(seed.ids())


def test_a_repo_that_moved_since_the_last_run_is_read_again(hub_clean, tmp_path):
    from huggingface_hub import HfApi

    seed = _seed(hub_clean, "scale-moved")
    journal = tmp_path / "run.jsonl"
    regenerate(hub_clean, "--author", "scale-moved", "--journal", str(journal))
    assert (tmp_path / "run.jsonl.state.json").exists()  # the state file lives next to the journal
    moved = seed.ids("edited")[0]
    HfApi(endpoint=hub_clean.url, token=hub_clean.token).upload_file(
        path_or_fileobj=b"notes", path_in_repo="NOTES.md", repo_id=moved, commit_message="someone else"
    )
    journal.unlink()  # a new run (the journal would skip every repo it already did)
    hub_clean.server.clear_requests()
    code, report = regenerate(hub_clean, "--author", "scale-moved", "--journal", str(journal))
    assert code == 0
    assert set(per_repo(hub_clean.server.requests)) == {moved}
    assert report["settled_from_state"] == len(seed.repos) - 1


def test_a_new_template_invalidates_the_state_file(hub_clean, tmp_path):
    _seed(hub_clean, "scale-tpl", mix={"legacy": 3})
    state = tmp_path / "state.jsonl"
    regenerate(hub_clean, "--author", "scale-tpl", "--state", str(state))
    custom = tmp_path / "mine.md.j2"
    custom.write_text('{% extends "huggingtweets" %}', encoding="utf-8")
    hub_clean.server.clear_requests()
    code, report = regenerate(
        hub_clean, "--author", "scale-tpl", "--state", str(state), "--template", str(custom)
    )
    assert code == 0 and report["settled_from_state"] == 0
    assert len(per_repo(hub_clean.server.requests)) == 3


def test_concurrency_bounds_the_requests_in_flight_reads_and_commits_together(hub_clean):
    _seed(hub_clean, "scale-conc", mix={"legacy": 16, "current": 8})
    hub_clean.server.clear_requests()
    hub_clean.server.set_latency(30)  # so that requests overlap
    code, _ = regenerate(hub_clean, "--author", "scale-conc", "--concurrency", "3")
    assert code == 0
    assert hub_clean.server.log.peak_in_flight == 3  # used in full, never exceeded (reads + commits)
