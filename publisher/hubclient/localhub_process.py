"""The embedded local hub as a process: found through <root>/server.json, or started for the duration.

Why apart from the target rules: this is the only place the client starts a server, and it meets that server
only as a process and over HTTP (it never imports publisher.localhub).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from publisher._util.proc import pid_alive
from publisher.errors import HubError


def _answers_http(url: str, timeout: float = 2.0) -> bool:
    """True if something speaks HTTP at `url` (any status counts: we only need a live server)."""
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/api/whoami-v2", timeout=timeout):
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False


def _read_server_json(root: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((root / "server.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("url") else None


def find_local_hub(root: str | Path) -> str | None:
    """URL of a local hub already serving `root` (its server.json names a live pid that answers HTTP)."""
    data = _read_server_json(Path(root))
    if not data:
        return None
    pid = data.get("pid")
    if isinstance(pid, int) and not pid_alive(pid):
        return None
    url = str(data["url"]).rstrip("/")
    return url if _answers_http(url) else None


def start_local_hub(
    root: str | Path, *, args: tuple[str, ...] = (), log_path: str | Path | None = None, timeout: float = 60.0
) -> tuple[subprocess.Popen, str]:
    """Start `publisher hub serve --root ROOT --port 0 [ARGS]` and wait for the server.json naming its pid.

    The one way anything here starts a hub process (publish, the benchmarks, `make conformance`): `args` adds
    `hub serve` options (`--auth`, `--request-log`), `log_path` takes its output (default ROOT/serve.log).
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    log_file = Path(log_path) if log_path is not None else root / "serve.log"
    log = open(log_file, "ab")  # noqa: SIM115 - handed to the child, closed by stop_local_hub
    cmd = [sys.executable, "-m", "publisher", "hub", "serve", "--root", str(root), "--port", "0", *args]
    proc = subprocess.Popen(cmd, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    proc._publisher_log = log  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = _read_server_json(root)
        if data and data.get("pid") == proc.pid:
            return proc, str(data["url"]).rstrip("/")
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    stop_local_hub(proc)
    raise HubError(f"the local hub did not start (see {log_file})")


def stop_local_hub(proc: subprocess.Popen) -> None:
    """Stop a hub started by `start_local_hub` (SIGTERM, then SIGKILL after 10 s)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    log = getattr(proc, "_publisher_log", None)
    if log is not None:
        log.close()
