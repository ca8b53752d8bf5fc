"""Publish a trained run directory: README.md + card.json + model files in one verified commit.

The flow is a chain of plain functions:

    prepare_run(run_dir)            local checks, card rendering, .bin -> safetensors (no network)
    plan_publish(local, remote)     which files are added / changed / unchanged, by comparing oids
    publish(options)                target, write-access check, plan, one commit (or none), tag, verify, back-link

Unchanged files are compared with the Hub's own oids (sha256 for LFS files, the git blob sha1 for regular
ones, docs/hub-api.md §3), so they are never re-sent, and a publish that changes nothing makes no commit at all.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from publisher import defaults
from publisher.errors import BadInputError, CardCheckError, HubError, PublisherError, VerificationError
from publisher.hubclient import ops
from publisher.hubclient.retry import call_with_retries
from publisher.hubclient.target import HubTarget, connect, hub_api, resolve_target
from publisher.output import info, warn
from publisher.publish import files as runfiles
from publisher.settings import Settings
from publisher.training import wandb_runs

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
HASH_CHUNK = 8 * 1024 * 1024


# ---------------------------------------------------------------------------------------------------------
# Local files and their oids


@dataclass
class LocalFile:
    """A file to publish: from disk (`source`) or generated in memory (`data`). Hashes are computed lazily."""

    path: str
    source: Path | None = None
    data: bytes | None = None
    identity: runfiles.FileIdentity | None = (
        None  # a run file as checked (publisher.publish.files); re-checked on read
    )
    _sha256: str | None = field(default=None, repr=False)
    _git_oid: str | None = field(default=None, repr=False)
    cache: Any = field(default=None, repr=False, compare=False)
    """A publisher.publish.hashcache.HashCache: a file unchanged since it was last hashed is not read again."""

    @property
    def size(self) -> int:
        if self.data is not None:
            return len(self.data)
        if self.identity is not None:
            return self.identity.size
        return self.source.stat().st_size  # type: ignore[union-attr]

    def _chunks(self) -> Iterator[bytes]:
        if self.data is not None:
            yield self.data
            return
        if self.identity is not None:
            yield from runfiles.iter_chunks(self.source, self.identity)  # type: ignore[arg-type]
            return
        with open(self.source, "rb") as handle:  # type: ignore[arg-type]
            while chunk := handle.read(HASH_CHUNK):
                yield chunk

    @property
    def sha256(self) -> str:
        """The content sha256: the oid the Hub keeps for an LFS file."""
        if self._sha256 is None:
            self._sha256 = self._hash("sha256", hashlib.sha256())
        return self._sha256

    @property
    def git_oid(self) -> str:
        """The git blob sha1 (`blob <size>\\0` + content): the oid the Hub keeps for a regular file."""
        if self._git_oid is None:
            digest = hashlib.sha1(f"blob {self.size}\0".encode())  # noqa: S324 - git's object id, not security
            self._git_oid = self._hash("git_oid", digest)
        return self._git_oid

    def _hash(self, kind: str, digest: Any) -> str:
        """Hash the content, or take the hash from the cache when the file is the one hashed last time."""
        cached = self.source is not None and self.cache is not None
        if cached:
            from publisher.publish.hashcache import identity_stamp

            hit = self.cache.get(self.source, kind)
            if hit is not None:
                return hit
            before = identity_stamp(self.source)  # type: ignore[arg-type]
        for chunk in self._chunks():
            digest.update(chunk)
        value = digest.hexdigest()
        if cached:
            self.cache.put(self.source, kind, value, stamp_before=before)
        return value

    def matches(self, remote: ops.RemoteFile) -> bool:
        """True if the Hub already has exactly this content at this path."""
        if remote.size != self.size:
            return False
        if remote.lfs_sha256:
            return remote.lfs_sha256 == self.sha256
        return remote.git_oid == self.git_oid

    def operation(self) -> Any:
        """The huggingface_hub CommitOperationAdd, reusing a sha256 already computed for the plan."""
        from huggingface_hub import CommitOperationAdd

        content = self.data if self.data is not None else str(self.source)
        op = CommitOperationAdd(path_in_repo=self.path, path_or_fileobj=content)
        if self._sha256 is not None and self.data is None:
            op.upload_info.sha256 = bytes.fromhex(self._sha256)
        return op


@dataclass
class PreparedRun:
    """Everything that will be published, checked locally: the card, its rendering and the model files."""

    run_dir: Path
    repo_id: str
    card: Any
    readme: str
    files: list[LocalFile]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    converted: bool = False

    @property
    def namespace(self) -> str:
        return self.repo_id.split("/", 1)[0]

    @property
    def widget_prompt(self) -> str:
        return (self.card.widget or [defaults.WIDGET_TEXT])[0]

    @property
    def wandb_run_path(self) -> str | None:
        """entity/project/run of the training run, as far as the card knows it."""
        w = self.card.wandb
        if w is None or not w.train_run:
            return None
        return "/".join(p for p in (w.entity, w.project or defaults.WANDB_PROJECT, w.train_run) if p)


# ---------------------------------------------------------------------------------------------------------
# Checks before any upload (all BadInputError subclasses: exit 2, nothing uploaded)


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
                runfiles.check_regular(run / entry.name)
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
    identity = runfiles.check_regular(path)
    if identity is None:
        return None
    if validate:
        validate_run_file(path)
    if identity.size <= runfiles.INLINE_BYTES and not name.endswith(".safetensors"):
        data, identity = runfiles.read_bytes(path, limit=runfiles.INLINE_BYTES)
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
        validate_content(path, runfiles.read_bytes(path, limit=limit)[0])


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
            raise runfiles.UnsafeFileError(
                f"{local.source}: not a file of the run directory {run}; not uploaded"
            )
        identity = runfiles.check_regular(local.source)
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
        index.data if index.data is not None else runfiles.read_bytes(where, limit=runfiles.MAX_JSON_BYTES)[0]
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


def render_and_check(card: Any, *, template: str, namespace: str) -> str:
    """README.md from the card; a card that fails `publisher check` is CardCheckError."""
    from publisher.card.check import check_card_text
    from publisher.card.render import render_card

    readme = render_card(card, template=template, namespace=namespace)
    problems = check_card_text(readme)
    errors = [p for p in problems if p.severity == "error"]
    for problem in problems:
        if problem.severity != "error":
            warn(f"README.md{f':{problem.line}' if problem.line else ''}: {problem.message}")
    if errors:
        lines = "; ".join(f"line {p.line}: {p.message}" if p.line else p.message for p in errors)
        raise CardCheckError(f"the rendered README.md fails the card check: {lines}")
    return readme


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


def resolve_repo_id(card: Any, repo_id: str | None, namespace: str) -> str:
    """--repo-id, else the card's repo_id, else namespace/<handles>; always `namespace/name`."""
    from publisher.naming import repo_id_problem

    chosen = repo_id or card.effective_repo_id(namespace)
    if "/" not in chosen:
        chosen = f"{namespace}/{chosen}"
    problem = repo_id_problem(chosen)
    if problem:
        source = (
            "--repo-id"
            if repo_id
            else ("card.json repo_id" if card.repo_id else "--namespace and the handles")
        )
        raise BadInputError(f"{source}: {problem}")
    return chosen


