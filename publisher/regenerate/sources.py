"""Where a regenerate run's repos come from: the Hub's listing of an author, a file of repo ids, or local run
directories (whose card.json supplies the card data). Each becomes a Target.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from publisher.errors import BadInputError, ManifestError
from publisher.hubclient.snapshot import ListedRepo
from publisher.naming import repo_id_problem
from publisher.settings import Settings


@dataclass(frozen=True)
class Target:
    """One repo to process; `sha`/`files` come from the listing, `local_card` from a run directory."""

    repo_id: str
    sha: str | None = None
    files: frozenset[str] | None = None
    local_card: Any = None
    readme_digest: str | None = None


def listed_targets(listing: Iterable[ListedRepo]) -> list[Target]:
    """Targets from the Hub's model listing, with the sha and file names it gave (reads can then be pinned)."""
    return [Target(r.repo_id, r.sha, r.files, readme_digest=r.readme_digest) for r in listing]


def read_repo_file(path: str) -> list[str]:
    """One repo id per line; blank lines and # comments ignored; each id must be 'namespace/name'."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise BadInputError(f"--repos {path}: cannot read ({exc.strerror})") from exc
    repos = []
    for number, line in enumerate(lines, start=1):
        repo_id = line.split("#", 1)[0].strip()
        if not repo_id:
            continue
        problem = repo_id_problem(repo_id)
        if problem:
            raise BadInputError(f"{path}:{number}: expected a repo id like 'namespace/name': {problem}")
        repos.append(repo_id)
    return repos


def local_targets(run_dirs: Iterable[str], *, namespace: str, settings: Settings) -> list[Target]:
    """Targets from local run directories: each card.json names its repo and supplies the card data
    (`settings` says where else the runs' W&B folders may be: WANDB_DIR)."""
    from publisher.card.manifest import card_from_dict
    from publisher.training.wandb_runs import settle_links

    targets = []
    for run_dir in run_dirs:
        path = Path(run_dir) / "card.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ManifestError("no card.json in this run directory", source=str(run_dir)) from None
        except (OSError, ValueError) as exc:
            raise ManifestError(f"not readable JSON ({exc})", source=str(path)) from exc
        card = settle_links(
            card_from_dict(data, source=str(path)), Path(run_dir), settings, sync=False
        )  # synced runs get links
        targets.append(Target(card.effective_repo_id(namespace), local_card=card))
    return targets
