"""`publisher publish` end to end: the real CLI in a subprocess, the real clients, the session's local hub."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hang_guard import HANG_GUARD
from helpers import hf_api, publish, publish_with_local_hub, routes, statuses, write_card
from huggingface_hub import HfApi

FAKE_TOKEN = "hf_RecognizableFakeToken0123456789"


def commit_count(hub, repo_id: str, revision: str = "main") -> int:
    return len(hf_api(hub).list_repo_commits(repo_id, revision=revision))


def assert_hub_untouched(hub) -> None:
    """No request of this test reached the hub (a late log line of the previous test may still arrive)."""
    touched = {"whoami", "create", "info", "tree", "preupload", "commit", "lfs-batch", "lfs-put", "validate"}
    assert not touched & set(routes(hub)), routes(hub)


def test_publish_new_repo_verifies_and_republish_unchanged_makes_no_commit(hub_clean, run_dir):
    code, doc, err = publish(hub_clean, run_dir, "huggingtweets/pub-new", verify=True)
    assert code == 0, err
    assert doc["status"] == "published" and len(doc["commit_sha"]) == 40
    assert doc["verification"]["ok"] is True and doc["verification"]["sample"].startswith("My dream is")
    files = set(hf_api(hub_clean).list_repo_files("huggingtweets/pub-new"))
    assert {"README.md", "card.json", "model.safetensors", "config.json", "tokenizer.json"} <= files
    commits = commit_count(hub_clean, "huggingtweets/pub-new")

    hub_clean.server.clear_requests()
    code, again, err = publish(hub_clean, run_dir, "huggingtweets/pub-new")
    assert code == 0, err
    assert again["status"] == "unchanged" and again["commit_sha"] == doc["commit_sha"]
    assert set(statuses(again).values()) == {"unchanged"}
    assert commit_count(hub_clean, "huggingtweets/pub-new") == commits
    assert not {"commit", "preupload", "lfs-batch", "lfs-put", "create"} & set(routes(hub_clean))


def test_card_only_change_commits_readme_and_card_json_only(hub_clean, run_dir):
    assert publish(hub_clean, run_dir, "huggingtweets/pub-card")[0] == 0
    # a change the preview picture does not show (a rename redraws predictions.png: tests/e2e/test_pictures_publish.py)
    write_card(run_dir, limitations="Demo limitations, revised.")
    hub_clean.server.clear_requests()
    code, doc, err = publish(hub_clean, run_dir, "huggingtweets/pub-card")
    assert code == 0, err
    changed = {p for p, s in statuses(doc).items() if s != "unchanged"}
    assert changed == {"README.md", "card.json"}
    assert "lfs-put" not in routes(hub_clean)
    readme = Path(
        hf_api(hub_clean).hf_hub_download("huggingtweets/pub-card", "README.md", revision=doc["commit_sha"])
    )
    assert "Demo limitations, revised." in readme.read_text()
    titles = [c.title for c in hf_api(hub_clean).list_repo_commits("huggingtweets/pub-card")]
    assert titles[0] == "Update model card"  # a card-only commit has its own title
    assert titles[1].startswith("Publish huggingtweets/pub-card: model trained on @demo's tweets")


def test_weights_change_is_committed(hub_clean, run_dir):
    from publisher.training.tiny_model import save_tiny_model

    first = publish(hub_clean, run_dir, "huggingtweets/pub-weights")[1]
    save_tiny_model(run_dir, seed=1)
    code, doc, err = publish(hub_clean, run_dir, "huggingtweets/pub-weights")
    assert code == 0, err
    assert statuses(doc)["model.safetensors"] == "changed" and doc["commit_sha"] != first["commit_sha"]


def test_create_pr_leaves_main_untouched(hub_clean, run_dir):
    main_sha = publish(hub_clean, run_dir, "huggingtweets/pub-pr")[1]["commit_sha"]
    write_card(run_dir, widget=["I think that"])
    code, doc, err = publish(hub_clean, run_dir, "huggingtweets/pub-pr", "--create-pr")
    assert code == 0, err
    assert doc["pr_url"] and "/discussions/" in doc["pr_url"]
    assert hf_api(hub_clean).model_info("huggingtweets/pub-pr").sha == main_sha


def test_tag_points_at_the_new_commit(hub_clean, run_dir):
    code, doc, err = publish(hub_clean, run_dir, "huggingtweets/pub-tag", "--tag", "v1")
    assert code == 0, err
    tags = {t.name: t.target_commit for t in hf_api(hub_clean).list_repo_refs("huggingtweets/pub-tag").tags}
    assert tags["v1"] == doc["commit_sha"] and doc["tag"] == "v1"


def test_private_repo_is_hidden_from_anonymous_readers(hub_clean, run_dir):
    code, doc, err = publish(hub_clean, run_dir, "huggingtweets/pub-private", "--private")
    assert code == 0, err
    assert hf_api(hub_clean).model_info("huggingtweets/pub-private").private is True
    from huggingface_hub.errors import RepositoryNotFoundError

    with pytest.raises(RepositoryNotFoundError):
        HfApi(endpoint=hub_clean.url, token=False).model_info("huggingtweets/pub-private")


def test_dry_run_sends_no_write_request_and_shows_the_readme_diff(hub_clean, run_dir):
    assert publish(hub_clean, run_dir, "huggingtweets/pub-dry")[0] == 0
    write_card(run_dir, users=[{"handle": "demo", "name": "Someone Else"}])
    hub_clean.server.clear_requests()
    code, doc, err = publish(hub_clean, run_dir, "huggingtweets/pub-dry", "--dry-run")
    assert code == 0, err
    assert doc["status"] == "planned"
    assert "-" in doc["readme_diff"] and "+" in doc["readme_diff"] and "Someone Else" in doc["readme_diff"]
    assert "Someone Else" in err  # the diff is shown to people too
    methods = {(e["method"], e["route"]) for e in hub_clean.server.requests}
    assert all(method in ("GET", "HEAD") for method, _ in methods), methods


def test_dry_run_of_a_new_repo_lists_every_file_as_added(hub_clean, run_dir):
    code, doc, err = publish(hub_clean, run_dir, "huggingtweets/pub-dry-new", "--dry-run")
    assert code == 0, err
    assert set(statuses(doc).values()) == {"added"}
    assert all(e["method"] in ("GET", "HEAD") for e in hub_clean.server.requests)


def test_wrong_token_is_exit_2_and_uploads_nothing(hub_clean, run_dir):
    code, doc, err = publish(
        hub_clean, run_dir, "huggingtweets/pub-badtoken", env=hub_clean.env(HF_TOKEN=FAKE_TOKEN)
    )
    assert code == 2 and doc["status"] == "failed"
    assert "401" in err and "Invalid credentials" in err
    assert FAKE_TOKEN not in err + json.dumps(doc)
    assert not hf_api(hub_clean).repo_exists("huggingtweets/pub-badtoken")


def test_foreign_namespace_is_exit_2_and_uploads_nothing(hub_clean, run_dir):
    hub_clean.server.add_user("alice", "hf_AliceToken000000000001", orgs=["alices-org"])
    env = hub_clean.env(HF_TOKEN="hf_AliceToken000000000001")
    code, doc, err = publish(hub_clean, run_dir, "huggingtweets/pub-foreign", env=env)
    assert code == 2
    assert "'alice' may not write to namespace 'huggingtweets'" in err
    assert not hf_api(hub_clean).repo_exists("huggingtweets/pub-foreign")


def test_invalid_card_is_exit_2_naming_the_field(hub_clean, run_dir):
    write_card(run_dir, users=[{"handle": "not a handle!", "name": "X"}])
    code, doc, err = publish(hub_clean, run_dir, "huggingtweets/pub-badcard")
    assert code == 2 and "users[0].handle" in err
    assert_hub_untouched(hub_clean)


def test_missing_tokenizer_is_exit_2(hub_clean, run_dir):
    (run_dir / "tokenizer.json").unlink()
    code, doc, err = publish(hub_clean, run_dir, "huggingtweets/pub-notok")
    assert code == 2 and "tokenizer" in err
    assert_hub_untouched(hub_clean)


def test_token_on_the_command_line_is_refused(hub_clean, run_dir):
    code, doc, err = publish(hub_clean, run_dir, "huggingtweets/pub-cli-token", "--token", FAKE_TOKEN)
    assert code == 2 and "HF_TOKEN" in err and FAKE_TOKEN not in err
    assert_hub_untouched(hub_clean)


def test_pickle_weights_are_converted_to_safetensors(hub_clean, run_dir):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(run_dir)
    (run_dir / "model.safetensors").unlink()
    (run_dir / "training_args.bin").write_bytes(b"not uploaded")
    import torch

    torch.save(model.state_dict(), run_dir / "pytorch_model.bin")
    code, doc, err = publish(hub_clean, run_dir, "huggingtweets/pub-bin", verify=True)
    assert code == 0, err
    files = set(hf_api(hub_clean).list_repo_files("huggingtweets/pub-bin"))
    assert "model.safetensors" in files and "pytorch_model.bin" not in files
    assert doc["verification"]["ok"] is True
    assert "--allow-pickle" in err


def test_verification_catches_a_broken_model(hub_clean, run_dir):
    config = json.loads((run_dir / "config.json").read_text())
    config["n_layer"] = config["n_layer"] + 1  # the weights have one layer fewer than the config says
    (run_dir / "config.json").write_text(json.dumps(config))
    code, doc, err = publish(hub_clean, run_dir, "huggingtweets/pub-broken", verify=True)
    assert code == 1 and doc["status"] == "failed", (err, doc)
    assert doc["verification"]["ok"] is False and doc["verification"]["stage"] == "model"
    assert "missing keys" in doc["verification"]["error"]
    assert "verification failed" in err
    assert doc["error"]["code"] == "verification_failed" and doc["error"]["message"].startswith(
        "verification failed at model"
    )
    assert doc["commit_sha"] and doc["repo_id"] == "huggingtweets/pub-broken"


def test_revision_commits_to_a_new_branch_and_leaves_main(hub_clean, run_dir):
    main_sha = publish(hub_clean, run_dir, "huggingtweets/pub-branch")[1]["commit_sha"]
    write_card(run_dir, widget=["Tomorrow I will"])
    code, doc, err = publish(hub_clean, run_dir, "huggingtweets/pub-branch", "--revision", "staging")
    assert code == 0, err
    assert {p for p, s in statuses(doc).items() if s != "unchanged"} == {"README.md", "card.json"}
    branches = {
        b.name: b.target_commit for b in hf_api(hub_clean).list_repo_refs("huggingtweets/pub-branch").branches
    }
    assert branches["staging"] == doc["commit_sha"] and branches["main"] == main_sha


def test_auto_in_ci_without_token_fails_before_any_request(hub_clean, run_dir, tmp_path):
    env = hub_clean.env(CI="true", HF_HOME=str(tmp_path / "empty_home"))
    del env["HF_TOKEN"]
    cmd = [sys.executable, "-m", "publisher", "publish", str(run_dir), "--hub-root", str(tmp_path / ".hub")]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=HANG_GUARD)
    assert proc.returncode == 2 and "CI=true" in proc.stderr
    assert not (tmp_path / ".hub").exists()
    assert_hub_untouched(hub_clean)


def test_local_hub_already_running_is_found_and_left_running(run_dir, tmp_path):
    from publisher.hubclient.localhub_process import start_local_hub, stop_local_hub

    root = tmp_path / "hub"
    server, url = start_local_hub(root)
    try:
        proc = publish_with_local_hub(run_dir, root, home=tmp_path / "home")
        assert proc.returncode == 0, proc.stderr
        doc = json.loads(proc.stdout)
        assert doc["hub"] == "local" and doc["model_url"] == f"{url}/huggingtweets/demo"
        assert "starting the local hub" not in proc.stderr
        assert server.poll() is None and (root / "server.json").exists()
        assert "huggingtweets/demo" in [m.id for m in HfApi(endpoint=url).list_models()]
    finally:
        stop_local_hub(server)


def test_json_of_a_publish_to_a_hub_started_for_it_names_no_dead_port(run_dir, tmp_path):
    root = tmp_path / "hub"
    proc = publish_with_local_hub(run_dir, root, home=tmp_path / "home")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["status"] == "published" and not (root / "server.json").exists()
    assert doc["model_url"] == "http://127.0.0.1:8777/huggingtweets/demo"
    assert doc["commit_url"].startswith("http://127.0.0.1:8777/huggingtweets/demo/")
    assert "make hub" in doc["browse"]


def test_existing_tag_on_another_commit_is_refused_before_upload(hub_clean, run_dir):
    first = publish(hub_clean, run_dir, "huggingtweets/pub-tag-twice", "--tag", "v1")[1]
    assert (
        publish(hub_clean, run_dir, "huggingtweets/pub-tag-twice", "--tag", "v1")[1]["status"] == "unchanged"
    )
    write_card(run_dir, widget=["Second release"])
    code, doc, err = publish(hub_clean, run_dir, "huggingtweets/pub-tag-twice", "--tag", "v1")
    assert code == 2 and "tag 'v1' already exists" in err
    assert hf_api(hub_clean).model_info("huggingtweets/pub-tag-twice").sha == first["commit_sha"]


def test_unreachable_hub_is_one_line_exit_1(run_dir, tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if k != "HF_ENDPOINT"}
    env.update(
        HF_TOKEN=FAKE_TOKEN,
        HF_HOME=str(tmp_path / "home"),
        PUBLISHER_HUB_RETRIES="2",
        PUBLISHER_HUB_RETRY_WAIT="0.1",
    )
    cmd = [
        sys.executable,
        "-m",
        "publisher",
        "publish",
        str(run_dir),
        "--hub",
        "http://127.0.0.1:9",
        "--no-verify",
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=HANG_GUARD)
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "cannot reach the Hub" in errors[0], proc.stderr
    assert FAKE_TOKEN not in proc.stderr


def test_hf_hub_offline_is_ignored_for_a_loopback_hub(hub_clean, run_dir):
    code, doc, err = publish(
        hub_clean, run_dir, "huggingtweets/pub-offline-env", env=hub_clean.env(HF_HUB_OFFLINE="1")
    )
    assert code == 0 and doc["status"] == "published", err
    assert "HF_HUB_OFFLINE ignored: the hub is local" in err


def test_failed_publish_json_reports_repo_hub_plan_and_an_error_object(hub_clean, run_dir):
    first = publish(hub_clean, run_dir, "huggingtweets/pub-json-fail", "--tag", "v1")[1]
    write_card(run_dir, widget=["Another release"])
    code, doc, err = publish(hub_clean, run_dir, "huggingtweets/pub-json-fail", "--tag", "v1")
    assert code == 2 and doc["status"] == "failed"
    assert doc["repo_id"] == "huggingtweets/pub-json-fail" and doc["hub"] == "hf"
    assert doc["model_url"] == f"{hub_clean.url}/huggingtweets/pub-json-fail"
    expected = {path: "unchanged" for path in statuses(first)} | {
        "README.md": "changed",
        "card.json": "changed",
    }
    assert statuses(doc) == expected  # the plan was made before the tag check refused
    assert set(doc["error"]) == {"code", "message", "hint"}
    assert doc["error"]["code"] == "bad_input" and "tag 'v1' already exists" in doc["error"]["message"]
    assert doc["error"]["hint"] == "release tags are immutable: choose a new tag"


def test_failed_publish_before_any_plan_still_names_the_repo_and_the_code(hub_clean, run_dir):
    code, doc, err = publish(
        hub_clean, run_dir, "huggingtweets/pub-json-auth", env=hub_clean.env(HF_TOKEN=FAKE_TOKEN)
    )
    assert code == 2 and doc["repo_id"] == "huggingtweets/pub-json-auth" and doc["hub"] == "hf"
    assert doc["error"]["code"] == "auth" and "401" in doc["error"]["message"] and doc["error"]["hint"]
    assert doc["files"] == [] and FAKE_TOKEN not in json.dumps(doc)
    write_card(run_dir, lisence="apache-2.0")
    code, doc, err = publish(hub_clean, run_dir, "huggingtweets/pub-json-auth")
    assert (
        code == 2
        and doc["error"]["code"] == "invalid_manifest"
        and "did you mean `license`" in doc["error"]["message"]
    )


def test_every_error_code_is_listed_in_the_readme():
    from publisher.errors import error_codes

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- error-codes -->", 2)[1]
    listed = {
        line.split("|")[1].strip().strip("`") for line in section.splitlines() if line.startswith("| `")
    }
    assert listed == set(error_codes())
    for code, (exit_code, meaning) in error_codes().items():
        assert f"| `{code}` | {exit_code} | {meaning} |" in section


def test_create_pr_twice_with_the_same_content_opens_one_pr(hub_clean, run_dir):
    repo = "huggingtweets/pub-pr-twice"
    main_sha = publish(hub_clean, run_dir, repo)[1]["commit_sha"]
    write_card(run_dir, widget=["Once upon a time"])
    code, first, err = publish(hub_clean, run_dir, repo, "--create-pr")
    assert code == 0 and first["status"] == "published" and "pr_existing" not in first, err
    code, again, err = publish(hub_clean, run_dir, repo, "--create-pr")
    assert code == 0, err
    assert again["status"] == "unchanged" and again["pr_existing"] is True
    assert again["pr_url"] == first["pr_url"] and again["commit_sha"] == first["commit_sha"]
    assert f"pull request #1 already holds this model and card: {first['pr_url']}" in err
    refs = hf_api(hub_clean).list_repo_refs(repo, include_pull_requests=True)
    assert [r.ref for r in refs.pull_requests] == ["refs/pr/1"]
    assert hf_api(hub_clean).model_info(repo).sha == main_sha

    write_card(run_dir, widget=["Twice upon a time"])  # other content: a PR of its own
    code, other, err = publish(hub_clean, run_dir, repo, "--create-pr")
    assert code == 0 and other["status"] == "published" and other["pr_url"].endswith("/discussions/2"), err


def test_private_on_an_existing_public_repo_with_nothing_to_change_makes_it_private(hub_clean, run_dir):
    from huggingface_hub.errors import RepositoryNotFoundError

    repo = "huggingtweets/pub-made-private"
    code, first, err = publish(hub_clean, run_dir, repo)
    assert code == 0 and first["private"] is False, err
    hub_clean.server.clear_requests()
    code, dry, err = publish(hub_clean, run_dir, repo, "--private", "--dry-run")
    assert code == 0 and f"dry run: would make {repo} private" in err and dry["private"] is False
    assert all(e["method"] in ("GET", "HEAD") for e in hub_clean.server.requests)
    code, doc, err = publish(hub_clean, run_dir, repo, "--private")
    assert code == 0, err
    assert doc["status"] == "unchanged" and doc["private"] is True and doc["visibility_changed"] is True
    assert f"visibility: {repo} was public and is now private" in err
    assert hf_api(hub_clean).model_info(repo).private is True
    with pytest.raises(RepositoryNotFoundError):
        HfApi(endpoint=hub_clean.url, token=False).model_info(repo)
    code, again, err = publish(hub_clean, run_dir, repo)  # without --private a private repo stays private
    assert code == 0 and again["private"] is True and "visibility_changed" not in again


def test_an_untrained_run_names_publisher_train(hub_clean, run_dir):
    (run_dir / "model.safetensors").unlink()
    code, doc, err = publish(hub_clean, run_dir, "huggingtweets/pub-untrained")
    assert (
        code == 2
        and "no weights (model.safetensors or pytorch_model.bin) found: the run is not trained" in err
    )
    assert f"hint: train it first: publisher train {run_dir}" in err
    assert (
        doc["error"]["code"] == "bad_input"
        and doc["error"]["hint"] == f"train it first: publisher train {run_dir}"
    )
    assert_hub_untouched(hub_clean)


def test_help_of_publish_and_regenerate_lists_the_environment_variables():
    from publisher.settings import environment_for

    for command in ("publish", "regenerate"):
        proc = subprocess.run(
            [sys.executable, "-m", "publisher", command, "--help"], capture_output=True, text=True
        )
        assert proc.returncode == 0
        epilog = proc.stdout.split("Environment variables:", 1)[1]
        for var in environment_for(command):
            assert f"  {var.name} " in epilog and var.meaning in epilog
        assert "HF_TOKEN" in epilog and "HF_ENDPOINT" in epilog


def test_the_readme_environment_table_is_the_one_in_settings():
    from publisher.settings import environment_table

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert readme.split("<!-- environment -->")[1].strip() == environment_table()
