"""`publisher regenerate` against the local hub seeded with 220+ repos made from classic cards.

The tests share one seeded namespace and pass in any order: the dry run over the pristine org and the one real
run are module fixtures (the real run after the dry run), and each test that checks what happened after the run
asks for `first_run`; the tests that write (force, pull-request mode, a run directory) seed a small org of their
own, so nothing they commit changes what another test reads.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest
from click.testing import CliRunner
from regen_seed import make_cards, seed_hub

from publisher.cli import cli
from publisher.regenerate.pipeline import COMMIT_TITLE

ORG = "regen-org"
OWN_ORGS = ("regen-force", "regen-pr", "regen-rundir")  # one per writing test; the bot may write them too
OWNER = "regen-stranger"
BOT_TOKEN = "hf_regenbotsecrettoken0001"
OWNER_TOKEN = "hf_regenstrangertoken00001"
WRITE_METHODS = {"POST", "PUT", "DELETE", "PATCH"}


@pytest.fixture(scope="module")
def seeded(hub, tmp_path_factory):
    """220 repos in ORG (+ a few of another user), seeded once for the module; the bot may write ORG only."""
    hub.server.add_user("regen-bot", BOT_TOKEN, [ORG, *OWN_ORGS])
    hub.server.add_user(OWNER, OWNER_TOKEN, [])
    seed = seed_hub(hub.url, hub.token, make_cards(ORG, OWNER), owner_token=OWNER_TOKEN)
    repos_file = tmp_path_factory.mktemp("regen") / "repos.txt"
    repos_file.write_text("\n".join(seed.ids()) + "\n", encoding="utf-8")
    seed.repos_file = str(repos_file)
    return seed


@pytest.fixture(scope="module")
def dry_run(hub, seeded):
    """The module's first regenerate: a dry run over the pristine org; (exit code, report, stderr, requests)."""
    hub.server.clear_requests()
    code, report, stderr = regenerate(hub, "--repos", seeded.repos_file, "--dry-run")
    return code, report, stderr, list(hub.server.requests)


@pytest.fixture(scope="module")
def first_run(hub, seeded, dry_run):
    """The one real run over the org, after the dry run; (exit code, report, stderr, requests)."""
    hub.server.clear_requests()
    code, report, stderr = regenerate(hub, "--repos", seeded.repos_file, "--max-commits-per-hour", "0")
    return code, report, stderr, list(hub.server.requests)


def own_org(hub, namespace: str, **mix: int):
    """A few repos in an org of the test's own (one of OWN_ORGS), so what the test writes no other test reads."""
    assert namespace in OWN_ORGS
    return seed_hub(hub.url, hub.token, make_cards(namespace, OWNER, mix=mix), owner_token=OWNER_TOKEN)


def regenerate(hub, *args: str, token: str = BOT_TOKEN) -> tuple[int, dict, str]:
    """Run the CLI in-process; returns (exit code, the --json report, stderr)."""
    result = CliRunner().invoke(
        cli, ["regenerate", *args, "--json", "--no-progress"], env={"HF_TOKEN": token, "HF_ENDPOINT": hub.url}
    )
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, json.loads(result.stdout), result.stderr


def statuses(report: dict) -> dict[str, str]:
    return {r["repo"]: r["status"] for r in report["repos"]}


def commit_titles(hub, repo_id: str) -> list[str]:
    from huggingface_hub import HfApi

    return [c.title for c in HfApi(endpoint=hub.url, token=hub.token).list_repo_commits(repo_id)]


def readme_on_hub(hub, repo_id: str) -> bytes:
    from huggingface_hub import HfApi

    path = HfApi(endpoint=hub.url, token=hub.token).hf_hub_download(
        repo_id, "README.md", cache_dir=str(hub.root.parent / "regen-cache")
    )
    with open(path, "rb") as handle:
        return handle.read()


def requests_per_repo(entries: list[dict]) -> dict[str, int]:
    """Requests whose path names a repo (listing and whoami are shared by the whole run)."""
    counts: Counter[str] = Counter()
    for entry in entries:
        parts = entry["path"].strip("/").split("/")
        if parts[:2] == ["api", "models"] and len(parts) >= 4:
            counts[f"{parts[2]}/{parts[3]}"] += 1
        elif parts[0] not in {"api", ""} and len(parts) >= 2:
            counts[f"{parts[0]}/{parts[1].removesuffix('.git')}"] += 1
    return counts


