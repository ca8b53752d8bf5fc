"""Benchmark of the local hub (`publisher hub serve`), run as a subprocess like a user would run it.

1. Small-request throughput: N concurrent clients (threads, one keep-alive connection each) alternating
   `GET /api/models/{repo}` (model info: state + commit + README parse) and `HEAD /{repo}/resolve/main/config.json`.
2. Upload: one LFS file of SIZE MB through the real client (`HfApi.upload_file`, Xet disabled): end-to-end MB/s
   (client hashing + preupload + LFS batch + PUT + verify + commit), plus the server-side PUT rate from the
   request log; then a download through `hf_hub_download`.

    .venv/bin/python bench/bench_hub.py [--clients 16] [--requests 4000] [--size-mb 200] [--json]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from publisher.hubclient.localhub_process import start_local_hub, stop_local_hub

TOKEN = "hf_publisherlocalhub"


def start_server(root: Path, request_log: Path) -> tuple[subprocess.Popen, str]:
    return start_local_hub(root, args=("--request-log", str(request_log)), log_path=root.parent / "serve.log")


def small_requests(url: str, repo_id: str, clients: int, total: int) -> dict:
    """Requests/s and latency percentiles for `clients` keep-alive connections sharing `total` requests."""
    parts = urlsplit(url)
    per_client = total // clients
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    paths = [f"/api/models/{repo_id}", f"/{repo_id}/resolve/main/config.json"]

    def worker() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine, bad = [], 0
        for i in range(per_client):
            method = "GET" if i % 2 == 0 else "HEAD"
            started = time.perf_counter()
            conn.request(method, paths[i % 2], headers={"Authorization": f"Bearer {TOKEN}"})
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            bad += response.status != 200
        conn.close()
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "clients": clients,
        "requests": len(latencies),
        "errors": errors,
        "seconds": round(elapsed, 2),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p95_ms": round(latencies[int(len(latencies) * 0.95)] * 1000, 2),
    }


def upload_and_download(api, repo_id: str, size_mb: int, workdir: Path, request_log: Path) -> dict:
    from huggingface_hub import hf_hub_download

    path = workdir / "big.safetensors"
    with open(path, "wb") as fh:
        for _ in range(size_mb):
            fh.write(os.urandom(1024 * 1024))
    size = path.stat().st_size
    started = time.perf_counter()
    api.upload_file(
        path_or_fileobj=str(path), path_in_repo="big.safetensors", repo_id=repo_id, commit_message="big"
    )
    upload_s = time.perf_counter() - started
    puts = [json.loads(line) for line in request_log.read_text().splitlines() if '"lfs-put"' in line]
    put_ms = puts[-1]["duration_ms"] if puts else None
    started = time.perf_counter()
    local = hf_hub_download(repo_id, "big.safetensors", cache_dir=workdir / "cache", token=TOKEN)
    download_s = time.perf_counter() - started
    assert Path(local).stat().st_size == size
    mb = size / 1e6
    return {
        "size_mb": round(mb, 1),
        "upload_s": round(upload_s, 2),
        "upload_mb_per_s": round(mb / upload_s, 1),
        "server_put_mb_per_s": round(mb / (put_ms / 1000), 1) if put_ms else None,
        "download_s": round(download_s, 2),
        "download_mb_per_s": round(mb / download_s, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-hub-") as tmp:
        workdir = Path(tmp)
        root, log = workdir / "root", workdir / "requests.jsonl"
        root.mkdir()
        proc, url = start_server(root, log)
        try:
            os.environ.update(
                HF_ENDPOINT=url,
                HF_HOME=str(workdir / "hf_home"),
                HF_HUB_DISABLE_XET="1",
                HF_HUB_DISABLE_TELEMETRY="1",
                HF_HUB_DISABLE_PROGRESS_BARS="1",
            )
            from huggingface_hub import HfApi

            api = HfApi(endpoint=url, token=TOKEN)
            repo_id = "local/bench"
            api.create_repo(repo_id)
            api.upload_file(
                path_or_fileobj=b"---\nlicense: mit\n---\n# bench\n",
                path_in_repo="README.md",
                repo_id=repo_id,
            )
            api.upload_file(
                path_or_fileobj=b'{"architectures": ["GPT2LMHeadModel"]}',
                path_in_repo="config.json",
                repo_id=repo_id,
            )
            result = {
                "small_requests": small_requests(url, repo_id, args.clients, args.requests),
                "lfs_file": upload_and_download(api, repo_id, args.size_mb, workdir, log),
                "cpus": os.cpu_count(),
            }
        finally:
            stop_local_hub(proc)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    s, u = result["small_requests"], result["lfs_file"]
    print(
        f"small requests: {s['requests_per_s']} req/s with {s['clients']} clients "
        f"(p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms, {s['errors']} errors, {s['requests']} requests)"
    )
    print(
        f"LFS upload of {u['size_mb']} MB: {u['upload_mb_per_s']} MB/s end-to-end ({u['upload_s']} s), "
        f"server PUT {u['server_put_mb_per_s']} MB/s; download {u['download_mb_per_s']} MB/s"
    )


if __name__ == "__main__":
    main()
