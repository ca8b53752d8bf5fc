"""One settings object: options with environment fallbacks, read in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

DEFAULT_ENDPOINT = "https://huggingface.co"
DEFAULT_NAMESPACE = "huggingtweets"
DEFAULT_HUB_ROOT = ".hub"
DEFAULT_WANDB_APP_URL = "https://wandb.ai"


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """What the environment says; commands combine it with their options."""

    hf_endpoint: str = DEFAULT_ENDPOINT
    hf_endpoint_from_env: bool = False
    ci: bool = False
    namespace: str = DEFAULT_NAMESPACE
    hub_root: str = DEFAULT_HUB_ROOT
    wandb_app_url: str = DEFAULT_WANDB_APP_URL
    wandb_mode: str | None = None
    wandb_entity: str | None = None
    wandb_project: str = "huggingtweets"
    cache_dir: str = ""
    """Where publisher keeps caches (file hashes): PUBLISHER_CACHE, else $XDG_CACHE_HOME/publisher, else
    ~/.cache/publisher."""
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        endpoint = env.get("HF_ENDPOINT", "").rstrip("/")
        return cls(
            hf_endpoint=endpoint or DEFAULT_ENDPOINT,
            hf_endpoint_from_env=bool(endpoint),
            ci=_truthy(env.get("CI")),
            namespace=env.get("PUBLISHER_NAMESPACE", DEFAULT_NAMESPACE),
            hub_root=env.get("PUBLISHER_HUB_ROOT", DEFAULT_HUB_ROOT),
            wandb_app_url=(env.get("PUBLISHER_WANDB_APP_URL") or DEFAULT_WANDB_APP_URL).rstrip("/"),
            wandb_mode=env.get("WANDB_MODE") or None,
            wandb_entity=env.get("WANDB_ENTITY") or None,
            wandb_project=env.get("WANDB_PROJECT") or "huggingtweets",
            cache_dir=env.get("PUBLISHER_CACHE")
            or os.path.join(env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "publisher"),
        )
