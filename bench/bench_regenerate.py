"""Benchmark: `publisher regenerate` against the naive loop, on 500 repos with 50 ms added per request.

Setup: a fresh local hub (its own HubServer on port 0, a temp root) holding identical namespaces of 500
huggingtweets repos (classic cards to regenerate, cards already current, hand-edited cards). Seeding runs
without latency; then every request gets 50 ms.

  regenerate  `python -m publisher regenerate --author NS --concurrency C` for C = 8 (the default) and 16,
              each on its own copy of the repos; the commit cap is lifted with --max-commits-per-hour 0,
              since the naive loop has none either
  naive       a sequential loop, as people write it: ModelCard.load -> edit (the same parse/render, skipping
              hand-edited and unknown cards) -> ModelCard.push_to_hub, for every repo of its own copy

Both client sides run in subprocesses whose environment has HF_ENDPOINT set before huggingface_hub is
imported (ModelCard has no endpoint argument). Requests per repo come from the server's request log,
grouped by the repo named in the path and by the repo's outcome; listing/whoami requests are shared.

    .venv/bin/python bench/bench_regenerate.py [--repos 500] [--latency-ms 50] [--concurrency 8 16]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

NAIVE_LOOP = r'''
import json, sys
from huggingface_hub import HfApi, ModelCard
from publisher.card.parse import parse_card
from publisher.card.render import render_card
from publisher.errors import UnsupportedLayoutError

author = sys.argv[1]
outcome = {}
for model in HfApi().list_models(author=author):
    card = ModelCard.load(model.id)
    text = card._content  # the README as downloaded (str(card) re-serializes the YAML block)
    try:
        if render_card(parse_card(text, repair=False), template="classic", namespace=author) != text:
            outcome[model.id] = "edited"
            continue
        data = parse_card(text)
    except UnsupportedLayoutError:
        outcome[model.id] = "unsupported"
        continue
    data.repo_id = model.id
    new = render_card(data, template="huggingtweets", namespace=author)
    ModelCard(new).push_to_hub(model.id, commit_message="Update model card")
    outcome[model.id] = "unchanged" if new == text else "changed"
print(json.dumps(outcome))
'''


def _mix(total: int) -> dict[str, int]:
    """60% legacy cards to regenerate, 30% already current, 10% edited by hand."""
    legacy, current = int(total * 0.6), int(total * 0.3)
    return {"legacy": legacy, "current": current, "edited": total - legacy - current}


def _requests_per_repo(entries: list[dict]) -> tuple[dict[str, int], Counter[str]]:
    """Requests per repo named in the path; the others (listing, whoami, validate-yaml) by route."""
    per_repo: Counter[str] = Counter()
    shared: Counter[str] = Counter()
    for entry in entries:
        parts = entry["path"].strip("/").split("/")
        if parts[:2] == ["api", "models"] and len(parts) >= 4:
            per_repo[f"{parts[2]}/{parts[3]}"] += 1
        elif parts and parts[0] not in {"api", ""} and len(parts) >= 2:
            per_repo[f"{parts[0]}/{parts[1]}"] += 1
        else:
            shared[entry["route"]] += 1
    return per_repo, shared


def _by_status(per_repo: dict[str, int], outcome: dict[str, str], namespace: str, validations: int) -> dict[str, float]:
    """Mean requests per repo of `namespace`, grouped by what regenerate decided for the same-named repo.

    validate-yaml names no repo; both sides call it only when committing a README, so its calls are spread
    over the changed repos.
    """
    grouped: dict[str, list[float]] = defaultdict(list)
    changed = sum(1 for status in outcome.values() if status == "changed") or 1
    for repo_id, status in outcome.items():
        name = repo_id.split("/", 1)[1]
        share = validations / changed if status == "changed" else 0
        grouped[status].append(per_repo.get(f"{namespace}/{name}", 0) + share)
    return {status: round(sum(v) / len(v), 2) for status, v in sorted(grouped.items())}


def _client_env(url: str, token: str, tmp: str) -> dict[str, str]:
    env = dict(os.environ)
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        env.pop(var, None)
    env.update(HF_ENDPOINT=url, HF_TOKEN=token, HF_HOME=tempfile.mkdtemp(dir=tmp), HF_HUB_DISABLE_XET="1",
               HF_HUB_DISABLE_TELEMETRY="1", HF_HUB_DISABLE_PROGRESS_BARS="1", PYTHONPATH=str(ROOT))  # fmt: skip
    return env


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"{cmd[2:4]} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return elapsed, done.stdout


def _regenerate(server, env: dict[str, str], namespace: str, concurrency: int) -> dict:
    server.clear_requests()
    cmd = [sys.executable, "-m", "publisher", "regenerate", "--author", namespace, "--json", "--no-progress",
           "--concurrency", str(concurrency), "--max-commits-per-hour", "0"]  # fmt: skip
    seconds, stdout = _timed(cmd, env)
    outcome = {r["repo"]: r["status"] for r in json.loads(stdout)["repos"]}
    per_repo, other = _requests_per_repo(server.requests)
    return {"seconds": seconds, "outcome": outcome, "per_repo": per_repo, "other": other, "namespace": namespace}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 16], help="one regenerate run per value")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="bench-regen-")
    os.environ.update(HF_HOME=os.path.join(tmp, "hf"), HF_HUB_DISABLE_XET="1", HF_HUB_DISABLE_TELEMETRY="1")
    from publisher.hub.server import DEFAULT_LOCAL_TOKEN, HubServer

    server = HubServer(Path(tmp) / "root", port=0).start()
    os.environ["HF_ENDPOINT"] = server.url
    from regen_seed import make_cards, seed_hub

    started = time.perf_counter()
    namespaces = [f"bench-c{c}" for c in args.concurrency] + ["bench-naive"]
    for namespace in namespaces:  # identical cards in each namespace
        seed_hub(server.url, DEFAULT_LOCAL_TOKEN, make_cards(namespace, "nobody", mix=_mix(args.repos), seed=3),
                 owner_token=DEFAULT_LOCAL_TOKEN, workers=8)  # fmt: skip
    print(f"seeded {len(namespaces)} x {args.repos} repos in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    env = _client_env(server.url, DEFAULT_LOCAL_TOKEN, tmp)
    server.set_latency(args.latency_ms)

    runs = {c: _regenerate(server, env, f"bench-c{c}", c) for c in args.concurrency}
    server.clear_requests()
    naive_s, stdout = _timed([sys.executable, "-c", NAIVE_LOOP, "bench-naive"], env)
    naive_outcome = json.loads(stdout)
    naive_per_repo, naive_other = _requests_per_repo(server.requests)
    server.stop()

    outcome = runs[args.concurrency[0]]["outcome"]
    result = {
        "repos": args.repos,
        "latency_ms": args.latency_ms,
        "statuses": dict(Counter(outcome.values())),
        "naive_seconds": round(naive_s, 2),
        "naive_requests_per_repo": _by_status(naive_per_repo, outcome, "bench-naive", naive_other["validate"]),
        "naive_other_requests": dict(naive_other),
        "naive_outcomes": dict(Counter(naive_outcome.values())),
        "regenerate": [
            {
                "concurrency": c,
                "seconds": round(r["seconds"], 2),
                "speedup": round(naive_s / r["seconds"], 1),
                "requests_per_repo": _by_status(r["per_repo"], r["outcome"], r["namespace"], r["other"]["validate"]),
                "other_requests": dict(r["other"]),
            }
            for c, r in runs.items()
        ],
    }
    print(json.dumps(result, indent=2))
    for run in result["regenerate"]:
        print(
            f"regenerate --concurrency {run['concurrency']}: {run['seconds']:.1f}s vs naive loop {naive_s:.1f}s: "
            f"{run['speedup']:.1f}x faster (goal >= 15x); requests per repo {run['requests_per_repo']} "
            f"vs naive {result['naive_requests_per_repo']}",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