def test_dry_run_reports_every_status_and_makes_no_write_request(seeded, dry_run):
    code, report, stderr, requests = dry_run
    errors = {r["error"] for r in report["repos"] if r["status"] == "failed"}
    assert statuses(report) == seeded.expected(), errors
    assert code == 1  # the repos of the other user fail (no access), even in a dry run
    assert not [e for e in requests if e["method"] in WRITE_METHODS]
    changed = [r for r in report["repos"] if r["status"] == "changed"]
    assert all(
        r["diff"].startswith("--- a/") and "+library_name: transformers" in r["diff"]
        for r in changed
        if "README.md" in r["files"]
    )
    assert "dry run: nothing was written" in stderr


def test_run_commits_only_changed_cards_and_leaves_the_rest_untouched(hub, seeded, first_run):
    code, report, stderr, requests = first_run
    per_repo = requests_per_repo(requests)  # the run's own, not the checks' below
    got = statuses(report)
    assert got == seeded.expected()
    assert code == 1
    failed = {r["repo"]: r["error"] for r in report["repos"] if r["status"] == "failed"}
    assert all("not found" in e or "403" in e or "permission" in e.lower() for e in failed.values()), failed
    assert report["mojibake_repaired"] == len(seeded.ids("mojibake"))
    by_id = seeded.by_id()

    def check(repo_id: str) -> None:
        titles = commit_titles(hub, repo_id)
        if got[repo_id] == "changed":
            assert titles.count(COMMIT_TITLE) == 1, repo_id
            assert readme_on_hub(hub, repo_id) != by_id[repo_id].readme
        else:
            assert COMMIT_TITLE not in titles, repo_id
            assert readme_on_hub(hub, repo_id) == by_id[repo_id].readme  # edited cards untouched

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(check, [r for r in got if by_id[r].kind not in {"private", "foreign"}]))
    readable = [r for r in seeded.repos if r.kind not in {"private", "foreign"}]
    assert max(per_repo[r.repo_id] for r in readable if got[r.repo_id] != "changed") <= 2
    assert max(per_repo[r.repo_id] for r in readable if got[r.repo_id] == "changed") <= 5
    assert "changed" in stderr and "unchanged" in stderr  # the summary table
    assert BOT_TOKEN not in stderr and BOT_TOKEN not in json.dumps(report)


def test_commits_touch_only_readme_and_card_json(hub, seeded, first_run):
    from huggingface_hub import HfApi

    api = HfApi(endpoint=hub.url, token=hub.token)
    for repo_id in seeded.ids("legacy", "mojibake")[:10]:
        assert set(api.list_repo_files(repo_id)) <= {".gitattributes", "README.md", "card.json"}
        path = api.hf_hub_download(repo_id, "card.json", cache_dir=str(hub.root.parent / "regen-cache"))
        with open(path, encoding="utf-8") as handle:
            card = json.load(handle)
        assert card["repo_id"] == repo_id


def test_second_run_changes_nothing_and_makes_no_empty_commit(hub_clean, seeded, first_run):
    readable = [r for r in seeded.ids() if not r.startswith(OWNER + "/")]
    hub_clean.server.page_size = 40  # the listing comes in 6 pages (Link: rel="next")
    try:
        code, report, _ = regenerate(hub_clean, "--author", ORG)
    finally:
        hub_clean.server.page_size = 1000
    assert len([e for e in hub_clean.server.requests if e["route"] == "list"]) == 6
    assert code == 0
    assert set(statuses(report)) == set(readable)
    assert Counter(statuses(report).values()) == Counter(
        {"unchanged": len(seeded.ids("legacy", "mojibake", "current", "stale_json")),
         "edited": len(seeded.ids("edited")), "unsupported": len(seeded.ids("unsupported"))}
    )  # fmt: skip
    assert not [e for e in hub_clean.server.requests if e["method"] in WRITE_METHODS]


def test_shards_cover_every_repo_exactly_once(hub, seeded):
    seen: dict[str, list[int]] = defaultdict(list)
    for k in (1, 2, 3):
        _, report, _ = regenerate(hub, "--author", ORG, "--shard", f"{k}/3", "--dry-run")
        for repo_id in statuses(report):
            seen[repo_id].append(k)
    assert set(seen) == {r for r in seeded.ids() if not r.startswith(OWNER + "/")}
    assert all(len(shards) == 1 for shards in seen.values())


def test_match_selects_by_glob(hub, seeded):
    one = seeded.ids("edited")[0]
    _, report, _ = regenerate(hub, "--author", ORG, "--match", one, "--dry-run")
    assert list(statuses(report)) == [one]


def test_force_regenerates_a_hand_edited_card(hub, seeded):
    target = own_org(hub, "regen-force", edited=1).ids("edited")[0]
    code, report, _ = regenerate(hub, "--author", "regen-force", "--match", target, "--force")
    assert code == 0 and statuses(report) == {target: "changed"}
    assert commit_titles(hub, target).count(COMMIT_TITLE) == 1


