"""Route table and handlers of the local hub: the API the real clients use (hub-api.md §2–§4)."""

from __future__ import annotations

import copy
import hashlib
import html
import itertools
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from publisher.localhub.cards import card_data, card_text_problems
from publisher.localhub.discussions import Discussions, is_pull_request, open_discussion
from publisher.localhub.http import MAX_COMMIT_LINE, HTTPError, Request, Response, json_response
from publisher.localhub.lfs import is_sha256
from publisher.localhub.model_meta import (
    EXPAND,
    NEUTRAL,
    config_summary,
    read_safetensors_header,
    safetensors_parameters,
    transformers_info,
)
from publisher.localhub.rules import (
    file_folder_conflict,
    parent_commit_problem,
    path_problem,
    ref_name_problem,
    repo_key_problem,
    revision_problem,
)
from publisher.localhub.storage import (
    REPO_TYPES,
    Commit,
    FileEntry,
    RepoKey,
    clean_repo_path,
    decode_regular_file,
)
from publisher.repo_ids import repo_id_problem

if TYPE_CHECKING:
    from publisher.localhub.app import HubServer

Handler = Callable[[Request], Response]
PLURAL = {"models": "model", "datasets": "dataset", "spaces": "space"}
URL_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}
LFS_SUFFIXES = (
    ".safetensors",
    ".bin",
    ".pt",
    ".pth",
    ".ckpt",
    ".h5",
    ".msgpack",
    ".onnx",
    ".zip",
    ".gz",
    ".tar",
    ".npy",
    ".npz",
    ".pkl",
    ".pickle",
    ".parquet",
    ".arrow",
    ".model",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".wav",
    ".mp3",
)
LFS_SIZE_THRESHOLD = 10 * 1024 * 1024
_CARD_CACHE_SIZE = 8192
_CARD_FIELDS = frozenset({"cardData", "tags", "pipeline_tag", "library_name"})
"""Listing fields read from README/config.json; an `expand` without them skips reading those files."""
_REPO_API_HEADS = frozenset(
    {
        "revision",
        "tree",
        "paths-info",
        "refs",
        "commits",
        "tag",
        "branch",
        "preupload",
        "commit",
        "settings",
        "discussions",
        "auth-check",
        "xet-write-token",
        "xet-read-token",
        "super-squash",
        "like",
    }
)
_LAST_COMMIT_DEPTH = 2000
_SETTINGS_KEYS = frozenset({"private", "visibility", "gated"})


def repo_not_found(key: RepoKey) -> HTTPError:
    return HTTPError(404, "Repository not found", "RepoNotFound")  # the Hub's words; the id is in the URL


def revision_not_found(rev: str) -> HTTPError:
    return HTTPError(404, f"Invalid rev id: {rev}", "RevisionNotFound")


def entry_not_found(path: str, commit: str | None = None) -> HTTPError:
    headers = {"X-Repo-Commit": commit} if commit else {}
    return HTTPError(404, f"Entry not found: {path}", "EntryNotFound", headers)


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("1", "true", "yes")


