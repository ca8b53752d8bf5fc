"""The historical huggingtweets card layouts: which templates reproduce them, and how to read one back.

Every layout template (templates/<name>.md.j2) renders its front matter from the card data and its body as
`{% filter fill(placeholders, "ORDER") %}BODY{% endfilter %}`, where BODY is huggingtweets'
model_card/README.md of that time, placeholders and all, and ORDER is the order in which that era's notebook
replaced them. The same BODY, read from the template source, is turned into one anchored regular expression
per layout, so reading a card is the inverse of writing it: a card that matches a layout's expression in full
is that layout, and its placeholder values come straight out of the match.

Two families: "classic" (the 2021-2023 avatar block, N users) and "single" (one user, 2020 to May 2021).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from publisher.card.templates import builtin_source
from publisher.card.text import CARD_MOJIBAKE, mis_decode

REPO_TOKEN = "{{ repo_id }}"
_FILL_BLOCK = re.compile(
    r'\{% filter fill\(placeholders, "([A-Z0-9_ ]+)"\) %\}\n(.*)\{% endfilter %\}', re.DOTALL
)


@dataclass(frozen=True)
class Layout:
    name: str  # the template name (templates/<name>.md.j2)
    family: str  # "classic" or "single"
    tags: tuple[str, ...] = ("huggingtweets",)  # the front matter's tags, fixed by the template


# Newest first; names are the built-in template names. See README "Card layouts" for the history.
LAYOUTS: tuple[Layout, ...] = (
    Layout("classic", "classic"),
    Layout("classic-2021-05-07-single", "classic"),
    Layout("single-2021-03", "single"),
    Layout("single-2021-02", "single"),
    Layout("prose-2020-09-18", "single"),
    Layout("prose-2020-09-12", "single"),
    Layout("prose-2020-09-07", "single"),
    Layout("prose-2020-08-28", "single"),
    Layout("prose-2020-08-28-typo", "single"),
    Layout("prose-2020-08-24", "single"),
    Layout("table-2020-08-12", "single"),
    Layout("table-2020-08-08", "single"),
    Layout("exbert-2020-07-27", "single", ("exbert", "huggingtweets")),
    Layout("exbert-2020-07-24", "single", ("exbert", "huggingtweets")),
    Layout("exbert-2020-07-21", "single", ("exbert", "huggingtweets")),
)
LAYOUT_NAMES = tuple(layout.name for layout in LAYOUTS)


def layout_named(name: str) -> Layout | None:
    return next((layout for layout in LAYOUTS if layout.name == name), None)


@dataclass(frozen=True)
class Skeleton:
    """A layout's body as the notebook's template file had it, and the notebook's replacement order."""

    body: str
    order: tuple[str, ...]

    @property
    def tokens(self) -> tuple[str, ...]:
        return (*self.order, REPO_TOKEN)


@cache
def skeleton(name: str) -> Skeleton:
    source = builtin_source(name)
    match = _FILL_BLOCK.search(source or "")
    if not match:
        raise ValueError(f"template {name!r} has no fill block")
    return Skeleton(body=match.group(2), order=tuple(match.group(1).split()))


def _group(token: str) -> str:
    return "REPO_ID" if token == REPO_TOKEN else token


def _token_pattern(tokens: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(t) for t in sorted(set(tokens), key=len, reverse=True)))


@cache
def body_pattern(name: str, decoding: str | None = None) -> re.Pattern[str]:
    """The anchored expression of a layout's body: literal text as is, each placeholder a one-line group.

    A placeholder that occurs again must carry the same text again (a back-reference). `decoding`: the body
    as a card garbled as a whole reads (publisher.card.text.CARD_MOJIBAKE)."""
    sk = skeleton(name)
    if decoding:
        sk = Skeleton(mis_decode(sk.body, decoding), sk.order)
    parts: list[str] = []
    seen: set[str] = set()
    position = 0
    for match in _token_pattern(sk.tokens).finditer(sk.body):
        parts.append(re.escape(sk.body[position : match.start()]))
        group = _group(match.group())
        parts.append(f"(?P={group})" if group in seen else f"(?P<{group}>[^\\n]*?)")
        seen.add(group)
        position = match.end()
    parts.append(re.escape(sk.body[position:]))
    return re.compile("".join(parts))


