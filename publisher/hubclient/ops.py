"""Every call the publisher makes to a Hub goes through here, and through huggingface_hub.

Why one module: the Hub's rules (token lookup, endpoint frozen at import time, which calls the client retries
itself and which it does not, how errors look) are easy to get subtly wrong, so `publish` and `regenerate`
share one implementation of them.

Order of use (the clients read `HF_ENDPOINT` when they are imported, hub-api.md §1):

    target = resolve_target("auto")          # no huggingface_hub import yet
    with connect(target) as target:          # starts the embedded local hub if needed, sets HF_ENDPOINT
        api = hub_api(target)                # first huggingface_hub import happens here
        user = check_write_access(api, "huggingtweets")
        state = remote_state(api, "huggingtweets/demo")
        info = call_with_retries("commit", api.create_commit, ...)

Functions that do not touch the network (`find_token`, `resolve_target`, `retry_delay`, `map_hub_error`)
never import huggingface_hub at module level, so `publisher --help` stays light.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from publisher import defaults
from publisher._util.proc import pid_alive
from publisher.errors import AuthError, BadInputError, CardCheckError, HubError, PublisherError
from publisher.output import info, redact, register_secret, warn

if TYPE_CHECKING:
    from huggingface_hub import HfApi

T = TypeVar("T")

# The embedded local hub's built-in account (publisher/localhub defines the same values; the client side
# never imports the server, they meet only over HTTP).
LOCAL_HUB_TOKEN = "hf_publisherlocalhub"
LOCAL_HUB_USER = "local"

TOKEN_ENV_VARS = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
HOW_TO_PUBLISH_FOR_REAL = (
    "to publish to huggingface.co, set HF_TOKEN (a write token) or run `hf auth login`, then use --hub hf"
)

# ---------------------------------------------------------------------------------------------------------
# Tokens and targets (pure: no huggingface_hub import)


def _token_file(env: Mapping[str, str]) -> Path:
    """Where `hf auth login` stores the token: HF_TOKEN_PATH, else HF_HOME/token (as huggingface_hub.constants)."""
    if env.get("HF_TOKEN_PATH"):
        return Path(os.path.expandvars(os.path.expanduser(env["HF_TOKEN_PATH"])))
    cache = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    home = env.get("HF_HOME") or os.path.join(cache, "huggingface")
    return Path(os.path.expandvars(os.path.expanduser(home))) / "token"


def find_token(env: Mapping[str, str] | None = None) -> tuple[str | None, str | None]:
    """The Hub token and where it came from (`HF_TOKEN`, ..., or `login`), registered for redaction.

    Same order as huggingface_hub's `get_token` (environment, then the login file), but without importing it,
    so the target can be resolved before the endpoint is fixed.
    """
    env = os.environ if env is None else env
    for name in TOKEN_ENV_VARS:
        value = (env.get(name) or "").strip()
        if value:
            register_secret(value)
            return value, name
    path = _token_file(env)
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None, None
    if value:
        register_secret(value)
        return value, "login"
    return None, None


@dataclass(frozen=True)
class HubTarget:
    """Where a publish goes: the endpoint, the token to use and how both were chosen.

    `kind` is "hf" (HF_ENDPOINT or huggingface.co), "url" (an explicit --hub URL) or "local" (the embedded
    local hub over `hub_root`; `endpoint` is empty until `connect` has found or started it).
    """

    kind: str
    endpoint: str
    token: str = field(repr=False)
    token_source: str
    hub_root: Path | None = None
    notice: str | None = None
    started_here: bool = False  # the local hub was started by `connect` and stops when it exits

    @property
    def is_local(self) -> bool:
        return self.kind == "local"

    def child_env(
        self, base: Mapping[str, str] | None = None, *, hf_home: str | None = None
    ) -> dict[str, str]:
        """Environment for a subprocess that must talk to this target (verification, helpers).

        The token travels in the environment, never on a command line.
        """
        env = dict(os.environ if base is None else base)
        env.pop("HF_HUB_OFFLINE", None)
        env.pop("TRANSFORMERS_OFFLINE", None)
        env.update(
            {
                "HF_ENDPOINT": self.endpoint,
                "HF_TOKEN": self.token,
                "HF_HUB_DISABLE_TELEMETRY": "1",
                "HF_HUB_DISABLE_PROGRESS_BARS": "1",
            }
        )
        if self.is_local or _is_loopback(self.endpoint):
            env["HF_HUB_DISABLE_XET"] = "1"
        if hf_home:
            env["HF_HOME"] = hf_home
        return env


def _is_loopback(url: str) -> bool:
    from urllib.parse import urlparse

    host = (urlparse(url).hostname or "").lower()
    return host in {"127.0.0.1", "localhost", "::1"}


def resolve_target(
    hub: str = "auto",
    *,
    hub_root: str | Path = defaults.HUB_ROOT,
    env: Mapping[str, str] | None = None,
) -> HubTarget:
    """Decide the target from `--hub auto|local|hf|URL`, the environment and the token, before any import.

    auto: the real Hub (HF_ENDPOINT, default huggingface.co) when a token is found; otherwise the embedded local
    hub, with a notice, except under CI=true or with HF_ENDPOINT naming another Hub, where a missing token is an
    error (a preview of the local .hub must never pass for one of that Hub). hf or a URL without a token is
    an error (AuthError, exit 2) before any upload.
    """
    env = os.environ if env is None else env
    hub = (hub or "auto").strip()
    endpoint = (env.get("HF_ENDPOINT") or defaults.HUB_ENDPOINT).rstrip("/")
    ci = (env.get("CI") or "").strip().lower() in {"1", "true", "yes", "on"}
    if hub == "local":
        return _local_target(hub_root, env, notice=None)
    token, source = find_token(env)
    if hub.startswith(("http://", "https://")):
        return _remote_target("url", hub.rstrip("/"), token, source)
    if hub == "hf":
        return _remote_target("hf", endpoint, token, source)
    if hub != "auto":
        raise BadInputError(f"--hub must be auto, local, hf or a http(s) URL, not {hub!r}")
    if token:
        return _remote_target("hf", endpoint, token, source)
    if ci:
        raise AuthError(
            "no Hugging Face token found and CI=true: --hub auto does not fall back to the local hub in CI",
            hint="set the HF_TOKEN secret in the job's environment",
        )
    if env.get("HF_ENDPOINT") and endpoint != defaults.HUB_ENDPOINT:
        raise AuthError(
            f"HF_ENDPOINT is {endpoint} but no Hugging Face token was found: --hub auto does not fall back to the "
            "local hub when HF_ENDPOINT names a Hub",
            hint=f"set HF_TOKEN for {endpoint}, or pass --hub local to use the local hub over {hub_root}/",
        )
    notice = f"no Hugging Face token found: publishing to the embedded local hub ({hub_root}); {HOW_TO_PUBLISH_FOR_REAL}"
    return _local_target(hub_root, env, notice=notice)


def _remote_target(kind: str, endpoint: str, token: str | None, source: str | None) -> HubTarget:
    if not token:
        raise AuthError(
            f"no Hugging Face token found for {endpoint}",
            hint="set HF_TOKEN (a write token) or run `hf auth login`",
        )
    return HubTarget(kind=kind, endpoint=endpoint, token=token, token_source=source or "")


def _local_target(hub_root: str | Path, env: Mapping[str, str], *, notice: str | None) -> HubTarget:
    token = (env.get("PUBLISHER_LOCAL_HUB_TOKEN") or LOCAL_HUB_TOKEN).strip()
    register_secret(token)
    return HubTarget(
        kind="local",
        endpoint="",
        token=token,
        token_source="local hub",
        hub_root=Path(hub_root),
        notice=notice,
    )


# ---------------------------------------------------------------------------------------------------------
# The embedded local hub (`publisher hub serve`), found through <root>/server.json or started for the duration


def _answers_http(url: str, timeout: float = 2.0) -> bool:
    """True if something speaks HTTP at `url` (any status counts: we only need a live server)."""
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/api/whoami-v2", timeout=timeout):
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False


def _read_server_json(root: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((root / "server.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("url") else None


def find_local_hub(root: str | Path) -> str | None:
    """URL of a local hub already serving `root` (its server.json names a live pid that answers HTTP)."""
    data = _read_server_json(Path(root))
    if not data:
        return None
    pid = data.get("pid")
    if isinstance(pid, int) and not pid_alive(pid):
        return None
    url = str(data["url"]).rstrip("/")
    return url if _answers_http(url) else None


def start_local_hub(root: str | Path, *, timeout: float = 60.0) -> tuple[subprocess.Popen, str]:
    """Start `publisher hub serve --root ROOT --port 0` and wait for the server.json naming its pid."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    log = open(root / "serve.log", "ab")  # noqa: SIM115 - handed to the child, closed by stop_local_hub
    cmd = [sys.executable, "-m", "publisher", "hub", "serve", "--root", str(root), "--port", "0"]
    proc = subprocess.Popen(cmd, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    proc._publisher_log = log  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = _read_server_json(root)
        if data and data.get("pid") == proc.pid:
            return proc, str(data["url"]).rstrip("/")
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    stop_local_hub(proc)
    raise HubError(f"the local hub did not start (see {root / 'serve.log'})")


def stop_local_hub(proc: subprocess.Popen) -> None:
    """Stop a hub started by `start_local_hub` (SIGTERM, then SIGKILL after 10 s)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    log = getattr(proc, "_publisher_log", None)
    if log is not None:
        log.close()


def _allow_network_for(target: HubTarget) -> None:
    """HF_HUB_OFFLINE blocks every request, 127.0.0.1 included (hub-api.md §1): ignore it for a loopback hub
    (an offline machine can still rehearse locally), refuse it for a remote one."""
    flags = [
        n
        for n in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
        if (os.environ.get(n) or "").strip().lower() in {"1", "true", "yes", "on"}
    ]
    if not flags:
        return
    if target.is_local or _is_loopback(target.endpoint):
        for name in flags:
            os.environ.pop(name, None)
        info(f"{'/'.join(flags)} ignored: the hub is local ({target.endpoint})")
        return
    raise BadInputError(
        f"{'/'.join(flags)} is set: huggingface_hub would refuse every request to {target.endpoint}",
        hint="unset it to publish, or use --hub local to rehearse offline",
    )


def configure_environment(target: HubTarget) -> None:
    """Point this process's Hub clients at `target`: set HF_ENDPOINT (and Xet off for a local hub).

    Must run before huggingface_hub/transformers are imported; if they already are, HfApi is still given the
    endpoint explicitly (hub_api), but module-level helpers would not follow, so say so.
    """
    _allow_network_for(target)
    os.environ["HF_ENDPOINT"] = target.endpoint
    if target.is_local or _is_loopback(target.endpoint):
        os.environ["HF_HUB_DISABLE_XET"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    if "huggingface_hub" in sys.modules:
        from huggingface_hub import constants

        if constants.ENDPOINT.rstrip("/") != target.endpoint:
            warn(
                f"huggingface_hub was imported with HF_ENDPOINT={constants.ENDPOINT}; "
                f"calls pass {target.endpoint} explicitly"
            )


@contextmanager
def connect(target: HubTarget) -> Iterator[HubTarget]:
    """Make `target` reachable for the duration: find or start the local hub, set the environment.

    Yields the target with its endpoint filled in. A hub started here is stopped on exit.
    """
    proc = None
    if target.is_local:
        assert target.hub_root is not None
        url = find_local_hub(target.hub_root)
        if url is None:
            info(f"starting the local hub over {target.hub_root}/")
            proc, url = start_local_hub(target.hub_root)
        target = replace(target, endpoint=url, started_here=proc is not None)
    if target.notice:
        info(f"notice: {target.notice}")
    configure_environment(target)
    try:
        yield target
    finally:
        if proc is not None:
            stop_local_hub(proc)


def hub_api(target: HubTarget) -> HfApi:
    """An HfApi bound to the target's endpoint and token (imports huggingface_hub)."""
    from huggingface_hub import HfApi

    return HfApi(endpoint=target.endpoint, token=target.token)


# ---------------------------------------------------------------------------------------------------------
# Retries and error mapping


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry: exponential backoff, or what the Hub asks (Retry-After / RateLimit)."""

    attempts: int = 6
    base_wait: float = 1.0
    max_wait: float = 16.0
    max_server_wait: float = 120.0


DEFAULT_RETRY = RetryPolicy()


def retry_policy_from_env(env: Mapping[str, str] | None = None) -> RetryPolicy:
    """The default policy, with `PUBLISHER_HUB_RETRIES` (total tries) and `PUBLISHER_HUB_RETRY_WAIT` (first
    backoff, seconds) overrides: CI jobs and tests can fail fast, slow links can wait longer."""
    env = os.environ if env is None else env
    policy = DEFAULT_RETRY
    try:
        if env.get("PUBLISHER_HUB_RETRIES"):
            policy = replace(policy, attempts=max(1, int(env["PUBLISHER_HUB_RETRIES"])))
        if env.get("PUBLISHER_HUB_RETRY_WAIT"):
            policy = replace(policy, base_wait=max(0.0, float(env["PUBLISHER_HUB_RETRY_WAIT"])))
    except ValueError as exc:
        raise BadInputError(
            f"PUBLISHER_HUB_RETRIES / PUBLISHER_HUB_RETRY_WAIT: not a number ({exc})"
        ) from None
    return policy


def _status_of(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def _header(exc: BaseException, name: str) -> str | None:
    headers = getattr(getattr(exc, "response", None), "headers", None)
    if not headers:
        return None
    try:
        return headers.get(name)
    except AttributeError:
        return None


def server_wait_seconds(retry_after: str | None, ratelimit: str | None) -> float | None:
    """Seconds the server asked us to wait: `Retry-After: N`, or `RateLimit: "api";r=0;t=N`."""
    if retry_after and retry_after.strip().isdigit():
        return float(retry_after.strip())
    if ratelimit:
        import re

        match = re.search(r"r\s*=\s*(\d+)\s*;\s*t\s*=\s*(\d+)", ratelimit)
        if match and int(match.group(1)) == 0:
            return float(match.group(2))
    return None


def is_connection_error(exc: BaseException) -> bool:
    """A dropped or refused connection / timeout (httpx2 transport errors, or the builtin ones)."""
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    try:
        import httpx2
    except ImportError:  # pragma: no cover - huggingface_hub always brings it
        return False
    return isinstance(exc, httpx2.TransportError)


def retry_delay(exc: BaseException, attempt: int, policy: RetryPolicy = DEFAULT_RETRY) -> float | None:
    """How long to wait before retrying after `exc` on try number `attempt` (1-based); None = do not retry.

    Retried: 408/429/5xx (waiting what Retry-After or RateLimit asks, if anything) and dropped connections.
    """
    if attempt >= policy.attempts:
        return None
    backoff = min(policy.max_wait, policy.base_wait * (2 ** (attempt - 1)))
    status = _status_of(exc)
    if status is not None:
        if status not in RETRY_STATUSES:
            return None
        asked = server_wait_seconds(_header(exc, "retry-after"), _header(exc, "ratelimit"))
        return min(policy.max_server_wait, asked + 0.5) if asked is not None else backoff
    return backoff if is_connection_error(exc) else None


def hub_message(exc: BaseException) -> str:
    """The Hub's own words for an error: its server message if it sent one, else the exception's first line."""
    server = getattr(exc, "server_message", None) or getattr(exc.__cause__, "server_message", None)
    text = server.strip() if isinstance(server, str) and server.strip() else str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return redact(first)


def map_hub_error(exc: BaseException, what: str, endpoint: str = "") -> PublisherError:
    """Turn a huggingface_hub / httpx2 exception into a PublisherError with one clear line and its exit code.

    401/403 and a missing token are AuthError (exit 2, nothing uploaded); an invalid README front matter
    rejected by the Hub is CardCheckError (exit 2); everything else is HubError (exit 1) carrying the status.
    """
    if isinstance(exc, PublisherError):
        return exc
    name = type(exc).__name__
    status = _status_of(exc)
    message = hub_message(exc)
    where = f" ({endpoint})" if endpoint else ""
    if name == "LocalTokenNotFoundError":
        return AuthError(f"{what}: no Hugging Face token", hint="set HF_TOKEN or run `hf auth login`")
    if status == 401:
        return AuthError(
            f"{what}: the Hub rejected the token (401){where}: {message}",
            hint="check HF_TOKEN (or `hf auth login`); it must be a valid write token",
        )
    if status == 403:
        return AuthError(f"{what}: permission denied (403){where}: {message}")
    if name == "RepositoryNotFoundError":
        return HubError(f"{what}: repository not found (404){where}: {message}", status=status or 404)
    if name == "RevisionNotFoundError":
        return HubError(f"{what}: revision not found (404){where}: {message}", status=status or 404)
    if status is not None:
        return HubError(f"{what}: the Hub answered {status}{where}: {message}", status=status)
    if isinstance(exc, ValueError) and "Invalid metadata in README.md" in str(exc):
        return CardCheckError(f"{what}: the Hub rejected the card's metadata: {redact(str(exc)).strip()}")
    if is_connection_error(exc):
        return HubError(f"{what}: cannot reach the Hub{where}: {message}")
    return HubError(f"{what}: {name}: {message}")


def call_with_retries(
    what: str,
    fn: Callable[..., T],
    *args: Any,
    policy: RetryPolicy | None = None,
    where: str = "",
    sleep: Callable[[float], None] = time.sleep,
    **kwargs: Any,
) -> T:
    """Call a Hub function, retrying 429/5xx/dropped connections with backoff; map the final error.

    Use it for calls that are safe to repeat: reads, and writes that are idempotent or guarded (a commit with
    `parent_commit` cannot land twice: a repeat after a lost answer gets 412 instead).
    """
    policy = policy or retry_policy_from_env()
    attempt = 0
    while True:
        attempt += 1
        try:
            return fn(*args, **kwargs)
        except PublisherError:
            raise
        except Exception as exc:  # noqa: BLE001 - mapped below, nothing swallowed
            delay = retry_delay(exc, attempt, policy)
            if delay is None:
                raise map_hub_error(exc, what, where) from exc
            status = _status_of(exc)
            reason = f"{status}" if status else "connection lost"
            info(f"{what}: {reason}, retrying in {delay:.1f}s (try {attempt + 1}/{policy.attempts})")
            sleep(delay)


# ---------------------------------------------------------------------------------------------------------
# Identity, repository state, commits, tags


def whoami(api: HfApi, *, endpoint: str = "") -> dict[str, Any]:
    """The token's identity (`GET /api/whoami-v2`), retried; a bad token is AuthError."""
    return call_with_retries("whoami", api.whoami, where=endpoint)


def writable_namespaces(identity: Mapping[str, Any]) -> list[str]:
    """The user name and its organisations' names: the namespaces a write token may push to."""
    names = [str(identity.get("name") or "")]
    for org in identity.get("orgs") or []:
        if isinstance(org, Mapping) and org.get("name"):
            names.append(str(org["name"]))
    return [n for n in names if n]


def check_write_access(api: HfApi, namespace: str, *, target: HubTarget | None = None) -> str:
    """Fail (AuthError, exit 2) unless the token's user, or one of its orgs, may write to `namespace`.

    Returns the user name. The embedded local hub's built-in user may write any namespace.
    """
    identity = whoami(api, endpoint=target.endpoint if target else "")
    user = str(identity.get("name") or "")
    role = (((identity.get("auth") or {}).get("accessToken")) or {}).get("role")
    if role == "read":
        raise AuthError(f"the token of {user!r} is read-only: it cannot publish", hint="use a write token")
    if namespace in writable_namespaces(identity):
        return user
    if user == LOCAL_HUB_USER and (target is None or target.is_local or _is_loopback(target.endpoint)):
        return user
    if identity.get("canWriteAnyNamespace") or identity.get("isAdmin"):
        return user
    allowed = ", ".join(writable_namespaces(identity)) or "none"
    raise AuthError(
        f"user {user!r} may not write to namespace {namespace!r} (writable: {allowed})",
        hint=f"use --repo-id {user}/<name>, or a token of a member of {namespace!r}",
    )


@dataclass(frozen=True)
class RemoteFile:
    """One file on the Hub: its git blob oid, real size and, for LFS files, the content sha256."""

    path: str
    size: int
    git_oid: str | None
    lfs_sha256: str | None = None


@dataclass(frozen=True)
class RemoteState:
    """What a revision of a repo holds: whether the repo exists, the head commit and the files."""

    repo_id: str
    exists: bool
    revision: str
    head: str | None = None
    private: bool | None = None
    files: dict[str, RemoteFile] = field(default_factory=dict)


def remote_state(api: HfApi, repo_id: str, *, revision: str = "main", endpoint: str = "") -> RemoteState:
    """The repo's head at `revision` and its files (one repo_info + one recursive tree listing, retried).

    A missing repo gives `exists=False`; a missing branch gives `exists=True, head=None`.
    """
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

    try:
        repo = call_with_retries("repo info", api.model_info, repo_id, revision=revision, where=endpoint)
    except HubError as exc:
        cause = exc.__cause__
        if isinstance(cause, RevisionNotFoundError):
            return RemoteState(repo_id, exists=True, revision=revision)
        if isinstance(cause, RepositoryNotFoundError):
            return RemoteState(repo_id, exists=False, revision=revision)
        raise
    files = list_files(api, repo_id, revision=repo.sha or revision, endpoint=endpoint)
    return RemoteState(
        repo_id, True, revision, head=repo.sha, private=getattr(repo, "private", None), files=files
    )


def list_files(api: HfApi, repo_id: str, *, revision: str, endpoint: str = "") -> dict[str, RemoteFile]:
    """Every file at `revision` with its oids (`tree?recursive=true`)."""

    def _list() -> dict[str, RemoteFile]:
        out: dict[str, RemoteFile] = {}
        for entry in api.list_repo_tree(repo_id, recursive=True, revision=revision):
            if not hasattr(entry, "blob_id"):
                continue  # a folder
            lfs = getattr(entry, "lfs", None)
            out[entry.path] = RemoteFile(
                path=entry.path,
                size=int(entry.size or 0),
                git_oid=entry.blob_id,
                lfs_sha256=getattr(lfs, "sha256", None) if lfs else None,
            )
        return out

    return call_with_retries("list files", _list, where=endpoint)


def download_text(api: HfApi, repo_id: str, path: str, *, revision: str, endpoint: str = "") -> str | None:
    """A text file's content at `revision`, or None if it is not there (fresh temp cache: never stale)."""
    import tempfile

    from huggingface_hub.errors import EntryNotFoundError

    with tempfile.TemporaryDirectory(prefix="publisher-dl-") as cache:
        try:
            local = call_with_retries(
                f"download {path}",
                api.hf_hub_download,
                repo_id,
                path,
                revision=revision,
                cache_dir=cache,
                where=endpoint,
            )
        except HubError as exc:
            if isinstance(exc.__cause__, EntryNotFoundError):
                return None
            raise
        return Path(local).read_text(encoding="utf-8")


def ensure_repo(api: HfApi, repo_id: str, *, private: bool = False, endpoint: str = "") -> str:
    """Create the model repo if it does not exist (exist_ok); returns its URL."""
    url = call_with_retries(
        "create repo", api.create_repo, repo_id, private=private or None, exist_ok=True, where=endpoint
    )
    return str(url)


def make_private(api: HfApi, repo_id: str, *, endpoint: str = "") -> None:
    """Set an existing repo's visibility to private (`PUT /api/models/{repo}/settings`)."""
    call_with_retries("make private", api.update_repo_settings, repo_id, visibility="private", where=endpoint)


def ensure_branch(api: HfApi, repo_id: str, branch: str, *, endpoint: str = "") -> None:
    """Create `branch` from main if it does not exist (commits to a missing branch fail with 404)."""
    call_with_retries(
        "create branch", api.create_branch, repo_id, branch=branch, exist_ok=True, where=endpoint
    )


@dataclass(frozen=True)
class CommitResult:
    """A commit that landed: its sha and URL, and the PR it opened (if any)."""

    sha: str
    url: str
    pr_url: str | None = None
    pr_revision: str | None = None


def commit(
    api: HfApi,
    repo_id: str,
    operations: list[Any],
    *,
    message: str,
    parent_commit: str | None,
    revision: str = "main",
    create_pr: bool = False,
    description: str | None = None,
    endpoint: str = "",
    policy: RetryPolicy | None = None,
) -> CommitResult:
    """One `create_commit` of `operations`, retried safely.

    `parent_commit` pins the commit to the head the plan was made against: a retry after a lost answer (or a
    concurrent push) gets 412 instead of a duplicate commit. The LFS batch skips objects already stored, so a
    retry does not re-send bytes.
    """
    result = call_with_retries(
        "commit",
        api.create_commit,
        repo_id,
        operations,
        commit_message=message,
        commit_description=description,
        revision=revision,
        create_pr=create_pr or None,
        parent_commit=parent_commit,
        where=endpoint,
        policy=policy,
    )
    return CommitResult(
        sha=result.oid,
        url=result.commit_url,
        pr_url=result.pr_url,
        pr_revision=result.pr_revision,
    )


@dataclass(frozen=True)
class OpenPullRequest:
    """An open pull request: its number, page URL and the commit at its head (refs/pr/N)."""

    number: int
    url: str
    head: str


def open_pull_requests(
    api: HfApi, repo_id: str, *, base: str, endpoint: str = "", limit: int = 20
) -> list[OpenPullRequest]:
    """The open pull requests against branch `base`, newest first (at most `limit` looked at).

    Found through the repo's refs (refs/pr/N with its head commit) and each PR's details (status, base branch):
    the Hub has no "list open PRs with their heads" call.
    """
    refs = call_with_retries(
        "list refs", api.list_repo_refs, repo_id, include_pull_requests=True, where=endpoint
    )
    numbered = [(int(r.ref.rsplit("/", 1)[-1]), r.target_commit) for r in refs.pull_requests or []
                if r.ref.rsplit("/", 1)[-1].isdigit()]  # fmt: skip
    found = []
    for number, head in sorted(numbered, reverse=True)[:limit]:
        details = call_with_retries(
            f"pull request #{number}", api.get_discussion_details, repo_id, number, where=endpoint
        )
        if details.status == "open" and details.target_branch in (base, f"refs/heads/{base}"):
            found.append(
                OpenPullRequest(number, f"{endpoint.rstrip('/')}/{repo_id}/discussions/{number}", head)
            )
    return found


def tag_commit(
    api: HfApi, repo_id: str, tag: str, sha: str, *, message: str | None = None, endpoint: str = ""
) -> bool:
    """Tag commit `sha`. Returns False if the tag already points there; a tag elsewhere is HubError (409)."""
    refs = call_with_retries("list refs", api.list_repo_refs, repo_id, where=endpoint)
    for existing in refs.tags:
        if existing.name == tag:
            if existing.target_commit == sha:
                return False
            raise HubError(
                f"tag {tag!r} already exists on {repo_id} at {existing.target_commit[:12]}, not {sha[:12]}",
                status=409,
                hint="tags are immutable here: choose a new tag name",
            )
    call_with_retries(
        "create tag", api.create_tag, repo_id, tag=tag, revision=sha, tag_message=message, where=endpoint
    )
    return True


def model_page_url(endpoint: str, repo_id: str) -> str:
    return f"{endpoint.rstrip('/')}/{repo_id}"


def commit_page_url(endpoint: str, repo_id: str, sha: str) -> str:
    return f"{endpoint.rstrip('/')}/{repo_id}/commit/{sha}"
