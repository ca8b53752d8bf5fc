"""`publisher regenerate`: re-render many cards on the Hub, never clobbering hand edits.

Parses and checks the options into a `publisher.regenerate.session.Request`, calls `regenerate`, and prints:
human output (progress, plan, diffs, summary) on stderr, `--json` one report on stdout. Exit 1 when any repo failed or conflicted, 2 on bad input.
"""

from __future__ import annotations

import sys

import click

from publisher import defaults
from publisher.errors import BadInputError, error_object
from publisher.naming import part_problem
from publisher.output import emit_json, info
from publisher.settings import environment_epilog

_EPILOG = """\b
Statuses: changed (committed), unchanged (no write), edited (legacy card edited by hand;
left alone unless --force), unsupported (unknown layout), conflict (the repo moved twice
while we worked), failed (no access, Hub error).
\b
Examples:
  publisher regenerate --author huggingtweets --shard 1/4 --journal regen-1.jsonl
  publisher regenerate --repos ids.txt --dry-run
"""


def _check_template(template: str) -> None:
    """Fail before any request when the template is unknown or broken (exit 2).

    A built-in template is known to render (the test suite renders each one), so it is only looked up:
    compiling it here would put Jinja's import on the path of a re-run that renders nothing.
    """
    from publisher.card.templates import builtin_source

    if builtin_source(template) is not None:
        return
    from publisher.card.manifest import card_from_dict
    from publisher.card.render import render_card

    probe = card_from_dict({"users": [{"handle": "probe", "name": "Probe"}]})
    render_card(probe, template=template, namespace="probe")


class _Progress:
    """A tqdm bar on stderr: done/total, per-status counts, ETA, and what the run is waiting for, if anything."""

    LOUD_WAIT = 5.0
    """Waits at least this long are also printed as a line (with or without the bar)."""

    def __init__(self, total: int, enabled: bool) -> None:
        from tqdm import tqdm

        self.enabled = enabled
        self.counts: dict[str, int] = {}
        self.bar = tqdm(total=total, file=sys.stderr, unit="repo", disable=not enabled, mininterval=0.5,
                        dynamic_ncols=True, desc="regenerate")  # fmt: skip

    def __call__(self, result) -> None:
        self.counts[result.status] = self.counts.get(result.status, 0) + 1
        order = ("changed", "unchanged", "edited", "unsupported", "conflict", "failed")
        self.bar.set_postfix_str(
            " ".join(f"{s}={self.counts[s]}" for s in order if s in self.counts), refresh=False
        )
        self.bar.set_description_str("regenerate", refresh=False)
        self.bar.update(1)

    def note(self, message: str) -> None:
        """A wait or a retry: shown in the bar's description until the next repo is done."""
        import re

        self.bar.set_description_str(f"regenerate ({message})", refresh=True)
        found = re.search(r"waiting (\d+(?:\.\d+)?)s", message)
        if found and float(found.group(1)) >= self.LOUD_WAIT:
            if self.enabled:
                self.bar.write(f"regenerate: {message} (Ctrl-C stops; re-running resumes)", file=sys.stderr)
            else:
                info(f"regenerate: {message} (Ctrl-C stops; re-running resumes)")

    def close(self) -> None:
        self.bar.close()


def _print_summary(report, *, dry_run: bool) -> None:
    rows = [(status, n) for status, n in report.counts.items()]
    width = max(len(s) for s, _ in rows)
    info("")
    info(f"{'status':<{width}}  repos")
    info(f"{'-' * width}  -----")
    for status, n in rows:
        info(f"{status:<{width}}  {n:5d}")
    if report.skipped:
        info(f"{'skipped':<{width}}  {len(report.skipped):5d}  (already done according to the journal)")
    if report.from_state:
        info(
            f"{report.from_state} repo(s) not read: same sha as when last decided (state file; --refresh reads them)"
        )
    info(f"mojibake repaired in {report.mojibake_repaired} card(s); {report.rate_limited} rate-limit wait(s); "
         f"{report.retries} retried request(s); {report.elapsed:.1f}s")  # fmt: skip
    for result in report.results:
        if result.status in {"failed", "conflict"}:
            info(f"  {result.status}: {result.repo}: {result.error}")
    for status in ("edited", "unsupported"):
        repos = [r.repo for r in report.results if r.status == status]
        if repos:
            more = f" and {len(repos) - 10} more" if len(repos) > 10 else ""
            info(f"  {status} (left as they are): {', '.join(repos[:10])}{more}")
    if dry_run:
        info("dry run: nothing was written")


