"""Test session environment.

The Hub clients read their configuration at import time (hub-api.md §1), so the environment is set here,
at the very top, before anything imports huggingface_hub, transformers or wandb:
a fresh HF_HOME and W&B dirs per session, Xet and telemetry off, W&B offline. HF_HUB_OFFLINE is never set
(it would block 127.0.0.1 too).
"""

from __future__ import annotations

import os
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
        "TOKENIZERS_PARALLELISM": "false",
        "PYTHONHASHSEED": "0",
    }
)
os.makedirs(os.environ["WANDB_DIR"], exist_ok=True)
