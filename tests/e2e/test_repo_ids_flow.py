"""Names starting with `_` (real huggingtweets repos) go through manifest, parse, publish, regenerate and the hub."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hang_guard import HANG_GUARD
from helpers import publish_cmd
from huggingface_hub import CommitOperationAdd, HfApi, hf_hub_download

from publisher.card.manifest import card_from_dict
from publisher.card.parse import parse_card
from publisher.card.render import render_card
from publisher.cli import cli
from publisher.errors import BadInputError, ManifestError

UNDERSCORE_NS = "_tweets_ns"


def _manifest(*handles: str, **extra) -> dict:
    users = [{"handle": h, "name": f"User {h}"} for h in handles]
    return {
        "users": users,
        "wandb": {"entity": "wandb", "project": "huggingtweets", "train_run": "abc123"},
        **extra,
    }


def test_underscore_handles_make_the_hub_names_of_real_huggingtweets_repos() -> None:
    assert card_from_dict(_manifest("_mohamads")).effective_repo_id() == "huggingtweets/_mohamads"
    assert card_from_dict(_manifest("__frye")).effective_repo_id() == "huggingtweets/__frye"
    two = card_from_dict(_manifest("newscollected", "_is_is_are"))
    assert two.effective_repo_id() == "huggingtweets/_is_is_are-newscollected"


def test_manifest_repo_id_follows_the_hub_rule() -> None:
    assert card_from_dict(_manifest("demo", repo_id="_org/__frye")).repo_id == "_org/__frye"
    for bad in ("org/-x", "org/a--b", "org/x.git", "a/b/c", "org/" + "n" * 97):
        with pytest.raises(ManifestError, match="repo_id"):
            card_from_dict(_manifest("demo", repo_id=bad))


def test_a_classic_card_of_an_underscore_handle_parses_back_to_its_repo_id() -> None:
    card = card_from_dict(_manifest("_mohamads"))
    classic = render_card(card, template="classic", namespace="huggingtweets")
    parsed = parse_card(classic)
    assert parsed.handles == ["_mohamads"]
    assert parsed.effective_repo_id() == "huggingtweets/_mohamads"


def test_the_local_hub_creates_commits_and_serves_underscore_repos(hub_clean, tmp_path) -> None:
    api = HfApi(endpoint=hub_clean.url, token=hub_clean.token)
    for repo_id in (
        f"{UNDERSCORE_NS}/_mohamads",
        f"{UNDERSCORE_NS}/__frye",
        f"{UNDERSCORE_NS}/_is_is_are-newscollected",
    ):
        api.create_repo(repo_id, exist_ok=True)
        api.create_commit(
            repo_id, [CommitOperationAdd("hello.txt", repo_id.encode())], commit_message="hello"
        )
        path = hf_hub_download(
            repo_id, "hello.txt", endpoint=hub_clean.url, cache_dir=str(tmp_path / "cache")
        )
        assert Path(path).read_bytes() == repo_id.encode()
        assert api.model_info(repo_id).id == repo_id
    listed = {m.id for m in api.list_models(author=UNDERSCORE_NS)}
    assert {f"{UNDERSCORE_NS}/_mohamads", f"{UNDERSCORE_NS}/__frye"} <= listed


def test_the_local_hub_refuses_what_the_hub_refuses_at_creation(hub_clean) -> None:
    import httpx

    headers = {"Authorization": f"Bearer {hub_clean.token}", "Content-Type": "application/json"}
    for name in ("-lead", "a--b", "trail.", "x.git", "n" * 97, "caf\u00e9", "a b"):
        answer = httpx.post(f"{hub_clean.url}/api/repos/create", headers=headers,
                            json={"name": name, "organization": UNDERSCORE_NS, "type": "model"})  # fmt: skip
        assert answer.status_code == 400, (name, answer.text)
        assert "invalid repo id" in answer.json()["error"]


def test_publish_derives_and_creates_an_underscore_repo(hub_clean, tiny_model_dir, tmp_path) -> None:
    run = tmp_path / "run"
    shutil.copytree(tiny_model_dir, run)
    (run / "card.json").write_text(json.dumps(_manifest("_mohamads")), encoding="utf-8")
    cmd = [sys.executable, "-m", "publisher", "publish", str(run), "--hub", "hf", "--namespace", UNDERSCORE_NS,
           "--no-verify", "--json"]  # fmt: skip
    proc = subprocess.run(cmd, env=hub_clean.env(), capture_output=True, text=True, timeout=HANG_GUARD)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["status"] == "published" and doc["repo_id"] == f"{UNDERSCORE_NS}/_mohamads"
    files = HfApi(endpoint=hub_clean.url, token=hub_clean.token).list_repo_files(f"{UNDERSCORE_NS}/_mohamads")
    assert {"README.md", "card.json", "model.safetensors"} <= set(files)


def test_publish_refuses_a_repo_id_the_hub_refuses_before_any_request(
    hub_clean, tiny_model_dir, tmp_path
) -> None:
    run = tmp_path / "run"
    shutil.copytree(tiny_model_dir, run)
    (run / "card.json").write_text(json.dumps(_manifest("demo")), encoding="utf-8")
    for bad in ("huggingtweets/a--b", "huggingtweets/-x", "huggingtweets/x.git"):
        cmd = publish_cmd(run, bad, json_out=False)
        proc = subprocess.run(cmd, env=hub_clean.env(), capture_output=True, text=True, timeout=HANG_GUARD)
        assert proc.returncode == 2, proc.stderr
        assert "--repo-id" in proc.stderr and bad in proc.stderr


def test_regenerate_lists_and_rewrites_underscore_repos(hub_clean, tmp_path) -> None:
    api = HfApi(endpoint=hub_clean.url, token=hub_clean.token)
    namespace = "_regen_underscore"
    ids = []
    for handles in (("_mohamads",), ("__frye",), ("newscollected", "_is_is_are")):
        card = card_from_dict(_manifest(*handles))
        repo_id = card.effective_repo_id(namespace)
        api.create_repo(repo_id, exist_ok=True)
        classic = render_card(card, template="classic", namespace=namespace)
        api.create_commit(
            repo_id, [CommitOperationAdd("README.md", classic.encode())], commit_message="Seed card"
        )
        ids.append(repo_id)
    env = {"HF_TOKEN": hub_clean.token, "HF_ENDPOINT": hub_clean.url}
    result = CliRunner().invoke(
        cli, ["regenerate", "--author", namespace, "--dry-run", "--json", "--no-progress"], env=env
    )
    assert result.exit_code == 0, result.stderr
    assert {r["repo"]: r["status"] for r in json.loads(result.stdout)["repos"]} == dict.fromkeys(
        ids, "changed"
    )

    repos_file = tmp_path / "repos.txt"
    repos_file.write_text("\n".join(ids) + "\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["regenerate", "--repos", str(repos_file), "--json", "--no-progress"], env=env
    )
    assert result.exit_code == 0, result.stderr
    assert {r["repo"]: r["status"] for r in json.loads(result.stdout)["repos"]} == dict.fromkeys(
        ids, "changed"
    )


def test_regenerate_refuses_a_repos_file_line_the_hub_would_refuse(hub_clean, tmp_path) -> None:
    repos_file = tmp_path / "repos.txt"
    repos_file.write_text("huggingtweets/ok\nhuggingtweets/a--b\n", encoding="utf-8")
    env = {"HF_TOKEN": hub_clean.token, "HF_ENDPOINT": hub_clean.url}
    result = CliRunner().invoke(
        cli, ["regenerate", "--repos", str(repos_file), "--dry-run", "--no-progress"], env=env
    )
    assert isinstance(result.exception, BadInputError)
    assert "repos.txt:2" in str(result.exception) and "'huggingtweets/a--b'" in str(result.exception)
    assert not [e for e in hub_clean.server.requests if e["route"] == "info"]


def test_render_refuses_a_namespace_the_hub_refuses_and_accepts_an_underscore_one(tmp_path) -> None:
    manifest = tmp_path / "card.json"
    manifest.write_text(json.dumps(_manifest("_mohamads")), encoding="utf-8")
    bad = CliRunner().invoke(cli, ["render", str(manifest), "--namespace", "a--b"])
    assert isinstance(bad.exception, BadInputError) and "'--'" in str(bad.exception)
    good = CliRunner().invoke(cli, ["render", str(manifest), "--namespace", "_tweets"])
    assert good.exit_code == 0 and "_tweets/_mohamads" in good.stdout
