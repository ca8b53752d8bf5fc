"""On-disk state of the local hub: content-addressed blobs, immutable commits, and one state file per repo.

Layout under the root:
    blobs/<sha256[:2]>/<sha256>                       file contents (regular and LFS alike)
    repos/<type>/<namespace>/<name>/state.json        refs, PRs and settings (rewritten atomically)
    repos/<type>/<namespace>/<name>/commits/<id>.json one immutable commit: parents, message, full file table
    tmp/                                              partial writes (same filesystem, so rename is atomic)

Every write goes to tmp/ and is renamed into place; a commit becomes visible only when state.json points at
it, so a crash or `kill -9` at any moment leaves each repo at its last complete commit. One lock per repo
serialises writers; readers never lock (they see either the old or the new state.json).
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import shutil
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from publisher._util.proc import pid_alive
from publisher.localhub.index import RepoIndex
from publisher.localhub.log import warn_once
from publisher.localhub.rules import RepoKey, path_problem, repo_key_problem

INITIAL_GITATTRIBUTES = (
    b"*.bin filter=lfs diff=lfs merge=lfs -text\n"
    b"*.ckpt filter=lfs diff=lfs merge=lfs -text\n"
    b"*.h5 filter=lfs diff=lfs merge=lfs -text\n"
    b"*.msgpack filter=lfs diff=lfs merge=lfs -text\n"
    b"*.onnx filter=lfs diff=lfs merge=lfs -text\n"
    b"*.pt filter=lfs diff=lfs merge=lfs -text\n"
    b"*.pth filter=lfs diff=lfs merge=lfs -text\n"
    b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n"
    b"*.zip filter=lfs diff=lfs merge=lfs -text\n"
    b"*tfevents* filter=lfs diff=lfs merge=lfs -text\n"
)
_CHUNK = 1024 * 1024
_COMMIT_CACHE_SIZE = 16384
_STATE_CACHE_SIZE = 65536


class ByteSource(Protocol):
    """Where put_stream reads an upload from: a request body, a file."""

    def read(self, n: int, /) -> bytes: ...


class StorageError(Exception):
    """A request the storage refuses; `status` and `code` become the HTTP status and X-Error-Code."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def git_blob_sha1(content: bytes) -> str:
    """The git object id of a blob, as the Hub (and the client's no-op check) computes it."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def lfs_pointer(sha256: str, size: int) -> bytes:
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


@dataclass
class FileEntry:
    """One file in a commit. `sha1` is the git blob id of the content; `lfs` says how it is stored in git."""

    sha256: str
    sha1: str
    size: int
    lfs: bool

    def to_json(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "sha1": self.sha1, "size": self.size, "lfs": self.lfs}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileEntry:
        return cls(data["sha256"], data["sha1"], int(data["size"]), bool(data["lfs"]))

    @property
    def pointer(self) -> bytes:
        return lfs_pointer(self.sha256, self.size)

    @property
    def git_oid(self) -> str:
        """The oid a git tree shows: the pointer's blob id for LFS files."""
        return git_blob_sha1(self.pointer) if self.lfs else self.sha1

    @property
    def etag(self) -> str:
        """What resolve answers as ETag: sha256 for LFS files, the git blob id otherwise (as the Hub)."""
        return self.sha256 if self.lfs else self.sha1


@dataclass
class Commit:
    id: str
    parents: list[str]
    title: str
    message: str
    date: str
    author: str
    files: dict[str, FileEntry] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "parents": self.parents,
            "title": self.title,
            "message": self.message,
            "date": self.date,
            "author": self.author,
            "files": {p: e.to_json() for p, e in sorted(self.files.items())},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Commit:
        files = {p: FileEntry.from_json(e) for p, e in data["files"].items()}
        return cls(
            data["id"], data["parents"], data["title"], data["message"], data["date"], data["author"], files
        )


def check_key(key: RepoKey) -> RepoKey:
    """The key itself if every segment follows the Hub's rules; no filesystem path is built from any other."""
    problem = repo_key_problem(key.type, key.namespace, key.name)
    if problem:
        raise StorageError(400, f"invalid repo id: {problem}")
    return key


