"""Recover a Card from an existing huggingtweets card of any known layout (publisher.card.layouts).

A card whose body matches one layout's expression in full is read exactly (every placeholder value comes
out of the match) and records `layout`; otherwise the family is recognised by its signature (classic: the
avatar block and "🤖 AI BOT/CYBORG 🤖" line; single: the 132 px avatar, "NAME 🤖 AI Bot" and "@handle bot")
and the fields are read line by line, so a hand-edited card still parses. Whether a card was edited is then
a plain comparison:

    render_card(card := parse_card(text, repair=False), card.layout) == text      # an unedited card

A card of no known family raises UnsupportedLayoutError: nothing is guessed.

Classic cards do not record which handle belongs to which display name (names are in input order, handles
sorted), so handles are assigned to users in sorted order; the classic render does not depend on it.
"""

from __future__ import annotations

import dataclasses
import html
import re
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Literal

from publisher.card import layouts
from publisher.card.check import TEMPLATE_MARKER
from publisher.card.frontmatter import FrontMatterError, split_front_matter
from publisher.card.manifest import card_from_dict
from publisher.card.model import Card
from publisher.card.render import html_attribute, html_text, render_card
from publisher.card.text import MOJIBAKE_REPAIRED, fix_encoding
from publisher.errors import ManifestError, UnsupportedLayoutError
from publisher.naming import CARD_HANDLE_PATTERN, default_repo_id

AVATAR_BLOCK = '<div class="inline-flex flex-col" style="line-height: 1.5;">'
_BOT_LINE = re.compile(r"\S+ AI (BOT|CYBORG) \S+</div>")  # the emoji may arrive as mojibake ("ğŸ¤–")
_SINGLE_SIGNATURE = re.compile(
    r"<div style=\"margin-top: 8px; font-size: 19px; font-weight: 800\">.* AI Bot </div>"
)
_SINGLE_HANDLE = re.compile(r"^<div style=\"font-size: 15px[^\"]*\">@(\w+) bot</div>$", re.M)
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
_STATS_PLACEHOLDERS = {
    "downloaded": "TWEETS_DL",
    "retweets": "RETWEETS",
    "short": "SHORT_TWEETS",
    "kept": "TWEETS_KEPT",
}
_REPORT = re.compile(r"\[W&B report\]\((\S+?)\)")
_PREPROCESS = re.compile(r"\[Explore the data\]\((\S+?)/artifacts\)")
_TRAIN = re.compile(r"\[W&B training run\]\((\S+?)\)")
_RUN_URL = re.compile(r"^(https?://[^/]+(?:/[^/]+)*?)/([^/]+)/([^/]+)/runs/([^/?#]+)$")
_REPO_ID = re.compile(r"model=(?:<span [^>]*>)?'([^']+)'")
_FRONT_MATTER_KEYS = {"language", "thumbnail", "tags", "widget"}
_INTEGER = re.compile(r"^-?[0-9]+$")


def _unsupported(message: str, source: str | None) -> UnsupportedLayoutError:
    where = f"{source}: " if source else ""
    return UnsupportedLayoutError(
        f"{where}{message}",
        hint=f"known huggingtweets layouts: {', '.join(layouts.LAYOUT_NAMES)} (README 'Card layouts')",
    )


def unescape_text(raw: str) -> str:
    """The text that `html_text` writes as `raw`: "&lt;b&gt;" -> "<b>", while "Tom &amp Jerry"-like text that
    the escaper would never have written is kept as it is (then the card cannot round-trip: it was edited)."""
    candidate = html.unescape(raw)
    return candidate if html_text(candidate) == raw else raw


def unescape_attribute(raw: str) -> str:
    candidate = html.unescape(raw)
    return candidate if html_attribute(candidate) == raw else raw


_MAX_SPLITS = 20_000  # ways to cut a names line tried before giving up (a bound on hostile input)


def _splits(text: str, separator: str, count: int) -> list[list[str]]:
    """Every way to cut `text` into `count` pieces at occurrences of `separator` (overlapping occurrences
    too: "a   | | b" may be "a  " + "| b" or "a   |" + "b")."""
    if count == 1:
        return [[text]]
    positions = [i for i in range(len(text)) if text.startswith(separator, i)]
    width = len(separator)
    result = []
    for tried, cuts in enumerate(combinations(positions, count - 1)):
        if tried >= _MAX_SPLITS:
            break
        if any(b - a < width for a, b in zip(cuts, cuts[1:], strict=False)):
            continue
        starts = (0, *(c + width for c in cuts))
        ends = (*cuts, len(text))
        result.append([text[a:b] for a, b in zip(starts, ends, strict=True)])
    return result


