"""What a run directory must hold to be published, checked before any upload (BadInputError: exit 2).

The model files publish uploads (`MODEL_FILES`, shards, pickles only with --allow-pickle), each a checked
regular file (publisher.publish.files); config, tokenizer and weights agreeing on the vocabulary; the shard
index naming exactly the shards; pytorch_model.bin converted to safetensors in a work directory.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from publisher._util import regular_files
from publisher.errors import BadInputError
from publisher.output import info
from publisher.publish import files as runfiles
from publisher.publish.files import LocalFile

README = "README.md"
CARD_JSON = "card.json"
CONFIG = "config.json"
TOKENIZER_CONFIG = "tokenizer_config.json"
SAFETENSORS = "model.safetensors"
SAFETENSORS_INDEX = "model.safetensors.index.json"
PICKLE_WEIGHTS = "pytorch_model.bin"
# Model files a run directory may hold at its top level; anything else (dataset/, wandb/, logs) stays local.
MODEL_FILES = (
    CONFIG,
    "generation_config.json",
    SAFETENSORS,
    SAFETENSORS_INDEX,
    "tokenizer.json",
    TOKENIZER_CONFIG,
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.json",
    "merges.txt",
    "vocab.txt",
    "tokenizer.model",
    "chat_template.jinja",
)
TOKENIZER_SETS = (("tokenizer.json",), ("vocab.json", "merges.txt"), ("tokenizer.model",), ("vocab.txt",))
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt")


def _read_json(path: Path, what: str) -> dict[str, Any]:
    """A JSON object from the run directory: a regular file, bounded in size and depth (publisher.publish.files)."""
    limit = runfiles.MAX_TOKENIZER_JSON_BYTES if path.name == "tokenizer.json" else runfiles.MAX_JSON_BYTES
    data = runfiles.read_json(path, what, limit=limit)[0]
    if not isinstance(data, dict):
        raise BadInputError(f"{path}: {what} must be a JSON object")
    return data


def safetensors_header(path: Path) -> dict[str, Any]:
    """The safetensors header of `path`, validated as the loader would (a truncated or padded file is refused)."""
    return runfiles.safetensors_metadata(path)


def _tokenizer_vocab_size(run_dir: Path) -> int | None:
    path = run_dir / "tokenizer.json"
    if not path.exists():
        return None
    data = _read_json(path, "tokenizer.json")
    vocab = (data.get("model") or {}).get("vocab")
    if not isinstance(vocab, dict):
        return None
    ids = set(vocab.values()) | {t.get("id") for t in data.get("added_tokens") or [] if isinstance(t, dict)}
    return max((i for i in ids if isinstance(i, int)), default=-1) + 1


def check_model_files(run_dir: Path, weights: Path) -> None:
    """config, tokenizer and weights are present and agree on the vocabulary and embedding sizes."""
    config = _read_json(run_dir / CONFIG, "the model config (config.json)")
    if not (run_dir / TOKENIZER_CONFIG).exists():
        raise BadInputError(f"{run_dir}: the tokenizer is missing ({TOKENIZER_CONFIG} not found)")
    if not any(all((run_dir / f).exists() for f in group) for group in TOKENIZER_SETS):
        wanted = " or ".join("+".join(g) for g in TOKENIZER_SETS)
        raise BadInputError(f"{run_dir}: the tokenizer is missing (need {wanted})")
    vocab_size = config.get("vocab_size")
    tok_size = _tokenizer_vocab_size(run_dir)
    if isinstance(vocab_size, int) and tok_size is not None and tok_size > vocab_size:
        raise BadInputError(
            f"{run_dir / CONFIG}: vocab_size {vocab_size} is smaller than the tokenizer's {tok_size} tokens"
        )
    if weights.name == SAFETENSORS and weights.exists():
        header = safetensors_header(weights)
        embedding = next(
            (v for k, v in header.items() if k.endswith(("wte.weight", "embed_tokens.weight"))), None
        )
        if embedding and isinstance(vocab_size, int) and embedding["shape"][0] != vocab_size:
            raise BadInputError(
                f"{weights}: embedding has {embedding['shape'][0]} rows but config.json says vocab_size {vocab_size}"
            )


SHARD_NAME = re.compile(r"model-\d{1,6}-of-\d{1,6}\.safetensors")


def is_upload_candidate(name: str) -> bool:
    """A top-level name of the run directory that publish reads or may upload."""
    return (
        name in MODEL_FILES
        or name in (CARD_JSON, PICKLE_WEIGHTS)
        or SHARD_NAME.fullmatch(name) is not None
        or Path(name).suffix in PICKLE_SUFFIXES
    )


def check_run_entries(run: Path) -> None:
    """Before anything is read: every file publish would read or upload is a regular file of the run directory
    (no symlink, fifo, device, directory or hard link: publisher.publish.files), and the shards are few enough."""
    shards = 0
    with os.scandir(run) as entries:
        for entry in entries:
            if is_upload_candidate(entry.name):
                regular_files.check_regular(run / entry.name)
                shards += SHARD_NAME.fullmatch(entry.name) is not None
    if shards > runfiles.MAX_SHARDS:
        raise BadInputError(
            f"{run}: {shards} weight shards, more than the {runfiles.MAX_SHARDS} publish accepts"
        )


def shard_names(run: Path) -> list[str]:
    """model-NNNNN-of-NNNNN.safetensors at the top of the run directory, sorted."""
    return sorted(n for n in os.listdir(run) if SHARD_NAME.fullmatch(n))


def run_file(run: Path, name: str, *, validate: bool = True, cache: Any = None) -> LocalFile | None:
    """`name` of the run directory as a file to upload, checked and validated; None if it does not exist.

    Small files are read once (the bytes validated, hashed and sent are the same bytes); the weights and
    other large files keep the identity they were checked with, re-checked whenever they are read."""
    path = run / name
    identity = regular_files.check_regular(path)
    if identity is None:
        return None
    if validate:
        validate_run_file(path)
    if identity.size <= runfiles.INLINE_BYTES and not name.endswith(".safetensors"):
        data, identity = regular_files.read_bytes(path, limit=runfiles.INLINE_BYTES)
        if validate:
            validate_content(path, data)
        return LocalFile(name, data=data)
    return LocalFile(name, source=path, identity=identity, cache=cache)


def validate_run_file(path: Path) -> None:
    """A weights file or a large file, by reading it (bounded) from disk."""
    if path.suffix == ".safetensors":
        safetensors_header(path)
    elif path.suffix in (".json", ".txt", ".jinja") and path.stat().st_size > runfiles.INLINE_BYTES:
        limit = (
            runfiles.MAX_TOKENIZER_JSON_BYTES if path.name == "tokenizer.json" else runfiles.MAX_JSON_BYTES
        )
        limit = runfiles.MAX_TEXT_BYTES if path.suffix != ".json" else limit
        validate_content(path, regular_files.read_bytes(path, limit=limit)[0])


def validate_content(path: Path, data: bytes) -> None:
    """JSON files parse (bounded); the tokenizer's text files are UTF-8."""
    if path.suffix == ".json":
        runfiles.parse_json_bytes(data, path, path.name)
    elif path.suffix in (".txt", ".jinja"):
        runfiles.check_text(path, data, path.name)