def clean_repo_path(path: object) -> str:
    """A path inside a repo, normalised (no empty or `.` parts); refuses what the Hub refuses (rules.path_problem).

    A backslash is a literal character of a name, as on the Hub (`folder/..\\x` is a file in `folder`); a path
    that climbs out when read the Windows way (`..\\x`, `\\x`) is the Hub's 422. No disk path is built from it."""
    if not isinstance(path, str):
        raise StorageError(400, f"a path in the repo must be a string, not {type(path).__name__}")
    if path.lstrip("/").startswith(("..\\", "\\")):
        raise StorageError(422, f"invalid path in repo {path[:200]!r}: it climbs out of the repo on Windows")
    cleaned = "/".join(p for p in path.split("/") if p not in ("", "."))
    problem = path_problem(cleaned)
    if problem:
        raise StorageError(400, f"invalid path in repo {path[:200]!r}: {problem}")
    return cleaned


def _casefold_child(parent: Path, name: str) -> str | None:
    """The entry of `parent` spelled `name` up to case (the exact spelling first), or None."""
    if (parent / name).is_dir():
        return name
    try:
        entries = list(parent.iterdir())
    except OSError:
        return None
    wanted = name.casefold()
    return next((e.name for e in sorted(entries) if e.is_dir() and e.name.casefold() == wanted), None)


class RepoLock:
    """Context manager: thread lock, then an exclusive flock on a per-repo lock file (released on crash)."""

    def __init__(self, thread_lock: threading.Lock, path: Path) -> None:
        self._thread_lock = thread_lock
        self._path = path
        self._fh: Any = None

    def __enter__(self) -> RepoLock:
        self._thread_lock.acquire()
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self._path, "a+b")  # noqa: SIM115 - held until __exit__
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX)
        except BaseException:
            self._thread_lock.release()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
        finally:
            self._thread_lock.release()