def prepare_run(
    run_dir: str | Path,
    *,
    repo_id: str | None = None,
    namespace: str = defaults.NAMESPACE,
    template: str = defaults.TEMPLATE,
    allow_pickle: bool = False,
    workdir: Path,
    hash_cache: Any = None,
    endpoint: str = "",
    revision: str = "main",
    sync_wandb: bool = False,
    settings: Settings | None = None,
) -> PreparedRun:
    """Every local check, before any network call: card, rendering, model files; converts .bin weights.

    `hash_cache` (publisher.publish.hashcache.HashCache) serves the hashes of run-directory files unchanged since
    they were last hashed. `endpoint` and `revision` are where the card's pictures will be
    (publisher.publish.pictures). The card links only W&B runs that
    exist online; `sync_wandb` (W&B online) first syncs the offline ones with `wandb sync` (the one network
    call here). `settings`: the environment as publisher reads it (default: this process's)."""
    from publisher.card.manifest import dumps_manifest, load_manifest
    from publisher.training.wandb_runs import settle_links

    run = Path(run_dir)
    if not run.is_dir():
        raise BadInputError(f"{run}: not a run directory")
    check_run_entries(run)
    card = load_manifest(run / CARD_JSON)
    for message in card.warnings:
        warn(f"{run / CARD_JSON}: {message}")
    chosen = resolve_repo_id(card, repo_id, namespace)
    settings = settings if settings is not None else Settings.from_env()
    card = settle_links(replace(card, repo_id=chosen), run, settings, sync=sync_wandb)
    from publisher.publish.pictures import attach_pictures

    card, pictures = attach_pictures(
        card, run, template=template, endpoint=endpoint, revision=revision, repo_id=chosen
    )
    readme = render_and_check(card, template=template, namespace=chosen.split("/", 1)[0])

    skipped: list[tuple[str, str]] = []
    converted = False
    weights = run / SAFETENSORS
    if not weights.exists() and not (run / SAFETENSORS_INDEX).exists():
        if not (run / PICKLE_WEIGHTS).exists():
            raise BadInputError(
                f"{run}: no weights ({SAFETENSORS} or {PICKLE_WEIGHTS}) found: the run is not trained",
                hint=f"train it first: publisher train {run}",
            )
        check_model_files(run, run / PICKLE_WEIGHTS)
        weights = convert_bin_to_safetensors(run, workdir)
        converted = True
    check_model_files(run, weights)

    files = [
        LocalFile(README, data=readme.encode("utf-8")),
        LocalFile(CARD_JSON, data=dumps_manifest(card).encode()),
    ]
    files += [
        LocalFile(p.path, source=p.source, data=p.data, cache=hash_cache if p.source else None)
        for p in pictures
    ]
    for name in MODEL_FILES:
        if name == SAFETENSORS and converted:
            files.append(LocalFile(SAFETENSORS, source=weights))
        elif (local := run_file(run, name, cache=hash_cache)) is not None:
            files.append(local)
    files += [run_file(run, name, cache=hash_cache) for name in shard_names(run)]  # type: ignore[misc]
    check_shard_index(run, files)
    for name in sorted(n for n in os.listdir(run) if Path(n).suffix in PICKLE_SUFFIXES):
        if runfiles.check_regular(run / name) is None:
            continue
        if allow_pickle:
            files.append(run_file(run, name, validate=False, cache=hash_cache))  # type: ignore[arg-type]
        else:
            skipped.append((name, "pickle: not uploaded (use --allow-pickle)"))
    check_sources(files, run, workdir)
    return PreparedRun(run, chosen, card, readme, files, skipped, converted)


