"""What the Hub derives from a model's files for model_info: `safetensors` parameter counts, the `config`
summary and `transformersInfo` (docs/hub-api.md §2 #4), and the `expand` property names each repo type accepts.

Only headers are read (a safetensors header is bounded), and results are cached by content hash (blobs never
change), so listing many repos stays cheap.
"""

from __future__ import annotations

import json
import struct
from typing import Any

MAX_SAFETENSORS_HEADER = 16 * 1024 * 1024
EXPAND = {
    "model": frozenset(
        {
            "author",
            "baseModels",
            "cardData",
            "childrenModelCount",
            "config",
            "createdAt",
            "disabled",
            "downloads",
            "downloadsAllTime",
            "evalResults",
            "gated",
            "gguf",
            "inference",
            "inferenceProviderMapping",
            "lastModified",
            "library_name",
            "likes",
            "mask_token",
            "model-index",
            "pipeline_tag",
            "private",
            "resourceGroup",
            "safetensors",
            "sha",
            "siblings",
            "spaces",
            "tags",
            "transformersInfo",
            "trendingScore",
            "usedStorage",
            "widgetData",
        }
    ),
    "dataset": frozenset(
        {
            "author",
            "cardData",
            "citation",
            "createdAt",
            "description",
            "disabled",
            "downloads",
            "downloadsAllTime",
            "gated",
            "lastModified",
            "likes",
            "mainSize",
            "paperswithcode_id",
            "private",
            "resourceGroup",
            "sha",
            "siblings",
            "tags",
            "trendingScore",
            "usedStorage",
        }
    ),
    "space": frozenset(
        {
            "author",
            "cardData",
            "createdAt",
            "datasets",
            "disabled",
            "lastModified",
            "likes",
            "models",
            "private",
            "region",
            "resourceGroup",
            "runtime",
            "sdk",
            "sha",
            "siblings",
            "subdomain",
            "tags",
            "trendingScore",
            "usedStorage",
        }
    ),
}
# Values the local hub has no data for (no download counter, no Spaces runtime): the Hub's neutral answers.
NEUTRAL = {
    "downloadsAllTime": 0,
    "trendingScore": 0,
    "childrenModelCount": 0,
    "spaces": [],
    "models": [],
    "datasets": [],
}
_PROCESSOR = {"AutoTokenizer"}


def safetensors_parameters(header_bytes: bytes) -> dict[str, int]:
    """Parameter count per dtype from a safetensors JSON header."""
    header = json.loads(header_bytes)
    counts: dict[str, int] = {}
    for name, tensor in header.items():
        if name == "__metadata__" or not isinstance(tensor, dict):
            continue
        size = 1
        for dim in tensor.get("shape") or []:
            size *= int(dim)
        dtype = str(tensor.get("dtype"))
        counts[dtype] = counts.get(dtype, 0) + size
    return counts


def read_safetensors_header(path: Any) -> bytes | None:
    """The JSON header of a safetensors file, or None if it is not one (or the header is oversized)."""
    with open(path, "rb") as fh:
        prefix = fh.read(8)
        if len(prefix) < 8:
            return None
        (length,) = struct.unpack("<Q", prefix)
        if length > MAX_SAFETENSORS_HEADER:
            return None
        data = fh.read(length)
    return data if len(data) == length and data[:1] == b"{" else None


def config_summary(config_text: str | None, tokenizer_text: str | None) -> dict[str, Any] | None:
    """The `config` object of model_info: architectures, model_type and the tokenizer's special tokens."""
    try:
        config = json.loads(config_text) if config_text else None
    except json.JSONDecodeError:
        config = None
    if not isinstance(config, dict):
        return None
    out: dict[str, Any] = {k: config[k] for k in ("architectures", "model_type") if k in config}
    try:
        tokenizer = json.loads(tokenizer_text) if tokenizer_text else None
    except json.JSONDecodeError:
        tokenizer = None
    if isinstance(tokenizer, dict):
        tokens = {k: v for k, v in tokenizer.items() if k.endswith("_token") and isinstance(v, (str, dict))}
        if tokens:
            out["tokenizer_config"] = tokens
    return out


def transformers_info(
    config: dict[str, Any] | None, pipeline_tag: str | None, has_tokenizer: bool
) -> dict[str, Any] | None:
    """`transformersInfo`: the Auto class that loads the model, its pipeline tag and processor."""
    archs = (config or {}).get("architectures") or []
    if not archs:
        return None
    arch = str(archs[0])
    auto = "AutoModel"
    for suffix, name in (
        ("ForCausalLM", "AutoModelForCausalLM"),
        ("LMHeadModel", "AutoModelForCausalLM"),
        ("ForSequenceClassification", "AutoModelForSequenceClassification"),
        ("ForMaskedLM", "AutoModelForMaskedLM"),
        ("ForTokenClassification", "AutoModelForTokenClassification"),
        ("ForQuestionAnswering", "AutoModelForQuestionAnswering"),
        ("ForSeq2SeqLM", "AutoModelForSeq2SeqLM"),
        ("ForConditionalGeneration", "AutoModelForSeq2SeqLM"),
    ):
        if arch.endswith(suffix):
            auto = name
            break
    info: dict[str, Any] = {"auto_model": auto, "pipeline_tag": pipeline_tag}
    if has_tokenizer:
        info["processor"] = "AutoTokenizer"
    return info