def _classic_names(values: dict[str, str], count: int) -> list[str] | None:
    """The display names, in input order. The notebook wrote them twice: " & "-joined in the names line
    (before its BOT -> CYBORG replacement, so a "ROBOT" there reads "ROCYBORG" on a multi-user card) and
    " | "-joined in the table header (after it, so still "ROBOT"). A name may hold " & " or " | " itself:
    the cut that explains both lines is the one."""
    line, table = values.get("USER_NAME"), values.get("TABLE_USER")
    if table == "TABLE_USER":
        table = None
    bot = "BOT" if count == 1 else "CYBORG"
    if table is not None:
        for names in _splits(table, " | ", count):
            if line is None or " & ".join(names).replace("BOT", bot) == line:
                return [unescape_text(n) for n in names]
    if line is None:
        return None
    candidates = _splits(line, " & ", count)
    if table is not None:
        candidates = [c for c in candidates if " | ".join(c) == table] or candidates
    return [unescape_text(n) for n in candidates[0]] if len(candidates) == 1 else None


def _stats(values: dict[str, str], count: int, warnings: list[str]) -> list[dict[str, int] | None]:
    columns: dict[str, list[int]] = {}
    for key, placeholder in _STATS_PLACEHOLDERS.items():
        raw = values.get(placeholder)
        cells = [] if raw is None else raw.split(" | ")
        if len(cells) != count or not all(_INTEGER.match(c) for c in cells):
            if raw not in (None, placeholder):
                warnings.append(
                    f"stats: the '{_STATS_ROWS[key]}' row is not {count} integer(s) ({raw!r}); stats left out"
                )
            return [None] * count
        columns[key] = [int(c) for c in cells]
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


def _front_matter(text: str, source: str | None, warnings: list[str]) -> tuple[dict[str, Any], str]:
    try:
        meta, body, _ = split_front_matter(text)
    except FrontMatterError as exc:
        raise _unsupported(f"the front matter is not valid YAML ({exc.message})", source) from None
    meta = meta or {}
    for key in sorted(set(meta) - _FRONT_MATTER_KEYS, key=str):
        warnings.append(f"front matter: {key!r} is not part of the huggingtweets layouts and is not kept")
    return meta, body


def _widget(meta: dict[str, Any]) -> list[Any]:
    widget = meta.get("widget", [])
    if not isinstance(widget, list):
        return widget
    return [entry.get("text") if isinstance(entry, dict) else entry for entry in widget]


def _family(body: str, source: str | None) -> str:
    if TEMPLATE_MARKER.search(body):
        raise _unsupported("this card was rendered by publisher: use the card.json stored next to it", source)
    if AVATAR_BLOCK in body and _BOT_LINE.search(body):
        return "classic"
    if _SINGLE_SIGNATURE.search(body) and _SINGLE_HANDLE.search(body):
        return "single"
    raise _unsupported(
        "unknown card layout (neither the huggingtweets avatar block with its '🤖 AI BOT 🤖' line nor the "
        "single-user 'NAME 🤖 AI Bot' / '@handle bot' lines)",
        source,
    )


def _handles(values: dict[str, str], family: str, source: str | None) -> list[str]:
    line = values.get("USER_HANDLE")
    if line is None:
        raise _unsupported("no '@handles' line after the display names; not a huggingtweets card", source)
    handles = line.split("-") if family == "classic" else [line]
    if line == "USER_HANDLE":
        raise _unsupported(
            "the card's placeholders were never filled (USER_HANDLE, USER_NAME ... as in the template: the "
            "notebook of 2021-05-07 18:33-20:04 lost its card values); there is no card data to recover",
            source,
        )
    if not all(CARD_HANDLE_PATTERN.match(h) for h in handles):
        raise _unsupported(f"the handle line '@{line}' is not handles joined by '-'", source)
    return handles


def _classic_users(values: dict[str, str], handles: list[str], warnings: list[str]) -> list[dict[str, Any]]:
    count = len(handles)
    names = _classic_names(values, count)
    if names is None:
        return []
    if count > 1:
        warnings.append(
            "users: classic cards do not record which handle is whose; handles assigned in sorted order"
        )
    stats = _stats(values, count, warnings)
    users = []
    for i, handle in enumerate(handles):
        url = values.get(f"USER_PROFILE_{i + 1}")
        shown = bool(values.get(f"DISPLAY_{i + 1}") == "inherit" and url)
        if i == 0 and "USER_PROFILE" in values:  # the single-user notebook filling the classic template
            url = values["USER_PROFILE"]
            shown = url != "USER_PROFILE"
        users.append(
            {
                "handle": handle,
                "name": names[i],
                "avatar_url": unescape_attribute(url) if shown and url is not None else None,
                "stats": stats[i],
            }
        )
    return users