# ---------------------------------------------------------------------------------------------------------
# The plan


@dataclass(frozen=True)
class PlanEntry:
    path: str
    status: str  # added | changed | unchanged
    size: int
    remote_size: int | None = None


@dataclass
class Plan:
    """What a publish would do against one remote state."""

    repo_id: str
    revision: str
    remote: ops.RemoteState
    entries: list[PlanEntry]
    to_send: list[LocalFile]

    @property
    def changes(self) -> bool:
        return bool(self.to_send)

    @property
    def bytes_to_send(self) -> int:
        return sum(f.size for f in self.to_send)

    def as_json(self) -> list[dict[str, Any]]:
        return [{"path": e.path, "status": e.status, "size": e.size} for e in self.entries]


def plan_publish(prepared: PreparedRun, remote: ops.RemoteState) -> Plan:
    """Compare every local file with the Hub's copy; only added or changed files are sent."""
    entries: list[PlanEntry] = []
    to_send: list[LocalFile] = []
    for local in prepared.files:
        theirs = remote.files.get(local.path)
        if theirs is None:
            status = "added"
        elif local.matches(theirs):
            status = "unchanged"
        else:
            status = "changed"
        entries.append(PlanEntry(local.path, status, local.size, theirs.size if theirs else None))
        if status != "unchanged":
            to_send.append(local)
    return Plan(prepared.repo_id, remote.revision, remote, entries, to_send)


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"


