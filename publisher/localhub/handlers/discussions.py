"""Discussions and pull requests of the local hub (docs/hub-api.md §2): create, list, details, comment, edit/hide a
comment, rename, change status, merge.

They live in the repo's state.json under "prs" (the name predates plain discussions): number -> {title,
author, status, isPullRequest, createdAt, events, and for a PR: head, base, start (the base commit the PR
started from) and mergeCommitId}. Entries written before discussions existed have no "isPullRequest" and are
pull requests.
"""

from __future__ import annotations

import html
import uuid
from typing import Any

from publisher.localhub.http import HTTPError, Request, Response, json_response
from publisher.localhub.repo_view import RepoView, is_pull_request
from publisher.localhub.rules import RepoKey
from publisher.localhub.storage import Storage, now_iso

PAGE_SIZE = 50
STATUSES = ("open", "closed")
MAX_TEXT = 64 * 1024


def new_event(kind: str, author: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": uuid.uuid4().hex[:24],
        "type": kind,
        "createdAt": now_iso(),
        "author": {"name": author},
        "data": data,
    }


def comment_event(author: str, text: str) -> dict[str, Any]:
    return new_event(
        "comment",
        author,
        {
            "edited": False,
            "hidden": False,
            "numEdits": 0,
            "latest": {"raw": text, "html": html.escape(text), "updatedAt": now_iso()},
        },
    )


def open_discussion(
    state: dict[str, Any],
    title: str,
    author: str,
    description: str,
    *,
    pull_request: bool,
    head: str | None = None,
    base: str = "main",
) -> str:
    """Add a discussion (or a PR whose branch starts at `head`) to the state; returns its number."""
    number = str(max((int(n) for n in state["prs"]), default=0) + 1)
    entry: dict[str, Any] = {
        "title": title,
        "author": author,
        "status": "open",
        "isPullRequest": pull_request,
        "createdAt": now_iso(),
        "events": [comment_event(author, description)] if description else [],
    }
    if pull_request:
        entry.update(head=head, base=base, start=head)
    state["prs"][number] = entry
    return number


def _text(body: Any, field: str, limit: int = MAX_TEXT) -> str:
    value = body.get(field) if isinstance(body, dict) else None
    if not isinstance(value, str) or not value.strip():
        raise HTTPError(400, f"body needs a non-empty string {field!r}")
    if len(value) > limit:
        raise HTTPError(400, f"{field!r} is longer than {limit} characters")
    return value


