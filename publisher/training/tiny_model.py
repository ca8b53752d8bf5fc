"""A tiny GPT-2 (a few layers) with a byte-level BPE tokenizer trained locally: no download, seconds on CPU.

Used by `publisher train --base-model tiny`, and by tests and benchmarks that need a real, loadable model.
torch/transformers/tokenizers are imported inside the functions, never at module import.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

EOS = "<|endoftext|>"


def train_tokenizer(texts: Iterable[str], vocab_size: int = 512):
    """A GPT-2-style byte-level BPE tokenizer (as a transformers fast tokenizer) trained on `texts`."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[EOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(list(texts) or ["hello world"], trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=EOS, eos_token=EOS, unk_token=EOS, model_max_length=128
    )
    return fast


def build_tiny_gpt2(
    tokenizer, n_layer: int = 2, n_embd: int = 64, n_head: int = 2, n_positions: int = 128, seed: int = 0
):
    """A randomly initialised GPT-2 sized to `tokenizer`; deterministic for a given seed."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(seed)
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=n_positions,
        n_embd=n_embd,
        n_layer=n_layer,
        n_head=n_head,
        bos_token_id=tokenizer.eos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    return GPT2LMHeadModel(config)


def save_tiny_model(
    out_dir: str | Path, texts: Iterable[str] = (), *, seed: int = 0, n_layer: int = 2
) -> Path:
    """Write a loadable tiny GPT-2 (safetensors + tokenizer + configs) into `out_dir`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    texts = list(texts) or [
        "My dream is to publish a tiny model.",
        "Tweets are short and the model is tiny.",
        "hello world, this is a test of the tokenizer",
    ]
    tokenizer = train_tokenizer(texts)
    model = build_tiny_gpt2(tokenizer, n_layer=n_layer, seed=seed)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    return out