def _print_plan(report) -> None:
    for result in report.results:
        if result.status == "changed":
            info(f"would change {result.repo} ({', '.join(result.files)})")
            if result.diff:
                sys.stderr.write(result.diff)
        else:
            detail = result.error or result.note
            info(f"{result.status}: {result.repo}" + (f" ({detail})" if detail else ""))
    sys.stderr.flush()


@click.command("regenerate", epilog=f"{_EPILOG}\n{environment_epilog('regenerate')}")
@click.argument("run_dirs", nargs=-1, type=click.Path(file_okay=False))
@click.option("--author", metavar="ORG", help="Every model of this user or organisation (the Hub's listing).")
@click.option("--repos", "repos_file", metavar="FILE", help="A file with one repo id per line.")
@click.option(
    "--match", "pattern", metavar="GLOB", help="Only repos whose id (or name, without '/') matches."
)
@click.option("--shard", metavar="K/N", help="Only shard K of N (a stable hash split of the repo ids).")
@click.option("--template", default=defaults.TEMPLATE, show_default=True, metavar="NAME|PATH")
@click.option("--force", is_flag=True, help="Regenerate legacy cards even if they were edited by hand.")
@click.option("--create-pr", is_flag=True, help="Open pull requests instead of committing to main.")
@click.option(
    "--concurrency",
    default=8,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Requests in flight at once (reads and commits together).",
)
@click.option("--max-commits-per-hour", default=None, type=click.IntRange(0),
              help="Sliding-hour commit cap (0: none). Default: none against a local hub, 100 against the Hub "
                   "(a 429 naming the commit quota lowers it and waits for the reset).")  # fmt: skip
@click.option("--journal", "journal_path", metavar="FILE", help="JSON-lines journal; re-running resumes.")
@click.option(
    "--state",
    "state_path",
    metavar="FILE",
    help="Sha of each repo when last decided or committed; a repo whose sha did not move is not read. "
    "Default: JOURNAL.state.json next to --journal.",
)
@click.option("--refresh", is_flag=True, help="Read every repo again, whatever the state file says.")
@click.option("--dry-run", is_flag=True, help="Print the plan and diffs; make no write request.")
@click.option("--json", "as_json", is_flag=True, help="One JSON report on stdout.")
@click.option("--hub", default="auto", show_default=True, metavar="auto|local|hf|URL")
@click.option("--hub-root", default=None, metavar="DIR", help="Root of the embedded local hub (--hub local).")
@click.option(
    "--namespace", default=None, help="Namespace for run directories whose card.json has no repo_id."
)
@click.option("--no-progress", is_flag=True, help="No progress bar.")
def command(run_dirs, author, repos_file, pattern, shard, template, force, create_pr, concurrency,
            max_commits_per_hour, journal_path, state_path, refresh, dry_run, as_json, hub, hub_root, namespace,
            no_progress) -> None:  # fmt: skip
    """Regenerate model cards in bulk (README.md + card.json only), resumably and within Hub quotas."""
    from publisher.regenerate.sharding import parse_shard

    sources = [bool(author), bool(repos_file), bool(run_dirs)]
    if sum(sources) != 1:
        raise BadInputError("give exactly one of --author ORG, --repos FILE or RUN_DIR...")
    for option, value in (("--author", author), ("--namespace", namespace)):
        problem = part_problem(value, option.lstrip("-")) if value is not None else None
        if problem:
            raise BadInputError(f"{option}: {problem}")
    try:
        shard_spec = parse_shard(shard) if shard else None
        _check_template(template)
        from publisher.regenerate.session import Request, regenerate
        from publisher.regenerate.state import state_path_for
        from publisher.settings import Settings

        request = Request(
            template=template, author=author, repos_file=repos_file, run_dirs=tuple(run_dirs), pattern=pattern,
            shard=shard_spec, force=force, create_pr=create_pr, concurrency=concurrency,
            max_commits_per_hour=max_commits_per_hour, journal_path=journal_path,
            state_file=state_path_for(journal_path, state_path), refresh=refresh, dry_run=dry_run, hub=hub,
            hub_root=hub_root, namespace=namespace,
        )  # fmt: skip
        report = regenerate(
            request, Settings.from_env(), lambda total: _Progress(total, enabled=not no_progress)
        )
    except Exception as exc:
        if as_json:  # a failure of the whole run (bad token, unreachable hub): no repo was processed
            emit_json({"dry_run": dry_run, "template": template, "error": error_object(exc)})
        raise
    if dry_run and not as_json:
        _print_plan(report)
    _print_summary(report, dry_run=dry_run)
    if as_json:
        emit_json(report.to_json())
    if report.exit_code:
        sys.exit(report.exit_code)
