"""What a bulk Hub session hands back, as plain data: a listed repo, a repo's card files read at one revision,
a commit's outcome.

Why a module of its own: the session (hubclient.bulk) produces these and regenerate decides on them; neither
needs the other's code to read them.
"""

from __future__ import annotations

from dataclasses import dataclass

README = "README.md"
CARD_JSON = "card.json"
CARD_FILES = frozenset({README, CARD_JSON})
"""The files a card consists of: what a bulk session reads and the only ones it commits."""


@dataclass(frozen=True)
class ListedRepo:
    """One repo from the model listing; `sha` and `files` are None when the listing did not include them."""

    repo_id: str
    sha: str | None = None
    files: frozenset[str] | None = None
    private: bool | None = None
    readme_digest: str | None = None
    """The digest the README's front matter declares (from the listing's cardData), if it was listed."""


@dataclass(frozen=True)
class RepoSnapshot:
    """What was read from one repo at one revision (`sha`); None means the file does not exist."""

    repo_id: str
    sha: str | None
    readme: bytes | None
    card_json: bytes | None
    readme_digest: str | None = None
    """Set when the README was not read: the digest its front matter declares (from the listing)."""


@dataclass(frozen=True)
class CommitOutcome:
    """`noop`: the Hub already held these bytes at the head, so huggingface_hub made no commit."""

    sha: str
    url: str
    pr_url: str | None = None
    noop: bool = False
