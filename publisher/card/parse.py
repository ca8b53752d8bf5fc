"""Recover a Card from an existing huggingtweets card (the classic 2021-2023 layout).

The layout is recognised by its signature (the avatar block, the "🤖 AI BOT/CYBORG 🤖" line, the display-name
and @handle lines); every other field is extracted line by line and tolerantly, so a card with a hand edit
still parses. Whether a card was edited is then a plain comparison:

    render_card(parse_card(text, repair=False), "classic") == text      # unedited classic card

A card without the signature raises UnsupportedLayoutError: nothing is guessed.

Classic cards do not record which handle belongs to which display name (names are in input order, handles
sorted), so handles are assigned to users in sorted order; the classic render does not depend on it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Literal

from publisher.card.check import TEMPLATE_MARKER, FrontMatterError, split_front_matter
from publisher.card.model import HANDLE_PATTERN, Card, card_from_dict
from publisher.card.render import render_card
from publisher.errors import ManifestError, UnsupportedLayoutError
from publisher.text import MOJIBAKE_REPAIRED, fix_encoding

AVATAR_BLOCK = '<div class="inline-flex flex-col" style="line-height: 1.5;">'
_BOT_LINE = re.compile(r"\S+ AI (BOT|CYBORG) \S+</div>")  # the emoji may arrive as mojibake ("ğŸ¤–")
_NAMES_LINE = re.compile(
    r'^\s*<div style="text-align: center; font-size: 16px; font-weight: 800">(.*)</div>\s*$', re.M
)
_HANDLES_LINE = re.compile(r'^\s*<div style="text-align: center; font-size: 14px;">@(.*)</div>\s*$', re.M)
_AVATAR = re.compile(
    r"style=\"display:(inherit|none);[^\"]*background-image: url\((?:&#39;|')(.*?)(?:&#39;|')\)\""
)
_TABLE_HEADER = re.compile(r"^\| Data \| (.*) \|\s*$", re.M)
_STATS_ROWS = {
    "downloaded": "Tweets downloaded",
    "retweets": "Retweets",
    "short": "Short tweets",
    "kept": "Tweets kept",
}
_REPORT = re.compile(r"\[W&B report\]\((\S+?)\)")
_PREPROCESS = re.compile(r"\[Explore the data\]\((\S+?)/artifacts\)")
_TRAIN = re.compile(r"\[W&B training run\]\((\S+?)\)")
_RUN_URL = re.compile(r"^(https?://[^/]+(?:/[^/]+)*?)/([^/]+)/([^/]+)/runs/([^/?#]+)$")
_REPO_ID = re.compile(r"model='([^']+)'")
_CLASSIC_FRONT_MATTER_KEYS = {"language", "thumbnail", "tags", "widget"}


def _unsupported(message: str, source: str | None) -> UnsupportedLayoutError:
    where = f"{source}: " if source else ""
    return UnsupportedLayoutError(
        f"{where}{message}", hint="only the classic huggingtweets layout can be parsed"
    )


def _cell_text(cell: str) -> str:
    return html.unescape(cell.replace("\\|", "|"))


def _split_names(line: str, count: int, table_names: list[str] | None) -> list[str] | None:
    """Split the " & "-joined display names into `count` names (names may themselves contain " & ")."""
    parts = line.split(" & ")
    if len(parts) == count:
        return [html.unescape(p) for p in parts]
    if len(parts) < count:
        return None
    if table_names and html.unescape(line) == " & ".join(table_names):
        return table_names
    groupings = []
    for cuts in combinations(range(1, len(parts)), count - 1):
        bounds = (0, *cuts, len(parts))
        groupings.append(
            [html.unescape(" & ".join(parts[a:b])) for a, b in zip(bounds, bounds[1:], strict=False)]
        )
    return groupings[0] if len(groupings) == 1 else None


def _table_names(body: str, count: int) -> list[str] | None:
    match = _TABLE_HEADER.search(body)
    if not match:
        return None
    cells = re.split(r"(?<!\\) \| ", match.group(1))
    return [_cell_text(c) for c in cells] if len(cells) == count else None


def _stats(body: str, count: int, warnings: list[str]) -> list[dict[str, int] | None]:
    columns: dict[str, list[int]] = {}
    for key, label in _STATS_ROWS.items():
        match = re.search(rf"^\| {re.escape(label)} \| (.*) \|\s*$", body, re.M)
        if not match:
            return [None] * count
        try:
            values = [int(v) for v in match.group(1).split(" | ")]
        except ValueError:
            warnings.append(f"stats: the '{label}' row is not a list of integers; stats left out")
            return [None] * count
        if len(values) != count:
            warnings.append(
                f"stats: the '{label}' row has {len(values)} columns for {count} users; stats left out"
            )
            return [None] * count
        columns[key] = values
    return [{key: columns[key][i] for key in _STATS_ROWS} for i in range(count)]


def _wandb(body: str, warnings: list[str]) -> dict[str, Any] | None:
    info: dict[str, Any] = {}
    report = _REPORT.search(body)
    if report:
        info["report_url"] = report.group(1)
    for key, pattern in (("preprocess_run", _PREPROCESS), ("train_run", _TRAIN)):
        match = pattern.search(body)
        run = _RUN_URL.match(match.group(1)) if match else None
        if not run:
            continue
        app_url, entity, project, run_id = run.groups()
        if info.get("entity", entity) != entity or info.get("project", project) != project:
            warnings.append(
                f"wandb: runs from different projects ({info['entity']}/{info['project']} and {entity}/{project})"
            )
        info.update(app_url=app_url, entity=entity, project=project)
        info[key] = run_id
    return info or None


def _https(url: Any, field: str, warnings: list[str]) -> Any:
    if isinstance(url, str) and url.startswith("http://"):
        warnings.append(f"{field}: insecure http:// URL upgraded to https://")
        return "https://" + url[len("http://") :]
    return url


def _front_matter(text: str, source: str | None, warnings: list[str]) -> tuple[dict[str, Any], str]:
    try:
        meta, body, _ = split_front_matter(text)
    except FrontMatterError as exc:
        raise _unsupported(f"the front matter is not valid YAML ({exc.message})", source) from None
    meta = meta or {}
    for key in sorted(set(meta) - _CLASSIC_FRONT_MATTER_KEYS, key=str):
        warnings.append(f"front matter: {key!r} is not part of the classic layout and is not kept")
    return meta, body


def _widget(meta: dict[str, Any]) -> list[Any]:
    widget = meta.get("widget", [])
    if not isinstance(widget, list):
        return widget
    return [entry.get("text") if isinstance(entry, dict) else entry for entry in widget]


def _handles(body: str, source: str | None) -> list[str]:
    match = _HANDLES_LINE.search(body)
    if not match:
        raise _unsupported(
            "no '@handles' line after the display names; not a classic huggingtweets card", source
        )
    handles = match.group(1).split("-")
    if not all(HANDLE_PATTERN.match(h) for h in handles) or not 1 <= len(handles) <= 3:
        raise _unsupported(f"the handle line '@{match.group(1)}' is not 1 to 3 handles joined by '-'", source)
    return handles


def parse_card(text: str, *, source: str | None = None, repair: bool = True) -> Card:
    """The Card a classic huggingtweets README.md was rendered from; warnings go to card.warnings.

    repair=True (default) repairs mojibake in names (warnings start with "mojibake"); repair=False keeps the
    text exactly, for the byte-exact round-trip test of an unedited card.
    """
    warnings: list[str] = []
    meta, body = _front_matter(text, source, warnings)
    if TEMPLATE_MARKER.search(body):
        raise _unsupported("this card was rendered by publisher: use the card.json stored next to it", source)
    if AVATAR_BLOCK not in body or not _BOT_LINE.search(body):
        raise _unsupported(
            "unknown card layout (no huggingtweets avatar block and '🤖 AI BOT 🤖' line)", source
        )
    handles = _handles(body, source)
    count = len(handles)
    names_line = _NAMES_LINE.search(body)
    names = _split_names(names_line.group(1), count, _table_names(body, count)) if names_line else None
    if names is None:
        raise _unsupported(f"cannot split the display names into {count} users", source)
    avatars = [
        html.unescape(url) if display == "inherit" and url else None for display, url in _AVATAR.findall(body)
    ]
    avatars += [None] * (count - len(avatars))
    if count > 1:
        warnings.append(
            "users: classic cards do not record which handle is whose; handles assigned in sorted order"
        )
    stats = _stats(body, count, warnings)
    users = [
        {
            "handle": handle,
            "name": names[i],
            "avatar_url": _https(avatars[i], f"users[{i}].avatar_url", warnings),
            "stats": stats[i],
        }
        for i, handle in enumerate(handles)
    ]
    data: dict[str, Any] = {
        "users": users,
        "wandb": _wandb(body, warnings),
        "thumbnail": _https(meta.get("thumbnail"), "thumbnail", warnings),
        "language": meta.get("language"),
        "widget": _widget(meta),
    }
    repo = _REPO_ID.search(body)
    if repo and repo.group(1) != "huggingtweets/" + "-".join(sorted(handles)):
        data["repo_id"] = repo.group(1)
    try:
        card = card_from_dict(data, repair=repair)
    except ManifestError as exc:
        raise _unsupported(f"classic layout, but a field is invalid: {exc}", source) from None
    card.warnings[:0] = warnings
    return card


def _encoding_blind(text: str) -> list[str]:
    """The text with ftfy's best guess applied line by line: only for comparing, never for output."""
    import ftfy

    return [fix_encoding(line) if ftfy.is_bad(line) else line for line in text.split("\n")]


@dataclass(frozen=True)
class RoundTrip:
    """What `classic_round_trip` found: the parsed (repaired) card and how the text relates to it.

    status: "unedited" (classic render gives the same bytes), "mojibake" (the same card except for
    mis-decoded text, which a regeneration repairs), or "edited" (someone changed it by hand).
    """

    card: Card
    status: Literal["unedited", "mojibake", "edited"]

    @property
    def mojibake_repairs(self) -> int:
        return sum(w.startswith(MOJIBAKE_REPAIRED) for w in self.card.warnings)


def classic_round_trip(text: str, *, source: str | None = None) -> RoundTrip:
    """Parse a classic card and decide whether regenerating it would lose a hand edit."""
    exact = render_card(parse_card(text, source=source, repair=False), "classic")
    card = parse_card(text, source=source)
    if exact == text:
        return RoundTrip(card, "unedited")
    if _encoding_blind(exact) == _encoding_blind(text):
        return RoundTrip(card, "mojibake")
    return RoundTrip(card, "edited")
