"""What a publish would do: the run prepared locally (card, rendering, model files; no network), and the
plan against one remote state (which files are added, changed or unchanged, by comparing oids).

Unchanged files are compared with the Hub's own oids (sha256 for LFS files, the git blob sha1 for regular
ones, hub-api.md §3), so they are never re-sent, and a publish that changes nothing makes no commit at all.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from publisher import defaults
from publisher._util import regular_files
from publisher.errors import BadInputError, CardCheckError
from publisher.hubclient import ops
from publisher.output import warn
from publisher.publish.files import LocalFile
from publisher.publish.modelcheck import (
    CARD_JSON,
    MODEL_FILES,
    PICKLE_SUFFIXES,
    PICKLE_WEIGHTS,
    README,
    SAFETENSORS,
    SAFETENSORS_INDEX,
    check_model_files,
    check_run_entries,
    check_shard_index,
    check_sources,
    convert_bin_to_safetensors,
    run_file,
    shard_names,
)
from publisher.settings import Settings


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
        if regular_files.check_regular(run / name) is None:
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
        entries.append(PlanEntry(local.path, status, local.size))
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
