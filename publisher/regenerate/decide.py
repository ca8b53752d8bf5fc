"""The pure per-repo decision: from the bytes read on the Hub to a status and the files to commit.

No I/O here, so every status rule is unit-tested without a server:
  card.json present  -> its data is authoritative (the README was generated from it); a README that declares
                        a digest (the default template's front matter) is current when card.json renders to
                        that digest, so a hand edit made to it since is kept;
  legacy card        -> `parse` (any known layout); if `render(parse(t), its layout) != t` the card was edited
                        by hand: `edited` (unless force); a layout the parser does not know: `unsupported`,
                        never guessed;
  render the target  -> identical bytes: `unchanged` (no write); otherwise `changed` with only the files
                        that differ (README.md and/or card.json; never anything else, never empty).
"""

from __future__ import annotations

import dataclasses
import difflib
import json
from dataclasses import dataclass, field

from publisher.errors import CardCheckError, PublisherError, UnsupportedLayoutError
from publisher.hubclient.snapshot import CARD_JSON, README, RepoSnapshot

MOJIBAKE_PREFIX = "mojibake repaired"


@dataclass
class Decision:
    status: str  # changed | unchanged | edited | unsupported | failed
    files: dict[str, bytes] = field(default_factory=dict)  # only the files whose bytes change
    reason: str | None = None
    mojibake_repaired: int = 0
    warnings: list[str] = field(default_factory=list)
    new_readme: bytes | None = None


def render_files(card, repo_id: str, template: str) -> tuple[bytes, bytes]:
    """README.md and card.json bytes for `card` published as `repo_id` (the seeding helper uses it too)."""
    from publisher.card.manifest import dumps_manifest
    from publisher.card.render import render_card

    namespace = repo_id.split("/", 1)[0]
    card = dataclasses.replace(card, repo_id=repo_id, warnings=list(card.warnings))
    readme = render_card(card, template=template, namespace=namespace)
    return readme.encode("utf-8"), dumps_manifest(card).encode("utf-8")


def _card_from_json(raw: bytes, repo_id: str):
    from publisher.card.manifest import card_from_dict

    source = f"{repo_id}/{CARD_JSON}"
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise PublisherError(f"{source}: not valid UTF-8 JSON ({exc})") from exc
    except RecursionError:
        raise PublisherError(f"{source}: JSON nested too deeply to be a card manifest") from None
    return card_from_dict(data, source=source)


def decide(snapshot: RepoSnapshot, *, template: str, force: bool = False, local_card=None) -> Decision:
    """Status and files to commit for one repo. `local_card` (from a run directory) overrides the Hub's data."""
    try:
        card, decided = _card_for(snapshot, force=force, local_card=local_card)
    except UnsupportedLayoutError as exc:
        return Decision("unsupported", reason=str(exc))
    except PublisherError as exc:
        return Decision("failed", reason=str(exc))
    if decided is not None:
        return decided
    readme, card_json = render_files(card, snapshot.repo_id, template)
    files = {}
    if not _same_readme(snapshot, readme):
        files[README] = readme
    if card_json != snapshot.card_json:
        files[CARD_JSON] = card_json
    repaired = sum(1 for w in card.warnings if w.startswith(MOJIBAKE_PREFIX))
    status = "changed" if files else "unchanged"
    return Decision(
        status,
        files=files,
        mojibake_repaired=repaired if files else 0,
        warnings=list(card.warnings),
        new_readme=readme,
    )


def _same_readme(snapshot: RepoSnapshot, readme: bytes) -> bool:
    """Whether the README on the Hub is current: by the digest it declares, else by its bytes.

    A README rendered by the default template declares the digest of what it was rendered as (read from the
    listing's cardData, or from its own front matter when it was read). When card.json still renders to that
    digest, the README is current, and any hand edit made to it since is kept; the decision is the same
    whether the README was downloaded (a dry run) or not (one request per current card).
    """
    from publisher.card.templates import readme_digest

    declared = snapshot.readme_digest
    if declared is None and snapshot.readme is not None:
        declared = readme_digest(snapshot.readme.decode("utf-8", "replace"))
    if declared is not None:
        return readme_digest(readme.decode("utf-8")) == declared
    return readme == snapshot.readme


def _card_for(snapshot: RepoSnapshot, *, force: bool, local_card):
    """(card, None) to render, or (None, Decision) when the repo is decided without rendering."""
    if local_card is not None:
        return dataclasses.replace(local_card, warnings=list(local_card.warnings)), None
    if snapshot.card_json is not None:
        return _card_from_json(snapshot.card_json, snapshot.repo_id), None
    if snapshot.readme is None:
        return None, Decision("unsupported", reason="no README.md and no card.json")
    from publisher.card.parse import parse_card, round_trip

    try:
        text = snapshot.readme.decode("utf-8")
    except UnicodeDecodeError:
        return None, Decision("unsupported", reason="README.md is not UTF-8")
    if force:
        return parse_card(text, source=snapshot.repo_id), None
    # unedited: parse -> render with the card's own layout gives the bytes back, or would but for mis-decoded
    # (mojibake) text, which regenerating repairs
    trip = round_trip(text, source=snapshot.repo_id)
    if trip.status == "edited":
        return None, Decision(
            "edited", reason=f"the card was edited by hand (parse -> render {trip.layout} differs)"
        )
    return trip.card, None


def check_readme_offline(repo_id: str, readme: bytes) -> None:
    """The rules of the Hub's validate-yaml, applied before the commit (publisher check's), instead of one more
    request: an invalid card fails its repo."""
    from publisher.card import check

    problems = [p for p in check.check_card_text(readme.decode("utf-8", "replace")) if p.severity == "error"]
    if problems:
        detail = "; ".join(f"line {p.line}: {p.message}" if p.line else p.message for p in problems[:5])
        raise CardCheckError(f"{repo_id}/{README}: invalid front matter, not committed: {detail}")


def unified_diff(repo_id: str, old: bytes | None, new: bytes | None, path: str = README) -> str:
    """A unified diff of one file, for --dry-run."""
    before = (old or b"").decode("utf-8", "replace").splitlines(keepends=True)
    after = (new or b"").decode("utf-8", "replace").splitlines(keepends=True)
    lines = difflib.unified_diff(before, after, f"a/{repo_id}/{path}", f"b/{repo_id}/{path}")
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
