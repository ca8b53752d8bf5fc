"""Benchmark: the local hub's model listing at 1,000 and 5,000 repos in one namespace (goal: 5,000 <= 5x 1,000).

Setup: each namespace is filled through the hub's own Storage on a temp root (a create_repo and one README
commit per repo, as the HTTP API would store them: the listing is what is measured, not the seeding); then
the hub serves that root as it is deployed, in its own process (`publisher hub serve`, started with
`start_local_hub`), so the client's allocations never make Python's garbage collector walk the server's
caches (in one process they did: 5,000 vs 1,000 measured 5.4x, and 3.8x with gc.freeze). With the real
huggingface_hub client over HTTP:

  full listing      `list(HfApi.list_models(author=NS))`: every page (1,000 per page), as `hf` lists an org
  regenerate's      `list_models(author=NS, expand=["sha", "siblings", "private"])`
  first page        `next(iter(list_models(author=NS, limit=1)))`: what one page costs, whatever the org size

each `--repeats` times (min/median/max seconds); ratios are of medians.

    .venv/bin/python bench/bench_listing.py [--sizes 1000 5000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

README = b"---\nlicense: mit\ntags:\n- huggingtweets\n---\n\n# A card\n\nSome text.\n"


def seed(storage, namespace: str, count: int) -> None:
    from publisher.localhub.rules import RepoKey
    from publisher.localhub.storage import FileEntry

    sha256, sha1, size = storage.put_bytes(README)
    for index in range(count):
        key = RepoKey("model", namespace, f"model-{index:05d}")
        state = storage.create_repo(key, private=False, author=namespace)
        parent = storage.load_commit(key, state["branches"]["main"])
        files = {**parent.files, "README.md": FileEntry(sha256, sha1, size, False)}
        commit = storage.make_commit(key, parent, "Add card", "", namespace, files)
        state["branches"]["main"] = commit.id
        storage.save_state(key, state)


def timed(fn, repeats: int) -> dict:
    values = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        values.append(time.perf_counter() - started)
    return {
        "min": round(min(values), 3),
        "median": round(statistics.median(values), 3),
        "max": round(max(values), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="bench-listing-")
    os.environ.update(HF_HOME=os.path.join(tmp, "hf"), HF_HUB_DISABLE_XET="1", HF_HUB_DISABLE_TELEMETRY="1")
    from publisher.hubclient.localhub_process import start_local_hub, stop_local_hub
    from publisher.localhub import DEFAULT_LOCAL_TOKEN
    from publisher.localhub.storage import Storage

    root = Path(tmp) / "root"
    storage = Storage(root)
    for size in args.sizes:
        started = time.perf_counter()
        seed(storage, f"list{size}", size)
        print(f"seeded {size} repos in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    server, url = start_local_hub(root, log_path=Path(tmp) / "serve.log")
    from huggingface_hub import HfApi

    api = HfApi(endpoint=url, token=DEFAULT_LOCAL_TOKEN)
    result: dict = {"machine": {"cpus": os.cpu_count(), "load_average_at_start": [round(x, 2) for x in os.getloadavg()]},
                    "repeats": args.repeats, "sizes": {}}  # fmt: skip
    try:
        for size in args.sizes:
            namespace = f"list{size}"
            count = len(list(api.list_models(author=namespace)))  # a first listing warms the page cache
            assert count == size, (count, size)
            result["sizes"][str(size)] = {
                "full_listing": timed(lambda ns=namespace: list(api.list_models(author=ns)), args.repeats),
                "regenerate_listing": timed(
                    lambda ns=namespace: list(
                        api.list_models(author=ns, expand=["sha", "siblings", "private"])
                    ),
                    args.repeats,
                ),
                "first_page_limit_1": timed(
                    lambda ns=namespace: next(iter(api.list_models(author=ns, limit=1))), args.repeats
                ),  # fmt: skip
            }
    finally:
        stop_local_hub(server)
    result["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    small, large = (result["sizes"][str(s)] for s in (min(args.sizes), max(args.sizes)))
    result["ratios_of_medians"] = {
        kind: round(large[kind]["median"] / small[kind]["median"], 2) for kind in small
    }
    result["size_ratio"] = max(args.sizes) / min(args.sizes)
    print(json.dumps(result, indent=2))
    print(f"listing {max(args.sizes)} vs {min(args.sizes)} repos: {result['ratios_of_medians']} "
          f"(goal for the full listing: <= {result['size_ratio']:.0f}x)", file=sys.stderr)  # fmt: skip


if __name__ == "__main__":
    main()