def check_sources(files: list[LocalFile], run: Path, workdir: Path) -> None:
    """Every file read from disk is a checked regular file directly in the run directory (or publish's own
    work directory, for converted weights): whatever added it, nothing from elsewhere is uploaded."""
    homes = {run.resolve(), workdir.resolve()}
    for index, local in enumerate(files):
        if local.source is None:
            continue
        if local.source.parent.resolve() not in homes or local.source.name != Path(local.path).name:
            raise regular_files.UnsafeFileError(
                f"{local.source}: not a file of the run directory {run}; not uploaded"
            )
        identity = regular_files.check_regular(local.source)
        if identity is None:
            raise BadInputError(f"{local.source}: missing")
        if local.identity is None:
            files[index] = replace(local, identity=identity)


def check_shard_index(run: Path, files: list[LocalFile]) -> None:
    """The index names exactly the shards uploaded with it, as plain file names of the run directory."""
    index = next((f for f in files if f.path == SAFETENSORS_INDEX), None)
    shards = {f.path for f in files if SHARD_NAME.fullmatch(f.path)}
    if index is None:
        if shards:
            raise BadInputError(
                f"{run}: weight shards without {SAFETENSORS_INDEX}: {', '.join(sorted(shards))}"
            )
        return
    where = run / SAFETENSORS_INDEX
    raw = (
        index.data
        if index.data is not None
        else regular_files.read_bytes(where, limit=runfiles.MAX_JSON_BYTES)[0]
    )
    doc = runfiles.parse_json_bytes(raw, where, SAFETENSORS_INDEX)
    weight_map = doc.get("weight_map") if isinstance(doc, dict) else None
    if not isinstance(weight_map, dict) or not all(isinstance(v, str) for v in weight_map.values()):
        raise BadInputError(f"{where}: weight_map must be an object of tensor name -> shard file name")
    named = set(weight_map.values())
    missing = sorted(named - shards)
    if missing:
        raise BadInputError(
            f"{where}: names shards that are not in the run directory: {', '.join(missing[:5])}"
        )
    unnamed = sorted(shards - named)
    if unnamed:
        raise BadInputError(
            f"{where}: does not name the shard(s) {', '.join(unnamed[:5])}; they would be dead weight"
        )


def convert_bin_to_safetensors(run_dir: Path, out_dir: Path) -> Path:
    """Convert pytorch_model.bin to model.safetensors in `out_dir` (through transformers, so tied weights
    are handled); the run directory is left untouched."""
    from transformers import AutoModelForCausalLM

    info(f"converting {run_dir / PICKLE_WEIGHTS} to safetensors")
    model = AutoModelForCausalLM.from_pretrained(run_dir, use_safetensors=False)
    model.save_pretrained(out_dir, safe_serialization=True)
    converted = out_dir / SAFETENSORS
    if not converted.exists():
        raise BadInputError(f"{run_dir / PICKLE_WEIGHTS}: conversion did not produce {SAFETENSORS}")
    return converted