class Router:
    """Maps (method, raw-path segments) to (route name, handler); the name keys faults and the log."""

    def __init__(self, hub: HubServer) -> None:
        self.hub = hub
        self.storage = hub.storage
        self._pages: Any = None
        self._card_cache: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._card_lock = threading.Lock()
        self._discussions: Discussions | None = None

    # ================================================================= dispatch
    def match(self, req: Request) -> tuple[str, Handler]:
        """The route, from the path alone; a segment that breaks the Hub's rules is a 400 before anything else."""
        try:
            return self._match(req.segments, req.method)
        except HTTPError as exc:
            refusal = exc

            def refuse(r: Request) -> Response:
                raise refusal

            return "invalid", refuse

    def _match(self, s: list[str], m: str) -> tuple[str, Handler]:
        if s and s[0] == "api":
            return self._match_api(s[1:], m)
        if len(s) >= 2 and s[0] == "_lfs":
            if s[1] == "upload" and len(s) == 6 and m == "PUT":
                key, oid = self._key(s[2], s[3], s[4]), s[5]
                return "lfs-put", lambda r: self.lfs_put(r, key, oid)
            if s[1] == "verify" and len(s) == 5 and m == "POST":
                key = self._key(s[2], s[3], s[4])
                return "lfs-verify", lambda r: self.lfs_verify(r, key)
        return self._match_repo_urls(s, m)

    def _match_api(self, s: list[str], m: str) -> tuple[str, Handler]:
        if s == ["whoami-v2"] and m == "GET":
            return "whoami", self.whoami
        if s == ["repos", "create"] and m == "POST":
            return "create", self.create_repo
        if s == ["repos", "delete"] and m == "DELETE":
            return "delete", self.delete_repo
        if m == "GET" and (
            s == ["settings", "repositories"]
            or (len(s) == 4 and s[0] == "organizations" and s[2:] == ["settings", "repositories"])
        ):
            return "repositories", lambda r: self.namespace_repositories(r, s[1] if len(s) == 4 else None)
        if s == ["repos", "move"] and m == "POST":
            return "move", self.move_repo
        if s == ["validate-yaml"] and m == "POST":
            return "validate", self.validate_yaml
        if len(s) == 1 and s[0] in PLURAL and m == "GET":
            return "list", lambda r: self.list_repos(r, PLURAL[s[0]])
        if len(s) >= 3 and s[0] in PLURAL:
            key = self._key(PLURAL[s[0]], s[1], s[2])
            found = self._match_repo_api(key, s[3:], m)
            if found is not None and (
                s[2] not in _REPO_API_HEADS or self.storage.load_state(key) is not None
            ):
                return found
        if len(s) >= 2 and s[0] in PLURAL:
            # a canonical id without namespace (`gpt2`): /api/models/gpt2[/revision/main, /commits/main, ...]
            found = self._match_repo_api(self._bare_key(PLURAL[s[0]], s[1]), s[2:], m)
            if found is not None:
                return found
        return "unknown", self.not_found

    def _match_repo_api(self, key: RepoKey, rest: list[str], m: str) -> tuple[str, Handler] | None:
        head, args = (rest[0], rest[1:]) if rest else ("", [])
        if head == "tree":
            rev, path = (_checked_rev(args[0]) if args else "main"), "/".join(args[1:])
            if path.strip("/"):
                _checked_path(path.strip("/"))
            return ("tree", lambda r: self.tree(r, key, rev, path)) if m == "GET" else None
        rev = _checked_rev("/".join(args)) if args and head != "discussions" else ""
        table: dict[tuple[str, str], tuple[str, Handler]] = {
            ("", "GET"): ("info", lambda r: self.repo_info(r, key, None)),
            ("revision", "GET"): ("info", lambda r: self.repo_info(r, key, rev)),
            ("paths-info", "POST"): ("paths-info", lambda r: self.paths_info(r, key, rev or "main")),
            ("refs", "GET"): ("refs", lambda r: self.refs(r, key)),
            ("commits", "GET"): ("commits", lambda r: self.commits(r, key, rev or "main")),
            ("tag", "POST"): ("tag", lambda r: self.create_tag(r, key, rev)),
            ("tag", "DELETE"): ("tag", lambda r: self.delete_tag(r, key, rev)),
            ("branch", "POST"): ("branch", lambda r: self.create_branch(r, key, rev)),
            ("branch", "DELETE"): ("branch", lambda r: self.delete_branch(r, key, rev)),
            ("preupload", "POST"): ("preupload", lambda r: self.preupload(r, key, rev or "main")),
            ("commit", "POST"): ("commit", lambda r: self.commit(r, key, rev or "main")),
            ("settings", "PUT"): ("settings", lambda r: self.settings(r, key)),
            ("super-squash", "POST"): (
                "squash",
                lambda r: self.super_squash(r, key, "/".join(args) or "main"),
            ),
            ("like", "POST"): ("like", lambda r: self.likes_unsupported(r, key)),
            ("like", "DELETE"): ("like", lambda r: self.likes_unsupported(r, key)),
            ("auth-check", "GET"): ("auth-check", lambda r: self.auth_check(r, key, args == ["write"])),
            ("discussions", "POST"): ("discussions", lambda r: self.discussions().post(r, key, args)),
            ("discussions", "PUT"): ("discussions", lambda r: self.discussions().put(r, key, args)),
            ("discussions", "GET"): ("discussions", lambda r: self.discussions().get(r, key, args)),
            ("xet-write-token", "GET"): ("xet", self.xet_unsupported),
            ("xet-read-token", "GET"): ("xet", self.xet_unsupported),
        }
        return table.get((head, m))

    def _match_repo_urls(self, s: list[str], m: str) -> tuple[str, Handler]:
        repo_type = "model"
        if s and s[0] in PLURAL and s[0] != "models" and len(s) >= 3:
            repo_type, s = PLURAL[s[0]], s[1:]
        if (
            len(s) >= 2
            and s[1].endswith(".git")
            and s[2:] == ["info", "lfs", "objects", "batch"]
            and m == "POST"
        ):
            key = self._key(repo_type, s[0], s[1][: -len(".git")])
            return "lfs-batch", lambda r: self.lfs_batch(r, key)
        if len(s) >= 5 and s[2] == "resolve" and m in ("GET", "HEAD"):
            key, rev, path = (
                self._key(repo_type, s[0], s[1]),
                _checked_rev(s[3]),
                _checked_path("/".join(s[4:])),
            )
            return "resolve", lambda r: self.resolve(r, key, rev, path)
        if len(s) >= 4 and s[1] == "resolve" and m in ("GET", "HEAD"):
            # a canonical id without namespace: /gpt2/resolve/main/config.json
            key, rev, path = (
                self._bare_key(repo_type, s[0]),
                _checked_rev(s[2]),
                _checked_path("/".join(s[3:])),
            )
            return "resolve", lambda r: self.resolve(r, key, rev, path)
        page = self.hub_pages().match(s, m, repo_type)
        if page is not None:  # the browser sign-in is the one form post, without Authorization (browse.py)
            return ("signin" if s in (["signin"], ["signout"]) else "page"), page
        return "unknown", self.not_found

    def hub_pages(self) -> Any:
        if self._pages is None:
            from publisher.localhub.pages import Pages

            self._pages = Pages(self)
        return self._pages

    def _key(self, repo_type: str, namespace: str, name: str) -> RepoKey:
        """A repo key from URL segments, only if they follow the Hub's rules (400 otherwise), spelled as the
        existing repo is when the id matches up to case (the Hub's ids are case-insensitive)."""
        problem = repo_key_problem(repo_type, namespace, name)
        if problem:
            raise HTTPError(400, f"Invalid repo id: {problem}")
        return self.storage.canonical_key(RepoKey(repo_type, namespace, name))

    @staticmethod
    def _bare_key(repo_type: str, name: str) -> RepoKey:
        """The key of a canonical id without namespace (`gpt2`); the local hub holds none, so it answers
        RepoNotFound as the Hub does for a missing one."""
        problem = repo_id_problem(name, namespace_required=False)
        if problem:
            raise HTTPError(400, f"Invalid repo id: {problem}")
        return RepoKey(repo_type, "", name)

    def not_found(self, req: Request) -> Response:
        raise HTTPError(404, f"no such endpoint on the local hub: {req.method} /{'/'.join(req.segments)}")

    def xet_unsupported(self, req: Request) -> Response:
        raise HTTPError(
            501,
            "The local hub does not implement Xet storage. Set HF_HUB_DISABLE_XET=1 in the client's environment, "
            "or start the hub with --upload-mode regular.",
        )

    # ================================================================= access helpers
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

    # ================================================================= account and repos
    def whoami(self, req: Request) -> Response:
        if req.user is None:
            raise HTTPError(401, "Invalid user token. You must send Authorization: Bearer <token>.")
        return json_response(req.user.whoami())

    def _repo_key_from_body(self, req: Request, body: dict[str, Any]) -> RepoKey:
        name, org = body.get("name"), body.get("organization")
        if isinstance(name, str) and "/" in name and not org:
            org, name = name.split("/", 1)
        if not org:
            org = self.require_user(req, "create a repo").name
        repo_type = body.get("type") or "model"
        if repo_type not in REPO_TYPES:
            raise HTTPError(400, f"invalid repo type {repo_type!r}; one of {', '.join(REPO_TYPES)}")
        for label, value in (("name", name), ("organization", org)):
            if not isinstance(value, str):
                raise HTTPError(400, f"invalid repo {label}: expected a string, not {type(value).__name__}")
        problem = repo_id_problem(f"{org}/{name}")
        if problem:
            raise HTTPError(400, f"invalid repo id: {problem}")
        return RepoKey(repo_type, org, name)

    def create_repo(self, req: Request) -> Response:
        body = req.json_object()
        user = self.require_user(req, "create a repo")
        key = self._repo_key_from_body(req, body)
        url = self.repo_url(req, key)
        if not user.can_write(key.namespace):
            raise HTTPError(
                403,
                f"You don't have the rights to create a {key.type} under the namespace {key.namespace!r}.",
            )
        private = body.get("visibility") == "private" or _truthy(body.get("private", False))
        with self.storage.create_lock, self.storage.lock(key):
            existing = self.storage.canonical_key(
                key
            )  # ids are case-insensitive: X/Repo exists => X/repo does
            if self.storage.load_state(existing) is not None:
                url = self.repo_url(req, existing)
                return json_response({"error": f"You already created this {key.type} repo", "url": url}, 409)
            self.storage.create_repo(key, private=private, author=user.name, readme=_space_readme(key, body))
        return json_response({"url": url, "name": key.id, "id": key.id})

    def delete_repo(self, req: Request) -> Response:
        key = self._repo_key_from_body(req, req.json_object())
        self.writable_state(req, key)
        with self.storage.create_lock, self.storage.lock(key):
            self.storage.delete_repo(key)
        return json_response({})

    def settings(self, req: Request, key: RepoKey) -> Response:
        """PUT settings: private / visibility / gated ("auto", "manual" or false); other keys are a 400."""
        body = req.json_object()
        unknown = sorted(set(body) - _SETTINGS_KEYS)
        if unknown:
            raise HTTPError(
                400,
                f"Unknown settings: {', '.join(map(repr, unknown))} (supported: {', '.join(sorted(_SETTINGS_KEYS))})",
            )
        if "gated" in body and body["gated"] not in ("auto", "manual", False):
            raise HTTPError(400, f"'gated' must be 'auto', 'manual' or false, not {body['gated']!r}")
        if "visibility" in body and body["visibility"] not in ("public", "private"):
            raise HTTPError(400, f"'visibility' must be 'public' or 'private', not {body['visibility']!r}")
        if "private" in body and not isinstance(body["private"], bool):
            raise HTTPError(400, "'private' must be a boolean")
        self.writable_state(req, key)
        with self.storage.lock(key):
            state = self.writable_state(req, key)
            if "private" in body:
                state["private"] = body["private"]
            if "visibility" in body:
                state["private"] = body["visibility"] == "private"
            if "gated" in body:
                state["gated"] = body["gated"]
            self.storage.save_state(key, state)
        return json_response({"private": state["private"], "gated": state.get("gated", False)})

    def namespace_repositories(self, req: Request, namespace: str | None) -> Response:
        """GET /api/settings/repositories (or /api/organizations/ORG/...): every repo of a namespace the caller
        belongs to, with its storage (`hf repos ls`)."""
        user = self.require_user(req, "list your repositories")
        namespace = namespace or user.name
        if not user.can_write(namespace):
            raise HTTPError(403, f"You are not a member of {namespace!r}")
        rows = []
        for repo_type in REPO_TYPES:
            for key in self.storage.index.keys_after(repo_type, namespace, None):
                state = self.storage.load_state(key)
                commit = self.storage.load_commit(key, state["branches"].get("main", "")) if state else None
                if commit is None:
                    continue
                rows.append(
                    {
                        "id": key.id,
                        "type": key.type,
                        "updatedAt": state.get("lastModified") or commit.date,
                        "visibility": "private" if state.get("private") else "public",
                        "storage": sum(e.size for e in commit.files.values()),
                    }
                )
        total = sum(r["storage"] for r in rows) or 1
        for row in rows:
            row["storagePercent"] = round(100 * row["storage"] / total, 2)
        items, link = self._page(req, rows)
        return json_response(items, headers=link)

    def likes_unsupported(self, req: Request, key: RepoKey) -> Response:
        self.visible_state(req, key)  # a missing repo is the Hub's RepoNotFound
        raise HTTPError(501, "The local hub does not keep likes")

    def super_squash(self, req: Request, key: RepoKey, rev: str) -> Response:
        """Replace a branch's (or PR's) history by one root commit holding its current files."""
        body = req.json()
        message = (
            body.get("message") if isinstance(body, dict) and isinstance(body.get("message"), str) else ""
        )
        user = self.require_user(req, f"squash {key.id}")
        with self.storage.lock(key):
            state = self.writable_state(req, key)
            head_id, pr_number = self._commit_target(key, state, rev, create_pr=False)
            head = self.storage.load_commit(key, head_id)
            if head is None:
                raise revision_not_found(rev)
            title = message.strip().splitlines()[0] if message.strip() else f"Super-squash branch '{rev}'"
            squashed = self.storage.make_root_commit(key, title, message, user.name, dict(head.files))
            if pr_number is not None:
                state["prs"][pr_number]["head"] = squashed.id
            else:
                state["branches"][rev[len("refs/heads/") :] if rev.startswith("refs/heads/") else rev] = (
                    squashed.id
                )
            self.storage.save_state(key, state)
        return json_response({"commitId": squashed.id})

    def auth_check(self, req: Request, key: RepoKey, write: bool) -> Response:
        """GET auth-check[/write]: 200 when the caller may read (write) the repo, else the Hub's error."""
        state = self.visible_state(req, key)
        if write:
            self.writable_state(req, key)
        else:
            self.gate(req, key, state)
        return json_response({})

    def move_repo(self, req: Request) -> Response:
        """POST /api/repos/move {fromRepo, toRepo, type}: rename or transfer; the old id redirects to the new."""
        body = req.json()
        repo_type = body.get("type") or "model"
        ids = [body.get("fromRepo"), body.get("toRepo")]
        if repo_type not in REPO_TYPES or not all(isinstance(i, str) and i.count("/") == 1 for i in ids):
            raise HTTPError(400, "body needs fromRepo and toRepo as 'namespace/name' and a valid type")
        old = self._key(repo_type, *ids[0].split("/"))
        new = self._repo_key_from_body(req, {"name": ids[1], "type": repo_type})
        user = self.require_user(req, "move a repo")
        if not user.can_write(new.namespace):
            raise HTTPError(
                403,
                f"You don't have the rights to create a {repo_type} under the namespace {new.namespace!r}.",
            )
        with self.storage.create_lock, self.storage.lock(old):
            self.writable_state(req, old)
            existing = self.storage.canonical_key(new)
            if self.storage.load_state(existing) is not None and existing != old:
                raise HTTPError(409, f"A {repo_type} repository called {existing.id} already exists")
            self.storage.move_repo(old, new)
        return json_response({"url": self.repo_url(req, new)})

    # ================================================================= read API
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
        """The model-info document (hub-api.md §2 #4); `card=False` skips what is read from README/config,
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

    def repo_info(self, req: Request, key: RepoKey, rev: str | None) -> Response:
        expand = req.query.get("expand") or []
        unknown = sorted(set(expand) - EXPAND[key.type])
        state = self.visible_state(req, key)
        if unknown:
            raise HTTPError(
                400,
                f'"expand" must be one of {", ".join(sorted(EXPAND[key.type]))}; got {", ".join(unknown)}',
            )
        commit = self.load_rev(key, state, rev or "main")
        info = self.describe(key, state, commit, blobs=req.flag("blobs"))
        if key.type == "model":
            info.update(self.model_meta(commit, info.get("pipeline_tag")))
        if expand:
            info = {"_id": info["_id"], "id": info["id"], **{k: info.get(k, NEUTRAL.get(k)) for k in expand}}
        return json_response(info)

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

    def list_repos(self, req: Request, repo_type: str) -> Response:
        """Repos the caller may see, filtered by author/search (and tags/pipeline_tag), paginated with Link.

        A page walks the listing index from its cursor (the last repo id of the previous page) and describes
        only the repos it returns: its cost is the page's, not the org's. Sorting by date needs every repo.
        """
        unknown = sorted(set(req.query.get("expand", []) + req.query.get("expand[]", [])) - EXPAND[repo_type])
        if unknown:
            raise HTTPError(
                400,
                f'"expand" must be one of {", ".join(sorted(EXPAND[repo_type]))}; got {", ".join(unknown)}',
            )
        sort = req.param("sort")
        if sort in ("lastModified", "createdAt"):
            rows = [info for key in self.storage.index.keys_after(repo_type, req.param("author") or None, None)
                    if (info := self._listed(req, key)) is not None]  # fmt: skip
            rows.sort(key=lambda info: info.get(sort) or "", reverse=req.param("direction") == "-1")
            items, link = self._page(req, rows)
            return json_response(items, headers=link)
        try:
            size = max(1, min(self.hub.page_size, int(req.param("limit") or self.hub.page_size)))
        except ValueError as exc:
            raise HTTPError(400, "limit must be an integer") from exc
        rows: list[dict[str, Any]] = []
        last = None
        for key in self.storage.index.keys_after(
            repo_type, req.param("author") or None, req.param("cursor") or None
        ):
            info = self._listed(req, key)
            if info is None:
                continue
            if len(rows) == size:  # one more exists: the next page is not empty
                return json_response(rows, headers=self._next_link(req, last))
            rows.append(info)
            last = key.id
        return json_response(rows)

    def _listed(self, req: Request, key: RepoKey) -> dict[str, Any] | None:
        """The listing entry of one repo, or None when the caller may not see it or a filter drops it."""
        search = (req.param("search") or "").lower()
        if search and search not in key.id.lower():
            return None
        state = self.storage.peek_state(key)  # read-only: never modified here
        if state is None or (state.get("private") and not (req.user and req.user.can_write(key.namespace))):
            return None
        commit = self.storage.load_commit(key, state["branches"].get("main", ""))
        if commit is None:
            return None
        wanted_tags, wanted_pipeline = set(req.query.get("filter", [])), req.param("pipeline_tag")
        expand = set(req.query.get("expand", []) + req.query.get("expand[]", []))
        card = not expand or bool(expand & _CARD_FIELDS) or bool(wanted_tags) or bool(wanted_pipeline)
        siblings = req.flag("full") or "siblings" in expand
        with_card_data = req.flag("cardData") or req.flag("full") or "cardData" in expand
        info = self.describe(
            key, state, commit, blobs=False, siblings=siblings, card=card, card_data=with_card_data
        )
        if not wanted_tags <= set(info["tags"]) or (
            wanted_pipeline and info["pipeline_tag"] != wanted_pipeline
        ):
            return None
        if expand:
            return {
                field: value for field, value in info.items() if field in expand or field in {"_id", "id"}
            }
        if not req.flag("cardData") and not req.flag("full"):
            info.pop("cardData", None)
        return info

    def _next_link(self, req: Request, last_id: str | None) -> dict[str, str]:
        query = {k: v for k, v in req.query.items() if k != "cursor"}
        query["cursor"] = [last_id or ""]
        raw_path = req.target.partition("?")[0]
        return {"Link": f'<{req.base_url}{raw_path}?{urlencode(query, doseq=True)}>; rel="next"'}

    def _page(
        self, req: Request, items: list[Any], page_size: int | None = None
    ) -> tuple[list[Any], dict[str, str]]:
        """One page of `items` and the `Link: <next>; rel="next"` header (GitHub-style, as the Hub)."""
        size = page_size or self.hub.page_size
        try:
            size = max(1, min(size, int(req.param("limit") or size)))
            start = max(0, int(req.param("cursor") or 0))
        except ValueError as exc:
            raise HTTPError(400, "limit and cursor must be integers") from exc
        page = items[start : start + size]
        if start + size >= len(items):
            return page, {}
        query = {k: v[0] for k, v in req.query.items()}
        query["cursor"] = str(start + size)
        raw_path = req.target.partition("?")[0]
        return page, {"Link": f'<{req.base_url}{raw_path}?{urlencode(query)}>; rel="next"'}

    def _tree_entries(self, commit: Commit, prefix: str, recursive: bool) -> list[dict[str, Any]]:
        base = prefix + "/" if prefix else ""
        files = {p: e for p, e in commit.files.items() if p.startswith(base)}
        if prefix and not files:
            raise entry_not_found(prefix, commit.id)
        dirs: dict[str, list[str]] = {}
        entries = []
        for path, entry in sorted(files.items()):
            rest = path[len(base) :].split("/")
            for depth in range(1, len(rest)):
                dirs.setdefault(base + "/".join(rest[:depth]), []).append(entry.git_oid)
            if recursive or len(rest) == 1:
                entries.append(_file_entry(path, entry))
        for path, oids in sorted(dirs.items()):
            if recursive or "/" not in path[len(base) :]:
                entries.append(_dir_entry(path, oids))
        return sorted(entries, key=lambda e: (e["type"] != "directory", e["path"]))

    def tree(self, req: Request, key: RepoKey, rev: str, path: str) -> Response:
        state = self.visible_state(req, key)
        commit = self.load_rev(key, state, rev)
        entries = self._tree_entries(commit, path.strip("/"), req.flag("recursive"))
        items, link = self._page(req, entries)
        if req.flag("expand"):
            self._add_last_commits(key, commit, items)
        return json_response(items, headers=link)

    def _add_last_commits(self, key: RepoKey, head: Commit, entries: list[dict[str, Any]]) -> None:
        """expand=True: each entry's `lastCommit`, the newest first-parent commit that changed it."""

        def signature(commit: Commit, entry: dict[str, Any]) -> Any:
            path = entry["path"]
            if entry["type"] == "file":
                found = commit.files.get(path)
                return None if found is None else (found.sha256, found.lfs)
            return tuple(sorted((p, e.sha256) for p, e in commit.files.items() if p.startswith(path + "/")))

        wanted = {id(e): (e, signature(head, e)) for e in entries}
        newer = head
        for older in itertools.islice(self.storage.history(key, head.id), 1, _LAST_COMMIT_DEPTH):
            for ident, (entry, sig) in list(wanted.items()):
                if signature(older, entry) != sig:
                    entry["lastCommit"] = _commit_summary(newer)
                    del wanted[ident]
            if not wanted:
                return
            newer = older
        for entry, _ in wanted.values():
            entry["lastCommit"] = _commit_summary(newer)

    def paths_info(self, req: Request, key: RepoKey, rev: str) -> Response:
        state = self.visible_state(req, key)
        form = req.form()
        commit = self.load_rev(key, state, rev)
        out: list[dict[str, Any]] = []
        for raw in form.get("paths", []):
            path = raw.strip("/")
            if path in commit.files:
                out.append(_file_entry(path, commit.files[path]))
            elif path:
                oids = [e.git_oid for p, e in commit.files.items() if p.startswith(path + "/")]
                if oids:
                    out.append(_dir_entry(path, oids))
        if _truthy((form.get("expand") or ["false"])[0]):
            self._add_last_commits(key, commit, out)
        return json_response(out)

    def refs(self, req: Request, key: RepoKey) -> Response:
        state = self.visible_state(req, key)
        doc: dict[str, Any] = {
            "branches": [
                {"name": n, "ref": f"refs/heads/{n}", "targetCommit": c}
                for n, c in sorted(state["branches"].items())
            ],
            "converts": [],
            "tags": [
                {"name": n, "ref": f"refs/tags/{n}", "targetCommit": c}
                for n, c in sorted(state["tags"].items())
            ],
        }
        if req.flag("include_prs"):
            doc["pullRequests"] = [
                {"name": f"refs/pr/{n}", "ref": f"refs/pr/{n}", "targetCommit": pr["head"]}
                for n, pr in sorted(state["prs"].items(), key=lambda kv: int(kv[0]))
                if is_pull_request(pr)
            ]
        return json_response(doc)

    def commits(self, req: Request, key: RepoKey, rev: str) -> Response:
        """History newest first, a page at a time: the cursor is the id of the page's first commit, so a page
        walks only its own commits (first-parent), however long the history."""
        state = self.visible_state(req, key)
        head = self.resolve_rev(key, state, rev)
        try:
            size = max(1, min(self.hub.page_size, 50, int(req.param("limit") or 50)))
        except ValueError as exc:
            raise HTTPError(400, "limit must be an integer") from exc
        start = req.param("cursor") or head
        if self.storage.load_commit(key, start) is None:
            raise HTTPError(400, "cursor is not a commit of this repo")
        formatted = "formatted" in req.query.get("expand[]", []) + req.query.get("expand", []) or req.flag(
            "formatted"
        )
        rows = []
        for c in self.storage.history(key, start):
            if len(rows) == size:
                return json_response(rows, headers=self._next_link(req, c.id))
            rows.append({
                "id": c.id,
                "title": c.title,
                "message": c.message,
                "date": c.date,
                "authors": [{"user": c.author}],
                **({"formatted": {"title": html.escape(c.title), "message": html.escape(c.message)}} if formatted else {}),
            })  # fmt: skip
        return json_response(rows)

    def resolve(self, req: Request, key: RepoKey, rev: str, path: str) -> Response:
        state = self.visible_state(req, key)
        self.gate(req, key, state)
        commit = self.load_rev(key, state, rev)
        entry = commit.files.get(path)
        if entry is None:
            raise entry_not_found(path, commit.id)
        headers = {
            "X-Repo-Commit": commit.id,
            "ETag": f'"{entry.etag}"',
            "X-Linked-Size": str(entry.size),
            "Accept-Ranges": "bytes",
            "Content-Type": "application/octet-stream",
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(path.rsplit('/', 1)[-1])}",
        }
        if entry.lfs:
            headers["X-Linked-Etag"] = f'"{entry.sha256}"'
        blob = self.storage.blob_path(entry.sha256)
        start, end = _parse_range(req.headers.get("Range"), entry.size)
        if start is None:
            return Response(200, headers=headers, file=blob, length=entry.size)
        headers["Content-Range"] = f"bytes {start}-{end}/{entry.size}"
        return Response(206, headers=headers, file=blob, offset=start, length=end - start + 1)

    # ================================================================= refs
    def create_tag(self, req: Request, key: RepoKey, rev: str) -> Response:
        body = req.json_object()
        tag = body.get("tag")
        if not isinstance(tag, str) or not tag:
            raise HTTPError(400, "body needs a 'tag' name")
        self.writable_state(req, key)
        with self.storage.lock(key):
            state = self.writable_state(req, key)
            target = self.resolve_rev(
                key, state, rev or "main"
            )  # a missing revision is named first, as the Hub does
            problem = ref_name_problem(tag)
            if problem:
                raise HTTPError(400, f"body needs a valid 'tag' name: {problem}")
            if tag in state["tags"]:
                raise HTTPError(409, f"Tag {tag!r} already exists")
            state["tags"][tag] = target
            self.storage.save_state(key, state)
        return json_response({})

    def delete_tag(self, req: Request, key: RepoKey, tag: str) -> Response:
        self.writable_state(req, key)
        with self.storage.lock(key):
            state = self.writable_state(req, key)
            tag = tag[len("refs/tags/") :] if tag.startswith("refs/tags/") else tag
            if state["tags"].pop(tag, None) is None:
                raise revision_not_found(tag)
            self.storage.save_state(key, state)
        return json_response({})

    def create_branch(self, req: Request, key: RepoKey, branch: str) -> Response:
        body = req.json_object()
        problem = ref_name_problem(branch)
        if problem:
            raise HTTPError(400, f"invalid branch name: {problem}")
        start = body.get("startingPoint") or "main"
        if not isinstance(start, str) or revision_problem(start):
            raise HTTPError(400, "'startingPoint' must be a revision (a branch, tag or commit id)")
        self.writable_state(req, key)
        with self.storage.lock(key):
            state = self.writable_state(req, key)
            if branch in state["branches"]:
                raise HTTPError(409, f"Reference refs/heads/{branch} already exists")
            state["branches"][branch] = self.resolve_rev(key, state, start)
            self.storage.save_state(key, state)
        return json_response({})

    def delete_branch(self, req: Request, key: RepoKey, branch: str) -> Response:
        self.writable_state(req, key)
        with self.storage.lock(key):
            state = self.writable_state(req, key)
            branch = branch[len("refs/heads/") :] if branch.startswith("refs/heads/") else branch
            if branch == "main":
                raise HTTPError(403, "Cannot delete refs/heads/main: it is the default branch")
            if state["branches"].pop(branch, None) is None:
                raise revision_not_found(branch)
            self.storage.save_state(key, state)
        return json_response({})

    # ================================================================= card validation
    def validate_yaml(self, req: Request) -> Response:
        try:
            body = req.json_object()
        except HTTPError as exc:
            return json_response({"error": exc.message, "errors": [{"message": exc.message}]}, 400)
        content = body.get("content") if isinstance(body, dict) else None
        if not isinstance(content, str):
            return json_response({"error": "body needs 'content' (the README text)", "errors": []}, 400)
        errors, warnings = card_text_problems(content)
        if errors:
            return json_response(
                {"error": "; ".join(errors), "errors": [{"message": m} for m in errors]}, 400
            )
        return json_response({"errors": [], "warnings": [{"message": m} for m in warnings]})

    # ================================================================= uploads
    def upload_mode_for(self, path: str, size: int, sample: bytes) -> str:
        if self.hub.upload_mode == "regular" or size == 0:
            return "regular"
        if path.lower().endswith(LFS_SUFFIXES) or size >= LFS_SIZE_THRESHOLD or b"\0" in sample:
            return "lfs"
        return "regular"

    def preupload(self, req: Request, key: RepoKey, rev: str) -> Response:
        body = req.json_object()
        state = self.pr_state(req, key, rev)
        commit = None
        try:
            commit = self.load_rev(key, state, rev)
        except HTTPError:
            if not req.flag("create_pr"):
                raise
        ignored = self._gitignore(body, commit)
        out = []
        for number, item in enumerate(_list_of_objects(body, "files")):
            path, size, sample_b64 = item.get("path"), item.get("size", 0), item.get("sample") or ""
            if (
                not isinstance(size, int)
                or isinstance(size, bool)
                or size < 0
                or not isinstance(sample_b64, str)
            ):
                raise HTTPError(
                    400, f"files[{number}]: 'size' must be a non-negative integer and 'sample' base64 text"
                )
            cleaned = clean_repo_path(path)
            mode = self.upload_mode_for(cleaned, size, decode_regular_file(sample_b64))
            existing = commit.files.get(cleaned) if commit else None
            oid = None if existing is None else (existing.sha256 if mode == "lfs" else existing.sha1)
            out.append({"path": path, "uploadMode": mode, "shouldIgnore": ignored(path), "oid": oid})
        return json_response({"files": out, "commitOid": commit.id if commit else None})

    def _gitignore(self, body: dict[str, Any], commit: Commit | None) -> Callable[[str], bool]:
        """Which paths the repo's .gitignore excludes: the `gitIgnore` text the client sends (a .gitignore in
        the same commit), else the one on the revision; the Hub answers shouldIgnore so the client skips them."""
        import pathspec

        text = body.get("gitIgnore")
        if not isinstance(text, str):
            text = (self.file_text(commit, ".gitignore", limit=1_000_000) if commit else None) or ""
        if not text.strip():
            return lambda path: False
        spec = pathspec.GitIgnoreSpec.from_lines(text.splitlines())
        return lambda path: path != ".gitignore" and spec.match_file(path)

    def lfs_batch(self, req: Request, key: RepoKey) -> Response:
        """Upload actions for every object this repo does not have yet, even when another repo has the bytes:
        the answer never reveals what other repos hold, and an upload proves the uploader has the content."""
        body = req.json_object()
        self.require_user(req, f"upload to {key.id}")
        self.visible_state(req, key)  # a PR on a repo one cannot write also uploads its LFS objects
        if body.get("operation") != "upload":
            raise HTTPError(
                400, "the local hub's LFS endpoint only supports operation=upload (download via resolve)"
            )
        objects = []
        for obj in _list_of_objects(body, "objects"):
            oid, size = obj.get("oid"), obj.get("size")
            if not is_sha256(oid) or not isinstance(size, int) or isinstance(size, bool) or size < 0:
                objects.append(
                    {
                        "oid": str(oid)[:64],
                        "size": 0,
                        "error": {"code": 422, "message": "oid must be a sha256 hex and size an int"},
                    }
                )
                continue
            entry: dict[str, Any] = {"oid": oid, "size": size, "authenticated": True}
            if not self.storage.repo_has_lfs(key, oid):
                scope = f"{key.type}/{key.id}"
                upload = f"{req.base_url}/_lfs/upload/{scope}/{oid}?{self.hub.signer.sign(scope, oid, size)}"
                verify = f"{req.base_url}/_lfs/verify/{scope}"
                entry["actions"] = {
                    "upload": {"href": upload, "header": {}},
                    "verify": {"href": verify, "header": {}},
                }
            objects.append(entry)
        body_out = json.dumps({"transfer": "basic", "objects": objects, "hash_algo": "sha256"}).encode()
        return Response(200, body_out, {"Content-Type": "application/vnd.git-lfs+json"})

    def lfs_put(self, req: Request, key: RepoKey, oid: str) -> Response:
        try:
            size = int(req.param("size") or -1)
            expires = int(req.param("expires") or 0)
        except ValueError as exc:
            raise HTTPError(403, "malformed upload URL") from exc
        reason = self.hub.signer.check(f"{key.type}/{key.id}", oid, size, expires, req.param("sig") or "")
        if reason is not None or not is_sha256(oid):
            raise HTTPError(403, reason or "invalid oid")
        if req.body.declared is not None and req.body.declared != size:
            raise HTTPError(400, f"upload body has {req.body.declared} bytes, the batch announced {size}")
        req.body.limit = size
        sha256, sha1, _ = self.storage.put_stream(req.body, size, expected_sha256=oid)
        if req.body.read(1):
            raise HTTPError(400, f"upload body is longer than the {size} bytes the batch announced")
        self.storage.save_blob_meta(sha256, sha1)
        self.storage.grant_lfs(key, sha256)
        return Response(200, headers={"ETag": f'"{sha256}"'})

    def lfs_verify(self, req: Request, key: RepoKey) -> Response:
        body = req.json_object()
        self.require_user(req, f"upload to {key.id}")
        self.visible_state(req, key)
        oid, size = body.get("oid"), body.get("size")
        if not (is_sha256(oid) and self.storage.repo_has_lfs(key, oid)):
            raise HTTPError(404, f"LFS object {str(oid)[:64]} was not uploaded to {key.id}")
        if isinstance(size, int) and self.storage.blob_path(oid).stat().st_size != size:
            raise HTTPError(422, f"LFS object {oid} has a different size than {size}")
        return json_response({"oid": oid, "size": size})

    def _parse_commit_body(
        self, req: Request, key: RepoKey
    ) -> tuple[dict[str, Any], list[tuple[str, str, Any]]]:
        """Header and operations of the NDJSON commit; regular file contents are stored as they stream in."""
        header: dict[str, Any] | None = None
        ops: list[tuple[str, str, Any]] = []
        for number, raw in enumerate(req.body.lines(MAX_COMMIT_LINE), start=1):
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
                kind, value = line["key"], line["value"]
            except (
                json.JSONDecodeError,
                UnicodeDecodeError,
                RecursionError,
                KeyError,
                TypeError,
                IndexError,
            ) as exc:
                raise HTTPError(
                    400, f"commit payload line {number} is not a {{key, value}} JSON object"
                ) from exc
            if not isinstance(value, dict):
                raise HTTPError(400, f"commit payload line {number}: 'value' must be a JSON object")
            if kind == "header":
                header = _commit_header(value)
            elif kind == "file":
                path = clean_repo_path(value.get("path"))
                content = value.get("content", "")
                if not isinstance(content, str) or value.get("encoding", "base64") != "base64":
                    raise HTTPError(400, f"commit payload line {number}: 'content' must be base64 text")
                sha256, sha1, size = self.storage.put_bytes(decode_regular_file(content))
                ops.append(("add", path, FileEntry(sha256, sha1, size, False)))
            elif kind == "lfsFile":
                ops.append(("add", clean_repo_path(value.get("path")), self._lfs_entry(key, value)))
            elif kind == "deletedFile":
                ops.append(("delete", clean_repo_path(value.get("path")), None))
            elif kind == "deletedFolder":
                ops.append(("delete-folder", clean_repo_path(value.get("path")), None))
            else:
                raise HTTPError(400, f"commit payload line {number}: unknown operation {str(kind)[:40]!r}")
        if header is None:
            raise HTTPError(400, "commit payload has no header line")
        return header, ops

    def _lfs_entry(self, key: RepoKey, value: dict[str, Any]) -> FileEntry:
        """An LFS file of the commit: only an object uploaded to this repo or already in its history."""
        oid = value.get("oid")
        if not (is_sha256(oid) and self.storage.repo_has_lfs(key, oid)):
            raise HTTPError(
                422,
                f"LFS object {str(oid)[:64]} for {str(value.get('path'))[:200]!r} was never uploaded to {key.id}",
            )
        size = self.storage.blob_path(oid).stat().st_size
        if value.get("size") is not None and value["size"] != size:
            raise HTTPError(
                422, f"LFS object {oid} is {size} bytes, the commit says {str(value['size'])[:40]}"
            )
        return FileEntry(oid, self.storage.blob_meta_sha1(oid), size, True)

    def commit(self, req: Request, key: RepoKey, rev: str) -> Response:
        user = self.require_user(req, f"commit to {key.id}")
        self.pr_state(req, key, rev)
        header, ops = self._parse_commit_body(req, key)
        create_pr = req.flag("create_pr")
        with self.storage.lock(key):
            state = self.pr_state(req, key, rev)
            base_id, pr_number = self._commit_target(key, state, rev, create_pr)
            parent_wanted = header.get("parentCommit")
            if parent_wanted:
                if not base_id.startswith(parent_wanted) and not create_pr:
                    raise HTTPError(
                        412,
                        "The branch was updated since you opened this page. Please refresh and try again. "
                        f"(head of {rev} is {base_id})",
                    )
                if create_pr:
                    base_id = self.resolve_rev(key, state, parent_wanted)
            parent = self.storage.load_commit(key, base_id)
            if parent is None:
                raise revision_not_found(rev)
            files = _apply_ops(dict(parent.files), ops, base_id)
            summary = header["summary"] or "Upload files"
            if pr_number is not None and state["prs"][pr_number]["status"] == "merged":
                raise HTTPError(400, f"Pull request {pr_number} is merged; it takes no more commits")
            new = self.storage.make_commit(key, parent, summary, header["description"], user.name, files)
            pr_url = self._move_ref(
                req, key, state, rev, new, pr_number, create_pr, summary, user.name, header["description"]
            )
            self.storage.save_state(key, state)
        return json_response(
            {
                "success": True,
                "commitOid": new.id,
                "commitUrl": f"{self.repo_url(req, key)}/commit/{new.id}",
                "commitMessage": summary,
                "pullRequestUrl": pr_url,
            }
        )

    def _commit_target(
        self, key: RepoKey, state: dict[str, Any], rev: str, create_pr: bool
    ) -> tuple[str, str | None]:
        """The commit the new one builds on, and the PR number when committing to refs/pr/N."""
        match = re.fullmatch(r"refs/pr/(\d+)", rev)
        if match:
            if not is_pull_request(state["prs"].get(match.group(1), {"isPullRequest": False})):
                raise revision_not_found(rev)
            return state["prs"][match.group(1)]["head"], match.group(1)
        branch = rev[len("refs/heads/") :] if rev.startswith("refs/heads/") else rev
        if branch in state["branches"]:
            return state["branches"][branch], None
        if create_pr:
            raise revision_not_found(rev)  # the Hub opens PRs against branches only, not tags or commit ids
        if rev in state["tags"] or self.storage.load_commit(key, rev) is not None:
            raise HTTPError(400, f"Cannot commit to {rev!r}: commits go to a branch or a refs/pr/N reference")
        raise revision_not_found(rev)

    def _move_ref(
        self,
        req: Request,
        key: RepoKey,
        state: dict[str, Any],
        rev: str,
        new: Commit,
        pr_number: str | None,
        create_pr: bool,
        title: str,
        author: str,
        description: str = "",
    ) -> str | None:
        if create_pr:
            branch = rev[len("refs/heads/") :] if rev.startswith("refs/heads/") else rev
            number = open_discussion(
                state, title, author, description, pull_request=True, head=new.id, base=branch
            )
            state["prs"][number]["start"] = new.parents[0] if new.parents else None
            return f"{self.repo_url(req, key)}/discussions/{number}"
        if pr_number is not None:
            state["prs"][pr_number]["head"] = new.id
            return None
        branch = rev[len("refs/heads/") :] if rev.startswith("refs/heads/") else rev
        state["branches"][branch] = new.id
        return None

    @staticmethod
    def _open_pr(state: dict[str, Any], title: str, author: str, head: str, base: str) -> str:
        number = str(max((int(n) for n in state["prs"]), default=0) + 1)
        state["prs"][number] = {
            "head": head,
            "base": base,
            "title": title,
            "author": author,
            "status": "open",
        }
        return number

    # ================================================================= pull requests and discussions
    def discussions(self) -> Discussions:
        if self._discussions is None:
            self._discussions = Discussions(self)
        return self._discussions

    def merge_commit(
        self, key: RepoKey, state: dict[str, Any], pr: dict[str, Any], author: str, title: str
    ) -> str:
        """Merge a PR into its base branch (caller holds the repo lock): the PR's changes since it started are
        applied to the branch's head in one new commit; a path both sides changed differently is a 409."""
        base_head = self.storage.load_commit(key, state["branches"].get(pr["base"], ""))
        head = self.storage.load_commit(key, pr["head"])
        start = self.storage.load_commit(key, pr.get("start") or "") if pr.get("start") else None
        if base_head is None or head is None:
            raise HTTPError(409, f"Cannot merge: branch {pr['base']!r} or the PR head no longer exists")
        before = start.files if start is not None else base_head.files
        files = dict(base_head.files)
        for path in set(before) | set(head.files):
            ours, theirs, old = base_head.files.get(path), head.files.get(path), before.get(path)
            if theirs == old:
                continue
            if ours != old and ours != theirs:
                raise HTTPError(409, f"Cannot merge: {path} was changed on {pr['base']} too (conflict)")
            if theirs is None:
                files.pop(path, None)
            else:
                files[path] = theirs
        merged = self.storage.make_commit(key, base_head, title, "", author, files)
        state["branches"][pr["base"]] = merged.id
        return merged.id


