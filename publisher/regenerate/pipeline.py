"""Bulk regeneration: listing -> shard/match -> per-repo read -> decide -> render -> commit or PR -> journal.

The command line only builds the targets and options; `run` does the work and returns a Report. A pipeline of
two stages: reads (and decisions) in one pool, and changed repos handed to a commit pool of its own, whose
commits also pass the hourly CommitPacer and the Hub's RateGate; the hub session bounds the requests in flight
of both pools together to `concurrency`. Each repo's outcome is journaled (fsync'ed) as soon as it is known,
and a `committing` intent is journaled before each commit, so a run killed at any moment resumes without a
second commit and without missing a repo. A state file (publisher.regenerate.state), when given, settles every repo
whose listed sha is the one it had when last decided or committed, with no request at all.
"""

from __future__ import annotations

import queue
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from publisher import defaults
from publisher.errors import PublisherError
from publisher.hubclient.errors import CommitConflict, CommitQuotaExceeded
from publisher.hubclient.pacing import CommitPacer
from publisher.hubclient.snapshot import CARD_JSON, README
from publisher.regenerate.decide import Decision, check_readme_offline, decide, unified_diff
from publisher.regenerate.journal import INTENT, Journal
from publisher.regenerate.report import RepoResult, Report
from publisher.regenerate.sources import Target
from publisher.regenerate.state import RepoState, status_note

TOOL_MARKER = "publisher regenerate"
"""Every commit and PR this tool makes carries this in its title, so its own open PRs can be recognised."""
COMMIT_TITLE = f"Regenerate model card ({TOOL_MARKER})"
QUOTA_WAIT = 60.0
"""Seconds to wait after a commit-quota 429 that says nothing of its reset (the pacer's cap then holds)."""


@dataclass(frozen=True)
class Options:
    template: str = defaults.TEMPLATE
    force: bool = False
    create_pr: bool = False
    concurrency: int = 8
    max_commits_per_hour: int | None = 100
    dry_run: bool = False
    read_only_namespaces: frozenset[str] = frozenset()
    """Namespaces the token may not write (whoami); a dry run reports their changed repos as failed."""


@dataclass
class _Pending:
    """A repo that was read and must be committed: handed from the read stage to the commit stage."""

    target: Target
    decision: Decision
    snapshot: Any
    intent: dict | None
    attempt: int


