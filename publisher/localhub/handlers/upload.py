"""Upload endpoints: preupload (regular or LFS per file, shouldIgnore), the LFS batch API and the signed LFS
PUT and verify it hands out."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from publisher.localhub.http import HTTPError, Request, Response, json_response
from publisher.localhub.lfs import is_sha256
from publisher.localhub.repo_view import RepoView
from publisher.localhub.rules import RepoKey
from publisher.localhub.storage import Commit, clean_repo_path, decode_regular_file

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


class Upload:
    """Preupload and the LFS transfer endpoints."""

    def __init__(self, view: RepoView) -> None:
        self.view = view
        self.storage = view.storage

    def upload_mode_for(self, path: str, size: int, sample: bytes) -> str:
        if self.view.hub.upload_mode == "regular" or size == 0:
            return "regular"
        if path.lower().endswith(LFS_SUFFIXES) or size >= LFS_SIZE_THRESHOLD or b"\0" in sample:
            return "lfs"
        return "regular"

    def preupload(self, req: Request, key: RepoKey, rev: str) -> Response:
        body = req.json_object()
        state = self.view.pr_state(req, key, rev)
        commit = None
        try:
            commit = self.view.load_rev(key, state, rev)
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
            cleaned = clean_repo_path(path)  # refuses anything but a string
            assert isinstance(path, str)
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
            text = (self.view.file_text(commit, ".gitignore", limit=1_000_000) if commit else None) or ""
        if not text.strip():
            return lambda path: False
        spec = pathspec.GitIgnoreSpec.from_lines(text.splitlines())
        return lambda path: path != ".gitignore" and spec.match_file(path)

    def lfs_batch(self, req: Request, key: RepoKey) -> Response:
        """Upload actions for every object this repo does not have yet, even when another repo has the bytes:
        the answer never reveals what other repos hold, and an upload proves the uploader has the content."""
        body = req.json_object()
        self.view.require_user(req, f"upload to {key.id}")
        self.view.visible_state(req, key)  # a PR on a repo one cannot write also uploads its LFS objects
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
                upload = (
                    f"{req.base_url}/_lfs/upload/{scope}/{oid}?{self.view.hub.signer.sign(scope, oid, size)}"
                )
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
        reason = self.view.hub.signer.check(
            f"{key.type}/{key.id}", oid, size, expires, req.param("sig") or ""
        )
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
        self.view.require_user(req, f"upload to {key.id}")
        self.view.visible_state(req, key)
        oid, size = body.get("oid"), body.get("size")
        if not (is_sha256(oid) and self.storage.repo_has_lfs(key, oid)):
            raise HTTPError(404, f"LFS object {str(oid)[:64]} was not uploaded to {key.id}")
        if isinstance(size, int) and self.storage.blob_path(oid).stat().st_size != size:
            raise HTTPError(422, f"LFS object {oid} has a different size than {size}")
        return json_response({"oid": oid, "size": size})


def _list_of_objects(body: dict[str, Any], field: str) -> list[dict[str, Any]]:
    items = body.get(field) or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise HTTPError(400, f"'{field}' must be a list of JSON objects")
    return items
