"""`publisher train --base-model ID`: one quick look-up tells "no such model" from "cannot reach the Hub".

Run as subprocesses (HF_ENDPOINT is read at import) against the session's local hub and against a closed
port on 127.0.0.1; nothing here touches the internet.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from hang_guard import HANG_GUARD

from publisher.data.demo import write_demo_archive
from publisher.training.prepare import PrepareOptions, prepare_run


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("base_model")
    archive = write_demo_archive(root / "demo.zip", n_tweets=200, seed=6)
    return prepare_run([archive], root / "runs" / "demo", PrepareOptions(seed=1, wandb=False)).run_dir


def train(run: Path, base_model: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    cmd = [
        sys.executable,
        "-m",
        "publisher",
        "train",
        str(run),
        "--base-model",
        base_model,
        "--max-steps",
        "2",
    ]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=HANG_GUARD)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the with block ends: connections are refused


def test_a_model_the_hub_does_not_have_is_a_usage_error_after_one_request(prepared, hub_clean):
    result = train(prepared, "nobody/no-such-model", hub_clean.env())
    assert result.returncode == 2, result.stderr[-2000:]
    assert f"--base-model nobody/no-such-model: no such model on {hub_clean.url}" in result.stderr
    assert "--base-model tiny" in result.stderr and "HF_ENDPOINT" in result.stderr
    lookups = [e for e in hub_clean.server.requests if "no-such-model" in e["path"]]
    assert len(lookups) == 1  # no retry storm
    assert not (prepared / "model.safetensors").exists()


def test_a_misspelt_tiny_gets_a_did_you_mean(prepared, hub_clean):
    result = train(prepared, "tinyy", hub_clean.env())
    assert result.returncode == 2
    assert "--base-model tinyy: no such model" in result.stderr and "did you mean `tiny`?" in result.stderr


def test_an_unreachable_hub_is_named_with_what_to_do(prepared, hub):
    endpoint = f"http://127.0.0.1:{closed_port()}"
    result = train(prepared, "openai-community/gpt2", hub.env(HF_ENDPOINT=endpoint))
    assert result.returncode == 1, result.stderr[-2000:]
    assert f"--base-model openai-community/gpt2: cannot reach {endpoint}" in result.stderr
    assert "not in the local cache" in result.stderr
    assert (
        "use --base-model tiny (no download), a local folder with a saved model, or point HF_ENDPOINT"
        in result.stderr
    )
    assert "Traceback" not in result.stderr and "Retrying" not in result.stderr


def test_a_missing_local_folder_is_not_looked_up_on_the_hub(prepared, hub_clean, tmp_path):
    result = train(prepared, str(tmp_path / "no" / "such" / "folder"), hub_clean.env())
    assert result.returncode == 2
    assert "no such folder" in result.stderr
    assert hub_clean.server.requests == []


@pytest.mark.slow
def test_a_model_on_the_hub_is_found_and_fine_tuned(prepared, hub, tiny_model_dir, tmp_path):
    from huggingface_hub import HfApi

    api = HfApi(endpoint=hub.url, token=hub.token)
    api.create_repo("local/tiny-base", exist_ok=True)
    api.upload_folder(repo_id="local/tiny-base", folder_path=str(tiny_model_dir))
    run = Path(shutil.copytree(prepared, tmp_path / "run"))
    result = train(run, "local/tiny-base", hub.env())
    assert result.returncode == 0, result.stderr[-3000:]
    assert (run / "model.safetensors").is_file()


def test_the_look_up_fails_before_torch_or_transformers_is_imported(prepared, hub):
    """Importing them can take a minute on a busy machine; an unreachable Hub is known in seconds."""
    code = (
        "import sys; from publisher.training.train import TrainOptions, train_run; from publisher.errors import HubError\n"
        "try: train_run(sys.argv[1], TrainOptions(base_model='openai-community/gpt2', wandb=False))\n"
        "except HubError: print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))\n"
    )
    env = hub.env(HF_ENDPOINT=f"http://127.0.0.1:{closed_port()}")
    result = subprocess.run(
        [sys.executable, "-c", code, str(prepared)],
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )
    assert result.stdout.strip() == "[]", result.stderr[-2000:]