def format_plan(plan: Plan, skipped: Sequence[tuple[str, str]] = ()) -> str:
    head = (
        plan.remote.head[:12]
        if plan.remote.head
        else ("new repo" if not plan.remote.exists else "new branch")
    )
    lines = [f"plan for {plan.repo_id} ({plan.revision} @ {head}):"]
    width = max((len(e.path) for e in plan.entries), default=10)
    for entry in plan.entries:
        lines.append(f"  {entry.status:<9} {entry.path:<{width}}  {human_size(entry.size)}")
    for name, reason in skipped:
        lines.append(f"  {'skipped':<9} {name:<{width}}  {reason}")
    local = {e.path for e in plan.entries}
    for name in sorted(set(plan.remote.files) - local - {".gitattributes"}):
        lines.append(f"  {'kept':<9} {name:<{width}}  on the Hub, not in the run directory (left as is)")
    n_send = len(plan.to_send)
    lines.append(
        f"  {n_send} file(s) to send, {human_size(plan.bytes_to_send)}" if n_send else "  nothing to send"
    )
    return "\n".join(lines)


def readme_diff(remote_text: str | None, local_text: str, repo_id: str) -> str:
    """Unified diff of README.md on the Hub against the card about to be published."""
    old = (remote_text or "").splitlines(keepends=True)
    new = local_text.splitlines(keepends=True)
    return "".join(
        difflib.unified_diff(old, new, fromfile=f"{repo_id}/README.md (Hub)", tofile="README.md (local)")
    )


# ---------------------------------------------------------------------------------------------------------
# Publish


@dataclass
class PublishOptions:
    run_dir: Path
    hub: str = "auto"
    hub_root: str = defaults.HUB_ROOT
    repo_id: str | None = None
    namespace: str = defaults.NAMESPACE
    template: str = defaults.TEMPLATE
    private: bool = False
    revision: str = "main"
    create_pr: bool = False
    tag: str | None = None
    commit_message: str | None = None
    dry_run: bool = False
    verify: bool = True
    allow_pickle: bool = False
    settings: Settings = field(default_factory=Settings.from_env)  # the environment, read once


@dataclass
class PublishResult:
    status: str  # published | unchanged | planned | failed
    repo_id: str | None = None
    hub: str | None = None
    endpoint: str | None = None
    model_url: str | None = None
    commit_sha: str | None = None
    commit_url: str | None = None
    pr_url: str | None = None
    pr_existing: bool = False  # --create-pr found an open PR with this content and opened none
    private: bool | None = None  # the repo's visibility after the publish (None: not known)
    visibility_changed: bool = False  # --private made an existing public repo private
    tag: str | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    verification: dict[str, Any] | None = None
    wandb: str | None = None
    readme_diff: str | None = None
    error: dict[str, str | None] | None = None  # {code, message, hint}: publisher.errors.error_object
    browse: str | None = None  # set when the hub was started for this publish: how to bring its pages back

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "repo_id": self.repo_id,
            "hub": self.hub,
            "model_url": self.model_url,
            "commit_sha": self.commit_sha,
            "commit_url": self.commit_url,
            "pr_url": self.pr_url,
            **({"pr_existing": True} if self.pr_existing else {}),
            "private": self.private,
            **({"visibility_changed": True} if self.visibility_changed else {}),
            "tag": self.tag,
            "files": self.files,
            "verification": self.verification,
            "wandb": self.wandb,
            **({"readme_diff": self.readme_diff} if self.readme_diff is not None else {}),
            **({"error": self.error} if self.error else {}),
            **({"browse": self.browse} if self.browse else {}),
        }


CARD_FILES = frozenset({README, CARD_JSON})
CARD_ONLY_TITLE = "Update model card"


