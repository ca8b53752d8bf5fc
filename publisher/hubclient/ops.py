"""The single Hub calls of a publish, each retried through hubclient.retry and mapped through
hubclient.errors: identity and write access, repository state, repo/branch creation, commits, PRs, tags.

    api = hub_api(target)                                  # hubclient.target
    user = check_write_access(api, "huggingtweets", target=target)
    state = remote_state(api, "huggingtweets/demo")
    result = commit(api, "huggingtweets/demo", operations, message=..., parent_commit=state.head)

Every function imports huggingface_hub only inside, so importing this module stays light.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from publisher.errors import AuthError, HubError
from publisher.hubclient.retry import RetryPolicy, call_with_retries
from publisher.hubclient.target import LOCAL_HUB_USER, HubTarget, is_loopback

if TYPE_CHECKING:
    from huggingface_hub import HfApi


def whoami(api: HfApi, *, endpoint: str = "") -> dict[str, Any]:
    """The token's identity (`GET /api/whoami-v2`), retried; a bad token is AuthError."""
    return call_with_retries("whoami", api.whoami, where=endpoint)


def writable_namespaces(identity: Mapping[str, Any]) -> list[str]:
    """The user name and its organisations' names: the namespaces a write token may push to."""
    names = [str(identity.get("name") or "")]
    for org in identity.get("orgs") or []:
        if isinstance(org, Mapping) and org.get("name"):
            names.append(str(org["name"]))
    return [n for n in names if n]


def check_write_access(api: HfApi, namespace: str, *, target: HubTarget | None = None) -> str:
    """Fail (AuthError, exit 2) unless the token's user, or one of its orgs, may write to `namespace`.

    Returns the user name. The embedded local hub's built-in user may write any namespace.
    """
    identity = whoami(api, endpoint=target.endpoint if target else "")
    user = str(identity.get("name") or "")
    role = (((identity.get("auth") or {}).get("accessToken")) or {}).get("role")
    if role == "read":
        raise AuthError(f"the token of {user!r} is read-only: it cannot publish", hint="use a write token")
    if namespace in writable_namespaces(identity):
        return user
    if user == LOCAL_HUB_USER and (target is None or target.is_local or is_loopback(target.endpoint)):
        return user
    if identity.get("canWriteAnyNamespace") or identity.get("isAdmin"):
        return user
    allowed = ", ".join(writable_namespaces(identity)) or "none"
    raise AuthError(
        f"user {user!r} may not write to namespace {namespace!r} (writable: {allowed})",
        hint=f"use --repo-id {user}/<name>, or a token of a member of {namespace!r}",
    )


@dataclass(frozen=True)
class RemoteFile:
    """One file on the Hub: its git blob oid, real size and, for LFS files, the content sha256."""

    path: str
    size: int
    git_oid: str | None
    lfs_sha256: str | None = None


@dataclass(frozen=True)
class RemoteState:
    """What a revision of a repo holds: whether the repo exists, the head commit and the files."""

    repo_id: str
    exists: bool
    revision: str
    head: str | None = None
    private: bool | None = None
    files: dict[str, RemoteFile] = field(default_factory=dict)


def remote_state(api: HfApi, repo_id: str, *, revision: str = "main", endpoint: str = "") -> RemoteState:
    """The repo's head at `revision` and its files (one repo_info + one recursive tree listing, retried).

    A missing repo gives `exists=False`; a missing branch gives `exists=True, head=None`.
    """
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

    try:
        repo = call_with_retries("repo info", api.model_info, repo_id, revision=revision, where=endpoint)
    except HubError as exc:
        cause = exc.__cause__
        if isinstance(cause, RevisionNotFoundError):
            return RemoteState(repo_id, exists=True, revision=revision)
        if isinstance(cause, RepositoryNotFoundError):
            return RemoteState(repo_id, exists=False, revision=revision)
        raise
    files = list_files(api, repo_id, revision=repo.sha or revision, endpoint=endpoint)
    return RemoteState(
        repo_id, True, revision, head=repo.sha, private=getattr(repo, "private", None), files=files
    )


def list_files(api: HfApi, repo_id: str, *, revision: str, endpoint: str = "") -> dict[str, RemoteFile]:
    """Every file at `revision` with its oids (`tree?recursive=true`)."""

    def _list() -> dict[str, RemoteFile]:
        out: dict[str, RemoteFile] = {}
        for entry in api.list_repo_tree(repo_id, recursive=True, revision=revision):
            if not hasattr(entry, "blob_id"):
                continue  # a folder
            lfs = getattr(entry, "lfs", None)
            out[entry.path] = RemoteFile(
                path=entry.path,
                size=int(getattr(entry, "size", 0) or 0),
                git_oid=entry.blob_id,
                lfs_sha256=getattr(lfs, "sha256", None) if lfs else None,
            )
        return out

    return call_with_retries("list files", _list, where=endpoint)


