"""`publisher publish RUN_DIR`: weights + card in one commit, verified after the commit.

Only option parsing here; the work is publisher.publish.run.publish. huggingface_hub is imported after the target
is resolved and HF_ENDPOINT set (publisher.hubclient.target.connect), because the clients read it at import time.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from publisher import defaults
from publisher.errors import BadInputError, VerificationError, error_object
from publisher.output import emit_json, register_secret
from publisher.settings import Settings, environment_epilog


def _refuse_token(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """A token on the command line shows in process lists and shell history: refuse it."""
    if value is not None:
        register_secret(value)
        raise BadInputError(
            "--token is refused: a token on the command line is visible to other users (process list, shell "
            "history); set HF_TOKEN in the environment (or run `hf auth login`) instead"
        )


@click.command("publish", epilog=environment_epilog("publish"))
@click.argument("run_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--hub",
    default="auto",
    show_default=True,
    metavar="auto|local|hf|URL",
    help="auto: the Hub when a token is found, else the embedded local hub (never in CI).",
)
@click.option(
    "--hub-root", default=None, help=f"Folder of the embedded local hub [default: {defaults.HUB_ROOT}]."
)
@click.option(
    "--repo-id",
    default=None,
    help=f"namespace/name [default: the card's, or {defaults.NAMESPACE}/<handles>].",
)
@click.option(
    "--namespace",
    default=None,
    help=f"Namespace when the repo id is derived [default: {defaults.NAMESPACE}].",
)
@click.option("--template", default=defaults.TEMPLATE, show_default=True, help="Card template.")
@click.option(
    "--private",
    is_flag=True,
    help="The repo is private: created so, or an existing public repo made private (never the reverse).",
)
@click.option(
    "--revision", default="main", show_default=True, help="Branch to commit to (created if missing)."
)
@click.option("--create-pr", is_flag=True, help="Open a pull request instead of committing to the branch.")
@click.option("--tag", default=None, help="Tag the new commit (release jobs).")
@click.option("--commit-message", default=None, help="Commit title [default: names the W&B training run].")
@click.option("--dry-run", is_flag=True, help="Print the plan and the README.md diff; send nothing.")
@click.option(
    "--verify/--no-verify",
    default=True,
    show_default=True,
    help="Download, load and generate from the published commit.",
)
@click.option("--allow-pickle", is_flag=True, help="Also upload pickle files (.bin, .pt); never by default.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
@click.option("--token", default=None, hidden=True, expose_value=False, callback=_refuse_token, is_eager=True)
def command(
    run_dir: Path,
    hub: str,
    hub_root: str | None,
    repo_id: str | None,
    namespace: str | None,
    template: str,
    private: bool,
    revision: str,
    create_pr: bool,
    tag: str | None,
    commit_message: str | None,
    dry_run: bool,
    verify: bool,
    allow_pickle: bool,
    as_json: bool,
) -> None:
    """Publish RUN_DIR (card.json + model files) to the Hub in one commit.

    \b
    Statuses: published, unchanged (nothing to send: no commit), planned (--dry-run), failed.
    Exit codes: 0 published/unchanged/planned; 1 Hub error or verification failed;
    2 bad input, card check failure, no token or no write access (nothing uploaded).
    """
    from publisher.publish.run import Progress, PublishOptions, PublishResult, publish

    settings = Settings.from_env()
    options = PublishOptions(
        run_dir=run_dir,
        hub=hub,
        hub_root=hub_root or settings.hub_root,
        repo_id=repo_id,
        namespace=namespace or settings.namespace,
        template=template,
        private=private,
        revision=revision,
        create_pr=create_pr,
        tag=tag,
        commit_message=commit_message,
        dry_run=dry_run,
        verify=verify,
        allow_pickle=allow_pickle,
        settings=settings,
    )
    progress = Progress(PublishResult(status="failed", repo_id=repo_id))
    try:
        result = publish(options, progress)
    except Exception as exc:
        if as_json:  # everything known when it failed: repo, hub, the plan if it was made
            emit_json(replace(progress.last, status="failed", error=error_object(exc)).as_json())
        raise
    if as_json:
        emit_json(result.as_json())
    if result.status == "failed":
        failure = result.error or {}
        raise VerificationError(failure.get("message") or "publish failed", hint=failure.get("hint"))
