"""One settings object: options with environment fallbacks, read in one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from publisher import defaults


def environ() -> Mapping[str, str]:
    """The process environment, for code that needs the whole mapping (the Hub client's token variables,
    HF_HOME, offline flags, a child's environment): read here, so settings.py stays its only reader."""
    return os.environ


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """What the environment says; commands combine it with their options."""

    hf_endpoint: str = defaults.HUB_ENDPOINT
    hf_endpoint_from_env: bool = False
    ci: bool = False
    namespace: str = defaults.NAMESPACE
    hub_root: str = defaults.HUB_ROOT
    wandb_app_url: str = defaults.WANDB_APP_URL
    wandb_mode: str | None = None
    """WANDB_MODE as given; publisher.training.wandb_runs.wandb_mode is the one rule that reads it."""
    wandb_api_key_set: bool = False
    """Whether WANDB_API_KEY is set (the key itself is never kept here: wandb reads it from the environment)."""
    wandb_dir: str | None = None
    wandb_init_timeout: str | None = None
    wandb_entity: str | None = None
    wandb_project: str = defaults.WANDB_PROJECT
    cache_dir: str = ""
    """Where publisher keeps caches (file hashes): PUBLISHER_CACHE, else $XDG_CACHE_HOME/publisher, else
    ~/.cache/publisher."""
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        endpoint = env.get("HF_ENDPOINT", "").rstrip("/")
        return cls(
            hf_endpoint=endpoint or defaults.HUB_ENDPOINT,
            hf_endpoint_from_env=bool(endpoint),
            ci=_truthy(env.get("CI")),
            namespace=env.get("PUBLISHER_NAMESPACE", defaults.NAMESPACE),
            hub_root=env.get("PUBLISHER_HUB_ROOT", defaults.HUB_ROOT),
            wandb_app_url=(env.get("PUBLISHER_WANDB_APP_URL") or defaults.WANDB_APP_URL).rstrip("/"),
            wandb_mode=env.get("WANDB_MODE") or None,
            wandb_api_key_set=bool(env.get("WANDB_API_KEY")),
            wandb_dir=env.get("WANDB_DIR") or None,
            wandb_init_timeout=env.get("WANDB_INIT_TIMEOUT") or None,
            wandb_entity=env.get("WANDB_ENTITY") or None,
            wandb_project=env.get("WANDB_PROJECT") or defaults.WANDB_PROJECT,
            cache_dir=env.get("PUBLISHER_CACHE")
            or os.path.join(
                env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "publisher"
            ),
        )


# ---------------------------------------------------------------------------------------------------------
# The environment variables people set, in one list: the README's table and the --help epilogs come from it.


@dataclass(frozen=True)
class EnvVar:
    name: str
    commands: tuple[str, ...]  # the subcommands that read it
    meaning: str


_HUB = ("publish", "regenerate")
ENVIRONMENT: tuple[EnvVar, ...] = (
    EnvVar("HF_TOKEN", _HUB, "Hub write token (else the `hf auth login` token); never printed"),
    EnvVar("HF_ENDPOINT", (*_HUB, "train"), "the Hub of --hub auto|hf and of train's --base-model (default https://huggingface.co)"),
    EnvVar("HF_HOME", (*_HUB, "train"), "huggingface_hub's cache and login folder"),
    EnvVar("HF_HUB_OFFLINE", _HUB, "ignored for a loopback hub, refused for a remote one"),
    EnvVar("CI", _HUB, "true: --hub auto never falls back to the local hub (no token = exit 2)"),
    EnvVar("PUBLISHER_NAMESPACE", ("render", "publish", "regenerate"), f"namespace of derived repo ids (default {defaults.NAMESPACE})"),
    EnvVar("PUBLISHER_HUB_ROOT", _HUB, f"folder of the embedded local hub (default {defaults.HUB_ROOT})"),
    EnvVar("PUBLISHER_HUB_RETRIES", _HUB, "tries per Hub call on 429/5xx/dropped connections (default 6)"),
    EnvVar("PUBLISHER_HUB_RETRY_WAIT", _HUB, "first backoff wait in seconds (doubles per try)"),
    EnvVar("PUBLISHER_CACHE", ("publish",), "cache folder (file hashes; default $XDG_CACHE_HOME/publisher or ~/.cache/publisher)"),
    EnvVar("WANDB_MODE", ("prepare", "train", "publish"), "offline (default without an API key), online or disabled"),
    EnvVar("WANDB_API_KEY", ("prepare", "train", "publish"), "W&B key: runs are online when set (never printed)"),
    EnvVar("WANDB_ENTITY", ("prepare", "train"), f"W&B entity of new runs (default {defaults.WANDB_ENTITY})"),
    EnvVar("WANDB_PROJECT", ("prepare", "train"), f"W&B project of new runs (default {defaults.WANDB_PROJECT})"),
    EnvVar("PUBLISHER_WANDB_APP_URL", ("prepare", "train"), f"W&B app base of the card's links (default {defaults.WANDB_APP_URL})"),
)  # fmt: skip


def environment_for(command: str) -> list[EnvVar]:
    return [var for var in ENVIRONMENT if command in var.commands]


def environment_epilog(command: str) -> str:
    """The "Environment variables" block of `publisher COMMAND --help` (click keeps \\b blocks verbatim)."""
    rows = environment_for(command)
    width = max(len(v.name) for v in rows)
    lines = [f"  {v.name:<{width}}  {v.meaning}" for v in rows]
    return "\b\nEnvironment variables:\n" + "\n".join(lines)


def environment_table() -> str:
    """The README's "Environment variables" table (a test keeps the README equal to it)."""
    lines = ["| variable | read by | meaning |", "|---|---|---|"]
    for v in ENVIRONMENT:
        lines.append(f"| `{v.name}` | {', '.join(v.commands)} | {v.meaning} |")
    return "\n".join(lines)