@cache
def line_patterns(name: str) -> tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]:
    """For a hand-edited card: each skeleton line that holds placeholders, as an expression on its own."""
    sk = skeleton(name)
    tokens = _token_pattern(sk.tokens)
    result = []
    for line in sk.body.split("\n"):
        groups = [_group(m.group()) for m in tokens.finditer(line)]
        if not groups or len(set(groups)) != len(groups):
            continue
        pieces = tokens.split(line)
        pattern = "".join(
            re.escape(piece) + (f"(?P<{groups[i]}>[^\\n]*?)" if i < len(groups) else "")
            for i, piece in enumerate(pieces)
        )
        result.append((re.compile(f"^{pattern}$", re.M), tuple(groups)))
    return tuple(result)


def match_body(body: str, family: str | None = None) -> tuple[Layout, dict[str, str], str | None] | None:
    """The layout whose whole body is `body`, its placeholder values, and the decoding that garbled the
    card as a whole (None for a card as written); None if no layout fits exactly."""
    candidates = [layout for layout in LAYOUTS if not family or layout.family == family]
    decodings: tuple[str | None, ...] = (None,) if body.isascii() else (None, *CARD_MOJIBAKE)
    lines = set(body.split("\n"))
    for decoding in decodings:
        found: list[tuple[int, int, Layout, dict[str, str]]] = []
        for layout in candidates:
            # a card of this layout has every literal line of it; checking that first spares the expression
            # (whose one-line groups would backtrack) on the layouts it cannot be
            if not literal_lines(layout.name, decoding) <= lines:
                continue
            match = body_pattern(layout.name, decoding).fullmatch(body)
            if match:
                values = match.groupdict()
                # a layout that explains a placeholder left in the text as literal text beats one that has to
                # read it as a value (DISPLAY_1 = "DISPLAY_1")
                leftovers = sum(key == value for key, value in values.items())
                found.append((leftovers, len(found), layout, values))
        if found:
            _, _, layout, values = min(found, key=lambda item: item[:2])
            return layout, values, decoding
    return None


@cache
def literal_lines(name: str, decoding: str | None = None) -> frozenset[str]:
    """The skeleton's lines without placeholders (what tells two versions of a layout apart)."""
    sk = skeleton(name)
    tokens = _token_pattern(sk.tokens)
    body = mis_decode(sk.body, decoding) if decoding else sk.body
    return frozenset(line for line in body.split("\n") if line.strip() and not tokens.search(line))


def closest_layout(body: str, family: str) -> tuple[Layout, dict[str, str]]:
    """For a card no layout matches exactly: the layout of `family` most of whose lines the card has (its
    placeholder lines matched in order, its literal lines as they are), and the values its placeholder
    lines hold (the first occurrence of each)."""
    lines = set(body.split("\n"))
    best: tuple[int, Layout, dict[str, str]] | None = None
    for layout in LAYOUTS:
        if layout.family != family:
            continue
        values: dict[str, str] = {}
        hits = position = 0
        for pattern, _groups in line_patterns(layout.name):
            # in skeleton order, so the second and third avatar lines (alike but for the digit) are not the
            # same line of the card twice
            match = pattern.search(body, position)
            if match:
                hits += 1
                position = match.end()
                for key, value in match.groupdict().items():
                    values.setdefault(key, value)
        hits += len(literal_lines(layout.name) & lines)
        if best is None or hits > best[0]:
            best = (hits, layout, values)
    assert best is not None
    return best[1], best[2]
