"""`make publish USER=...`: the USER value turned into the run name, once, with `prepare`'s handle rule.

The Makefile runs `python3 -m publisher.data.make_user "$USER"` while it reads itself, before the virtualenv may
exist, so this module needs nothing but the standard library and `publisher.naming` (whose
`normalize_handle` is the rule every importer applies: one leading `@` dropped, lowercased, 1-15 of
A-Z a-z 0-9 _). The handles are sorted and joined by `-`, as `prepare` names a run and the Hub repo.

Prints the run name on stdout (exit 0), or one line saying what is wrong (exit 2).
"""

from __future__ import annotations

import sys

from publisher.errors import DataError
from publisher.naming import model_name, normalize_handle

USAGE = "USER is handle[-handle...], e.g. USER=demo or USER=alice-bob"


def run_name(user: str) -> str:
    """The run name for a USER value: each '-'-separated handle normalised, no repeats, sorted."""
    if not user.strip():
        raise DataError(f"USER is empty; {USAGE}")
    handles: list[str] = []
    for part in user.strip().split("-"):
        if not part.strip():
            raise DataError(f"USER={user!r}: an empty handle between or around '-'; {USAGE}")
        try:
            handle = normalize_handle(part)
        except DataError as exc:
            raise DataError(f"USER={user!r}: {exc}") from exc
        if handle in handles:
            raise DataError(f"USER={user!r}: @{handle} is given twice")
        handles.append(handle)
    return model_name(handles)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(f"usage: python -m publisher.data.make_user USER ({USAGE})")
        return 2
    try:
        print(run_name(argv[0]))
    except DataError as exc:
        print(exc)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
