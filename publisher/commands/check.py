"""`publisher check README.md...`: the card's metadata checked offline with the Hub's rules.

Exit 0 when no card has errors (warnings are printed), 1 when one has. The rules are the library's
(publisher.card.check), the same ones the local hub's validate-yaml endpoint applies.
"""

from __future__ import annotations

from pathlib import Path

import click

from publisher.errors import BadInputError, PublisherError
from publisher.output import emit_json, info


def read_card_file(path: str) -> str:
    """A card's text: always UTF-8 (a BOM is tolerated); a clear error naming the file otherwise."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise BadInputError(f"{path}: file not found") from None
    except OSError as exc:
        raise BadInputError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInputError(f"{path}: not valid UTF-8 (byte {exc.start}); cards are always UTF-8") from None


def check_file(path: str, strict: bool | None) -> dict:
    from publisher.card.check import check_card_text, claims_default_template

    text = read_card_file(path)
    required = claims_default_template(text) if strict is None else strict
    problems = check_card_text(text, require_default_fields=required)
    return {
        "file": path,
        "ok": not any(p.severity == "error" for p in problems),
        "require_default_fields": required,
        "problems": [p.to_dict() for p in problems],
    }


def print_report(report: dict) -> None:
    for problem in report["problems"]:
        line = f"{problem['line']}:" if problem["line"] else ""
        info(f"{report['file']}:{line} {problem['severity']}: {problem['message']}")
    errors = sum(p["severity"] == "error" for p in report["problems"])
    warnings = len(report["problems"]) - errors
    verdict = "ok" if not errors else "FAILED"
    info(f"{report['file']}: {verdict} ({errors} error(s), {warnings} warning(s))")


@click.command("check")
@click.argument("cards", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--strict/--lenient",
    default=None,
    help="Require the default template's fields (library_name, pipeline_tag; https URLs). "
    "Default: strict when the card says it was rendered with the default template.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
def command(cards: tuple[str, ...], strict: bool | None, as_json: bool) -> None:
    """Check model cards' metadata offline, as the Hub would; exit 1 if any card has errors."""
    reports = [check_file(path, strict) for path in cards]
    if as_json:
        emit_json({"ok": all(r["ok"] for r in reports), "cards": reports})
    else:
        for report in reports:
            print_report(report)
    failed = [r["file"] for r in reports if not r["ok"]]
    if failed:
        raise PublisherError(f"{len(failed)} of {len(reports)} card(s) fail check: {', '.join(failed)}")