def default_commit_message(prepared: PreparedRun, to_send: list[LocalFile] | None = None) -> str:
    """Names the model and the W&B training run it came from; a commit of only the card says just that."""
    if to_send and {f.path for f in to_send} <= CARD_FILES:
        return CARD_ONLY_TITLE
    handles = ", ".join(f"@{h}" for h in prepared.card.handles)
    run = prepared.wandb_run_path
    trained = f" (W&B training run {run})" if run else " (no W&B training run recorded)"
    return f"Publish {prepared.repo_id}: model trained on {handles}'s tweets{trained}"


@contextmanager
def _workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="publisher-publish-") as tmp:
        yield Path(tmp)


def publish(options: PublishOptions, result: PublishResult | None = None) -> PublishResult:
    """The whole publish: local checks, target, access check, plan, one commit or none, tag, verify, back-link.

    Raises PublisherError subclasses; a verification failure returns status "failed" (the caller exits 1).
    `result` is filled in as things become known (repo, hub, plan), so a caller whose publish raised can still
    report everything that was known when it failed.
    """
    from publisher.publish.hashcache import HashCache

    result = result if result is not None else PublishResult(status="planned")
    result.repo_id = options.repo_id or result.repo_id
    target = resolve_target(options.hub, hub_root=options.hub_root)
    result.hub = target.kind
    hashes = HashCache.default()
    with _workdir() as work:
        prepared = prepare_run(
            options.run_dir,
            repo_id=options.repo_id,
            namespace=options.namespace,
            template=options.template,
            allow_pickle=options.allow_pickle,
            workdir=work,
            hash_cache=hashes,
            endpoint=target.endpoint,
            revision=options.revision,
            sync_wandb=wandb_runs.is_online(options.settings) and not options.dry_run,
            settings=options.settings,
        )
        result.repo_id = prepared.repo_id
        try:
            with connect(target) as target:
                result.endpoint = target.endpoint
                result.model_url = ops.model_page_url(target.endpoint, prepared.repo_id)
                try:
                    return _publish_to(target, prepared, options, result)
                finally:
                    if target.started_here:
                        _point_urls_at_make_hub(result, target.endpoint)
        finally:
            hashes.save()


MAKE_HUB_URL = "http://127.0.0.1:8777"  # where `make hub` serves the local hub's pages (Makefile HUB_PORT)


def _point_urls_at_make_hub(result: PublishResult, endpoint: str) -> None:
    """A hub started for this publish stops with it: its port's URLs would be dead, so the JSON names the
    pages at the address `make hub` serves them on, and says so in `browse`."""
    base = endpoint.rstrip("/")
    for name in ("model_url", "commit_url", "pr_url"):
        url = getattr(result, name)
        if url and url.startswith(base):
            setattr(result, name, MAKE_HUB_URL + url[len(base) :])
    result.browse = f"run `make hub` (publisher hub serve --port 8777), then open {MAKE_HUB_URL}/"