# ===================================================================== helpers
def _checked_rev(rev: str) -> str:
    problem = revision_problem(rev)
    if problem:
        raise HTTPError(400, f"Invalid revision: {problem}")
    return rev


def _checked_path(path: str) -> str:
    problem = path_problem(path)
    if problem:
        raise HTTPError(400, f"Invalid path: {problem}")
    return path


def _list_of_objects(body: dict[str, Any], field: str) -> list[dict[str, Any]]:
    items = body.get(field) or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise HTTPError(400, f"'{field}' must be a list of JSON objects")
    return items


def _commit_header(value: dict[str, Any]) -> dict[str, Any]:
    """The commit header with its types checked: summary and description are text, parentCommit a commit id."""
    summary, description = value.get("summary") or "", value.get("description") or ""
    if not isinstance(summary, str) or not isinstance(description, str):
        raise HTTPError(400, "commit header: 'summary' and 'description' must be strings")
    parent = value.get("parentCommit")
    if parent is not None:
        problem = parent_commit_problem(parent)
        if problem:
            raise HTTPError(400, f"commit header: {problem}")
        parent = parent.lower()
    return {"summary": summary, "description": description, "parentCommit": parent}


def _apply_ops(
    files: dict[str, FileEntry], ops: list[tuple[str, str, Any]], commit_id: str
) -> dict[str, FileEntry]:
    """The new file table; a path that would be both a file and a folder (`a` and `a/b`) is a 400."""
    files = _apply_each(files, ops, commit_id)
    clash = file_folder_conflict(files)
    if clash:
        raise HTTPError(400, f"Invalid commit: {clash!r} would be both a file and a folder")
    return files


