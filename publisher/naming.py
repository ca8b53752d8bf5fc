"""The one naming rule of the project: Hub repo ids, namespaces and repo names, and Twitter/X handles and the
model name made of them; shared by the card, prepare, publish, regenerate and the local hub.

Repo ids: the rule accepts exactly what huggingface_hub's `validate_repo_id` accepts (the client mirrors the
Hub's own `Names.ts`), so a name the client refuses never reaches the Hub and a name the client accepts is never refused
here: every part is 1-96 ASCII letters, digits, `_`, `-` or `.`, starts and ends with a letter, digit or `_`
(`huggingtweets/_mohamads`, `huggingtweets/__frye` are real), contains no `--` or `..`, and the id does not end
in `.git`. Plain `re`, no huggingface_hub import: the local hub and the fast CLI paths stay light.

Where the real Hub is stricter than this rule (which the tests document): a namespace must also be an existing
user or organisation, whose own sign-up rules are stricter; the Hub compares ids case-insensitively.

Handles. An importer normalises what it reads as huggingtweets did (strip, drop one leading `@`, lowercase)
and accepts X's 1-15 of `A-Z a-z 0-9 _`; a card (card.json, or a parsed legacy card) accepts the wider
1-30, so no card already published is refused. A model is named by its users' handles sorted and joined by `-`
(`huggingtweets/alice-bob`), in the repo id, the run folder, the card's @ line and the W&B artifacts.
Standard library only: the Makefile runs publisher.data.make_user before the virtualenv exists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from publisher import defaults
from publisher.errors import DataError

MAX_PART_LENGTH = 96
_PART = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.\-]{0,94}[A-Za-z0-9_])?", re.ASCII)
ALLOWED = "1-96 of A-Z a-z 0-9 _ - . (starting and ending with a letter, digit or _, no '--' or '..')"


class RepoIdError(ValueError):
    """A repo id, namespace or repo name the Hub would refuse; the message names the value and the rule."""


def part_problem(part: object, label: str = "repo name") -> str | None:
    """Why `part` (a namespace or a repo name) is not one, or None when the Hub accepts it."""
    if not isinstance(part, str):
        return f"{label} must be a string, not {type(part).__name__}"
    if not _PART.fullmatch(part):
        return f"{label} {part!r} is not {ALLOWED}"
    if "--" in part or ".." in part:
        return f"{label} {part!r} contains '--' or '..'"
    return None


def repo_id_problem(repo_id: object, *, namespace_required: bool = True) -> str | None:
    """Why `repo_id` is not a Hub repo id (`namespace/name`, or a bare `name` when allowed), else None."""
    if not isinstance(repo_id, str):
        return f"repo id must be a string, not {type(repo_id).__name__}"
    parts = repo_id.split("/")
    if len(parts) > 2 or (namespace_required and len(parts) != 2):
        form = "'namespace/name'" if namespace_required else "'name' or 'namespace/name'"
        return f"repo id {repo_id!r} must look like {form}"
    labels = ("namespace", "repo name") if len(parts) == 2 else ("repo name",)
    for label, part in zip(labels, parts, strict=True):
        problem = part_problem(part, label)
        if problem:
            return f"repo id {repo_id!r}: {problem}"
    if repo_id.endswith(".git"):
        return f"repo id {repo_id!r} ends with '.git'"
    return None


def is_repo_id(repo_id: object, *, namespace_required: bool = True) -> bool:
    return repo_id_problem(repo_id, namespace_required=namespace_required) is None


def is_repo_part(part: object) -> bool:
    """A valid namespace or repo name on its own (the repo name must also not end in `.git`)."""
    return part_problem(part) is None


def check_repo_id(repo_id: object, *, namespace_required: bool = True) -> str:
    """`repo_id` itself when valid; RepoIdError with the reason otherwise."""
    problem = repo_id_problem(repo_id, namespace_required=namespace_required)
    if problem:
        raise RepoIdError(problem)
    assert isinstance(repo_id, str)
    return repo_id


def check_namespace(namespace: object) -> str:
    problem = part_problem(namespace, "namespace")
    if problem:
        raise RepoIdError(problem)
    assert isinstance(namespace, str)
    return namespace


# ------------------------------------------------------------------------------------------------- handles

HANDLE_PATTERN = re.compile(r"^[A-Za-z0-9_]{1,15}$")
"""A handle an importer accepts (X's own rule)."""
CARD_HANDLE_PATTERN = re.compile(r"^[A-Za-z0-9_]{1,30}$")
"""A handle a card accepts: wider than X's rule, so no published card is refused."""


def normalize_handle(raw: str, *, source: str = "") -> str:
    """huggingtweets' handle normalization (strip, drop one leading @, lowercase), then validation."""
    handle = raw.strip()
    handle = handle[1:] if handle.startswith("@") else handle
    handle = handle.lower().strip()
    if not HANDLE_PATTERN.match(handle):
        where = f"{source}: " if source else ""
        raise DataError(f"{where}invalid handle {raw!r}: a handle is 1 to 15 of A-Z, a-z, 0-9 and _")
    return handle


def model_name(handles: Iterable[str]) -> str:
    """huggingtweets' model name: the handles sorted and joined by '-'."""
    return "-".join(sorted(handles))


def default_repo_id(handles: Iterable[str], namespace: str = defaults.NAMESPACE) -> str:
    """The repo id a card without its own gets: `namespace/<model name>`."""
    return f"{namespace}/{model_name(handles)}"
