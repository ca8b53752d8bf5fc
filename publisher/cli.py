"""The `publisher` command line: parses options, calls one function per command, maps errors to exit codes.

Subcommands live in `publisher/commands/<name>.py`, each exposing a click command named `command`.
They are imported only when invoked, so `publisher --help`, `render`, `check` and `parse` never pull in
torch, transformers or wandb.
"""

from __future__ import annotations

import importlib
import sys

import click

from publisher import __version__
from publisher.errors import EXIT_FAILED, PublisherError
from publisher.output import error, redact

# name -> (module, one-line help shown by `publisher --help` without importing the module)
COMMANDS: dict[str, tuple[str, str]] = {
    "render": ("publisher.commands.render", "Render README.md from a card.json manifest and a template."),
    "check": ("publisher.commands.check", "Check a model card's metadata offline, as the Hub would."),
    "parse": (
        "publisher.commands.parse",
        "Recover the card.json manifest from an existing huggingtweets card.",
    ),
    "prepare": (
        "publisher.commands.prepare",
        "Import tweet archives into a run directory (dataset + card.json).",
    ),
    "train": ("publisher.commands.train", "Fine-tune GPT-2 on a prepared run directory."),
    "demo-archive": ("publisher.commands.demo_archive", "Write a synthetic X archive for a fictional user."),
    "publish": (
        "publisher.commands.publish",
        "Publish a run directory (weights + card) to the Hub in one commit.",
    ),
    "regenerate": (
        "publisher.commands.regenerate",
        "Regenerate model cards in bulk, never clobbering hand edits.",
    ),
    "hub": ("publisher.commands.hub", "The Hub-compatible local server (hub serve)."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(COMMANDS[cmd_name][0])
        return module.command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="publisher")
def cli() -> None:
    """Render, check and publish huggingtweets-style model cards and models.

    \b
    Exit codes: 0 done (also "unchanged" and dry runs); 1 the work failed
    (Hub error after retries, verification failed, some repos failed);
    2 bad input or usage (nothing was uploaded).
    """


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turn PublisherError into one line on stderr and its exit code."""
    try:
        # without standalone mode click returns (not raises) the code of ctx.exit(code)
        code = cli.main(args=argv, prog_name="publisher", standalone_mode=False)
    except PublisherError as exc:
        error(str(exc))
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        error("aborted")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        error("interrupted")
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - last resort: one redacted line, never a token in a traceback
        error(f"unexpected {type(exc).__name__}: {redact(str(exc))}")
        sys.exit(EXIT_FAILED)
    sys.exit(code if isinstance(code, int) else 0)
