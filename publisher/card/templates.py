"""Where the built-in templates are, without Jinja: looking one up must not cost Jinja's import.

Templates live in the top-level templates/ directory, which ships as the `publisher.templates` package. They
are read with importlib.resources, so an installed, non-editable package finds them. Rendering (and Jinja)
is `publisher.card.render`; this module only answers "which built-ins exist" and "what is this one's source",
which `regenerate` asks at start-up (its state digest, its template check) before it knows whether anything
needs rendering at all.
"""

from __future__ import annotations

import sys
from importlib import resources

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
