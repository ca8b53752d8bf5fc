"""THE one front-matter parser: a card's YAML block, as the Hub finds it, read with bounds.

Used by `publisher check` (publisher.card.check, which adds the Hub's rules and line numbers), `publisher
parse`, the local hub's cardData, listing, pages and validate-yaml, and the publish verifier. Dependency-light
on purpose (PyYAML only): the local hub imports it.

Public contract (stable):
    split_front_matter(text) -> (metadata dict | None, body, body_start_line)   # FrontMatterError if invalid
    parse_front_matter(text) -> dict                                          # the Hub's cardData
    strip_front_matter(text) -> body                                          # no YAML parsed

The front matter comes from anyone who can push a README, so the parser (`parse_yaml`, under all of the
above) is bounded: at most MAX_FRONT_MATTER_BYTES, at most MAX_YAML_DEPTH levels of nesting, and no YAML
aliases (`*name`) at all. An alias repeats a node without repeating its text, so 7 levels of
`&a [*a, *a, ...]` in 408 bytes stand for 10^7 values once serialised as JSON; the Hub's model cards never
need aliases, so refusing them outright is simpler and safer than counting expansions. The data is then
held to what JSON can carry (cardData is served as JSON): dates become ISO strings, sets and binary refused.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import yaml

# The Hub's front-matter block (huggingface_hub.repocard.REGEX_YAML_BLOCK, 2.4).
FRONT_MATTER = re.compile(r"^(\s*---(?:\r\n|\r|\n))([\S\s]*?)((?:\r\n|\r|\n)---[ \t]*(\r\n|\n|$))")
# Bounds of the parser (see the module docstring). Real cards' front matter is a few kB; the largest (long
# model-index evaluation tables) stay well under 100 kB.
MAX_FRONT_MATTER_BYTES = 1024 * 1024
MAX_YAML_DEPTH = 64


class FrontMatterError(ValueError):
    """The front matter is not valid YAML, or not a mapping; `line` is 1-based in the whole card."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def line_of(text: str, offset: int) -> int:
    """The 1-based line of `offset` in `text` (problems name lines of the whole card)."""
    return text.count("\n", 0, offset) + 1


def find_block(text: str) -> tuple[re.Match[str] | None, str]:
    """The Hub's front-matter block in `text` (None when absent), and `text` without a leading BOM."""
    text = text[1:] if text.startswith("\ufeff") else text
    return FRONT_MATTER.search(text), text


def split_front_matter(text: str) -> tuple[dict[str, Any] | None, str, int]:
    """(metadata or None when there is no block, body text, 1-based line where the body starts)."""
    match, text = find_block(text)
    if not match:
        return None, text, 1
    start_line = line_of(text, match.start(2))
    data = _load_yaml(match.group(2), start_line)
    return data, text[match.end() :], line_of(text, match.end())


def parse_front_matter(text: str) -> dict[str, Any]:
    """What the Hub stores as cardData: the front matter mapping, {} when the card has none."""
    data, _, _ = split_front_matter(text)
    return data or {}


_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: same rules, faster


def parse_yaml(block: str, start_line: int) -> tuple[dict[str, Any], yaml.Node | None]:
    """The front matter as data (safe_load semantics) plus its node tree, for line numbers; one parse.

    Bounded (module docstring): size, nesting depth, no aliases; every failure is a FrontMatterError."""
    size = len(block.encode("utf-8", "surrogatepass"))
    if size > MAX_FRONT_MATTER_BYTES:
        raise FrontMatterError(
            f"front matter is {size} bytes, more than the {MAX_FRONT_MATTER_BYTES} accepted", start_line
        )
    loader = _FAST_LOADER(block)
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_node_tree(node, block, start_line)
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = start_line + mark.line if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise FrontMatterError(f"invalid YAML in front matter: {problem}", line) from None
    except (ValueError, OverflowError) as exc:  # an int of 5,000 digits, a 30th of February
        if isinstance(exc, FrontMatterError):
            raise
        raise FrontMatterError(f"invalid value in front matter: {exc}", start_line) from None
    finally:
        loader.dispose()
    if data is None:
        return {}, node
    if not isinstance(data, dict):
        raise FrontMatterError("front matter must be a YAML mapping (key: value lines)", start_line)
    return _json_compatible(data, start_line), node


def _check_node_tree(root: yaml.Node, block: str, start_line: int) -> None:
    """Refuse aliases (a node reached twice) and nesting deeper than MAX_YAML_DEPTH, in one linear walk."""
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            raise FrontMatterError(
                "YAML aliases (*name) are not accepted in front matter; write the value out",
                _alias_line(block, start_line),
            )
        seen.add(id(node))
        if isinstance(node, (yaml.SequenceNode, yaml.MappingNode)):
            if depth > MAX_YAML_DEPTH:
                raise FrontMatterError(
                    f"front matter nests deeper than {MAX_YAML_DEPTH} levels",
                    start_line + node.start_mark.line,
                )
            children = (
                node.value if isinstance(node, yaml.SequenceNode) else [n for kv in node.value for n in kv]
            )
            stack.extend((child, depth + 1) for child in children)


def _alias_line(block: str, start_line: int) -> int:
    """The line of the first alias in `block` (a second, event-level pass, run only to report it)."""
    try:
        for event in yaml.parse(block, Loader=_FAST_LOADER):
            if isinstance(event, yaml.AliasEvent) and event.start_mark is not None:
                return start_line + event.start_mark.line
    except yaml.YAMLError:
        pass
    return start_line


def _json_compatible(value: Any, start_line: int) -> Any:
    """`value` as JSON can carry it (cardData is JSON): dates as ISO strings; sets and binary refused."""
    if isinstance(value, dict):
        return {_json_compatible(k, start_line): _json_compatible(v, start_line) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_compatible(v, start_line) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise FrontMatterError(
        f"front matter holds a {type(value).__name__} (a YAML !!set or !!binary), which a card cannot use",
        start_line,
    )


def _load_yaml(block: str, start_line: int) -> dict[str, Any]:
    return parse_yaml(block, start_line)[0]


def strip_front_matter(text: str) -> str:
    """The card's body: the text after the Hub's front-matter block (a leading BOM dropped), YAML unread."""
    match, text = find_block(text)
    return text[match.end() :] if match else text