class _Run:
    """State shared by the two stages of one run: reading (and deciding) and committing.

    The stages run in separate pools of `concurrency` workers each, so reading never stalls behind the
    commits (which are longer, and paced): unchanged, edited and unsupported repos are settled at the pace
    of reads while the changed ones queue for commits. The requests in flight of both pools together are
    bounded by the hub session's request slots (`BulkHub(concurrency=...)`).
    """

    def __init__(self, hub, options: Options, journal: Journal | None, pacer: CommitPacer,
                 on_wait: Callable[[str], None] | None = None) -> None:  # fmt: skip
        self.hub = hub
        self.on_wait = on_wait
        self.options = options
        self.journal = journal
        self.pacer = pacer

    def read(self, target: Target) -> RepoResult | _Pending:
        """Stage 1: read the repo and decide; a changed repo comes back as _Pending for stage 2."""
        intent = (
            self.journal.pending_intent(target.repo_id) if self.journal and not self.options.dry_run else None
        )
        return self._guarded(target, lambda: self._read_and_decide(target, target.sha, target.files, intent))

    def commit(self, pending: _Pending) -> RepoResult:
        """Stage 2: commit a changed repo (a 412 re-reads the head and tries once more)."""
        return self._guarded(pending.target, lambda: self._commit(pending))

    def _guarded(self, target: Target, work: Callable[[], Any]) -> Any:
        try:
            return work()
        except PublisherError as exc:
            return RepoResult(target.repo_id, "failed", old_sha=target.sha, error=str(exc))
        except Exception as exc:  # noqa: BLE001 - one broken repo must not stop a bulk run
            from publisher.output import redact

            return RepoResult(
                target.repo_id, "failed", old_sha=target.sha, error=redact(f"{type(exc).__name__}: {exc}")
            )

    def _read_and_decide(
        self,
        target: Target,
        sha: str | None,
        files,
        intent: dict | None,
        *,
        uncertain: bool = False,
        attempt: int = 1,
    ) -> RepoResult | _Pending:
        # a dry run shows diffs, so it reads the README even when the listing's digest stands for it
        digest = target.readme_digest if attempt == 1 and not self.options.dry_run else None
        snapshot = self.hub.read(target.repo_id, sha=sha, files=files, readme_digest=digest)
        decision = decide(
            snapshot, template=self.options.template, force=self.options.force, local_card=target.local_card
        )
        landed = _our_commit_landed(decision, snapshot.sha, intent, uncertain)
        if landed is not None:
            return landed
        if decision.status != "changed":
            return _result(target.repo_id, decision, snapshot.sha)
        if self.options.dry_run:
            namespace = target.repo_id.split("/", 1)[0]
            if namespace in self.options.read_only_namespaces:
                return RepoResult(target.repo_id, "failed", old_sha=snapshot.sha, files=sorted(decision.files),
                                  error=f"no write access to namespace {namespace!r} (dry run: from whoami)")  # fmt: skip
            return self._planned(target.repo_id, decision, snapshot)
        return _Pending(target, decision, snapshot, intent, attempt)

    def _commit(self, pending: _Pending) -> RepoResult:
        target, snapshot = pending.target, pending.snapshot
        try:
            return self._write(target.repo_id, pending.decision, snapshot)
        except CommitConflict as exc:
            if pending.attempt == 2:
                return RepoResult(target.repo_id, "conflict", old_sha=snapshot.sha, error=str(exc))
            intent = pending.intent
            if exc.uncertain:  # an earlier try may have landed: recognise it rather than call it unchanged
                intent = intent or {"old_sha": snapshot.sha, "files": sorted(pending.decision.files)}
            # re-read the head of main (not the listing's sha) and decide again, once
            again = self._read_and_decide(target, None, None, intent, uncertain=exc.uncertain, attempt=2)
            return self._commit(again) if isinstance(again, _Pending) else again

    def _planned(self, repo_id: str, decision: Decision, snapshot) -> RepoResult:
        diff = unified_diff(repo_id, snapshot.readme, decision.new_readme) if README in decision.files else ""
        if CARD_JSON in decision.files:
            diff += unified_diff(repo_id, snapshot.card_json, decision.files[CARD_JSON], CARD_JSON)
        result = _result(repo_id, decision, snapshot.sha)
        result.note, result.diff = "dry run: nothing written", diff
        return result

    def _write(self, repo_id: str, decision: Decision, snapshot) -> RepoResult:
        result = _result(repo_id, decision, snapshot.sha)
        if self.options.create_pr:
            wanted = {
                README: decision.new_readme,
                CARD_JSON: decision.files.get(CARD_JSON, snapshot.card_json),
            }
            existing = self.hub.find_open_pr(repo_id, wanted, marker=TOOL_MARKER)
            if existing:
                result.pr_url, result.note = (
                    existing,
                    "an identical pull request from this tool is already open",
                )
                self.journal_result(result)
                return result
        while True:
            self.pacer.acquire()  # (the commit pool itself bounds the commits in flight)
            self.journal_result(
                RepoResult(repo_id, INTENT, old_sha=snapshot.sha, files=sorted(decision.files))
            )
            if README in decision.files:
                check_readme_offline(repo_id, decision.files[README])
            try:
                outcome = self.hub.commit(
                    repo_id,
                    decision.files,
                    parent_commit=snapshot.sha,
                    message=COMMIT_TITLE,
                    description=_commit_description(self.options.template, decision),
                    create_pr=self.options.create_pr,
                )
                break
            except CommitQuotaExceeded as exc:  # refused, not committed: wait for the quota, then again
                window = self.pacer.quota_reached()
                wait = (
                    exc.wait + 0.5 if exc.wait is not None else window if window is not None else QUOTA_WAIT
                )
                if self.on_wait is not None:
                    self.on_wait(
                        f"the Hub's hourly commit quota is reached: waiting {wait:.0f}s for the reset"
                    )
                self.hub.gate.pause(wait)
        result.new_sha, result.pr_url = outcome.sha, outcome.pr_url
        if outcome.noop:  # the head already held these bytes (read at an older sha): nothing was committed
            result.status, result.new_sha, result.files = "unchanged", None, []
            result.old_sha, result.note = outcome.sha, "already current at the head of main"
        self.journal_result(result)
        return result

    def journal_result(self, result: RepoResult) -> None:
        if self.journal is not None and not self.options.dry_run:
            self.journal.append(result.journal_record())
        result.journaled = True


def _result(repo_id: str, decision: Decision, sha: str | None) -> RepoResult:
    return RepoResult(
        repo_id,
        decision.status,
        old_sha=sha,
        error=decision.reason if decision.status == "failed" else None,
        note=decision.reason if decision.status in {"edited", "unsupported"} else None,
        files=sorted(decision.files),
        mojibake_repaired=decision.mojibake_repaired,
    )


def _our_commit_landed(
    decision: Decision, sha: str | None, intent: dict | None, uncertain: bool
) -> RepoResult | None:
    """After a kill or a lost answer, the card may already be what we wanted: that was our commit, not 'unchanged'."""
    if decision.status != "unchanged" or not (intent or uncertain):
        return None
    old = (intent or {}).get("old_sha")
    if old and sha == old:
        return None
    return RepoResult(
        "", "changed", old_sha=old, new_sha=sha, files=list((intent or {}).get("files") or []),
        note="recovered: the commit of an interrupted run had landed",
    )  # fmt: skip


def _commit_description(template: str, decision: Decision) -> str:
    lines = [
        f"Rendered with the `{template}` template by publisher regenerate. Only README.md and card.json change."
    ]
    if decision.mojibake_repaired:
        lines.append(f"Repaired {decision.mojibake_repaired} mis-decoded (mojibake) text field(s).")
    return "\n".join(lines)