def _publish_to(
    target: HubTarget, prepared: PreparedRun, options: PublishOptions, result: PublishResult
) -> PublishResult:
    api = hub_api(target)
    ep = target.endpoint
    ops.check_write_access(api, prepared.namespace, target=target)
    remote = ops.remote_state(api, prepared.repo_id, revision=options.revision, endpoint=ep)
    if remote.exists and remote.head is None and options.revision != "main":
        base = ops.remote_state(api, prepared.repo_id, revision="main", endpoint=ep)
        remote = replace(base, revision=options.revision)
    plan = plan_publish(prepared, remote)
    info(format_plan(plan, prepared.skipped))
    result.status = "planned"
    result.files = plan.as_json()
    if options.tag and not options.create_pr and remote.exists:
        _check_tag_is_free(api, prepared.repo_id, options.tag, remote.head if not plan.changes else None, ep)
    result.private = remote.private if remote.exists else options.private
    if options.private and remote.private is False:
        _apply_private(api, prepared.repo_id, options.dry_run, ep, result)
    if options.dry_run:
        return _dry_run(api, target, prepared, remote, result)
    if not plan.changes:
        result.status = "unchanged"
        result.commit_sha = remote.head
        result.commit_url = ops.commit_page_url(ep, prepared.repo_id, remote.head) if remote.head else None
        info(f"unchanged: {prepared.repo_id} already holds this model and card ({(remote.head or '')[:12]})")
    elif options.create_pr and (existing := _identical_open_pr(api, prepared, plan, options.revision, ep)):
        result.status, result.commit_sha, result.pr_url, result.pr_existing = (
            "unchanged",
            existing.head,
            existing.url,
            True,
        )
        result.commit_url = ops.commit_page_url(ep, prepared.repo_id, existing.head)
        info(f"unchanged: pull request #{existing.number} already holds this model and card: {existing.url}")
    else:
        _commit_plan(api, target, prepared, plan, options, result)
    sha = result.commit_sha
    if options.tag and options.create_pr:
        info(f"--tag {options.tag} ignored: a pull request is not a release (tag after merging)")
    if options.tag and sha and not options.create_pr:
        created = ops.tag_commit(
            api, prepared.repo_id, options.tag, sha, message=result_title(prepared), endpoint=ep
        )
        result.tag = options.tag
        info(f"tag {options.tag} {'created' if created else 'already'} at {sha[:12]}")
    if options.verify and sha and result.status == "published":
        _verify(target, prepared, sha, result)
    elif options.verify and sha and result.status == "unchanged":
        info("verification skipped: nothing changed since the last publish")
    if result.status == "published":
        result.wandb = record_wandb_backlink(prepared, ep, sha, options.settings)
    if result.status in ("published", "unchanged"):
        if target.started_here:
            info(
                f"the local hub started for this publish stops now; to browse it, run `make hub` (or publisher "
                f"hub serve --root {target.hub_root} --port 8777), then open {MAKE_HUB_URL}/{prepared.repo_id}"
            )
        else:
            info(f"model page: {result.model_url}")
    return result


def _apply_private(api: Any, repo_id: str, dry_run: bool, endpoint: str, result: PublishResult) -> None:
    """--private on an existing public repo makes it private, before any upload (so new files are never
    public), whether or not there is anything else to change. Nothing ever makes a repo public."""
    if dry_run:
        info(f"dry run: would make {repo_id} private (it is public)")
        return
    ops.make_private(api, repo_id, endpoint=endpoint)
    result.private, result.visibility_changed = True, True
    info(f"visibility: {repo_id} was public and is now private (--private)")


def _identical_open_pr(
    api: Any, prepared: PreparedRun, plan: Plan, base: str, endpoint: str
) -> ops.OpenPullRequest | None:
    """An open PR against `base` whose head already holds every planned file (same oids): re-running
    `--create-pr` must not open a second PR. Its README.md carries this tool's template marker, so equal
    content means this tool made it."""
    if not plan.remote.exists:
        return None
    for pr in ops.open_pull_requests(api, prepared.repo_id, base=base, endpoint=endpoint):
        files = ops.list_files(api, prepared.repo_id, revision=pr.head, endpoint=endpoint)
        head = replace(plan.remote, head=pr.head, revision=f"refs/pr/{pr.number}", files=files)
        if not plan_publish(prepared, head).changes:
            return pr
    return None


def _check_tag_is_free(api: Any, repo_id: str, tag: str, allowed_sha: str | None, endpoint: str) -> None:
    """Before uploading: a release tag that already names another commit would fail after the commit (409)."""
    refs = call_with_retries("list refs", api.list_repo_refs, repo_id, where=endpoint)
    for existing in refs.tags:
        if existing.name == tag and existing.target_commit != allowed_sha:
            raise BadInputError(
                f"tag {tag!r} already exists on {repo_id} (at {existing.target_commit[:12]}); nothing was uploaded",
                hint="release tags are immutable: choose a new tag",
            )


def result_title(prepared: PreparedRun) -> str:
    return f"publisher release of {prepared.repo_id}"


