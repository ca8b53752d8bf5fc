"""conftest.py for huggingface_hub's test suite run against the local hub (copied in by conformance/run.py).

huggingface_hub's source distribution ships `tests/` without the repository's conftest.py, so the fixtures
and marker policies its tests rely on are provided here, written for this harness: an isolated cache and
token file per test, the staging `api` client and `repo_factory`, and the markers `xet`, `no_xet`,
`production`, `deprecated`, `git_lfs`. Tests marked `xet` or `production` are deselected by run.py before
they get here (they need Xet storage or huggingface.co data), so those markers only need to be known.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any, Protocol

import pytest
from huggingface_hub import HfApi, constants

from .testing_constants import ENDPOINT_STAGING, TOKEN, USER
from .testing_utils import repo_name

_CACHE_CONSTANTS = {
    "HF_HOME": "",
    "HF_HUB_CACHE": "hub",
    "HUGGINGFACE_HUB_CACHE": "hub",
    "HF_XET_CACHE": "xet",
    "HF_ASSETS_CACHE": "assets",
    "HF_TOKEN_PATH": "token",
    "HF_STORED_TOKENS_PATH": "stored_tokens",
}


def pytest_configure(config: pytest.Config) -> None:
    for marker in ("api", "transfer", "inference", "xet", "no_xet", "production", "deprecated", "git_lfs"):
        config.addinivalue_line("markers", f"{marker}: huggingface_hub suite marker")


@pytest.fixture(autouse=True)
def isolated_cache(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test gets its own HF_HOME, so cached files and saved tokens never leak between tests."""
    with tempfile.TemporaryDirectory(prefix="hfhub-conformance-") as home:
        for name, sub in _CACHE_CONSTANTS.items():
            if hasattr(constants, name):
                monkeypatch.setattr(constants, name, os.path.join(home, sub) if sub else home)
        if hasattr(constants, "HF_HUB_DISABLE_EXPERIMENTAL_WARNING"):
            monkeypatch.setattr(constants, "HF_HUB_DISABLE_EXPERIMENTAL_WARNING", True)
        monkeypatch.setenv("NO_COLOR", "1")
        monkeypatch.setenv("COLUMNS", "200")
        yield


@pytest.fixture(autouse=True)
def fresh_oauth_refresh_state() -> None:
    """`get_token()` keeps its OAuth refresh decision in module globals; each test starts without one."""
    from huggingface_hub.utils import _auth

    for name, value in (("_OAUTH_REFRESH_CACHE", None), ("_OAUTH_REFRESH_WARNED", False)):
        if hasattr(_auth, name):
            setattr(_auth, name, value)


@pytest.fixture(autouse=True)
def marker_policies(request: pytest.FixtureRequest) -> Iterator[None]:
    """`no_xet` tests need hf_xet absent; `git_lfs` tests need git-lfs; `deprecated` tests must warn."""
    node = request.node
    if node.get_closest_marker("no_xet") is not None:
        try:
            import hf_xet  # noqa: F401
        except ImportError:
            pass
        else:
            pytest.skip("test must run without hf_xet installed (marked no_xet)")
    if node.get_closest_marker("git_lfs") is not None and os.environ.get("RUN_GIT_LFS_TESTS") != "1":
        pytest.skip("git-lfs test (set RUN_GIT_LFS_TESTS=1 to run)")
    names = [name for marker in node.iter_markers("deprecated") for name in marker.args]
    with ExitStack() as stack:
        for name in names:
            stack.enter_context(pytest.warns(FutureWarning, match=rf".*'{name}'.*"))
        yield


@pytest.fixture(autouse=True)
def xet_mode() -> None:
    """Named by some tests; Xet itself is disabled for the whole run (HF_HUB_DISABLE_XET=1)."""


@pytest.fixture
def fx_cache_dir(request: pytest.FixtureRequest, tmp_path) -> None:
    """Older suites' unittest classes read `self.cache_dir`."""
    if request.cls is not None:
        request.cls.cache_dir = tmp_path


@pytest.fixture(scope="session")
def api() -> HfApi:
    return HfApi(endpoint=ENDPOINT_STAGING, token=TOKEN)


@pytest.fixture(scope="session")
def api_prod() -> HfApi:
    return HfApi(endpoint="https://huggingface.co")


@pytest.fixture
def new_repo_id(api: HfApi) -> Iterator[str]:
    """A repo id under the suite's user that does not exist yet; deleted after the test if it was created."""
    repo_id = f"{USER}/{repo_name()}"
    yield repo_id
    with contextlib.suppress(Exception):  # the test may not have created it
        api.delete_repo(repo_id=repo_id)


class RepoFactory(Protocol):
    """The `repo_factory` fixture's type (some test modules import it from conftest)."""

    def __call__(self, repo_type: str = "model", **kwargs: Any) -> Any: ...


@pytest.fixture
def repo_factory(api: HfApi) -> Iterator:
    """Create repos for one test and delete them when it ends."""
    created: list[tuple[str, str, str | None]] = []

    def factory(repo_type: str = "model", **kwargs):
        if repo_type == "space":
            kwargs.setdefault("space_sdk", "gradio")
        repo_id = kwargs.pop("repo_id", None) or repo_name(prefix=repo_type)
        url = api.create_repo(repo_id=repo_id, repo_type=repo_type, **kwargs)
        created.append((url.repo_id, repo_type, kwargs.get("token")))
        return url

    yield factory
    for repo_id, repo_type, token in created:
        with contextlib.suppress(Exception):  # the test may already have deleted it
            api.delete_repo(repo_id=repo_id, repo_type=repo_type, token=token)


# --------------------------------------------------------------------------------- results for run.py
_outcomes: dict[str, str] = {}
_messages: dict[str, str] = {}
_deselected: dict[str, int] = {}


def pytest_deselected(items: list[pytest.Item]) -> None:
    """Count tests deselected by `-m "not xet and not production"`, by the marker that removed them."""
    for item in items:
        marker = (
            "xet"
            if item.get_closest_marker("xet")
            else "production"
            if item.get_closest_marker("production")
            else "other"
        )
        _deselected[marker] = _deselected.get(marker, 0) + 1
    target = os.environ.get("CONFORMANCE_RESULTS")
    if target:  # every xdist worker collects (and deselects) the same items: any one's count is the count
        import json

        with open(target + ".deselected", "w", encoding="utf-8") as fh:
            json.dump(_deselected, fh)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """One outcome per test (a failed setup/teardown counts as failed), written by the controlling process."""
    previous = _outcomes.get(report.nodeid)
    if report.failed:
        _outcomes[report.nodeid] = "failed"
        crash = getattr(report.longrepr, "reprcrash", None)
        _messages.setdefault(report.nodeid, (crash.message if crash else str(report.longrepr))[:300])
    elif report.skipped and previous is None:
        _outcomes[report.nodeid] = "skipped"
    elif report.when == "call" and report.passed and previous is None:
        _outcomes[report.nodeid] = "passed"


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = os.environ.get("CONFORMANCE_RESULTS")
    if target and not hasattr(session.config, "workerinput"):
        import json

        with open(target, "w", encoding="utf-8") as fh:
            json.dump({"outcomes": _outcomes, "messages": _messages}, fh, indent=0, sort_keys=True)
