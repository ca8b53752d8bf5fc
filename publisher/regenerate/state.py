"""The state file: the sha each repo had when a run last decided or committed it, so a re-run skips it for free.

The listing gives every repo's current sha. A repo whose sha is the one recorded here, under the same decision
context (template bytes, rendering code, --force), would be decided the same way again: it costs 0 requests.
The file is JSON lines: a header `{"context": ...}`, then `{"repo", "sha", "status"}` records, the last one per
repo winning. Losing the tail to a kill costs only requests (those repos are read again), never a wrong skip:
a record is written only after the journal says the outcome happened, and it names the sha it is valid for.
A different context (a new template, a new version of the code) starts a new file.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import BinaryIO

from publisher._util import fs
from publisher.errors import BadInputError

RECORDED = frozenset({"changed", "unchanged", "edited", "unsupported"})
"""Outcomes that hold as long as the repo's sha does not move (a changed repo is recorded at its new sha)."""


def decision_context(template: str, *, force: bool) -> str:
    """A digest of everything a decision depends on besides the repo: templates, rendering code, --force."""
    import publisher.card
    import publisher.regenerate.decide
    from publisher.card.templates import template_root

    digest = hashlib.sha256(f"force={force};template={template}".encode())
    sources = sorted(Path(publisher.card.__file__).parent.glob("*.py"))
    sources.append(Path(publisher.regenerate.decide.__file__))
    for source in sources:
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    for entry in sorted(template_root().iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".j2"):
            digest.update(entry.name.encode() + b"\0" + entry.read_bytes())
    custom = Path(template)
    if custom.is_file():
        digest.update(custom.read_bytes())
    return digest.hexdigest()


def state_path_for(journal: str | os.PathLike[str] | None, explicit: str | None) -> Path | None:
    """`--state FILE`, else `<journal>.state.json` next to the journal, else none."""
    if explicit:
        return Path(explicit)
    if journal:
        path = Path(journal)
        return path.with_name(path.name + ".state.json")
    return None


class RepoState:
    """{repo: (sha, status)} from earlier runs under the same decision context; appends as this run decides."""

    def __init__(self, path: str | os.PathLike[str], context: str) -> None:
        self.path = Path(path)
        self.context = context
        self._lock = threading.Lock()
        self._known: dict[str, tuple[str, str]] = {}
        self._handle: BinaryIO | None = None
        self._fresh = not self._load()

    def _load(self) -> bool:
        """Read the records of the same context; False when the file is absent or of another context."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise BadInputError(f"{self.path}: cannot read the state file: {exc.strerror}") from exc
        lines = raw.split(b"\n")
        try:
            header = json.loads(lines[0])
        except ValueError:
            return False
        if not isinstance(header, dict) or header.get("context") != self.context:
            return False
        for line in lines[1:]:
            try:
                record = json.loads(line)
            except ValueError:
                continue  # blank, or torn by a kill: that repo is simply read again
            if (
                isinstance(record, dict)
                and isinstance(record.get("repo"), str)
                and isinstance(record.get("sha"), str)
            ):
                self._known[record["repo"]] = (record["sha"], str(record.get("status")))
        return True

    def status_at(self, repo_id: str, sha: str | None) -> str | None:
        """The status recorded for `repo_id` if it was recorded at exactly `sha`, else None."""
        known = self._known.get(repo_id)
        return known[1] if sha and known and known[0] == sha else None

    def __len__(self) -> int:
        return len(self._known)

    def record(self, repo_id: str, sha: str | None, status: str) -> None:
        """Remember that `repo_id` at `sha` is settled as `status` (a changed repo: recorded at its new sha)."""
        if not sha or status not in RECORDED:
            return
        with self._lock:
            # no fsync per record: a record lost to a crash only costs a read next time
            fs.append_jsonl(self._open(), {"repo": repo_id, "sha": sha, "status": status}, durable=False)
            self._known[repo_id] = (sha, status)

    def _open(self) -> BinaryIO:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self._fresh:  # a new file (or another context's): the header goes in atomically
                fs.write_bytes(self.path, json.dumps({"context": self.context}).encode() + b"\n")
                self._fresh = False
            self._handle = fs.open_jsonl(self.path)  # kept open for the whole run
        return self._handle

    def close(self) -> None:
        """Flush what this run learnt (one fsync for the whole run: a lost tail costs requests, not outcomes)."""
        with self._lock:
            if self._handle is not None:
                self._handle.flush()
                os.fsync(self._handle.fileno())
                self._handle.close()
                self._handle = None


def status_note(status: str) -> str:
    return f"{status} at the same sha as when last decided (state file): not read"


__all__ = ["RECORDED", "RepoState", "decision_context", "state_path_for", "status_note"]
