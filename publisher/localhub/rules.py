"""The Hub's rules for every segment of a request: repo type, namespace, name, revision, ref name, file path.

The local hub checks them first, before authentication, locks or any disk access, and only a value that
passed them ever becomes part of a filesystem path (storage.py re-checks the repo key as a second line).
Repo ids follow the project's one rule (`publisher.naming`, = huggingface_hub's `validate_repo_id`).

File paths follow what the client refuses (`_validate_path_in_repo`: `..` segments, a `.git` folder) plus
what git itself cannot store or check out, which the Hub refuses too: control characters (newlines
included), a component over 255 bytes or a path over 4096 bytes (the Linux limits of a checkout), and (in
the commit) a file and a folder of the same name. Ref names follow `git check-ref-format`.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from publisher.naming import part_problem

REPO_TYPES = ("model", "dataset", "space")
MAX_PATH_BYTES = 4096
MAX_COMPONENT_BYTES = 255
MAX_REVISION_LENGTH = 256
FORBIDDEN_FOLDERS = (".git",)
COMMIT_PREFIX = re.compile(r"[0-9a-fA-F]{7,40}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_REF_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")


@dataclass(frozen=True)
class RepoKey:
    """A repo as the rules see it: type, namespace, name (each checked by repo_key_problem before use)."""

    type: str
    namespace: str
    name: str

    @property
    def id(self) -> str:
        """`namespace/name`; a canonical (namespace-less) id such as `gpt2` is just the name."""
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


def repo_key_problem(repo_type: str, namespace: str, name: str) -> str | None:
    """Why (type, namespace, name) is not a repo the Hub could have, else None."""
    if repo_type not in REPO_TYPES:
        return f"unknown repo type {repo_type!r}"
    for label, part in (("namespace", namespace), ("repo name", name)):
        problem = part_problem(part, label)
        if problem:
            return problem
    if name.endswith(".git"):
        return f"repo name {name!r} ends with '.git'"
    return None


def revision_problem(revision: str) -> str | None:
    """Why `revision` (a branch, tag, refs/..., or commit id in a URL) cannot name anything, else None."""
    if not revision:
        return "empty revision"
    if len(revision) > MAX_REVISION_LENGTH:
        return f"revision is longer than {MAX_REVISION_LENGTH} characters"
    if _CONTROL.search(revision):
        return "revision contains a control character"
    return None


def ref_name_problem(name: str) -> str | None:
    """Why `name` is not a valid new branch or tag name (the rules of `git check-ref-format`), else None."""
    if not name or len(name) > MAX_REVISION_LENGTH:
        return f"a ref name has 1-{MAX_REVISION_LENGTH} characters"
    if _REF_FORBIDDEN.search(name):
        return f"ref name {name!r} contains a space, a control character or one of ~ ^ : ? * [ \\"
    if ".." in name or "@{" in name or "//" in name or name == "@":
        return f"ref name {name!r} contains '..', '@{{' or '//'"
    if name.startswith(("/", "refs/")) or name.endswith(("/", ".", ".lock")):
        return f"ref name {name!r} starts with '/' or 'refs/', or ends with '/', '.' or '.lock'"
    if any(part.startswith(".") for part in name.split("/")):
        return f"ref name {name!r} has a component starting with '.'"
    return None


def path_problem(path: str) -> str | None:
    """Why `path` (already split on '/' by the caller's normalisation) cannot be a file in a repo, else None."""
    if _CONTROL.search(path):
        return "path contains a control character (newline, tab, NUL...)"
    if len(path.encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES:
        return f"path is longer than {MAX_PATH_BYTES} bytes"
    parts = path.split("/")
    if not path or any(p in ("", ".", "..") for p in parts):
        return "path is empty or has an empty, '.' or '..' component"
    for part in parts:
        if part in FORBIDDEN_FOLDERS:
            return f"files under a '{part}/' folder are not allowed"
        if len(part.encode("utf-8", "surrogatepass")) > MAX_COMPONENT_BYTES:
            return f"path component {part[:40]!r}... is longer than {MAX_COMPONENT_BYTES} bytes"
    return None


def parent_commit_problem(value: object) -> str | None:
    """`parentCommit` is a commit id: the full 40 hex digits or the Hub's shorthand of at least 7."""
    if not isinstance(value, str) or not COMMIT_PREFIX.fullmatch(value):
        return "parentCommit must be a commit id: 7 to 40 hex digits"
    return None


def file_folder_conflict(paths: Collection[str]) -> str | None:
    """A path that is both a file and a folder (`a` and `a/b`), which git cannot store; else None."""
    folders: set[str] = set()
    for path in paths:
        parts = path.split("/")
        folders.update("/".join(parts[:i]) for i in range(1, len(parts)))
    for path in sorted(paths):
        if path in folders:
            return path
    return None
