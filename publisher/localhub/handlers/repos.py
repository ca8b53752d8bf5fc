"""Account and repo endpoints: whoami, create, delete, move, settings, the namespace's repositories, model
info, listings, auth-check, likes."""

from __future__ import annotations

import re
from typing import Any

from publisher.localhub.http import HTTPError, Request, Response, json_response, next_link, page, truthy
from publisher.localhub.model_meta import EXPAND, NEUTRAL
from publisher.localhub.repo_view import RepoView
from publisher.localhub.rules import REPO_TYPES, RepoKey
from publisher.naming import repo_id_problem

_CARD_FIELDS = frozenset({"cardData", "tags", "pipeline_tag", "library_name"})
_SETTINGS_KEYS = frozenset({"private", "visibility", "gated"})


class Repos:
    """The repo-level endpoints."""

    def __init__(self, view: RepoView) -> None:
        self.view = view
        self.storage = view.storage

    def whoami(self, req: Request) -> Response:
        if req.user is None:
            raise HTTPError(401, "Invalid user token. You must send Authorization: Bearer <token>.")
        return json_response(req.user.whoami())

    def _repo_key_from_body(self, req: Request, body: dict[str, Any]) -> RepoKey:
        name, org = body.get("name"), body.get("organization")
        if isinstance(name, str) and "/" in name and not org:
            org, name = name.split("/", 1)
        if not org:
            org = self.view.require_user(req, "create a repo").name
        repo_type = body.get("type") or "model"
        if repo_type not in REPO_TYPES:
            raise HTTPError(400, f"invalid repo type {repo_type!r}; one of {', '.join(REPO_TYPES)}")
        name, org = _text("name", name), _text("organization", org)
        problem = repo_id_problem(f"{org}/{name}")
        if problem:
            raise HTTPError(400, f"invalid repo id: {problem}")
        return RepoKey(repo_type, org, name)

    def create_repo(self, req: Request) -> Response:
        body = req.json_object()
        user = self.view.require_user(req, "create a repo")
        key = self._repo_key_from_body(req, body)
        url = self.view.repo_url(req, key)
        if not user.can_write(key.namespace):
            raise HTTPError(
                403,
                f"You don't have the rights to create a {key.type} under the namespace {key.namespace!r}.",
            )
        private = body.get("visibility") == "private" or truthy(body.get("private", False))
        with self.storage.create_lock, self.storage.lock(key):
            existing = self.storage.canonical_key(
                key
            )  # ids are case-insensitive: X/Repo exists => X/repo does
            if self.storage.load_state(existing) is not None:
                url = self.view.repo_url(req, existing)
                return json_response({"error": f"You already created this {key.type} repo", "url": url}, 409)
            self.storage.create_repo(key, private=private, author=user.name, readme=_space_readme(key, body))
        return json_response({"url": url, "name": key.id, "id": key.id})

    def delete_repo(self, req: Request) -> Response:
        key = self._repo_key_from_body(req, req.json_object())
        self.view.writable_state(req, key)
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
        self.view.writable_state(req, key)
        with self.storage.lock(key):
            state = self.view.writable_state(req, key)
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
        user = self.view.require_user(req, "list your repositories")
        namespace = namespace or user.name
        if not user.can_write(namespace):
            raise HTTPError(403, f"You are not a member of {namespace!r}")
        rows: list[dict[str, Any]] = []
        for repo_type in REPO_TYPES:
            for key in self.storage.index.keys_after(repo_type, namespace, None):
                state = self.storage.load_state(key)
                commit = self.storage.load_commit(key, state["branches"].get("main", "")) if state else None
                if state is None or commit is None:
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
        items, link = page(req, self.view.hub.page_size, rows)
        return json_response(items, headers=link)

    def likes_unsupported(self, req: Request, key: RepoKey) -> Response:
        self.view.visible_state(req, key)  # a missing repo is the Hub's RepoNotFound
        raise HTTPError(501, "The local hub does not keep likes")

    def auth_check(self, req: Request, key: RepoKey, write: bool) -> Response:
        """GET auth-check[/write]: 200 when the caller may read (write) the repo, else the Hub's error."""
        state = self.view.visible_state(req, key)
        if write:
            self.view.writable_state(req, key)
        else:
            self.view.gate(req, key, state)
        return json_response({})

    def move_repo(self, req: Request) -> Response:
        """POST /api/repos/move {fromRepo, toRepo, type}: rename or transfer; the old id redirects to the new."""
        body = req.json()
        repo_type = body.get("type") or "model"
        ids = [body.get("fromRepo"), body.get("toRepo")]
        if repo_type not in REPO_TYPES or not all(isinstance(i, str) and i.count("/") == 1 for i in ids):
            raise HTTPError(400, "body needs fromRepo and toRepo as 'namespace/name' and a valid type")
        old = self.view.key(repo_type, *ids[0].split("/"))
        new = self._repo_key_from_body(req, {"name": ids[1], "type": repo_type})
        user = self.view.require_user(req, "move a repo")
        if not user.can_write(new.namespace):
            raise HTTPError(
                403,
                f"You don't have the rights to create a {repo_type} under the namespace {new.namespace!r}.",
            )
        with self.storage.create_lock, self.storage.lock(old):
            self.view.writable_state(req, old)
            existing = self.storage.canonical_key(new)
            if self.storage.load_state(existing) is not None and existing != old:
                raise HTTPError(409, f"A {repo_type} repository called {existing.id} already exists")
            self.storage.move_repo(old, new)
        return json_response({"url": self.view.repo_url(req, new)})

    def repo_info(self, req: Request, key: RepoKey, rev: str | None) -> Response:
        expand = req.query.get("expand") or []
        unknown = sorted(set(expand) - EXPAND[key.type])
        state = self.view.visible_state(req, key)
        if unknown:
            raise HTTPError(
                400,
                f'"expand" must be one of {", ".join(sorted(EXPAND[key.type]))}; got {", ".join(unknown)}',
            )
        commit = self.view.load_rev(key, state, rev or "main")
        info = self.view.describe(key, state, commit, blobs=req.flag("blobs"))
        if key.type == "model":
            info.update(self.view.model_meta(commit, info.get("pipeline_tag")))
        if expand:
            info = {"_id": info["_id"], "id": info["id"], **{k: info.get(k, NEUTRAL.get(k)) for k in expand}}
        return json_response(info)

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
            every = [info for key in self.storage.index.keys_after(repo_type, req.param("author") or None, None)
                     if (info := self._listed(req, key)) is not None]  # fmt: skip
            every.sort(key=lambda info: info.get(sort) or "", reverse=req.param("direction") == "-1")
            items, link = page(req, self.view.hub.page_size, every)
            return json_response(items, headers=link)
        try:
            size = max(1, min(self.view.hub.page_size, int(req.param("limit") or self.view.hub.page_size)))
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
                return json_response(rows, headers=next_link(req, last))
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
        info = self.view.describe(
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


def _text(label: str, value: Any) -> str:
    """A repo name or organization from the request body: a string, else a 400 naming it."""
    if not isinstance(value, str):
        raise HTTPError(400, f"invalid repo {label}: expected a string, not {type(value).__name__}")
    return value


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
