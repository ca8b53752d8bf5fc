"""Pure building blocks of `publisher regenerate`: journal, sharding, pacing (no server, no sleeping)."""

from __future__ import annotations

import json

import pytest

from publisher.errors import BadInputError
from publisher.hubclient.pacing import CommitPacer, RateGate
from publisher.hubclient.retry import retry_after_seconds
from publisher.regenerate.journal import Journal
from publisher.regenerate.sharding import in_shard, matches, parse_shard, select, shard_of


class FakeClock:
    """A clock whose sleep advances time, so pacing is tested exactly and instantly."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


# ------------------------------------------------------------------------------------------------- sharding


def test_shards_cover_every_repo_exactly_once_for_every_n():
    repos = [f"huggingtweets/user{i}" for i in range(500)]
    for n in (1, 2, 3, 7, 16):
        seen = [r for k in range(1, n + 1) for r in select(repos, shard=(k, n))]
        assert sorted(seen) == sorted(repos)


def test_shard_depends_only_on_the_repo_id_not_on_order_or_subset():
    repos = [f"org/m{i}" for i in range(50)]
    whole = {r: shard_of(r, 4) for r in repos}
    assert {r: shard_of(r, 4) for r in reversed(repos[10:])} == {r: whole[r] for r in repos[10:]}


def test_shards_are_reasonably_balanced():
    repos = [f"huggingtweets/user{i}" for i in range(1000)]
    sizes = [len(select(repos, shard=(k, 4))) for k in range(1, 5)]
    assert min(sizes) > 200


@pytest.mark.parametrize("text", ["0/4", "5/4", "1/0", "a/b", "1-4", "", "1/4/2"])
def test_bad_shard_spec_is_a_usage_error(text):
    with pytest.raises(BadInputError, match="--shard"):
        parse_shard(text)


def test_shard_spec_parses_k_and_n():
    assert parse_shard("2/5") == (2, 5)
    assert in_shard("any/repo", None)


def test_match_glob_applies_to_name_or_full_id():
    assert matches("huggingtweets/elonmusk", "elon*")
    assert matches("huggingtweets/elonmusk", "huggingtweets/*")
    assert not matches("other/elonmusk", "huggingtweets/*")
    assert not matches("huggingtweets/dril", "elon*")


def test_select_drops_duplicates_and_keeps_order():
    assert select(["a/x", "a/y", "a/x"]) == ["a/x", "a/y"]


# -------------------------------------------------------------------------------------------------- journal


def test_journal_skips_done_repos_and_retries_failed_ones(tmp_path):
    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    journal.append(
        {"repo": "o/a", "status": "changed", "old_sha": "1" * 40, "new_sha": "2" * 40, "error": None}
    )
    journal.append({"repo": "o/b", "status": "failed", "old_sha": None, "new_sha": None, "error": "403"})
    journal.append({"repo": "o/c", "status": "edited", "old_sha": "3" * 40, "new_sha": None, "error": None})
    journal.close()
    again = Journal(path)
    assert again.is_done("o/a") and again.is_done("o/c")
    assert not again.is_done("o/b")
    assert len(again.commit_times()) == 1


def test_journal_ignores_a_line_torn_by_kill_and_keeps_appending(tmp_path):
    path = tmp_path / "j.jsonl"
    good = json.dumps({"repo": "o/a", "status": "unchanged"})
    path.write_text(good + '\n{"repo": "o/b", "stat', encoding="utf-8")
    journal = Journal(path)
    assert journal.is_done("o/a") and journal.last("o/b") is None and journal.torn_lines == 1
    journal.append({"repo": "o/b", "status": "changed"})
    journal.close()
    reread = Journal(path)
    assert reread.is_done("o/b") and reread.torn_lines == 1


def test_journal_reports_an_unfinished_commit_intent(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    journal.append({"repo": "o/a", "status": "committing", "old_sha": "1" * 40})
    journal.close()
    again = Journal(tmp_path / "j.jsonl")
    assert again.pending_intent("o/a")["old_sha"] == "1" * 40
    assert not again.is_done("o/a")


def test_journal_line_without_repo_is_bad_input(tmp_path):
    path = tmp_path / "j.jsonl"
    path.write_text('{"status": "changed"}\n', encoding="utf-8")
    with pytest.raises(BadInputError, match="repo"):
        Journal(path)


# --------------------------------------------------------------------------------------------------- pacing


def test_commit_pacer_allows_the_hourly_cap_then_waits_for_the_window():
    clock = FakeClock()
    pacer = CommitPacer(3, clock=clock, sleep=clock.sleep)
    assert [pacer.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    waited = pacer.acquire()
    assert waited == pytest.approx(3600.0)


def test_commit_pacer_seeded_from_journal_keeps_the_cap_across_a_resume():
    clock = FakeClock(start=10_000.0)
    pacer = CommitPacer(2, clock=clock, sleep=clock.sleep, history=[9_000.0, 9_500.0])
    assert pacer.acquire() == pytest.approx(9_000.0 + 3600 - 10_000.0)


def test_commit_pacer_without_cap_never_waits():
    clock = FakeClock()
    pacer = CommitPacer(0, clock=clock, sleep=clock.sleep)
    assert sum(pacer.acquire() for _ in range(1000)) == 0


def test_retry_after_and_ratelimit_headers_give_the_wait():
    assert retry_after_seconds({"retry-after": "7"}) == 7.0
    assert retry_after_seconds({"ratelimit": '"api";r=0;t=42'}) == 42.0
    assert retry_after_seconds({"ratelimit": '"api";r=5;t=42'}) is None
    assert retry_after_seconds({}) is None
    date = "Wed, 21 Oct 2015 07:28:00 GMT"
    assert retry_after_seconds({"retry-after": date}, now=1445412480.0 - 10) == pytest.approx(10.0)


def test_rate_gate_holds_every_worker_until_the_reset():
    clock = FakeClock()
    gate = RateGate(clock=clock, sleep=clock.sleep)
    assert gate.wait() == 0
    gate.pause(5)
    gate.pause(2)  # a shorter pause does not shorten the longer one
    assert gate.wait() == pytest.approx(5)
    assert gate.wait() == 0


# --------------------------------------------------------------------------------------------------- decide


@pytest.fixture(scope="module")
def cards():
    from regen_seed import make_cards

    mix = {"legacy": 2, "mojibake": 2, "edited": 2, "current": 2, "stale_json": 2, "unsupported": 1}
    return make_cards("org", "other", mix=mix, seed=5)


def _snapshot(repo):
    from publisher.hubclient.snapshot import RepoSnapshot

    return RepoSnapshot(repo.repo_id, "a" * 40, repo.readme, repo.card_json)


def test_decide_gives_the_expected_status_for_every_kind_of_card(cards):
    from publisher.regenerate.decide import decide

    for repo in cards.repos:
        assert decide(_snapshot(repo), template="huggingtweets").status == repo.expected, repo.kind


def test_decide_commits_only_the_files_that_differ(cards):
    from publisher.regenerate.decide import decide

    stale = next(r for r in cards.repos if r.kind == "stale_json")
    assert set(decide(_snapshot(stale), template="huggingtweets").files) == {"README.md"}
    legacy = next(r for r in cards.repos if r.kind == "legacy")
    assert set(decide(_snapshot(legacy), template="huggingtweets").files) == {"README.md", "card.json"}


def _digest_only(repo):
    """What regenerate reads of a current card when the listing gave its digest: card.json alone."""
    from publisher.card.templates import readme_digest
    from publisher.regenerate.decide import RepoSnapshot

    declared = readme_digest(repo.readme.decode("utf-8"))
    return RepoSnapshot(repo.repo_id, "a" * 40, None, repo.card_json, readme_digest=declared)


def test_decide_settles_a_current_card_from_card_json_and_the_listed_digest(cards):
    import dataclasses

    from publisher.regenerate.decide import decide

    repo = next(r for r in cards.repos if r.kind == "current")
    assert _digest_only(repo).readme_digest is not None
    assert decide(_digest_only(repo), template="huggingtweets").status == "unchanged"
    # card.json edited since the README was rendered: the digest no longer matches, the README is rewritten
    manifest = json.loads(repo.card_json)
    manifest["users"][0]["name"] = "Renamed By Hand"
    moved = dataclasses.replace(repo, card_json=json.dumps(manifest).encode())
    decision = decide(_digest_only(moved), template="huggingtweets")
    assert decision.status == "changed" and "README.md" in decision.files
    assert b"Renamed By Hand" in decision.files["README.md"]


def test_decide_keeps_a_hand_edit_of_a_current_card_whether_or_not_the_readme_was_read(cards):
    from publisher.regenerate.decide import RepoSnapshot, decide

    repo = next(r for r in cards.repos if r.kind == "current")
    edited = repo.readme.replace(b"## How does it work?", b"## How does it work? (edited by hand)")
    assert edited != repo.readme
    read = RepoSnapshot(repo.repo_id, "a" * 40, edited, repo.card_json)  # a dry run reads the README
    assert decide(read, template="huggingtweets").status == "unchanged"
    assert decide(_digest_only(repo), template="huggingtweets").status == "unchanged"


def test_a_rendered_readme_declares_the_digest_of_itself_with_the_placeholder(cards):
    import hashlib

    from publisher.card.templates import DIGEST_PLACEHOLDER, readme_digest

    text = next(r for r in cards.repos if r.kind == "current").readme.decode("utf-8")
    digest = readme_digest(text)
    assert (
        digest
        and hashlib.sha256(text.replace(f"sha256:{digest}", DIGEST_PLACEHOLDER).encode()).hexdigest()
        == digest
    )


def test_decide_repairs_mojibake_and_counts_it(cards):
    from publisher.regenerate.decide import decide

    repo = next(r for r in cards.repos if r.kind == "mojibake")
    decision = decide(_snapshot(repo), template="huggingtweets")
    assert decision.mojibake_repaired >= 1
    assert "Ã" not in decision.files["README.md"].decode("utf-8")


def test_decide_force_regenerates_an_edited_card(cards):
    from publisher.regenerate.decide import decide

    repo = next(r for r in cards.repos if r.kind == "edited")
    assert decide(_snapshot(repo), template="huggingtweets", force=True).status == "changed"


def test_decide_reports_an_invalid_card_json_as_failed_naming_the_file():
    from publisher.hubclient.snapshot import RepoSnapshot
    from publisher.regenerate.decide import decide

    decision = decide(RepoSnapshot("org/x", "a" * 40, b"# x\n", b'{"users": []}'), template="huggingtweets")
    assert decision.status == "failed" and "org/x/card.json" in decision.reason and "users" in decision.reason


def test_decide_without_readme_or_card_json_is_unsupported():
    from publisher.hubclient.snapshot import RepoSnapshot
    from publisher.regenerate.decide import decide

    assert (
        decide(RepoSnapshot("org/x", "a" * 40, None, None), template="huggingtweets").status == "unsupported"
    )


def _legacy_snapshot(text: str):
    from publisher.hubclient.snapshot import RepoSnapshot

    return RepoSnapshot("huggingtweets/k_saifullaah", "a" * 40, text.encode("utf-8"), None)


def _reference_card() -> str:
    from pathlib import Path

    from publisher.card.manifest import load_manifest
    from publisher.card.render import render_card

    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "cards"
    return render_card(load_manifest(fixtures / "k_saifullaah.json"), "classic")


def test_decide_regenerates_a_card_whose_whole_text_was_mis_decoded():
    from publisher.regenerate.decide import decide

    garbled = _reference_card().encode("utf-8").decode("cp1252", errors="replace").replace("\ufffd", "")
    assert "ðŸ¤– AI BOT" in garbled  # the template's own 🤖 arrives as mojibake, not just the names
    decision = decide(_legacy_snapshot(garbled), template="huggingtweets")
    assert decision.status == "changed"
    assert "🤖 AI BOT 🤖" in decision.new_readme.decode("utf-8")


def test_decide_leaves_a_hand_edited_table_header_alone_unless_forced():
    from publisher.regenerate.decide import decide

    text = _reference_card().replace(
        "| Data | Khalid Saifullah |\n| --- | --- |", "| Data | Quantity |\n| --- | --- |"
    )
    assert decide(_legacy_snapshot(text), template="huggingtweets").status == "edited"
    assert decide(_legacy_snapshot(text), template="huggingtweets", force=True).status == "changed"


def test_a_readme_whose_front_matter_the_hub_would_reject_is_not_committed():
    from publisher.errors import CardCheckError
    from publisher.regenerate.decide import check_readme_offline

    check_readme_offline("org/x", _reference_card().encode("utf-8"))  # a rendered card passes
    with pytest.raises(CardCheckError, match="org/x/README.md: invalid front matter, not committed"):
        check_readme_offline("org/x", b"---\nlanguage: en\nno closing line\n")


def test_a_listing_follows_its_next_page_only_on_the_endpoint_it_sends_the_token_to():
    from publisher.errors import HubError
    from publisher.hubclient.bulk import next_page

    endpoint = "http://127.0.0.1:8777"
    assert next_page({}, endpoint) is None
    assert next_page({"next": {"url": f"{endpoint}/api/models?cursor=x"}}, endpoint + "/") == (
        f"{endpoint}/api/models?cursor=x"
    )
    for elsewhere in ("https://evil.example/api/models", "http://127.0.0.1:87770/api/models", "/api/models"):
        with pytest.raises(HubError, match="not followed"):
            next_page({"next": {"url": elsewhere}}, endpoint)


def test_a_hub_answer_too_large_too_deep_or_not_json_is_a_clear_hub_error():
    from publisher.errors import HubError
    from publisher.hubclient import bulk

    assert bulk._json_answer(b'[{"id": "a/b"}]', "GET x") == [{"id": "a/b"}]
    with pytest.raises(HubError, match="nested too deeply"):
        bulk._json_answer(b"[" * 100_000 + b"]" * 100_000, "GET x")
    with pytest.raises(HubError, match="not JSON"):
        bulk._json_answer(b"<html>", "GET x")
    with pytest.raises(HubError, match="more than"):
        bulk._json_answer(b" " * (bulk.MAX_JSON_ANSWER + 1), "GET x")