def _single_user(values: dict[str, str], handle: str, warnings: list[str]) -> list[dict[str, Any]]:
    name = values.get("USER_NAME")
    if name is None:
        return []
    url = values.get("USER_PROFILE")
    return [
        {
            "handle": handle,
            "name": unescape_text(name),
            "avatar_url": unescape_attribute(url) if url and url != "USER_PROFILE" else None,
            "stats": _stats(values, 1, warnings)[0],
        }
    ]


def _padding(values: dict[str, str]) -> int | None:
    raw = values.get("RANDOM_SZ")
    return len(raw) if raw and not raw.strip(" ") else None


def parse_card(text: str, *, source: str | None = None, repair: bool = True) -> Card:
    """The Card a huggingtweets README.md was rendered from, `layout` set; warnings go to card.warnings.

    repair=True (default) repairs mojibake in names (warnings start with "mojibake"); repair=False keeps the
    text exactly, for the byte-exact round-trip test of an unedited card.
    """
    warnings: list[str] = []
    meta, body = _front_matter(text, source, warnings)
    family = _family(body, source)
    found = layouts.match_body(body, family)
    layout, values, decoding = found or (*layouts.closest_layout(body, family), None)
    handles = _handles(values, family, source)
    if family == "classic":
        users = _classic_users(values, handles, warnings)
    else:
        users = _single_user(values, handles[0], warnings)
    if not users:
        raise _unsupported(f"cannot split the display names into {len(handles)} users", source)
    data: dict[str, Any] = {
        "users": users,
        "wandb": _wandb(body, warnings),
        "thumbnail": meta.get("thumbnail"),
        "language": meta.get("language"),
        "widget": _widget(meta),
        "layout": layout.name,
        "layout_padding": _padding(values),
        "layout_mojibake": decoding,
    }
    repo = values.get("REPO_ID")
    if repo is None:
        match = _REPO_ID.search(body)
        repo = match.group(1) if match else None
    if repo and repo != default_repo_id(handles):
        data["repo_id"] = repo
    try:
        card = card_from_dict(data, repair=repair)
    except ManifestError as exc:
        raise _unsupported(f"{layout.name} layout, but a field is invalid: {exc}", source) from None
    card.warnings[:0] = warnings
    return card


def _encoding_blind(text: str) -> list[str]:
    """The text with ftfy's best guess applied line by line: only for comparing, never for output."""
    import ftfy

    return [fix_encoding(line) if ftfy.is_bad(line) else line for line in text.split("\n")]


@dataclass(frozen=True)
class RoundTrip:
    """What `round_trip` found: the parsed (repaired) card and how the text relates to it.

    status: "unedited" (rendering the card with its layout's template gives the same bytes), "mojibake" (the
    same card except for mis-decoded text, which a regeneration repairs), or "edited" (changed by hand).
    """

    card: Card
    status: Literal["unedited", "mojibake", "edited"]
    exact: Card | None = None  # the card as written (mojibake kept)
    faithful: bool = False  # `exact` rendered with its layout gives back the original bytes

    @property
    def layout(self) -> str:
        return self.card.layout or "classic"

    @property
    def mojibake_repairs(self) -> int:
        return sum(w.startswith(MOJIBAKE_REPAIRED) for w in self.card.warnings)


def round_trip(text: str, *, source: str | None = None) -> RoundTrip:
    """Parse a card of any known layout and decide whether regenerating it would lose a hand edit."""
    exact_card = parse_card(text, source=source, repair=False)
    exact = render_card(exact_card, exact_card.layout or "classic")
    # the repaired card is what a regeneration writes: correctly encoded throughout
    card = dataclasses.replace(parse_card(text, source=source), layout_mojibake=None)
    if exact == text:
        garbled = exact_card.layout_mojibake is not None or card.users != exact_card.users
        return RoundTrip(card, "mojibake" if garbled else "unedited", exact_card, faithful=True)
    if _encoding_blind(exact) == _encoding_blind(text):
        return RoundTrip(card, "mojibake", exact_card)
    return RoundTrip(card, "edited", exact_card)


classic_round_trip = round_trip  # the name callers used when only the classic layout was known
