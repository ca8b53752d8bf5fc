"""Refs endpoints: list refs (with pull requests), create/delete tags and branches, super-squash."""

from __future__ import annotations

from typing import Any

from publisher.localhub.handlers.commit import commit_target
from publisher.localhub.http import HTTPError, Request, Response, json_response
from publisher.localhub.repo_view import RepoView, is_pull_request, revision_not_found
from publisher.localhub.rules import RepoKey, ref_name_problem, revision_problem


class Refs:
    """Branches, tags and squashing of one repo."""

    def __init__(self, view: RepoView) -> None:
        self.view = view
        self.storage = view.storage

    def refs(self, req: Request, key: RepoKey) -> Response:
        state = self.view.visible_state(req, key)
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

    def create_tag(self, req: Request, key: RepoKey, rev: str) -> Response:
        body = req.json_object()
        tag = body.get("tag")
        if not isinstance(tag, str) or not tag:
            raise HTTPError(400, "body needs a 'tag' name")
        self.view.writable_state(req, key)
        with self.storage.lock(key):
            state = self.view.writable_state(req, key)
            target = self.view.resolve_rev(
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
        self.view.writable_state(req, key)
        with self.storage.lock(key):
            state = self.view.writable_state(req, key)
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
        self.view.writable_state(req, key)
        with self.storage.lock(key):
            state = self.view.writable_state(req, key)
            if branch in state["branches"]:
                raise HTTPError(409, f"Reference refs/heads/{branch} already exists")
            state["branches"][branch] = self.view.resolve_rev(key, state, start)
            self.storage.save_state(key, state)
        return json_response({})

    def delete_branch(self, req: Request, key: RepoKey, branch: str) -> Response:
        self.view.writable_state(req, key)
        with self.storage.lock(key):
            state = self.view.writable_state(req, key)
            branch = branch[len("refs/heads/") :] if branch.startswith("refs/heads/") else branch
            if branch == "main":
                raise HTTPError(403, "Cannot delete refs/heads/main: it is the default branch")
            if state["branches"].pop(branch, None) is None:
                raise revision_not_found(branch)
            self.storage.save_state(key, state)
        return json_response({})

    def super_squash(self, req: Request, key: RepoKey, rev: str) -> Response:
        """Replace a branch's (or PR's) history by one root commit holding its current files."""
        body = req.json()
        message = body["message"] if isinstance(body, dict) and isinstance(body.get("message"), str) else ""
        user = self.view.require_user(req, f"squash {key.id}")
        with self.storage.lock(key):
            state = self.view.writable_state(req, key)
            head_id, pr_number = commit_target(self.storage, key, state, rev, create_pr=False)
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
