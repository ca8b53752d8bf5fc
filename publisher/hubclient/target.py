"""Where Hub calls go: the target (endpoint, token and how both were chosen), decided before any import of
huggingface_hub, and the process environment that points its clients there.

Order of use (the clients read `HF_ENDPOINT` when they are imported, docs/hub-api.md §1):

    target = resolve_target("auto")          # no huggingface_hub import yet
    with connect(target) as target:          # starts the embedded local hub if needed, sets HF_ENDPOINT
        api = hub_api(target)                # first huggingface_hub import happens here
        user = ops.check_write_access(api, "huggingtweets")

Only `hub_api` imports huggingface_hub, so `publisher --help` stays light. The environment is read through
publisher.settings; `configure_environment` is the one function that writes it (see its docstring).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from publisher import defaults
from publisher.errors import AuthError, BadInputError
from publisher.hubclient.localhub_process import find_local_hub, start_local_hub, stop_local_hub
from publisher.output import info, register_secret, warn
from publisher.settings import Settings, environ

if TYPE_CHECKING:
    from huggingface_hub import HfApi

# The embedded local hub's built-in account (publisher/localhub defines the same values; the client side
# never imports the server, they meet only over HTTP).
LOCAL_HUB_TOKEN = "hf_publisherlocalhub"
LOCAL_HUB_USER = "local"

TOKEN_ENV_VARS = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")
OFFLINE_FLAGS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
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
    env = environ() if env is None else env
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
        env = dict(environ() if base is None else base)
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
        if self.is_local or is_loopback(self.endpoint):
            env["HF_HUB_DISABLE_XET"] = "1"
        if hf_home:
            env["HF_HOME"] = hf_home
        return env


def is_loopback(url: str) -> bool:
    """True for a URL on this machine (127.0.0.1, localhost, ::1): a local hub, whoever started it."""
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
    env = environ() if env is None else env
    settings = Settings.from_env(dict(env))
    hub = (hub or "auto").strip()
    endpoint = settings.hf_endpoint
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
    if settings.ci:
        raise AuthError(
            "no Hugging Face token found and CI=true: --hub auto does not fall back to the local hub in CI",
            hint="set the HF_TOKEN secret in the job's environment",
        )
    if settings.hf_endpoint_from_env and endpoint != defaults.HUB_ENDPOINT:
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


def _offline_flags(env: Mapping[str, str]) -> list[str]:
    """The offline switches set in `env` (huggingface_hub's and transformers')."""
    return [
        name for name in OFFLINE_FLAGS if (env.get(name) or "").strip().lower() in {"1", "true", "yes", "on"}
    ]


def _check_offline_flags(target: HubTarget, flags: list[str]) -> None:
    """HF_HUB_OFFLINE blocks every request, 127.0.0.1 included (docs/hub-api.md §1): ignore it for a loopback hub
    (an offline machine can still rehearse locally), refuse it for a remote one."""
    if not flags:
        return
    if target.is_local or is_loopback(target.endpoint):
        info(f"{'/'.join(flags)} ignored: the hub is local ({target.endpoint})")
        return
    raise BadInputError(
        f"{'/'.join(flags)} is set: huggingface_hub would refuse every request to {target.endpoint}",
        hint="unset it to publish, or use --hub local to rehearse offline",
    )


def configure_environment(target: HubTarget) -> None:
    """Point this process's Hub clients at `target`: set HF_ENDPOINT (and Xet off for a local hub), drop the
    offline switches for a loopback hub.

    The one function that writes os.environ, and why it must: huggingface_hub (and transformers, and the
    subprocesses they start) take HF_ENDPOINT, HF_HUB_DISABLE_XET, HF_HUB_OFFLINE and telemetry from the
    environment when they are imported, not from arguments, so the process environment is the only way to
    configure them. Everything else reads the environment through publisher.settings.

    Must run before huggingface_hub/transformers are imported; if they already are, HfApi is still given the
    endpoint explicitly (hub_api), but module-level helpers would not follow, so say so.
    """
    flags = _offline_flags(environ())
    _check_offline_flags(target, flags)
    for name in flags:
        os.environ.pop(name, None)
    os.environ["HF_ENDPOINT"] = target.endpoint
    if target.is_local or is_loopback(target.endpoint):
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