def _apply_each(
    files: dict[str, FileEntry], ops: list[tuple[str, str, Any]], commit_id: str
) -> dict[str, FileEntry]:
    for kind, path, entry in ops:
        if kind == "add":
            files[path] = entry
        elif kind == "delete" and path in files:
            del files[path]
        elif kind == "delete" and not any(p.startswith(path + "/") for p in files):
            raise HTTPError(
                404,
                f"A file with this name doesn't exist: {path}",
                "EntryNotFound",
                {"X-Repo-Commit": commit_id},
            )
        else:  # a folder (the Hub deletes a folder named without its trailing slash too)
            doomed = [p for p in files if p.startswith(path.rstrip("/") + "/")]
            if not doomed:
                raise HTTPError(
                    404,
                    f"A folder with this name doesn't exist: {path}",
                    "EntryNotFound",
                    {"X-Repo-Commit": commit_id},
                )
            for p in doomed:
                del files[p]
    return files


def _space_readme(key: RepoKey, body: dict[str, Any]) -> bytes | None:
    """A new Space gets a README.md with its SDK in the front matter, as on the Hub."""
    if key.type != "space":
        return None
    sdk = (
        body.get("sdk")
        if isinstance(body.get("sdk"), str) and re.fullmatch(r"[a-z]{1,20}", body["sdk"])
        else "static"
    )
    title = re.sub(r"[^A-Za-z0-9 ._-]", "", key.name)[:96] or "space"
    return f"---\ntitle: {title}\nsdk: {sdk}\npinned: false\n---\n".encode()