def _pipeline(state: _Run, todo: list[Target], record: Callable[[RepoResult, Target], None]) -> None:
    """Read every target with `concurrency` readers; hand changed repos to a commit pool of the same size.

    Results arrive through one queue as futures complete (O(1) per repo, whatever the number of repos).
    """
    workers = max(1, state.options.concurrency)
    finished: queue.SimpleQueue = queue.SimpleQueue()
    with (
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="regen-read") as readers,
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="regen-commit") as committers,
    ):

        def _submit(pool: ThreadPoolExecutor, fn: Callable[[Any], Any], arg: Any, target: Target) -> None:
            pool.submit(fn, arg).add_done_callback(lambda future: finished.put((target, future)))

        for target in todo:
            _submit(readers, state.read, target, target)
        outstanding = len(todo)
        try:
            while outstanding:
                try:
                    target, future = finished.get(timeout=0.5)  # a timeout, so Ctrl-C is seen at once
                except queue.Empty:
                    continue
                outcome = future.result()
                if isinstance(outcome, _Pending):
                    _submit(committers, state.commit, outcome, target)
                    continue
                outstanding -= 1
                record(outcome, target)
        except (
            BaseException
        ):  # Ctrl-C: drop the queued repos, let commits in flight finish (journal stays true)
            stop = getattr(state.hub, "stop", None)
            if stop is not None:
                stop.set()  # sleepers (rate limits, the commit cap) wake up and give up
            readers.shutdown(wait=False, cancel_futures=True)
            committers.shutdown(wait=False, cancel_futures=True)
            raise


def run(
    targets: Iterable[Target],
    hub,
    options: Options,
    *,
    journal: Journal | None = None,
    on_result: Callable[[RepoResult], None] | None = None,
    pacer: CommitPacer | None = None,
    repo_state: RepoState | None = None,
    refresh: bool = False,
    on_wait: Callable[[str], None] | None = None,
) -> Report:
    """Process every target not already done according to the journal; return the report.

    With `repo_state` (and not `refresh`), a target whose listed sha is the one recorded for it is settled
    from the state file with no request; every outcome that holds at a known sha is recorded there.
    """
    started = time.monotonic()
    todo, skipped, settled = [], [], []
    order: dict[str, int] = {}
    for target in targets:
        order.setdefault(target.repo_id, len(order))
        if journal is not None and journal.is_done(target.repo_id):
            skipped.append(target)
        elif known := _known_status(target, repo_state, journal, refresh):
            settled.append(
                RepoResult(target.repo_id, known, old_sha=target.sha, note=status_note(known), journaled=True)
            )
        else:
            todo.append(target)
    if pacer is None:
        history = journal.commit_times() if journal is not None else ()
        stop = getattr(hub, "stop", None)
        pacer = CommitPacer(options.max_commits_per_hour, history=history, on_wait=on_wait,
                            **({"sleep": stop.sleep} if stop is not None else {}))  # fmt: skip
    state = _Run(hub, options, journal, pacer, on_wait)
    results: list[RepoResult] = []

    def _record(result: RepoResult, target: Target) -> None:  # called on this thread only
        result.repo = target.repo_id
        if not result.journaled:
            state.journal_result(result)
        if repo_state is not None and not options.dry_run and target.local_card is None:
            _remember(repo_state, result, create_pr=options.create_pr)
        results.append(result)
        if on_result is not None:
            on_result(result)

    for result in settled:
        results.append(result)
        if on_result is not None:
            on_result(result)
    try:
        _pipeline(state, todo, _record)
    finally:
        if repo_state is not None:
            repo_state.close()
    results.sort(key=lambda r: order.get(r.repo, sys.maxsize))
    return Report(
        results=results,
        skipped=[t.repo_id for t in skipped],
        dry_run=options.dry_run,
        template=options.template,
        elapsed=time.monotonic() - started,
        rate_limited=getattr(hub, "rate_limited", 0),
        retries=getattr(hub, "retries", 0),
        from_state=len(settled),
    )


def _known_status(
    target: Target, repo_state: RepoState | None, journal: Journal | None, refresh: bool
) -> str | None:
    """The status the state file holds for the target at its listed sha (never for an unfinished commit)."""
    if repo_state is None or refresh or target.sha is None or target.local_card is not None:
        return None
    if journal is not None and journal.pending_intent(target.repo_id):
        return None
    return repo_state.status_at(target.repo_id, target.sha)


def _remember(repo_state: RepoState, result: RepoResult, *, create_pr: bool) -> None:
    """Record what holds at a known sha: a committed card is current at its new sha; a PR leaves main as it was."""
    if result.status == "changed":
        if not create_pr and result.new_sha:
            repo_state.record(result.repo, result.new_sha, "unchanged")
        return
    repo_state.record(result.repo, result.old_sha, result.status)
