"""Test session environment.

The Hub clients read their configuration at import time (docs/hub-api.md §1), so the environment is set here,
at the very top, before anything imports huggingface_hub, transformers or wandb:
a fresh HF_HOME and W&B dirs per session, Xet and telemetry off, W&B offline. HF_HUB_OFFLINE is never set
(it would block 127.0.0.1 too).
"""

from __future__ import annotations

import os
import sys
import tempfile

_SESSION_TMP = tempfile.mkdtemp(prefix="publisher-tests-")
for _var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "WANDB_API_KEY"):
    os.environ.pop(_var, None)
os.environ.update(
    {
        "HF_HOME": os.path.join(_SESSION_TMP, "hf_home"),
        "HF_HUB_DISABLE_XET": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
        "WANDB_MODE": "offline",
        "WANDB_SILENT": "true",
        "WANDB_DIR": os.path.join(_SESSION_TMP, "wandb"),
        "WANDB_CACHE_DIR": os.path.join(_SESSION_TMP, "wandb_cache"),
        "WANDB_DATA_DIR": os.path.join(_SESSION_TMP, "wandb_data"),
        "WANDB_CONFIG_DIR": os.path.join(_SESSION_TMP, "wandb_config"),
        "PUBLISHER_CACHE": os.path.join(_SESSION_TMP, "publisher_cache"),
        "TOKENIZERS_PARALLELISM": "false",
        # the client's retry back-off starts at 50 ms instead of 1 s (doubling per try as ever): a test of a
        # retried fault checks what happens, not how long a person would wait; the Hub's Retry-After is obeyed
        "PUBLISHER_HUB_RETRY_WAIT": "0.05",
        "PYTHONHASHSEED": "0",
    }
)
os.makedirs(os.environ["WANDB_DIR"], exist_ok=True)

# --- The session-wide local hub (owned by the hub engineer) -------------------------------------------------
# Started here, at import, so HF_ENDPOINT points at it before anything imports huggingface_hub/transformers.
# Tests in this process use HfApi(token=hub.token); subprocesses get hub.env().
from pathlib import Path  # noqa: E402

from publisher.localhub import DEFAULT_LOCAL_TOKEN, HubServer  # noqa: E402

_HUB_ROOT = Path(_SESSION_TMP) / "hub"
_HUB_SERVER = HubServer(_HUB_ROOT, port=0).start()
os.environ["HF_ENDPOINT"] = _HUB_SERVER.url
if "huggingface_hub" in sys.modules:  # it would have frozen the wrong endpoint
    raise RuntimeError(
        "huggingface_hub was imported before conftest set HF_ENDPOINT; keep it out of publisher.localhub"
    )

import pytest  # noqa: E402
from helpers import hf_api, write_card  # noqa: E402


class HubHandle:
    """The session hub as tests see it: where it is, its default token, and an environment for subprocesses."""

    def __init__(self, server: HubServer) -> None:
        self.server = server
        self.url = server.url
        self.root = server.root
        self.token = DEFAULT_LOCAL_TOKEN

    def env(self, **extra: str) -> dict[str, str]:
        """os.environ plus this hub's endpoint, its token and a fresh HF_HOME (a stale cache hides bugs).

        HF_HUB_DISABLE_IMPLICIT_TOKEN is dropped so the subprocess really sends HF_TOKEN, as a user's shell would.
        """
        env = dict(os.environ)
        env.pop("HF_HUB_DISABLE_IMPLICIT_TOKEN", None)
        env.update(
            HF_ENDPOINT=self.url,
            HF_TOKEN=self.token,
            HF_HOME=tempfile.mkdtemp(prefix="hf_home-", dir=_SESSION_TMP),
            HF_HUB_DISABLE_XET="1",
            HF_HUB_DISABLE_TELEMETRY="1",
            HF_HUB_DISABLE_PROGRESS_BARS="1",
        )
        env.update(extra)
        return env


@pytest.fixture(scope="session")
def hub() -> HubHandle:
    """The session-wide local hub (in-process, port 0)."""
    return HubHandle(_HUB_SERVER)


@pytest.fixture
def hub_clean(hub: HubHandle):
    """The session hub with no faults, no latency and an empty request log, before and after the test."""

    def reset() -> None:
        hub.server.set_faults(None)
        hub.server.set_latency(0)
        hub.server.clear_requests()

    reset()
    yield hub
    reset()


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A loadable tiny GPT-2 (safetensors + tokenizer), built once per session. Treat it as read-only."""
    from publisher.training.tiny_model import save_tiny_model

    return save_tiny_model(tmp_path_factory.mktemp("tiny_model"))


@pytest.fixture
def api(hub):
    """The real huggingface_hub client on the session hub, with its default (writing) token."""
    return hf_api(hub)


@pytest.fixture
def run_dir(tmp_path: Path, tiny_model_dir: Path) -> Path:
    """A trained run directory: the session's tiny model plus a card.json (helpers.write_card)."""
    import shutil

    run = tmp_path / "run"
    shutil.copytree(tiny_model_dir, run)
    write_card(run)
    return run


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--reverse-order",
        action="store_true",
        help="run the collected tests last to first: a check that no test needs another to have run before it",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--reverse-order"):
        items.reverse()
    elif config.getoption("numprocesses", None):
        _longest_modules_first(items)


def _longest_modules_first(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`make test`), modules go to the workers in collection order, one whole module at a
    time (--dist loadfile): handing out the long ones first (most `slow` tests: training, subprocesses) keeps
    one worker from starting a long module while the other has nothing left. Order within a module is kept."""
    slow: dict[str, int] = {}
    for item in items:
        module = item.nodeid.split("::", 1)[0]
        slow[module] = slow.get(module, 0) + (item.get_closest_marker("slow") is not None)
    position = {module: index for index, module in enumerate(slow)}
    items.sort(key=lambda item: (-slow[m := item.nodeid.split("::", 1)[0]], position[m]))
