"""What a request may see of a repo, and how a repo is described: access rules (private, gated, pull-request
writers), revision resolution, and the model-info document with its cached card data. Every handler and page
reads repos through one RepoView, so the access rules live in one place.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import threading
from collections import OrderedDict
from typing import Any, Protocol
from urllib.parse import quote

from publisher.localhub.auth import Users
from publisher.localhub.cards import card_data
from publisher.localhub.http import HTTPError, Request
from publisher.localhub.lfs import UrlSigner
from publisher.localhub.model_meta import (
    config_summary,
    read_safetensors_header,
    safetensors_parameters,
    transformers_info,
)
from publisher.localhub.rules import RepoKey, repo_key_problem
from publisher.localhub.storage import Commit, FileEntry, Storage

URL_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}
_CARD_CACHE_SIZE = 8192


class HubContext(Protocol):
    """What handlers read of the running server (HubServer is one); `page_size` and `upload_mode` are knobs
    tests change while it serves, so they are read at each request, never copied."""

    storage: Storage
    users: Users
    signer: UrlSigner
    upload_mode: str
    page_size: int


def repo_not_found(key: RepoKey) -> HTTPError:
    return HTTPError(404, "Repository not found", "RepoNotFound")  # the Hub's words; the id is in the URL


def revision_not_found(rev: str) -> HTTPError:
    return HTTPError(404, f"Invalid rev id: {rev}", "RevisionNotFound")


def entry_not_found(path: str, commit: str | None = None) -> HTTPError:
    headers = {"X-Repo-Commit": commit} if commit else {}
    return HTTPError(404, f"Entry not found: {path}", "EntryNotFound", headers)


def is_pull_request(entry: dict[str, Any]) -> bool:
    """A discussion entry of state.json that is a pull request (entries older than discussions are PRs)."""
    return entry.get("isPullRequest", True)


class RepoView:
    """Access checks, revisions and descriptions of repos, for handlers and pages alike."""

    def __init__(self, hub: HubContext) -> None:
        self.hub = hub
        self.storage = hub.storage
        self._card_cache: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._card_lock = threading.Lock()

    def key(self, repo_type: str, namespace: str, name: str) -> RepoKey:
        """A repo key from URL segments, only if they follow the Hub's rules (400 otherwise), spelled as the
        existing repo is when the id matches up to case (the Hub's ids are case-insensitive)."""
        problem = repo_key_problem(repo_type, namespace, name)
        if problem:
            raise HTTPError(400, f"Invalid repo id: {problem}")
        return self.storage.canonical_key(RepoKey(repo_type, namespace, name))

    def visible_state(self, req: Request, key: RepoKey) -> dict[str, Any]:
        """The repo's state if the caller may read it; private repos are 404 to everyone else. A renamed repo's
        old id answers 307 to the new one (to those who may see it), as the Hub does."""
        state = self.storage.load_state(key)
        if state is None:
            moved = self.storage.moved_to(key)
            moved_state = self.storage.load_state(moved) if moved else None
            if moved and moved_state and self._may_read(req, moved, moved_state):
                raise self._redirect(req, key, moved)
            raise repo_not_found(key)
        if not self._may_read(req, key, state):
            raise repo_not_found(key)
        return state

    @staticmethod
    def _may_read(req: Request, key: RepoKey, state: dict[str, Any]) -> bool:
        return not state.get("private") or bool(req.user and req.user.can_write(key.namespace))

    def _redirect(self, req: Request, old: RepoKey, new: RepoKey) -> HTTPError:
        raw_path, _, query = req.target.partition("?")
        old_part, new_part = (
            "/" + quote(old.namespace) + "/" + quote(old.name),
            "/" + new.namespace + "/" + new.name,
        )
        index = raw_path.lower().find(old_part.lower() + "/")
        if index < 0 and raw_path.lower().endswith(old_part.lower()):
            index = len(raw_path) - len(old_part)
        if index < 0:
            return repo_not_found(old)
        target = (
            raw_path[:index] + new_part + raw_path[index + len(old_part) :] + (f"?{query}" if query else "")
        )
        return HTTPError(307, f"Repository moved to {new.id}", None, {"Location": target})

    def gate(self, req: Request, key: RepoKey, state: dict[str, Any]) -> None:
        """Files of a gated repo are for its owners (the local hub grants no access requests)."""
        if state.get("gated") and not (req.user and req.user.can_write(key.namespace)):
            raise HTTPError(
                401 if req.user is None else 403,
                f"Access to {key.type} {key.id} is restricted and you are not in the authorized list. "
                f"Visit {req.base_url}/{URL_PREFIX[key.type]}{key.id} to ask for access.",
                "GatedRepo",
            )

    def pr_state(self, req: Request, key: RepoKey, rev: str) -> dict[str, Any]:
        """State for writing a pull request: the Hub lets any signed-in user who can see a repo open a PR on
        it (create_pr) and push to a PR they opened; everything else needs write access to the namespace."""
        user = self.require_user(req, f"open a pull request on {key.id}")
        state = self.visible_state(req, key)
        if user.can_write(key.namespace):
            return state
        match = re.fullmatch(r"refs/pr/(\d+)", rev)
        own_pr = match is not None and state["prs"].get(match.group(1), {}).get("author") == user.name
        if req.flag("create_pr") or own_pr:
            return state
        return self.writable_state(req, key)

    def require_user(self, req: Request, action: str) -> Any:
        if req.user is None:
            raise HTTPError(401, f"You must be authenticated (Authorization: Bearer <token>) to {action}.")
        return req.user

    def writable_state(self, req: Request, key: RepoKey) -> dict[str, Any]:
        user = self.require_user(req, f"write to {key.id}")
        state = self.visible_state(req, key)
        if not user.can_write(key.namespace):
            raise HTTPError(
                403,
                f"You don't have the rights to write to {key.id} (user {user.name!r} cannot write to namespace {key.namespace!r}).",
            )
        return state

    def resolve_rev(self, key: RepoKey, state: dict[str, Any], rev: str) -> str:
        """A branch, tag, refs/heads|tags|pr/..., or commit id (full or ≥7-char prefix) → commit id."""
        for prefix, table in (("refs/heads/", "branches"), ("refs/tags/", "tags")):
            name = rev[len(prefix) :] if rev.startswith(prefix) else rev
            if name in state[table]:
                return state[table][name]
        match = re.fullmatch(r"refs/pr/(\d+)", rev)
        if match and is_pull_request(state["prs"].get(match.group(1), {"isPullRequest": False})):
            return state["prs"][match.group(1)]["head"]
        if self.storage.load_commit(key, rev) is not None:
            return rev
        found = self.storage.find_commit_by_prefix(key, rev)
        if found:
            return found
        raise revision_not_found(rev)

    def load_rev(self, key: RepoKey, state: dict[str, Any], rev: str) -> Commit:
        commit = self.storage.load_commit(key, self.resolve_rev(key, state, rev))
        if commit is None:
            raise revision_not_found(rev)
        return commit

    def repo_url(self, req: Request, key: RepoKey) -> str:
        return f"{req.base_url}/{URL_PREFIX[key.type]}{key.id}"

    def file_text(self, commit: Commit, path: str, limit: int = 2_000_000) -> str | None:
        entry = commit.files.get(path)
        if entry is None or entry.size > limit:
            return None
        return self.storage.read_blob(entry.sha256).decode("utf-8", "replace")

    def card_data(self, commit: Commit, *, shared: bool = False) -> dict[str, Any]:
        """cardData of the commit's README, cached by the README's content hash (blobs never change).

        `shared=True` returns the cached object itself: the caller must not modify it."""
        entry = commit.files.get("README.md")
        if entry is None:
            return {}
        with self._card_lock:
            cached = self._card_cache.get(entry.sha256)
            if cached is not None:
                self._card_cache.move_to_end(entry.sha256)
        if cached is None:
            cached = card_data(self.file_text(commit, "README.md") or "")
            with self._card_lock:
                self._card_cache[entry.sha256] = cached
                while len(self._card_cache) > _CARD_CACHE_SIZE:
                    self._card_cache.popitem(last=False)  # least recently used
        return cached if shared else copy.deepcopy(cached)

    def describe(self, key: RepoKey, state: dict[str, Any], commit: Commit, *, blobs: bool, siblings: bool = True,
                 card: bool = True, card_data: bool = True) -> dict[str, Any]:  # fmt: skip
        """The model-info document (docs/hub-api.md §2 #4); `card=False` skips what is read from README/config,
        `card_data=False` leaves out the cardData copy (a listing that was not asked for it)."""
        data = self.card_data(commit, shared=True) if card else {}
        config = self.file_text(commit, "config.json") if card else None
        library = data.get("library_name") or ("transformers" if config is not None else None)
        pipeline = data.get("pipeline_tag") or _infer_pipeline_tag(config)
        tags = _as_list(data.get("tags"))
        for extra in (library, pipeline):
            if extra and extra not in tags:
                tags.append(extra)
        info: dict[str, Any] = {
            "_id": hashlib.sha1(key.id.encode()).hexdigest()[:24],
            "id": key.id,
            "modelId": key.id,
            "author": key.namespace,
            "sha": commit.id,
            "lastModified": commit.date,
            "createdAt": state.get("createdAt"),
            "private": bool(state.get("private")),
            "gated": state.get("gated", False),
            "disabled": False,
            "downloads": 0,
            "likes": 0,
            "tags": tags,
            "pipeline_tag": pipeline,
            "library_name": library,
        }
        if card_data:
            info["cardData"] = copy.deepcopy(data) or None
        if siblings:
            info["siblings"] = [self._sibling(p, e, blobs) for p, e in sorted(commit.files.items())]
            info["usedStorage"] = sum(e.size for e in commit.files.values())
        return info

    @staticmethod
    def _sibling(path: str, entry: FileEntry, blobs: bool) -> dict[str, Any]:
        sib: dict[str, Any] = {"rfilename": path}
        if blobs:
            sib.update(size=entry.size, blobId=entry.git_oid)
            if entry.lfs:
                sib["lfs"] = {"size": entry.size, "sha256": entry.sha256, "pointerSize": len(entry.pointer)}
        return sib

    def model_meta(self, commit: Commit, pipeline_tag: str | None) -> dict[str, Any]:
        """config, transformersInfo and safetensors of a model's files (present only when derivable)."""
        config = config_summary(
            self.file_text(commit, "config.json"), self.file_text(commit, "tokenizer_config.json")
        )
        out: dict[str, Any] = {}
        if config is not None:
            out["config"] = config
            has_tokenizer = any(
                p in commit.files for p in ("tokenizer.json", "tokenizer_config.json", "vocab.json")
            )
            tinfo = transformers_info(config, pipeline_tag, has_tokenizer)
            if tinfo:
                out["transformersInfo"] = tinfo
        counts: dict[str, int] = {}
        for path, entry in sorted(commit.files.items()):
            if path.endswith(".safetensors"):
                for dtype, n in self._safetensors_counts(entry).items():
                    counts[dtype] = counts.get(dtype, 0) + n
        if counts:
            out["safetensors"] = {"parameters": counts, "total": sum(counts.values())}
        return out

    def _safetensors_counts(self, entry: FileEntry) -> dict[str, int]:
        """Parameter counts per dtype of one safetensors file, cached by content hash with the card data."""
        cache_key = "safetensors:" + entry.sha256
        with self._card_lock:
            cached = self._card_cache.get(cache_key)
        if cached is None:
            try:
                header = read_safetensors_header(self.storage.blob_path(entry.sha256))
                cached = safetensors_parameters(header) if header else {}
            except (OSError, ValueError, TypeError, AttributeError):
                cached = {}
            with self._card_lock:
                self._card_cache[cache_key] = cached
                while len(self._card_cache) > _CARD_CACHE_SIZE:
                    self._card_cache.popitem(last=False)
        return dict(cached)


def _infer_pipeline_tag(config_text: str | None) -> str | None:
    if not config_text:
        return None
    try:
        archs = json.loads(config_text).get("architectures") or []
    except (json.JSONDecodeError, AttributeError):
        return None
    for arch in archs:
        if arch.endswith(("ForCausalLM", "LMHeadModel")):
            return "text-generation"
        if arch.endswith("ForSequenceClassification"):
            return "text-classification"
    return None


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []
