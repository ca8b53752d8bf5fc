"""The project's defaults, each written once: what a value is when no option, environment variable or card says.

Layer 0 (no imports): the card, the CLI options, Settings, prepare, train and publish all read these, so a
default changes in one place. These are defaults, not layout text: the `huggingtweets` tag and the dated
layouts' literal text (publisher.card.layouts, templates/) are what real cards show and stay where they are.
"""

from __future__ import annotations

NAMESPACE = "huggingtweets"
"""Hub namespace of derived repo ids (`huggingtweets/<handles>`); PUBLISHER_NAMESPACE or --namespace override it."""

TEMPLATE = "huggingtweets"
"""The card template `render`, `publish` and `regenerate` use; `check` is strict for cards that claim it."""

BASE_MODEL = "openai-community/gpt2"
"""The Hub model new models are fine-tuned from, and a card's `base_model` when card.json leaves it out."""

LICENSE = "mit"
LANGUAGE = "en"

WIDGET_TEXT = "My dream is"
"""The inference-widget prompt of a new card, and the prompt `verify` and the samples start from."""
WIDGET = (WIDGET_TEXT,)

WANDB_APP_URL = "https://wandb.ai"
WANDB_ENTITY = "huggingtweets"
"""W&B entity of new runs when WANDB_ENTITY is unset and no online run resolved one."""
WANDB_PROJECT = "huggingtweets"
WANDB_REPORT_URL = "https://wandb.ai/wandb/huggingtweets/reports/HuggingTweets-Train-a-Model-to-Generate-Tweets--VmlldzoxMTY5MjI"

HUB_ENDPOINT = "https://huggingface.co"
HUB_ROOT = ".hub"
"""Where `publisher hub serve` keeps its repos when PUBLISHER_HUB_ROOT is unset."""
