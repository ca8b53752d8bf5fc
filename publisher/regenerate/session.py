"""One regenerate run from its request: the Hub session, the targets, the journal and state, then the pipeline.

`publisher regenerate` (commands/regenerate.py) turns its options into a `Request` and calls `regenerate`;
everything between the options and the report happens here, so the command only parses and prints. The
progress display is the caller's (`make_progress`): this module writes nothing to the terminal but a warning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from publisher.output import info, warn
from publisher.regenerate.report import RepoResult, Report
from publisher.regenerate.sharding import in_shard, matches
from publisher.regenerate.sources import Target, listed_targets, local_targets, read_repo_file
from publisher.settings import Settings

LOCAL_COMMIT_CAP = 0
HUB_COMMIT_CAP = 100
"""Commits per sliding hour when --max-commits-per-hour is not given: none against a local hub; against the
Hub, under its hourly quota (about 128), which a 429 naming it lowers further."""


@dataclass(frozen=True)
class Request:
    """What one run is asked to do: exactly one source (author, repos_file or run_dirs) and its options."""

    template: str
    author: str | None = None
    repos_file: str | None = None
    run_dirs: tuple[str, ...] = ()
    pattern: str | None = None
    shard: tuple[int, int] | None = None
    force: bool = False
    create_pr: bool = False
    concurrency: int = 8
    max_commits_per_hour: int | None = None
    journal_path: str | None = None
    state_file: Path | None = None
    refresh: bool = False
    dry_run: bool = False
    hub: str = "auto"
    hub_root: str | None = None
    namespace: str | None = None


class Progress(Protocol):
    """What the run tells its display: each repo's result, and what it waits for."""

    def __call__(self, result: RepoResult) -> None: ...

    def note(self, message: str) -> None: ...

    def close(self) -> None: ...


def regenerate(request: Request, settings: Settings, make_progress: Callable[[int], Progress]) -> Report:
    """Connect, list or read the targets, and run the pipeline over them; the report of the whole run."""
    from publisher.hubclient.bulk import BulkHub, quiet_client_logging
    from publisher.hubclient.retry import retry_policy_from_env
    from publisher.hubclient.target import connect, is_loopback, resolve_target
    from publisher.regenerate.pipeline import Options, run

    target = resolve_target(request.hub, hub_root=request.hub_root or settings.hub_root)
    journal = _journal(request.journal_path)
    repo_state = _repo_state(request)
    with connect(target) as connected:
        quiet_client_logging()  # our summary says what happened; no per-call chatter
        # retry settings from PUBLISHER_HUB_RETRIES / _RETRY_WAIT, as publish; waits and retries before the
        # progress display exists (whoami, the listing) are printed as lines
        bulk = BulkHub(connected.endpoint, connected.token, concurrency=request.concurrency,
                       policy=retry_policy_from_env(), on_retry=lambda m: info(f"regenerate: {m}"))  # fmt: skip
        bulk.whoami()  # a bad token fails here once (exit 2), not once per repo
        # the cards' front matter only when no state file settles repos (a first run, or --refresh)
        first_run = repo_state is None or request.refresh or not len(repo_state)
        targets = _targets(request, bulk, settings, card_data=first_run)
        if not targets:
            warn("no repository matches: nothing to do")
        read_only = (
            read_only_namespaces(bulk, connected, {t.repo_id.split("/", 1)[0] for t in targets})
            if request.dry_run
            else set()
        )
        cap = request.max_commits_per_hour
        if cap is None:
            cap = (
                LOCAL_COMMIT_CAP if connected.is_local or is_loopback(connected.endpoint) else HUB_COMMIT_CAP
            )
        options = Options(template=request.template, force=request.force, create_pr=request.create_pr,
                          concurrency=request.concurrency, max_commits_per_hour=cap or None,
                          dry_run=request.dry_run, read_only_namespaces=frozenset(read_only))  # fmt: skip
        todo = sum(1 for t in targets if journal is None or not journal.is_done(t.repo_id))
        progress = make_progress(todo)
        bulk.on_retry = progress.note
        try:
            return run(targets, bulk, options, journal=journal, on_result=progress, repo_state=repo_state,
                       refresh=request.refresh, on_wait=progress.note)  # fmt: skip
        finally:
            progress.close()
            if journal is not None:
                journal.close()


def _journal(path: str | None):
    if not path:
        return None
    from publisher.regenerate.journal import Journal

    return Journal(path)


def _repo_state(request: Request):
    if request.state_file is None:
        return None
    from publisher.regenerate.state import RepoState, decision_context

    return RepoState(request.state_file, decision_context(request.template, force=request.force))


def _targets(request: Request, bulk, settings: Settings, *, card_data: bool) -> list[Target]:
    """The repos of the one source, each once, filtered by --match and --shard."""
    if request.author:
        targets = listed_targets(bulk.list_models(request.author, card_data=card_data))
    elif request.repos_file:
        targets = [Target(r) for r in read_repo_file(request.repos_file)]
    else:
        namespace = request.namespace or settings.namespace
        targets = local_targets(request.run_dirs, namespace=namespace, settings=settings)
    unique = dict((t.repo_id, t) for t in targets).values()  # the last mention of a repo wins
    return [t for t in unique if matches(t.repo_id, request.pattern) and in_shard(t.repo_id, request.shard)]


def read_only_namespaces(bulk, target, namespaces: set[str]) -> set[str]:
    """Namespaces the token may not write, by the same rule as `publish` (whoami orgs; the local hub's user)."""
    from publisher.errors import AuthError
    from publisher.hubclient.ops import check_write_access

    denied = set()
    for namespace in sorted(namespaces):
        try:
            check_write_access(bulk.api, namespace, target=target)
        except AuthError:
            denied.add(namespace)
    return denied