def test_create_pr_does_not_open_a_second_identical_pr(hub, seeded):
    from huggingface_hub import HfApi

    own = own_org(hub, "regen-pr", edited=1)
    target = own.ids("edited")[0]
    _, first, _ = regenerate(hub, "--author", "regen-pr", "--match", target, "--force", "--create-pr")
    _, second, _ = regenerate(hub, "--author", "regen-pr", "--match", target, "--force", "--create-pr")
    assert first["repos"][0]["pr_url"].endswith("/discussions/1")
    assert second["repos"][0]["pr_url"] == first["repos"][0]["pr_url"]
    assert "already open" in second["repos"][0]["note"]
    refs = HfApi(endpoint=hub.url, token=hub.token).list_repo_refs(target, include_pull_requests=True)
    assert len(refs.pull_requests) == 1
    assert readme_on_hub(hub, target) == own.by_id()[target].readme  # main untouched in PR mode


def test_unknown_template_is_a_usage_error_before_any_request(hub_clean, seeded):
    result = CliRunner().invoke(cli, ["regenerate", "--author", ORG, "--template", "no-such-template"],
                                env={"HF_TOKEN": BOT_TOKEN})  # fmt: skip
    assert "no-such-template" in str(result.exception)
    assert not [e for e in hub_clean.server.requests if e["route"] in {"whoami", "list"}]


def test_exactly_one_source_is_required(hub):
    result = CliRunner().invoke(
        cli, ["regenerate", "--author", ORG, "--repos", "x.txt"], env={"HF_TOKEN": BOT_TOKEN}
    )
    assert "exactly one of" in str(result.exception)


def test_run_directory_card_json_is_the_source_of_the_card(hub, seeded, tmp_path):
    repo = own_org(hub, "regen-rundir", current=1).repos[0]
    data = json.loads(repo.card_json)
    data["license"] = "apache-2.0"
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "card.json").write_text(json.dumps(data), encoding="utf-8")
    code, report, _ = regenerate(hub, str(run_dir))
    assert code == 0 and statuses(report) == {repo.repo_id: "changed"}
    assert b"license: apache-2.0" in readme_on_hub(hub, repo.repo_id)


def test_dry_run_prints_the_plan_and_a_unified_diff_on_stderr(hub, seeded, tmp_path):
    target = seeded.ids("edited")[2]
    result = CliRunner().invoke(cli, ["regenerate", "--author", ORG, "--match", target, "--force", "--dry-run",
                                      "--no-progress"], env={"HF_TOKEN": BOT_TOKEN})  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert f"would change {target} (README.md, card.json)" in result.stderr
    assert f"--- a/{target}/README.md" in result.stderr and f"+++ b/{target}/README.md" in result.stderr
    assert result.stdout == ""


def test_a_rejected_token_fails_once_before_any_repo_is_read(hub_clean, seeded):
    result = CliRunner().invoke(cli, ["regenerate", "--author", ORG, "--no-progress"],
                                env={"HF_TOKEN": "hf_notavalidtoken12345", "HF_ENDPOINT": hub_clean.url})  # fmt: skip
    assert getattr(result.exception, "exit_code", None) == 2
    assert "401" in str(result.exception) and "hf_notavalidtoken12345" not in str(result.exception)
    assert not [e for e in hub_clean.server.requests if e["route"] in {"list", "resolve"}]


def test_a_failed_run_with_json_prints_the_error_object(hub_clean, seeded):
    result = CliRunner().invoke(cli, ["regenerate", "--author", ORG, "--no-progress", "--json"],
                                env={"HF_TOKEN": "hf_notavalidtoken12345", "HF_ENDPOINT": hub_clean.url})  # fmt: skip
    assert getattr(result.exception, "exit_code", None) == 2
    doc = json.loads(result.stdout)
    assert doc["error"]["code"] == "auth" and "401" in doc["error"]["message"] and doc["error"]["hint"]
    assert "hf_notavalidtoken12345" not in result.stdout


def test_dry_run_with_hf_endpoint_but_no_token_refuses_instead_of_previewing_the_local_hub(
    hub_clean, tmp_path
):
    import os
    import subprocess
    import sys

    # a person's shell, not CI (CI=true has its own, stricter refusal)
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "CI")}
    env.update(HF_ENDPOINT=hub_clean.url, HF_HOME=str(tmp_path / "home"))
    cmd = [sys.executable, "-m", "publisher", "regenerate", "--author", ORG, "--dry-run", "--no-progress"]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode == 2
    assert f"HF_ENDPOINT is {hub_clean.url} but no Hugging Face token was found" in proc.stderr
    assert "--hub local" in proc.stderr and not (tmp_path / ".hub").exists()
    assert not hub_clean.server.requests
