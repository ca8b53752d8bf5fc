"""Publish a trained run directory: README.md + card.json + model files in one verified commit.

The flow is a chain of plain functions:

    plan.prepare_run(run_dir)         local checks, card rendering, .bin -> safetensors (no network)
    plan.plan_publish(local, remote)  which files are added / changed / unchanged, by comparing oids
    publish(options)                  target, write-access check, plan, one commit (or none), tag, verify, back-link
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from publisher import defaults
from publisher._util import regular_files
from publisher.errors import BadInputError, HubError, PublisherError, VerificationError
from publisher.hubclient import ops
from publisher.hubclient.retry import call_with_retries
from publisher.hubclient.target import HubTarget, connect, hub_api, resolve_target
from publisher.output import info, warn
from publisher.publish.files import LocalFile
from publisher.publish.modelcheck import CARD_JSON, README
from publisher.publish.plan import (
    Plan,
    PreparedRun,
    format_plan,
    human_size,
    plan_publish,
    prepare_run,
    readme_diff,
)
from publisher.settings import Settings
from publisher.training import wandb_runs


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


@dataclass(frozen=True)
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


class Progress:
    """What a publish has learned so far, as one immutable PublishResult per step: `publish` returns the
    final one, and a caller whose publish raised reports `last` (repo, hub, plan, commit: whatever was known)."""

    def __init__(self, first: PublishResult) -> None:
        self.last = first

    def know(self, **learned: Any) -> PublishResult:
        self.last = replace(self.last, **learned)
        return self.last


@dataclass(frozen=True)
class Landing:
    """How the planned files reached the Hub: a new commit, an unchanged head, or an identical open PR."""

    status: str  # published | unchanged
    commit_sha: str | None
    commit_url: str | None
    pr_url: str | None = None
    pr_existing: bool = False
    files: list[dict[str, Any]] | None = None  # the plan as committed (a new repo is planned again)

    def learned(self) -> dict[str, Any]:
        """The PublishResult fields this landing sets."""
        fields = {
            "status": self.status,
            "commit_sha": self.commit_sha,
            "commit_url": self.commit_url,
            "pr_url": self.pr_url,
            "pr_existing": self.pr_existing,
        }
        return fields if self.files is None else {**fields, "files": self.files}


def publish(options: PublishOptions, progress: Progress | None = None) -> PublishResult:
    """The whole publish: local checks, target, access check, plan, one commit or none, tag, verify, back-link.

    Raises PublisherError subclasses; a verification failure returns status "failed" (the caller exits 1).
    `progress.last` is what was known when it raised (repo, hub, plan), for the caller's report.
    """
    from publisher.publish.hashcache import HashCache

    progress = progress if progress is not None else Progress(PublishResult(status="planned"))
    progress.know(repo_id=options.repo_id or progress.last.repo_id)
    target = resolve_target(options.hub, hub_root=options.hub_root)
    progress.know(hub=target.kind)
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
        progress.know(repo_id=prepared.repo_id)
        try:
            with connect(target) as target:
                progress.know(
                    endpoint=target.endpoint, model_url=ops.model_page_url(target.endpoint, prepared.repo_id)
                )
                try:
                    _publish_to(target, prepared, options, progress)
                finally:
                    if target.started_here:
                        progress.last = _at_make_hub(progress.last, target.endpoint)
        finally:
            hashes.save()
    return progress.last


MAKE_HUB_URL = "http://127.0.0.1:8777"  # where `make hub` serves the local hub's pages (Makefile HUB_PORT)


def _at_make_hub(result: PublishResult, endpoint: str) -> PublishResult:
    """A hub started for this publish stops with it: its port's URLs would be dead, so the JSON names the
    pages at the address `make hub` serves them on, and says so in `browse`."""
    base = endpoint.rstrip("/")
    moved = {
        name: MAKE_HUB_URL + url[len(base) :]
        for name in ("model_url", "commit_url", "pr_url")
        if (url := getattr(result, name)) and url.startswith(base)
    }
    browse = f"run `make hub` (publisher hub serve --port 8777), then open {MAKE_HUB_URL}/"
    return replace(result, **moved, browse=browse)


def _publish_to(
    target: HubTarget, prepared: PreparedRun, options: PublishOptions, progress: Progress
) -> None:
    """Access check, plan, visibility, then (unless --dry-run) landing, tag, verification and back-link;
    each step returns what it did, and `progress` records it."""
    api = hub_api(target)
    ep = target.endpoint
    ops.check_write_access(api, prepared.namespace, target=target)
    remote = _remote_state(api, prepared.repo_id, options.revision, ep)
    plan = plan_publish(prepared, remote)
    info(format_plan(plan, prepared.skipped))
    progress.know(status="planned", files=plan.as_json())
    if options.tag and not options.create_pr and remote.exists:
        _check_tag_is_free(api, prepared.repo_id, options.tag, remote.head if not plan.changes else None, ep)
    progress.know(private=remote.private if remote.exists else options.private)
    if (
        options.private
        and remote.private is False
        and _apply_private(api, prepared.repo_id, options.dry_run, ep)
    ):
        progress.know(private=True, visibility_changed=True)
    if options.dry_run:
        progress.know(readme_diff=_dry_run(api, target, prepared, remote))
        return
    landing = _land(api, target, prepared, plan, options)
    progress.know(**landing.learned())
    sha = landing.commit_sha
    if (tag := _tag(api, prepared, options, sha, ep)) is not None:
        progress.know(tag=tag)
    if options.verify and sha and landing.status == "published":
        progress.know(**_verify(target, prepared, sha))
    elif options.verify and sha and landing.status == "unchanged":
        info("verification skipped: nothing changed since the last publish")
    if progress.last.status == "published":
        progress.know(wandb=record_wandb_backlink(prepared, ep, sha, options.settings))
    if progress.last.status in ("published", "unchanged"):
        _say_where(target, prepared, progress.last.model_url)


def _remote_state(api: Any, repo_id: str, revision: str, ep: str) -> ops.RemoteState:
    """The Hub's state at `revision`; a branch that does not exist yet starts from main."""
    remote = ops.remote_state(api, repo_id, revision=revision, endpoint=ep)
    if remote.exists and remote.head is None and revision != "main":
        base = ops.remote_state(api, repo_id, revision="main", endpoint=ep)
        remote = replace(base, revision=revision)
    return remote


