"""Read endpoints: tree (with lastCommit), paths-info, commit history, file download (resolve, with
ranges) and validate-yaml (a card checked by `publisher check`'s rules)."""

from __future__ import annotations

import hashlib
import html
import itertools
from typing import Any
from urllib.parse import quote

from publisher.localhub.cards import card_text_problems
from publisher.localhub.http import HTTPError, Request, Response, json_response, next_link, page, truthy
from publisher.localhub.repo_view import RepoView, entry_not_found
from publisher.localhub.rules import RepoKey
from publisher.localhub.storage import Commit, FileEntry

_LAST_COMMIT_DEPTH = 2000


class Read:
    """The read-only endpoints of one repo."""

    def __init__(self, view: RepoView) -> None:
        self.view = view
        self.storage = view.storage

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
        state = self.view.visible_state(req, key)
        commit = self.view.load_rev(key, state, rev)
        entries = self._tree_entries(commit, path.strip("/"), req.flag("recursive"))
        items, link = page(req, self.view.hub.page_size, entries)
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
        state = self.view.visible_state(req, key)
        form = req.form()
        commit = self.view.load_rev(key, state, rev)
        out: list[dict[str, Any]] = []
        for raw in form.get("paths", []):
            path = raw.strip("/")
            if path in commit.files:
                out.append(_file_entry(path, commit.files[path]))
            elif path:
                oids = [e.git_oid for p, e in commit.files.items() if p.startswith(path + "/")]
                if oids:
                    out.append(_dir_entry(path, oids))
        if truthy((form.get("expand") or ["false"])[0]):
            self._add_last_commits(key, commit, out)
        return json_response(out)

    def commits(self, req: Request, key: RepoKey, rev: str) -> Response:
        """History newest first, a page at a time: the cursor is the id of the page's first commit, so a page
        walks only its own commits (first-parent), however long the history."""
        state = self.view.visible_state(req, key)
        head = self.view.resolve_rev(key, state, rev)
        try:
            size = max(1, min(self.view.hub.page_size, 50, int(req.param("limit") or 50)))
        except ValueError as exc:
            raise HTTPError(400, "limit must be an integer") from exc
        start = req.param("cursor") or head
        if self.storage.load_commit(key, start) is None:
            raise HTTPError(400, "cursor is not a commit of this repo")
        formatted = "formatted" in req.query.get("expand[]", []) + req.query.get("expand", []) or req.flag(
            "formatted"
        )
        rows: list[dict[str, Any]] = []
        for c in self.storage.history(key, start):
            if len(rows) == size:
                return json_response(rows, headers=next_link(req, c.id))
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
        state = self.view.visible_state(req, key)
        self.view.gate(req, key, state)
        commit = self.view.load_rev(key, state, rev)
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
