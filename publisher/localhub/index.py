"""The listing index of the local hub: repo names per namespace, sorted, so a page costs its own size.

`GET /api/models?author=ORG` pages with a cursor naming the last repo of the previous page; the next page starts
right after it (a bisect in the namespace's sorted names) and touches only the repos it returns, not the whole
org. The names of a namespace are cached and re-read only when its directory changes (mtime or link count: a
second server on the same root, or a repo created or deleted, invalidates it), or when this process creates or
deletes a repo there.
"""

from __future__ import annotations

import bisect
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from publisher.localhub.log import warn_once
from publisher.localhub.rules import RepoKey, repo_key_problem
from publisher.naming import part_problem


class RepoIndex:
    """Sorted repo names per (type, namespace), and the sorted namespaces per type, cached by directory stamp."""

    def __init__(self, repos_root: Path) -> None:
        self.root = repos_root
        self._lock = threading.Lock()
        self._names: dict[Path, tuple[tuple[int, int], list[str]]] = {}

    @staticmethod
    def _stamp(directory: Path) -> tuple[int, int] | None:
        try:
            st = os.stat(directory)
        except OSError:  # missing, not a directory, unreadable: no repos there
            return None
        return st.st_mtime_ns, st.st_nlink

    def _sorted_names(self, directory: Path) -> list[str]:
        stamp = self._stamp(directory)
        if stamp is None:
            return []
        with self._lock:
            cached = self._names.get(directory)
            if cached is not None and cached[0] == stamp:
                return cached[1]
        try:
            entries = list(os.scandir(directory))
            names = sorted(entry.name for entry in entries if entry.is_dir())
            for entry in entries:
                if not entry.is_dir():
                    warn_once(f"skipping {entry.path}: not a repo directory")
        except OSError as exc:
            if not isinstance(exc, (FileNotFoundError, NotADirectoryError)):
                warn_once(f"skipping {directory}: cannot list it ({exc.strerror})")
            return []
        with self._lock:
            self._names[directory] = (stamp, names)
        return names

    def forget(self, key: RepoKey) -> None:
        """A repo was created or deleted by this process: its namespace (and the namespace list) change."""
        with self._lock:
            self._names.pop(self.root / key.type / key.namespace, None)
            self._names.pop(self.root / key.type, None)

    def keys_after(self, repo_type: str, author: str | None, after: str | None) -> Iterator[RepoKey]:
        """Repo keys in (namespace, name) order, strictly after the repo id `after` (None: from the start)."""
        after_ns, _, after_name = (after or "").partition("/")
        if author is not None:
            valid = part_problem(author) is None  # never a path from an unvalidated query parameter
            namespaces = [author] if valid and (not after or after_ns <= author) else []
        else:
            all_ns = self._sorted_names(self.root / repo_type)
            namespaces = all_ns[bisect.bisect_left(all_ns, after_ns) :] if after else all_ns
        for namespace in namespaces:
            if part_problem(namespace):
                warn_once(f"skipping {self.root / repo_type / namespace}: not a valid namespace")
                continue
            names = self._sorted_names(self.root / repo_type / namespace)
            start = bisect.bisect_right(names, after_name) if after and namespace == after_ns else 0
            if after and namespace < after_ns:
                continue
            for name in names[start:]:
                if repo_key_problem(repo_type, namespace, name):
                    warn_once(f"skipping {self.root / repo_type / namespace / name}: not a valid repo id")
                    continue
                yield RepoKey(repo_type, namespace, name)
