"""The card data: everything a huggingtweets card shows, as plain dataclasses (no I/O, no validation).

A Card is built from `card.json` by publisher.card.manifest, which validates every field, and rendered by
publisher.card.render; `Card.warnings` holds what loading repaired or noticed (never serialized).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from publisher import defaults
from publisher.naming import default_repo_id, model_name

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class UserStats:
    """The huggingtweets counts of one user: downloaded = retweets + short + kept.

    One class for the concept: `prepare` counts into it (publisher.data.counting) and the card shows it."""

    downloaded: int = 0
    retweets: int = 0
    short: int = 0
    kept: int = 0


@dataclass(frozen=True)
class User:
    handle: str
    name: str
    avatar_url: str | None = None
    stats: UserStats | None = None


@dataclass(frozen=True)
class WandbInfo:
    """W&B references as ids; URLs are built by publisher.card.wandb_links so the app base can change."""

    app_url: str = defaults.WANDB_APP_URL
    entity: str | None = None
    project: str | None = None
    preprocess_run: str | None = None
    train_run: str | None = None
    report_url: str | None = None
    # runs logged offline and not known to be synced: they do not exist on W&B, so the card links neither
    offline_runs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sample:
    """One generation: `text` is the full generated text as the pipeline returns it (prompt included)."""

    prompt: str
    text: str


@dataclass(frozen=True)
class Training:
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Pictures:
    """The card's pictures, as paths inside the repo (`publish` uploads them with the card)."""

    training_curve: str | None = None
    preview: str | None = None


@dataclass
class Card:
    """One model card. `extra` keeps unknown top-level manifest keys; `warnings` are load-time only."""

    users: list[User]
    schema_version: int = SCHEMA_VERSION
    repo_id: str | None = None
    wandb: WandbInfo | None = None
    thumbnail: str | None = None
    language: str | None = defaults.LANGUAGE
    widget: list[str] = field(default_factory=lambda: list(defaults.WIDGET))
    base_model: str | None = defaults.BASE_MODEL  # None: trained from scratch, no Hub base model
    license: str = defaults.LICENSE
    samples: list[Sample] = field(default_factory=list)
    training: Training | None = None
    intended_use: str | None = None
    limitations: str | None = None
    layout: str | None = None  # the template a legacy card was parsed from (publisher parse)
    layout_padding: int | None = None  # the 2020 "random size file" comment's run of spaces
    layout_mojibake: str | None = None  # the decoding that garbled the whole card (its own 🤖), if any
    pictures: Pictures | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list, compare=False, repr=False)

    @property
    def handles(self) -> list[str]:
        return [user.handle for user in self.users]

    @property
    def handle_line(self) -> str:
        """The handles sorted and joined by "-", as in the repo name and the card's @ line."""
        return model_name(self.handles)

    def effective_repo_id(self, namespace: str = defaults.NAMESPACE) -> str:
        """The repo id: the manifest's, or namespace/handles-sorted-and-joined (the huggingtweets naming)."""
        return self.repo_id or default_repo_id(self.handles, namespace)