def _dry_run(
    api: Any,
    target: HubTarget,
    prepared: PreparedRun,
    remote: ops.RemoteState,
    result: PublishResult,
) -> PublishResult:
    """Plan + README diff; reads only (no create_repo, no validate-yaml, no commit)."""
    remote_readme = None
    if remote.head and README in remote.files:
        remote_readme = ops.download_text(
            api, prepared.repo_id, README, revision=remote.head, endpoint=target.endpoint
        )
    diff = readme_diff(remote_readme, prepared.readme, prepared.repo_id)
    result.readme_diff = diff
    info(diff if diff else "README.md: no difference with the Hub")
    info("dry run: nothing was sent")
    return result


def _commit_plan(
    api: Any,
    target: HubTarget,
    prepared: PreparedRun,
    plan: Plan,
    options: PublishOptions,
    result: PublishResult,
) -> None:
    """create_repo (if needed) + one create_commit pinned to the planned head."""
    ep = target.endpoint
    remote = plan.remote
    for local in plan.to_send:  # the bytes hashed for the plan are the bytes sent
        if local.source is not None and local.identity is not None:
            runfiles.assert_unchanged(local.source, local.identity)
    created_head: str | None = None
    if not remote.exists:
        ops.ensure_repo(api, prepared.repo_id, private=options.private, endpoint=ep)
        # A new repo gets an initial commit (.gitattributes); plan against it so parent_commit is right.
        remote = ops.remote_state(api, prepared.repo_id, revision="main", endpoint=ep)
        plan = plan_publish(prepared, replace(remote, revision=options.revision))
        created_head = remote.head or ""
    try:
        landed = _send_commit(api, prepared, plan, remote, options, ep)
    except (Exception, KeyboardInterrupt) as exc:
        if created_head is not None:
            _remove_unused_new_repo(api, prepared.repo_id, created_head, ep, exc)
        raise
    result.status = "published"
    result.commit_sha = landed.sha
    result.commit_url = landed.url
    result.pr_url = landed.pr_url
    result.files = plan.as_json()
    # a hub started for this publish stops when it ends: its URLs would be dead, so none is printed
    where = "" if target.started_here else f": {landed.pr_url or landed.url}"
    info(f"published {prepared.repo_id} at {landed.sha[:12]}{where}")


def _send_commit(
    api: Any, prepared: PreparedRun, plan: Plan, remote: ops.RemoteState, options: PublishOptions, ep: str
) -> ops.CommitResult:
    """The branch (if one is asked for) and the one commit, pinned to the head the plan was made against."""
    if options.revision != "main" and not options.create_pr:
        ops.ensure_branch(api, prepared.repo_id, options.revision, endpoint=ep)
    message = options.commit_message or default_commit_message(prepared, plan.to_send)
    info(f"committing {len(plan.to_send)} file(s), {human_size(plan.bytes_to_send)} to {prepared.repo_id}")
    try:
        return ops.commit(
            api,
            prepared.repo_id,
            [f.operation() for f in plan.to_send],
            message=message,
            parent_commit=remote.head,
            revision=options.revision,
            create_pr=options.create_pr,
            endpoint=ep,
        )
    except HubError as exc:
        return _landed_despite(exc, api, prepared, options, ep)


def _remove_unused_new_repo(api: Any, repo_id: str, created_head: str, ep: str, exc: BaseException) -> None:
    """The first publish of a repo failed: delete the repo it created, if nothing was committed to it since,
    so no empty repo is left behind. Either way the error says what became of the repo."""
    try:
        now = ops.remote_state(api, repo_id, revision="main", endpoint=ep)
        if now.exists and now.head == (created_head or None) and set(now.files) <= {".gitattributes"}:
            call_with_retries("delete repo", api.delete_repo, repo_id, where=ep)
            outcome = (
                f"the new repo {repo_id} created for this publish was deleted again (nothing was published)"
            )
        elif now.exists:
            outcome = f"{repo_id} was created by this publish and has changed since; it was left as it is"
        else:
            outcome = f"the new repo {repo_id} no longer exists"
    except (Exception, KeyboardInterrupt) as cleanup:  # noqa: BLE001 - the first error is the one to report
        outcome = (
            f"the new repo {repo_id} created for this publish is left EMPTY (deleting it failed: "
            f"{getattr(cleanup, 'message', type(cleanup).__name__)}); delete it on the Hub or publish again"
        )
    warn(outcome)
    if isinstance(exc, PublisherError):
        exc.message = f"{exc.message} ({outcome})"


