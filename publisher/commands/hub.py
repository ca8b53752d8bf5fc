"""`publisher hub serve`: run the Hub-compatible local server in the foreground.

Writes `<root>/server.json` ({"url", "pid"}) atomically once listening, so `publisher publish` can find a
running hub, and removes it on a clean shutdown (Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import click

from publisher import defaults
from publisher._util import fs
from publisher.errors import BadInputError
from publisher.output import info


@click.group("hub")
def command() -> None:
    """The Hub-compatible local server."""


def _users(auth_file: str | None, tokens: tuple[str, ...]) -> list[dict] | None:
    from publisher.localhub.auth import load_auth_file, parse_token_flag

    if auth_file is None and not tokens:
        return None
    try:
        users = load_auth_file(auth_file) if auth_file else []
        users += [parse_token_flag(t) for t in tokens]
    except (OSError, ValueError) as exc:
        raise BadInputError(f"auth configuration: {exc}") from exc
    return users


def _write_server_json(root: Path, url: str) -> Path:
    target = root / "server.json"
    fs.write_text(target, json.dumps({"url": url, "pid": os.getpid()}))
    return target


@command.command("serve")
@click.option(
    "--root",
    default=defaults.HUB_ROOT,
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where repos and blobs live.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to bind (keep 127.0.0.1 unless you mean it).",
)
@click.option("--port", default=0, show_default=True, type=int, help="TCP port; 0 picks a free one.")
@click.option(
    "--auth",
    "auth_file",
    type=click.Path(dir_okay=False, exists=True),
    help='Users file: {"users": [{"name", "token", "orgs": [...]}]} (JSON or YAML).',
)
@click.option(
    "--token",
    "tokens",
    multiple=True,
    metavar="NAME:TOKEN[:ORG,ORG]",
    help="Add a user (repeatable). Without --auth/--token: user 'local', token hf_publisherlocalhub, any namespace.",
)
@click.option(
    "--latency", "latency_ms", default=0.0, type=float, metavar="MS", help="Delay added to every request."
)
@click.option(
    "--faults",
    default=None,
    metavar="SPEC",
    help="Inject failures, e.g. commit:503:times=1,lfs-put:drop:nth=1 (see README).",
)
@click.option(
    "--request-log", type=click.Path(dir_okay=False), help="Append one JSON line per request to this file."
)
@click.option(
    "--upload-mode",
    type=click.Choice(["auto", "regular"]),
    default="auto",
    show_default=True,
    help="auto: LFS for weights/binary/large files; regular: every file inline (works with Xet-enabled clients).",
)
def serve(
    root: str,
    host: str,
    port: int,
    auth_file: str | None,
    tokens: tuple[str, ...],
    latency_ms: float,
    faults: str | None,
    request_log: str | None,
    upload_mode: str,
) -> None:
    """Serve a Hub-compatible API and model pages from ROOT until interrupted."""
    from publisher.localhub import HubServer

    try:
        server = HubServer(
            root,
            host,
            port,
            users=_users(auth_file, tokens),
            latency_ms=latency_ms,
            faults=faults,
            request_log=request_log,
            upload_mode=upload_mode,
        )
    except ValueError as exc:
        raise BadInputError(str(exc)) from exc
    except OSError as exc:
        raise BadInputError(f"cannot listen on {host}:{port}: {exc}") from exc

    def stop_on_signal(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop_on_signal)
    marker = _write_server_json(server.root, server.url)
    info(f"local hub serving {server.root} at {server.url}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        info("local hub: shutting down")
    finally:
        marker.unlink(missing_ok=True)
        server.stop()