def _commit_summary(commit: Commit) -> dict[str, Any]:
    return {"id": commit.id, "title": commit.title, "date": commit.date}


def _file_entry(path: str, entry: FileEntry) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "file", "path": path, "oid": entry.git_oid, "size": entry.size}
    if entry.lfs:
        out["lfs"] = {"oid": entry.sha256, "size": entry.size, "pointerSize": len(entry.pointer)}
    return out


def _dir_entry(path: str, oids: list[str]) -> dict[str, Any]:
    return {
        "type": "directory",
        "path": path,
        "oid": hashlib.sha1("".join(oids).encode()).hexdigest(),
        "size": 0,
    }


def _parse_range(header: str | None, size: int) -> tuple[int | None, int]:
    """(start, end) of a single `bytes=` range, (None, 0) for none/unsupported; 416 when unsatisfiable."""
    if not header or not header.startswith("bytes=") or "," in header:
        return None, 0
    first, _, last = header[len("bytes=") :].strip().partition("-")
    try:
        if first == "":
            start, end = max(0, size - int(last)), size - 1
        else:
            start, end = int(first), (int(last) if last else size - 1)
    except ValueError:
        return None, 0
    end = min(end, size - 1)
    if start >= size or start > end:
        raise HTTPError(
            416,
            f"range {header} not satisfiable for {size} bytes",
            headers={"Content-Range": f"bytes */{size}"},
        )
    return start, end


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
