"""Where the built-in templates are, without Jinja: looking one up must not cost Jinja's import.

Templates live in the top-level templates/ directory, which ships as the `publisher.templates` package. They
are read with importlib.resources, so an installed, non-editable package finds them. Rendering (and Jinja)
is `publisher.card.render`; this module only answers "which built-ins exist" and "what is this one's source",
which `regenerate` asks at start-up (its state digest, its template check) before it knows whether anything
needs rendering at all.
"""

from __future__ import annotations

import hashlib
import re
import sys
from importlib import resources
from typing import Any

if sys.version_info >= (3, 11):
    from importlib.resources.abc import Traversable
else:  # Python 3.10 (requires-python) has it only here
    from importlib.abc import Traversable

TEMPLATE_PACKAGE = "publisher.templates"
TEMPLATE_SUFFIXES = (".md.j2", ".md.jinja", ".j2", ".jinja")


def template_root() -> Traversable:
    """The built-in templates: the `publisher.templates` package."""
    return resources.files(TEMPLATE_PACKAGE)


def builtin_source(name: str) -> str | None:
    """The source of the built-in template `name` (with or without its suffix), or None."""
    if not name or "/" in name:
        return None
    package = template_root()
    for suffix in ("", *TEMPLATE_SUFFIXES):
        candidate = package.joinpath(name + suffix)
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    return None


def available_templates() -> list[str]:
    """Names of the built-in templates (usable as --template NAME)."""
    names = set()
    for entry in template_root().iterdir():
        for suffix in TEMPLATE_SUFFIXES:
            if entry.name.endswith(suffix) and not entry.name.startswith(("_", ".")):
                names.add(entry.name[: -len(suffix)])
                break
    return sorted(names)


# ------------------------------------------------------------------------------------------ the README digest

DIGEST_KEY = "publisher"
DIGEST_FIELD = "readme_sha256"
"""The default template's front matter carries `publisher: {readme_sha256: <hex>}`: `sha256:<hex>`, the sha256 of the README as
rendered, with this field's value replaced by DIGEST_PLACEHOLDER. The Hub's listing returns every card's front
matter (`cardData`), so `regenerate` learns what each README was rendered as without downloading it: a card
whose card.json renders to the same digest is settled by reading card.json alone (one request, not two)."""
DIGEST_PLACEHOLDER = "sha256:" + "0" * 64  # "sha256:" keeps the value a YAML string whatever the digits
_DIGEST_LINE = re.compile(rf"^  {DIGEST_FIELD}: sha256:([0-9a-f]{{64}})$", re.MULTILINE)


def seal_digest(text: str) -> str:
    """`text` with its digest placeholder (the first one: it is in the front matter) replaced by the digest."""
    line = f"  {DIGEST_FIELD}: {DIGEST_PLACEHOLDER}\n"
    if line not in text:
        return text
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return text.replace(line, f"  {DIGEST_FIELD}: sha256:{digest}\n", 1)


def readme_digest(text: str) -> str | None:
    """The digest a rendered README declares in its front matter, or None (a template without one)."""
    found = _DIGEST_LINE.search(text.split("\n---", 1)[0])
    return found.group(1) if found else None


def listed_digest(card_data: Any) -> str | None:
    """The digest in a card's front matter as the Hub's listing gives it (`cardData`), or None."""
    section = card_data.get(DIGEST_KEY) if isinstance(card_data, dict) else None
    value = section.get(DIGEST_FIELD) if isinstance(section, dict) else None
    found = re.fullmatch(r"sha256:([0-9a-f]{64})", value) if isinstance(value, str) else None
    return found.group(1) if found else None