def _land(api: Any, target: HubTarget, prepared: PreparedRun, plan: Plan, options: PublishOptions) -> Landing:
    """Nothing to send (no commit), an identical open PR (none opened), or the one commit."""
    ep = target.endpoint
    remote = plan.remote
    if not plan.changes:
        info(f"unchanged: {prepared.repo_id} already holds this model and card ({(remote.head or '')[:12]})")
        url = ops.commit_page_url(ep, prepared.repo_id, remote.head) if remote.head else None
        return Landing("unchanged", remote.head, url)
    if options.create_pr and (existing := _identical_open_pr(api, prepared, plan, options.revision, ep)):
        info(f"unchanged: pull request #{existing.number} already holds this model and card: {existing.url}")
        url = ops.commit_page_url(ep, prepared.repo_id, existing.head)
        return Landing("unchanged", existing.head, url, existing.url, pr_existing=True)
    return _commit_plan(api, target, prepared, plan, options)


def _tag(api: Any, prepared: PreparedRun, options: PublishOptions, sha: str | None, ep: str) -> str | None:
    """--tag on the commit the repo now holds (not on a pull request: that is not a release)."""
    if options.tag and options.create_pr:
        info(f"--tag {options.tag} ignored: a pull request is not a release (tag after merging)")
    if not (options.tag and sha and not options.create_pr):
        return None
    created = ops.tag_commit(
        api, prepared.repo_id, options.tag, sha, message=result_title(prepared), endpoint=ep
    )
    info(f"tag {options.tag} {'created' if created else 'already'} at {sha[:12]}")
    return options.tag


