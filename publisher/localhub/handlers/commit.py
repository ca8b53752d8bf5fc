"""The commit endpoint: an NDJSON header and operations (inline files, LFS files, deletions) applied to a
branch, a pull request, or a new pull request (create_pr)."""

from __future__ import annotations

import json
import re
from typing import Any

from publisher.localhub.handlers.discussions import open_discussion
from publisher.localhub.http import MAX_COMMIT_LINE, HTTPError, Request, Response, json_response
from publisher.localhub.lfs import is_sha256
from publisher.localhub.repo_view import RepoView, is_pull_request, revision_not_found
from publisher.localhub.rules import RepoKey, file_folder_conflict, parent_commit_problem
from publisher.localhub.storage import Commit, FileEntry, Storage, clean_repo_path, decode_regular_file


class Commits:
    """POST /api/{type}s/{repo}/commit/{rev}."""

    def __init__(self, view: RepoView) -> None:
        self.view = view
        self.storage = view.storage

    def commit(self, req: Request, key: RepoKey, rev: str) -> Response:
        user = self.view.require_user(req, f"commit to {key.id}")
        self.view.pr_state(req, key, rev)
        header, ops = self._parse_commit_body(req, key)
        create_pr = req.flag("create_pr")
        with self.storage.lock(key):
            state = self.view.pr_state(req, key, rev)
            base_id, pr_number = commit_target(self.storage, key, state, rev, create_pr)
            parent_wanted = header.get("parentCommit")
            if parent_wanted:
                if not base_id.startswith(parent_wanted) and not create_pr:
                    raise HTTPError(
                        412,
                        "The branch was updated since you opened this page. Please refresh and try again. "
                        f"(head of {rev} is {base_id})",
                    )
                if create_pr:
                    base_id = self.view.resolve_rev(key, state, parent_wanted)
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
                "commitUrl": f"{self.view.repo_url(req, key)}/commit/{new.id}",
                "commitMessage": summary,
                "pullRequestUrl": pr_url,
            }
        )

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
            return f"{self.view.repo_url(req, key)}/discussions/{number}"
        if pr_number is not None:
            state["prs"][pr_number]["head"] = new.id
            return None
        branch = rev[len("refs/heads/") :] if rev.startswith("refs/heads/") else rev
        state["branches"][branch] = new.id
        return None


def commit_target(
    storage: Storage, key: RepoKey, state: dict[str, Any], rev: str, create_pr: bool
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
    if rev in state["tags"] or storage.load_commit(key, rev) is not None:
        raise HTTPError(400, f"Cannot commit to {rev!r}: commits go to a branch or a refs/pr/N reference")
    raise revision_not_found(rev)


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