class Storage:
    """All persistent state of one hub root. Thread-safe; atomic against crashes."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.blobs = self.root / "blobs"
        self.repos = self.root / "repos"
        self.tmp = self.root / "tmp"
        for d in (self.blobs, self.repos, self.tmp):
            d.mkdir(parents=True, exist_ok=True)
        self._clear_partial_writes()
        self.index = RepoIndex(self.repos)
        self._locks: dict[RepoKey, threading.Lock] = {}
        self._commit_cache: OrderedDict[tuple[RepoKey, str], Commit] = OrderedDict()
        self._state_cache: OrderedDict[RepoKey, tuple[tuple[int, int, int], dict[str, Any]]] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._locks_guard = threading.Lock()
        self.create_lock = threading.Lock()
        self._lfs_index_lock = threading.Lock()

    def _clear_partial_writes(self) -> None:
        """Temp files left by a crashed process are garbage (nothing refers to them); a live one's are not."""
        for leftover in self.tmp.iterdir():
            pid = leftover.name.split(".", 1)[0]
            if pid.isdigit() and pid_alive(int(pid)):
                continue
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)

    # ----------------------------------------------------------------- atomic primitives
    def _tmp_path(self) -> Path:
        return self.tmp / f"{os.getpid()}.{uuid.uuid4().hex}"

    def write_atomic(self, target: Path, data: bytes) -> None:
        """Write `data` to `target` through a temp file and a rename, so readers never see half of it."""
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._tmp_path()
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)

    def lock(self, key: RepoKey) -> RepoLock:
        """The writer lock of one repo: a thread lock plus an flock, so two servers on one root stay safe."""
        with self._locks_guard:
            thread_lock = self._locks.setdefault(key, threading.Lock())
        check_key(key)
        return RepoLock(thread_lock, self.root / "locks" / key.type / key.namespace / f"{key.name}.lock")

    # ----------------------------------------------------------------- blobs
    def blob_path(self, sha256: str) -> Path:
        return self.blobs / sha256[:2] / sha256

    def has_blob(self, sha256: str) -> bool:
        return _is_sha256(sha256) and self.blob_path(sha256).is_file()

    def put_bytes(self, content: bytes) -> tuple[str, str, int]:
        """Store `content`; returns (sha256, git sha1, size)."""
        sha256, sha1 = hashlib.sha256(content).hexdigest(), git_blob_sha1(content)
        if not self.has_blob(sha256):
            self.write_atomic(self.blob_path(sha256), content)
            self.save_blob_meta(sha256, sha1)
        return sha256, sha1, len(content)

    def put_stream(
        self, stream: ByteSource, size: int, expected_sha256: str | None = None
    ) -> tuple[str, str, int]:
        """Stream `size` bytes to disk (bounded memory), hashing on the way; reject a wrong sha256.

        Returns (sha256, git sha1, size). The blob appears under its hash only after the full body was
        received and verified.
        """
        tmp = self._tmp_path()
        h256 = hashlib.sha256()
        h1 = hashlib.sha1(b"blob %d\0" % size)
        remaining = size
        try:
            with open(tmp, "wb") as fh:
                while remaining > 0:
                    chunk = stream.read(min(_CHUNK, remaining))
                    if not chunk:
                        raise StorageError(400, f"upload body ended after {size - remaining} of {size} bytes")
                    h256.update(chunk)
                    h1.update(chunk)
                    fh.write(chunk)
                    remaining -= len(chunk)
            sha256 = h256.hexdigest()
            if expected_sha256 is not None and sha256 != expected_sha256:
                raise StorageError(
                    400, f"uploaded bytes hash to sha256 {sha256}, not the announced oid {expected_sha256}"
                )
            target = self.blob_path(sha256)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)
            return sha256, h1.hexdigest(), size
        finally:
            tmp.unlink(missing_ok=True)

    def save_blob_meta(self, sha256: str, sha1: str) -> None:
        """Remember the git blob id next to the blob, so committing a large LFS file needs no re-hash."""
        self.write_atomic(self.blob_path(sha256).with_suffix(".sha1"), sha1.encode())

    def blob_meta_sha1(self, sha256: str) -> str:
        try:
            return self.blob_path(sha256).with_suffix(".sha1").read_text().strip()
        except FileNotFoundError:
            sha1 = self.blob_sha1(sha256)
            self.save_blob_meta(sha256, sha1)
            return sha1

    def blob_sha1(self, sha256: str) -> str:
        """The git blob id of a stored blob (computed by streaming it)."""
        path = self.blob_path(sha256)
        h1 = hashlib.sha1(b"blob %d\0" % path.stat().st_size)
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(_CHUNK), b""):
                h1.update(chunk)
        return h1.hexdigest()

    def read_blob(self, sha256: str) -> bytes:
        return self.blob_path(sha256).read_bytes()

    # ----------------------------------------------------------------- repos
    def repo_dir(self, key: RepoKey) -> Path:
        return self.repos / key.type / key.namespace / check_key(key).name

    def load_state(self, key: RepoKey) -> dict[str, Any] | None:
        """The repo's state, or None when there is no such repo (an invalid key or a damaged state file too)."""
        if repo_key_problem(key.type, key.namespace, key.name):
            return None
        path = self.repo_dir(key) / "state.json"
        try:
            state = json.loads(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            warn_once(f"skipping {path}: unreadable state ({type(exc).__name__})")
            return None
        if not _state_is_sound(state):
            warn_once(f"skipping {path}: not a repo state (branches/tags/prs missing)")
            return None
        return state

    def peek_state(self, key: RepoKey) -> dict[str, Any] | None:
        """The repo's state for READING only (a listing): the parsed file is cached while its stat (mtime_ns,
        size, inode) is unchanged, so a listing page costs a stat per repo, not a read and a parse. Writers
        use load_state (always the file itself); the returned dict must not be modified."""
        if repo_key_problem(key.type, key.namespace, key.name):
            return None
        path = self.repo_dir(key) / "state.json"
        try:
            st = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        with self._cache_lock:
            cached = self._state_cache.get(key)
            if cached is not None and cached[0] == stamp:
                self._state_cache.move_to_end(key)
                return cached[1]
        state = self.load_state(key)
        if state is not None:
            with self._cache_lock:
                self._state_cache[key] = (stamp, state)
                while len(self._state_cache) > _STATE_CACHE_SIZE:
                    self._state_cache.popitem(last=False)
        return state

    def canonical_key(self, key: RepoKey) -> RepoKey:
        """The key with the on-disk spelling of an existing repo whose id matches case-insensitively (as the
        Hub: `User/Repo` and `user/repo` are one repo); unchanged when none exists."""
        if repo_key_problem(key.type, key.namespace, key.name):
            return key
        if (self.repo_dir(key) / "state.json").is_file():
            return key
        namespace = _casefold_child(self.repos / key.type, key.namespace)
        name = _casefold_child(self.repos / key.type / namespace, key.name) if namespace else None
        return RepoKey(key.type, namespace, name) if namespace and name else key

    # ----------------------------------------------------------------- renamed repos
    def _redirects_path(self) -> Path:
        return self.root / "redirects.json"

    def _redirects(self) -> dict[str, str]:
        try:
            return json.loads(self._redirects_path().read_text())
        except FileNotFoundError:
            return {}

    def moved_to(self, key: RepoKey) -> RepoKey | None:
        """Where a renamed or transferred repo lives now (the Hub redirects its old URLs there)."""
        target = self._redirects().get(f"{key.type}/{key.namespace.lower()}/{key.name.lower()}")
        if not target:
            return None
        namespace, _, name = target.partition("/")
        return RepoKey(key.type, namespace, name)

    def move_repo(self, old: RepoKey, new: RepoKey) -> None:
        """Rename the repo's directory in one step and remember the old id as a redirect (caller holds locks)."""
        target = self.repo_dir(new)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.repo_dir(old), target)
        state = self.load_state(new) or {}
        state["id"], state["author"] = new.id, new.namespace
        self.save_state(new, state)
        self.forget_repo(old)
        self.index.forget(old)
        self.index.forget(new)
        redirects = {
            k: v
            for k, v in self._redirects().items()
            if k != f"{new.type}/{new.namespace.lower()}/{new.name.lower()}"
        }
        redirects = {k: (new.id if v == old.id else v) for k, v in redirects.items()}
        redirects[f"{old.type}/{old.namespace.lower()}/{old.name.lower()}"] = new.id
        self.write_atomic(self._redirects_path(), json.dumps(redirects, indent=1).encode())

    def save_state(self, key: RepoKey, state: dict[str, Any]) -> None:
        state["lastModified"] = now_iso()
        self.write_atomic(self.repo_dir(key) / "state.json", json.dumps(state, indent=1).encode())

    def iter_repos(self, repo_type: str) -> Iterator[tuple[RepoKey, dict[str, Any]]]:
        """Every repo of one type, sorted; anything else on disk (stray files, odd names) is skipped with a log line."""
        base = self.repos / repo_type
        for ns_dir in _sorted_dirs(base):
            for repo_dir in _sorted_dirs(ns_dir):
                key = RepoKey(repo_type, ns_dir.name, repo_dir.name)
                if repo_key_problem(key.type, key.namespace, key.name):
                    warn_once(f"skipping {repo_dir}: not a valid repo id")
                    continue
                state = self.load_state(key)
                if state is not None:
                    yield key, state

    def create_repo(
        self, key: RepoKey, *, private: bool, author: str, readme: bytes | None = None
    ) -> dict[str, Any]:
        """A new repo with an initial commit holding `.gitattributes` (and a Space's README), as the Hub does."""
        sha256, sha1, size = self.put_bytes(INITIAL_GITATTRIBUTES)
        files = {".gitattributes": FileEntry(sha256, sha1, size, False)}
        if readme is not None:
            files["README.md"] = FileEntry(*self.put_bytes(readme), False)
        commit = self._new_commit([], "initial commit", "", author, files)
        self.write_commit(key, commit)
        state = {
            "id": key.id,
            "type": key.type,
            "private": private,
            "createdAt": commit.date,
            "author": key.namespace,
            "branches": {"main": commit.id},
            "tags": {},
            "prs": {},
        }
        self.save_state(key, state)
        self.index.forget(key)
        return state

    def delete_repo(self, key: RepoKey) -> None:
        """Move the repo away in one rename, then remove it; blobs stay (they may be shared)."""
        trash = self._tmp_path()
        os.replace(self.repo_dir(key), trash)
        self.forget_repo(key)
        self.index.forget(key)
        shutil.rmtree(trash, ignore_errors=True)

    # ----------------------------------------------------------------- LFS objects, scoped per repo
    def _lfs_dir(self, key: RepoKey) -> Path:
        return self.repo_dir(key) / "lfs"

    def grant_lfs(self, key: RepoKey, sha256: str) -> None:
        """Record that `key` may reference the LFS object (its bytes were uploaded to this repo)."""
        self._index_lfs(key)
        self.write_atomic(self._lfs_dir(key) / sha256, b"")

    def repo_has_lfs(self, key: RepoKey, sha256: str) -> bool:
        """Whether the object was uploaded to this repo or is in its history; never true for another repo's."""
        if not _is_sha256(sha256) or not self.has_blob(sha256):
            return False
        self._index_lfs(key)
        return (self._lfs_dir(key) / sha256).is_file()

    def _index_lfs(self, key: RepoKey) -> None:
        """A repo stored before LFS scoping gets its index once: every LFS object of every commit it has."""
        target = self._lfs_dir(key)
        if target.is_dir():
            return
        with self._lfs_index_lock:
            if not target.is_dir():
                self._build_lfs_index(key, target)

    def _build_lfs_index(self, key: RepoKey, target: Path) -> None:
        building = self._tmp_path()
        building.mkdir()
        for path in _listing(self.repo_dir(key) / "commits"):
            try:
                files = json.loads(path.read_bytes()).get("files", {})
                oids = {e["sha256"] for e in files.values() if e.get("lfs")}
            except (OSError, ValueError, AttributeError, KeyError, TypeError):
                continue
            for oid in oids:
                if _is_sha256(oid):
                    (building / oid).touch()
        try:
            os.rename(building, target)
        except OSError:  # another writer indexed it first (or the repo is gone)
            shutil.rmtree(building, ignore_errors=True)

    # ----------------------------------------------------------------- commits
    @staticmethod
    def _new_commit(
        parents: list[str], title: str, message: str, author: str, files: dict[str, FileEntry]
    ) -> Commit:
        date = now_iso()
        seed = json.dumps([parents, title, message, date, author, uuid.uuid4().hex, sorted(files)]).encode()
        return Commit(hashlib.sha1(seed).hexdigest(), parents, title, message, date, author, files)

    def write_commit(self, key: RepoKey, commit: Commit) -> None:
        path = self.repo_dir(key) / "commits" / f"{commit.id}.json"
        self.write_atomic(path, json.dumps(commit.to_json()).encode())

    def load_commit(self, key: RepoKey, commit_id: str) -> Commit | None:
        """A commit by full id; commits are immutable, so recently used ones are cached (never mutate them)."""
        if len(commit_id) != 40 or any(c not in "0123456789abcdef" for c in commit_id):
            return None
        with self._cache_lock:
            cached = self._commit_cache.get((key, commit_id))
            if cached is not None:
                self._commit_cache.move_to_end((key, commit_id))
                return cached
        path = self.repo_dir(key) / "commits" / f"{commit_id}.json"
        try:
            commit = Commit.from_json(json.loads(path.read_bytes()))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            warn_once(f"skipping {path}: unreadable commit ({type(exc).__name__})")
            return None
        with self._cache_lock:
            self._commit_cache[(key, commit_id)] = commit
            while len(self._commit_cache) > _COMMIT_CACHE_SIZE:
                self._commit_cache.popitem(last=False)
        return commit

    def forget_repo(self, key: RepoKey) -> None:
        with self._cache_lock:
            for cached in [k for k in self._commit_cache if k[0] == key]:
                del self._commit_cache[cached]

    def find_commit_by_prefix(self, key: RepoKey, prefix: str) -> str | None:
        if len(prefix) < 7 or any(c not in "0123456789abcdef" for c in prefix):
            return None
        matches = [p.stem for p in (self.repo_dir(key) / "commits").glob(f"{prefix}*.json")]
        return matches[0] if len(matches) == 1 else None

    def history(self, key: RepoKey, head: str) -> Iterator[Commit]:
        """Commits reachable from `head`, newest first (first-parent)."""
        current: str | None = head
        while current:
            commit = self.load_commit(key, current)
            if commit is None:
                return
            yield commit
            current = commit.parents[0] if commit.parents else None

    def make_root_commit(
        self, key: RepoKey, title: str, message: str, author: str, files: dict[str, FileEntry]
    ) -> Commit:
        """A commit without parents (super-squash): the history behind it is no longer reachable from the ref."""
        commit = self._new_commit([], title, message, author, files)
        self.write_commit(key, commit)
        return commit

    def make_commit(
        self,
        key: RepoKey,
        parent: Commit,
        title: str,
        message: str,
        author: str,
        files: dict[str, FileEntry],
    ) -> Commit:
        commit = self._new_commit([parent.id], title, message, author, files)
        self.write_commit(key, commit)
        return commit


def _state_is_sound(state: Any) -> bool:
    return isinstance(state, dict) and all(
        isinstance(state.get(k), dict) for k in ("branches", "tags", "prs")
    )


def _is_sha256(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _listing(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except OSError:
        return []


def _sorted_dirs(parent: Path) -> list[Path]:
    """The sub-directories of `parent` by name; a missing or unreadable parent has none, other entries are logged."""
    try:
        entries = sorted(parent.iterdir())
    except FileNotFoundError:
        return []
    except OSError as exc:
        warn_once(f"skipping {parent}: cannot list it ({exc.strerror})")
        return []
    dirs = []
    for entry in entries:
        if entry.is_dir() and not entry.is_symlink():
            dirs.append(entry)
        else:
            warn_once(f"skipping {entry}: not a repo directory")
    return dirs


def decode_regular_file(content_b64: str) -> bytes:
    try:
        return base64.b64decode(content_b64, validate=True)
    except (ValueError, TypeError) as exc:
        raise StorageError(400, f"file content is not valid base64: {exc}") from exc