def _say_where(target: HubTarget, prepared: PreparedRun, model_url: str | None) -> None:
    """Where to look at the result (a hub started for this publish stops now: say how to bring it back)."""
    if target.started_here:
        info(
            f"the local hub started for this publish stops now; to browse it, run `make hub` (or publisher "
            f"hub serve --root {target.hub_root} --port 8777), then open {MAKE_HUB_URL}/{prepared.repo_id}"
        )
    else:
        info(f"model page: {model_url}")


def _apply_private(api: Any, repo_id: str, dry_run: bool, endpoint: str) -> bool:
    """--private on an existing public repo makes it private, before any upload (so new files are never
    public), whether or not there is anything else to change. Nothing ever makes a repo public.
    True when the visibility changed."""
    if dry_run:
        info(f"dry run: would make {repo_id} private (it is public)")
        return False
    ops.make_private(api, repo_id, endpoint=endpoint)
    info(f"visibility: {repo_id} was public and is now private (--private)")
    return True


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


def _dry_run(api: Any, target: HubTarget, prepared: PreparedRun, remote: ops.RemoteState) -> str:
    """Plan + README diff; reads only (no create_repo, no validate-yaml, no commit). Returns the diff."""
    remote_readme = None
    if remote.head and README in remote.files:
        remote_readme = ops.download_text(
            api, prepared.repo_id, README, revision=remote.head, endpoint=target.endpoint
        )
    diff = readme_diff(remote_readme, prepared.readme, prepared.repo_id)
    info(diff if diff else "README.md: no difference with the Hub")
    info("dry run: nothing was sent")
    return diff


def _commit_plan(
    api: Any, target: HubTarget, prepared: PreparedRun, plan: Plan, options: PublishOptions
) -> Landing:
    """create_repo (if needed) + one create_commit pinned to the planned head."""
    ep = target.endpoint
    remote = plan.remote
    for local in plan.to_send:  # the bytes hashed for the plan are the bytes sent
        if local.source is not None and local.identity is not None:
            regular_files.assert_unchanged(local.source, local.identity)
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
    # a hub started for this publish stops when it ends: its URLs would be dead, so none is printed
    where = "" if target.started_here else f": {landed.pr_url or landed.url}"
    info(f"published {prepared.repo_id} at {landed.sha[:12]}{where}")
    return Landing("published", landed.sha, landed.url, landed.pr_url, files=plan.as_json())


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


def _verify(target: HubTarget, prepared: PreparedRun, sha: str) -> dict[str, Any]:
    """The published commit downloaded, loaded and sampled in a clean process; what the result learns."""
    from publisher.publish.verify import verify_published

    verification = verify_published(target, prepared.repo_id, sha, prompt=prepared.widget_prompt)
    if verification.ok:
        info(f"verified: {prepared.repo_id}@{sha[:12]} downloads, loads and generates")
        info(f"sample: {printable(verification.sample or '')}")
        return {"verification": verification.as_json()}
    error = VerificationError(f"verification failed at {verification.stage}: {verification.error}")
    return {"verification": verification.as_json(), "status": "failed", "error": error.as_json()}


def printable(text: str) -> str:
    """Generated text for a terminal: control characters shown as escapes, never interpreted."""
    return "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in text)


def record_wandb_backlink(
    prepared: PreparedRun, endpoint: str, sha: str | None, settings: Settings | None = None
) -> str:
    """Record the published model on its W&B training run (publisher.training.wandb_runs.log_backlink), when
    the card names one and W&B is online by the one rule. Returns what happened, for the report."""
    run_path = prepared.wandb_run_path
    if not run_path or not sha:
        return "skipped: the card names no W&B training run"
    settings = settings if settings is not None else Settings.from_env()
    return wandb_runs.log_backlink(prepared.card.wandb, run_path, prepared.repo_id, endpoint, sha, settings)