class Discussions:
    """The discussion endpoints; `view` supplies the access checks and the storage."""

    def __init__(self, view: RepoView) -> None:
        self.view = view
        self.storage = view.storage

    # ----------------------------------------------------------------- dispatch
    def post(self, req: Request, key: RepoKey, args: list[str]) -> Response:
        if not args:
            return self.create(req, key)
        if len(args) == 2 and args[1] in ("comment", "status", "title", "merge"):
            return getattr(self, f"_{args[1]}")(req, key, args[0])
        if len(args) == 4 and args[1] == "comment" and args[3] == "edit":
            return self._edit_comment(req, key, args[0], args[2])
        raise HTTPError(404, f"no such discussion endpoint: {'/'.join(args)}")

    def put(self, req: Request, key: RepoKey, args: list[str]) -> Response:
        if len(args) == 4 and args[1] == "comment" and args[3] == "hide":
            return self._hide_comment(req, key, args[0], args[2])
        raise HTTPError(404, f"no such discussion endpoint: {'/'.join(args)}")

    def get(self, req: Request, key: RepoKey, args: list[str]) -> Response:
        state = self.view.visible_state(req, key)
        if not args:
            return self._list(req, key, state)
        if len(args) == 1:
            return json_response(self.details(req, key, state, args[0]))
        raise HTTPError(404, f"no such discussion endpoint: {'/'.join(args)}")

    # ----------------------------------------------------------------- reading
    def _entry(self, key: RepoKey, state: dict[str, Any], num: str) -> dict[str, Any]:
        entry = state["prs"].get(num)
        if entry is None:
            raise HTTPError(404, f"Discussion {num} not found on {key.id}")
        return entry

    def summary(self, key: RepoKey, num: str, entry: dict[str, Any]) -> dict[str, Any]:
        return {
            "num": int(num),
            "title": entry["title"],
            "author": {"name": entry["author"]},
            "createdAt": entry.get("createdAt") or now_iso(),
            "status": entry["status"],
            "repo": {"name": key.id, "type": key.type},
            "isPullRequest": is_pull_request(entry),
        }

    def details(self, req: Request, key: RepoKey, state: dict[str, Any], num: str) -> dict[str, Any]:
        entry = self._entry(key, state, num)
        out = {**self.summary(key, num, entry), "events": entry.get("events", [])}
        if is_pull_request(entry):
            changes = {"base": f"refs/heads/{entry['base']}"}
            if entry.get("mergeCommitId"):
                changes["mergeCommitId"] = entry["mergeCommitId"]
            out.update(changes=changes, filesWithConflicts=[])
        else:
            out.update(changes={}, filesWithConflicts=[])
        return out

    def _list(self, req: Request, key: RepoKey, state: dict[str, Any]) -> Response:
        kind, status, author = req.param("type") or "all", req.param("status") or "all", req.param("author")
        try:
            page = max(0, int(req.param("p") or 0))
        except ValueError as exc:
            raise HTTPError(400, "p must be an integer") from exc
        rows = []
        for num, entry in sorted(state["prs"].items(), key=lambda kv: -int(kv[0])):
            if (
                kind == "pull_request"
                and not is_pull_request(entry)
                or kind == "discussion"
                and is_pull_request(entry)
            ):
                continue
            if (
                status == "open"
                and entry["status"] != "open"
                or status == "closed"
                and entry["status"] == "open"
            ):
                continue
            if author and entry["author"] != author:
                continue
            rows.append(self.summary(key, num, entry))
        start = page * PAGE_SIZE
        closed = sum(1 for e in state["prs"].values() if e["status"] != "open")
        return json_response(
            {
                "discussions": rows[start : start + PAGE_SIZE],
                "count": len(rows),
                "start": start,
                "numClosedDiscussions": closed,
            }
        )

    # ----------------------------------------------------------------- writing
    def create(self, req: Request, key: RepoKey) -> Response:
        body = req.json()
        user = self.view.require_user(req, f"open a discussion on {key.id}")
        title = _text(body, "title", 200).strip()
        description = body.get("description") if isinstance(body.get("description"), str) else ""
        with self.storage.lock(key):
            state = self.view.visible_state(req, key)
            pull_request = bool(body.get("pullRequest"))
            head = state["branches"]["main"] if pull_request else None
            number = open_discussion(
                state, title, user.name, description[:MAX_TEXT], pull_request=pull_request, head=head
            )
            self.storage.save_state(key, state)
        return json_response(
            {"num": int(number), "url": f"{self.view.repo_url(req, key)}/discussions/{number}"}
        )

    def _change(
        self, req: Request, key: RepoKey, num: str, *, owner_only: bool
    ) -> tuple[Any, dict[str, Any], dict[str, Any]]:
        """(user, state, entry) for a change; owner_only: the discussion's author or a repo writer."""
        user = self.view.require_user(req, f"change discussion {num} of {key.id}")
        state = self.view.visible_state(req, key)
        entry = self._entry(key, state, num)
        if owner_only and entry["author"] != user.name and not user.can_write(key.namespace):
            raise HTTPError(
                403, f"Only the author of discussion {num} or a maintainer of {key.id} can do this"
            )
        return user, state, entry

    def _comment(self, req: Request, key: RepoKey, num: str) -> Response:
        text = _text(req.json(), "comment")
        with self.storage.lock(key):
            user, state, entry = self._change(req, key, num, owner_only=False)
            event = comment_event(user.name, text)
            entry.setdefault("events", []).append(event)
            self.storage.save_state(key, state)
        return json_response({"newMessage": event})

    def _title(self, req: Request, key: RepoKey, num: str) -> Response:
        title = _text(req.json(), "title", 200).strip()
        with self.storage.lock(key):
            user, state, entry = self._change(req, key, num, owner_only=True)
            event = new_event("title-change", user.name, {"from": entry["title"], "to": title})
            entry["title"] = title
            entry.setdefault("events", []).append(event)
            self.storage.save_state(key, state)
        return json_response({"newTitle": event})

    def _status(self, req: Request, key: RepoKey, num: str) -> Response:
        body = req.json()
        status = body.get("status") if isinstance(body, dict) else None
        if status not in STATUSES:
            raise HTTPError(400, f"'status' must be one of {', '.join(STATUSES)}")
        with self.storage.lock(key):
            user, state, entry = self._change(req, key, num, owner_only=True)
            if entry["status"] == "merged":
                raise HTTPError(400, f"Pull request {num} is merged; its status cannot change")
            if isinstance(body.get("comment"), str) and body["comment"].strip():
                entry.setdefault("events", []).append(comment_event(user.name, body["comment"][:MAX_TEXT]))
            event = new_event("status-change", user.name, {"status": status})
            entry["status"] = status
            entry.setdefault("events", []).append(event)
            self.storage.save_state(key, state)
        return json_response({"newStatus": event})

    def _merge(self, req: Request, key: RepoKey, num: str) -> Response:
        body = req.json()
        with self.storage.lock(key):
            user = self.view.require_user(req, f"merge pull request {num} of {key.id}")
            state = self.view.writable_state(req, key)
            entry = self._entry(key, state, num)
            if not is_pull_request(entry):
                raise HTTPError(400, f"Discussion {num} is not a pull request")
            if entry["status"] != "open":
                raise HTTPError(400, f"Pull request {num} is {entry['status']}, not open")
            merged = merge_pull_request(
                self.storage, key, state, entry, user.name, f"Merge pull request #{num}: {entry['title']}"
            )
            if isinstance(body, dict) and isinstance(body.get("comment"), str) and body["comment"].strip():
                entry.setdefault("events", []).append(comment_event(user.name, body["comment"][:MAX_TEXT]))
            entry["status"], entry["mergeCommitId"] = "merged", merged
            entry.setdefault("events", []).append(new_event("status-change", user.name, {"status": "merged"}))
            self.storage.save_state(key, state)
        return json_response({})

    def _find_comment(self, entry: dict[str, Any], comment_id: str) -> dict[str, Any]:
        for event in entry.get("events", []):
            if event["id"] == comment_id and event["type"] == "comment":
                return event
        raise HTTPError(404, f"Comment {comment_id} not found")

    def _edit_comment(self, req: Request, key: RepoKey, num: str, comment_id: str) -> Response:
        text = _text(req.json(), "content")
        with self.storage.lock(key):
            user, state, entry = self._change(req, key, num, owner_only=False)
            event = self._find_comment(entry, comment_id)
            if event["author"]["name"] != user.name:
                raise HTTPError(403, "Only the author of a comment can edit it")
            data = event["data"]
            data.update(
                edited=True,
                numEdits=data.get("numEdits", 0) + 1,
                latest={"raw": text, "html": html.escape(text), "updatedAt": now_iso()},
            )
            self.storage.save_state(key, state)
        return json_response({"updatedComment": event})

    def _hide_comment(self, req: Request, key: RepoKey, num: str, comment_id: str) -> Response:
        with self.storage.lock(key):
            self.view.require_user(req, "hide a comment")
            state = self.view.writable_state(req, key)
            entry = self._entry(key, state, num)
            event = self._find_comment(entry, comment_id)
            event["data"].update(hidden=True, latest={**event["data"]["latest"], "raw": "", "html": ""})
            self.storage.save_state(key, state)
        return json_response({"updatedComment": event})


def merge_pull_request(
    storage: Storage, key: RepoKey, state: dict[str, Any], pr: dict[str, Any], author: str, title: str
) -> str:
    """Merge a PR into its base branch (caller holds the repo lock): the PR's changes since it started are
    applied to the branch's head in one new commit; a path both sides changed differently is a 409."""
    base_head = storage.load_commit(key, state["branches"].get(pr["base"], ""))
    head = storage.load_commit(key, pr["head"])
    start = storage.load_commit(key, pr.get("start") or "") if pr.get("start") else None
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
    merged = storage.make_commit(key, base_head, title, "", author, files)
    state["branches"][pr["base"]] = merged.id
    return merged.id