def _landed_despite(
    exc: HubError, api: Any, prepared: PreparedRun, options: PublishOptions, endpoint: str
) -> ops.CommitResult:
    """A 412 after a retry can mean our own commit landed and only its answer was lost: check the head."""
    if exc.status != 412 or options.create_pr:
        raise exc
    now = ops.remote_state(api, prepared.repo_id, revision=options.revision, endpoint=endpoint)
    if now.head and not plan_publish(prepared, now).changes:
        info("the commit had landed although its answer was lost; the repo holds this model")
        return ops.CommitResult(now.head, ops.commit_page_url(endpoint, prepared.repo_id, now.head))
    raise HubError(
        f"{prepared.repo_id} moved while publishing (someone else committed): {exc.message}",
        status=412,
        hint="run the publish again: it plans against the new head",
    ) from exc


def _verify(target: HubTarget, prepared: PreparedRun, sha: str, result: PublishResult) -> None:
    from publisher.publish.verify import verify_published

    verification = verify_published(target, prepared.repo_id, sha, prompt=prepared.widget_prompt)
    result.verification = verification.as_json()
    if verification.ok:
        info(f"verified: {prepared.repo_id}@{sha[:12]} downloads, loads and generates")
        info(f"sample: {printable(verification.sample or '')}")
    else:
        result.status = "failed"
        result.error = VerificationError(
            f"verification failed at {verification.stage}: {verification.error}"
        ).as_json()


def printable(text: str) -> str:
    """Generated text for a terminal: control characters shown as escapes, never interpreted."""
    return "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in text)


def record_wandb_backlink(
    prepared: PreparedRun, endpoint: str, sha: str | None, settings: Settings | None = None
) -> str:
    """Record the published model on its W&B training run as a reference artifact pinned to the commit sha,
    when W&B is online by the one rule (publisher.training.wandb_runs.is_online).

    Returns what happened (for the report); never fails the publish, which has already landed.
    """
    run_path = prepared.wandb_run_path
    if not run_path or not sha:
        return "skipped: the card names no W&B training run"
    if not wandb_runs.is_online(settings if settings is not None else Settings.from_env()):
        info("W&B back-link skipped: W&B is offline (set WANDB_MODE=online and log in to record it)")
        return "skipped: W&B is offline"
    try:
        import wandb

        w = prepared.card.wandb
        run = wandb.init(
            id=w.train_run,
            project=w.project or defaults.WANDB_PROJECT,
            entity=w.entity,
            resume="must",
            job_type="publish",
            settings=wandb.Settings(silent=True),
        )
        artifact = wandb.Artifact(
            name=f"hub-{prepared.repo_id.replace('/', '--')}",
            type="model",
            metadata={"repo_id": prepared.repo_id, "commit": sha, "endpoint": endpoint},
        )
        artifact.add_reference(f"{endpoint}/{prepared.repo_id}/tree/{sha}", name="hub-model", checksum=False)
        run.log_artifact(artifact, aliases=[sha[:12]])
        run.finish()
    except Exception as exc:  # noqa: BLE001 - the model is published; say what failed and go on
        warn(f"W&B back-link failed: {type(exc).__name__}: {exc}")
        return f"failed: {type(exc).__name__}"
    return f"recorded on {run_path} (pinned to {sha[:12]})"


__all__ = [
    "LocalFile", "PreparedRun", "Plan", "PlanEntry", "PublishOptions", "PublishResult",
    "prepare_run", "plan_publish", "format_plan", "readme_diff", "publish", "safetensors_header",
    "check_model_files", "render_and_check", "PublisherError",
]  # fmt: skip
