"""`publisher render card.json`: a README.md from a manifest and a template (stdout or -o FILE)."""

from __future__ import annotations

import sys

import click

from publisher import defaults
from publisher.errors import CardCheckError
from publisher.output import info, warn
from publisher.settings import environment_epilog


def _write(text: str, output: str) -> None:
    if output == "-":
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.flush()
        return
    from publisher._util import fs

    fs.write_text(output, text)
    info(f"wrote {output}")


@click.command("render", epilog=environment_epilog("render"))
@click.argument("manifest", type=click.Path(dir_okay=False))
@click.option(
    "--template",
    "-t",
    default=defaults.TEMPLATE,
    show_default=True,
    help="A built-in template name (classic, huggingtweets) or a template file path.",
)
@click.option(
    "--output", "-o", default="-", show_default=True, help="Where to write README.md ('-' = stdout)."
)
@click.option(
    "--check",
    "run_check",
    is_flag=True,
    help="Check the result (strict for the default template); on errors write nothing, exit 2.",
)
@click.option("--namespace", default=None, help="Namespace of the default repo id [env PUBLISHER_NAMESPACE].")
def command(manifest: str, template: str, output: str, run_check: bool, namespace: str | None) -> None:
    """Render README.md from a card.json manifest and a template."""
    from publisher.card.manifest import load_manifest
    from publisher.card.render import render_card
    from publisher.errors import BadInputError
    from publisher.naming import part_problem
    from publisher.settings import Settings

    namespace = namespace or Settings.from_env().namespace
    if part_problem(namespace, "namespace"):
        raise BadInputError(f"--namespace: {part_problem(namespace, 'namespace')}")
    card = load_manifest(manifest)
    for message in card.warnings:
        warn(f"{manifest}: {message}")
    text = render_card(card, template, namespace=namespace)
    if run_check:
        from publisher.card.check import check_card_text, claims_default_template

        problems = check_card_text(text, require_default_fields=claims_default_template(text))
        for problem in problems:
            (warn if problem.severity == "warning" else info)(f"rendered card: {problem}")
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            raise CardCheckError(f"the rendered card fails check ({len(errors)} error(s)); nothing written")
    _write(text, output)