def download_text(api: HfApi, repo_id: str, path: str, *, revision: str, endpoint: str = "") -> str | None:
    """A text file's content at `revision`, or None if it is not there (fresh temp cache: never stale)."""
    import tempfile

    from huggingface_hub.errors import EntryNotFoundError

    with tempfile.TemporaryDirectory(prefix="publisher-dl-") as cache:
        try:
            local = call_with_retries(
                f"download {path}",
                api.hf_hub_download,
                repo_id,
                path,
                revision=revision,
                cache_dir=cache,
                where=endpoint,
            )
        except HubError as exc:
            if isinstance(exc.__cause__, EntryNotFoundError):
                return None
            raise
        return Path(local).read_text(encoding="utf-8")


def ensure_repo(api: HfApi, repo_id: str, *, private: bool = False, endpoint: str = "") -> str:
    """Create the model repo if it does not exist (exist_ok); returns its URL."""
    url = call_with_retries(
        "create repo", api.create_repo, repo_id, private=private or None, exist_ok=True, where=endpoint
    )
    return str(url)


def make_private(api: HfApi, repo_id: str, *, endpoint: str = "") -> None:
    """Set an existing repo's visibility to private (`PUT /api/models/{repo}/settings`)."""
    call_with_retries("make private", api.update_repo_settings, repo_id, visibility="private", where=endpoint)


def ensure_branch(api: HfApi, repo_id: str, branch: str, *, endpoint: str = "") -> None:
    """Create `branch` from main if it does not exist (commits to a missing branch fail with 404)."""
    call_with_retries(
        "create branch", api.create_branch, repo_id, branch=branch, exist_ok=True, where=endpoint
    )


@dataclass(frozen=True)
class CommitResult:
    """A commit that landed: its sha and URL, and the PR it opened (if any)."""

    sha: str
    url: str
    pr_url: str | None = None
    pr_revision: str | None = None


def commit(
    api: HfApi,
    repo_id: str,
    operations: list[Any],
    *,
    message: str,
    parent_commit: str | None,
    revision: str = "main",
    create_pr: bool = False,
    description: str | None = None,
    endpoint: str = "",
    policy: RetryPolicy | None = None,
) -> CommitResult:
    """One `create_commit` of `operations`, retried safely.

    `parent_commit` pins the commit to the head the plan was made against: a retry after a lost answer (or a
    concurrent push) gets 412 instead of a duplicate commit. The LFS batch skips objects already stored, so a
    retry does not re-send bytes.
    """
    result = call_with_retries(
        "commit",
        api.create_commit,
        repo_id,
        operations,
        commit_message=message,
        commit_description=description,
        revision=revision,
        create_pr=create_pr or None,
        parent_commit=parent_commit,
        where=endpoint,
        policy=policy,
    )
    return CommitResult(
        sha=result.oid,
        url=result.commit_url,
        pr_url=result.pr_url,
        pr_revision=result.pr_revision,
    )


@dataclass(frozen=True)
class OpenPullRequest:
    """An open pull request: its number, page URL and the commit at its head (refs/pr/N)."""

    number: int
    url: str
    head: str


def open_pull_requests(
    api: HfApi, repo_id: str, *, base: str, endpoint: str = "", limit: int = 20
) -> list[OpenPullRequest]:
    """The open pull requests against branch `base`, newest first (at most `limit` looked at).

    Found through the repo's refs (refs/pr/N with its head commit) and each PR's details (status, base branch):
    the Hub has no "list open PRs with their heads" call.
    """
    refs = call_with_retries(
        "list refs", api.list_repo_refs, repo_id, include_pull_requests=True, where=endpoint
    )
    numbered = [(int(r.ref.rsplit("/", 1)[-1]), r.target_commit) for r in refs.pull_requests or []
                if r.ref.rsplit("/", 1)[-1].isdigit()]  # fmt: skip
    found = []
    for number, head in sorted(numbered, reverse=True)[:limit]:
        details = call_with_retries(
            f"pull request #{number}", api.get_discussion_details, repo_id, number, where=endpoint
        )
        if details.status == "open" and details.target_branch in (base, f"refs/heads/{base}"):
            found.append(
                OpenPullRequest(number, f"{endpoint.rstrip('/')}/{repo_id}/discussions/{number}", head)
            )
    return found


def tag_commit(
    api: HfApi, repo_id: str, tag: str, sha: str, *, message: str | None = None, endpoint: str = ""
) -> bool:
    """Tag commit `sha`. Returns False if the tag already points there; a tag elsewhere is HubError (409)."""
    refs = call_with_retries("list refs", api.list_repo_refs, repo_id, where=endpoint)
    for existing in refs.tags:
        if existing.name == tag:
            if existing.target_commit == sha:
                return False
            raise HubError(
                f"tag {tag!r} already exists on {repo_id} at {existing.target_commit[:12]}, not {sha[:12]}",
                status=409,
                hint="tags are immutable here: choose a new tag name",
            )
    call_with_retries(
        "create tag", api.create_tag, repo_id, tag=tag, revision=sha, tag_message=message, where=endpoint
    )
    return True


def model_page_url(endpoint: str, repo_id: str) -> str:
    return f"{endpoint.rstrip('/')}/{repo_id}"


def commit_page_url(endpoint: str, repo_id: str, sha: str) -> str:
    return f"{endpoint.rstrip('/')}/{repo_id}/commit/{sha}"
