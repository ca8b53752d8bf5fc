"""Benchmark: `publisher publish` vs `hf upload` of the same model folder to the same local hub.

    .venv/bin/python bench/bench_publish.py [--size-mb 500] [--workdir /tmp]

What it measures (on one `publisher hub serve` subprocess with a request log):
1. wall time of `hf upload <repo> <folder>` and of `publisher publish <folder> --no-verify`, each to a fresh
   repo, in the order hf, publish, publish, hf (ABBA, so neither tool gets the better position); every upload
   first changes one byte of the weights, so the hub cannot deduplicate them. An untimed warm-up upload goes
   first: on these machines the first 500 MB written to a fresh disk area is about 2x faster than every later
   one, which would otherwise favour whichever tool runs first. Goal: ratio of the means publish / hf <= 1.1;
2. an unchanged re-publish: requests, bytes sent (request bodies) and weight bytes sent. Goal: 0 bytes of weights.
3. a card-only re-publish (card.json edited, weights untouched, the file-hash cache warm from an earlier
   publish) against `hf upload <repo> README.md` of the card file alone, alternating, `--card-repeats` pairs:
   min/median/max; goal: median publish / median hf <= 1.5. (`--card-only` skips 1 and 2.)
Both tools run as subprocesses with Xet off (the local hub speaks the LFS protocol) and a warm page cache.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from publisher.hubclient.localhub_process import start_local_hub, stop_local_hub

REPO_ROOT = Path(__file__).resolve().parents[1]
LOCAL_TOKEN = "hf_publisherlocalhub"


def build_model_folder(folder: Path, size_mb: int) -> int:
    """A loadable GPT-2 (random weights, locally trained tokenizer) whose safetensors is about `size_mb` MB."""
    from transformers import GPT2Config, GPT2LMHeadModel

    from publisher.training.tiny_model import train_tokenizer

    tokenizer = train_tokenizer(["My dream is to publish a model.", "hello world"] * 10)
    n_embd = 1024 if size_mb >= 100 else 256
    per_layer = 12 * n_embd * n_embd + 13 * n_embd
    n_layer = max(1, round((size_mb * 1e6 / 4 - (len(tokenizer) + 128) * n_embd) / per_layer))
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=128,
        n_embd=n_embd,
        n_layer=n_layer,
        n_head=8,
        bos_token_id=tokenizer.eos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    GPT2LMHeadModel(config).save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    card = {"users": [{"handle": "bench", "name": "Bench Mark"}], "widget": ["My dream is"]}
    (folder / "card.json").write_text(json.dumps(card, indent=2))
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


def start_hub(root: Path, log: Path) -> tuple[subprocess.Popen, str]:
    return start_local_hub(root, args=("--request-log", str(log)), log_path=log.with_suffix(".serve.log"))


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return elapsed


def warm(folder: Path) -> None:
    for path in folder.iterdir():
        if path.is_file():
            with open(path, "rb") as handle:
                while handle.read(16 * 1024 * 1024):
                    pass


def flip_byte(path: Path, index: int) -> None:
    """Change the index-th byte from the end, so each upload has new content (no deduplication)."""
    with open(path, "r+b") as handle:
        handle.seek(-1 - index, os.SEEK_END)
        byte = handle.read(1)
        handle.seek(-1 - index, os.SEEK_END)
        handle.write(bytes([byte[0] ^ 1]))


def log_entries(log: Path, start: int = 0) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()[start:] if line.strip()]


def full_uploads(upload, timed, publisher, env, log) -> dict:
    """1 and 2: whole-folder uploads (ABBA) and an unchanged re-publish."""
    upload("hf", 0)  # warm-up, not counted
    t_hf = [upload("hf", 1)]
    t_pub = [upload("pub", 2), upload("pub", 3)]
    before = len(log_entries(log))
    t_same = timed([*publisher, "--repo-id", "huggingtweets/bench-pub-3"], env)
    same = log_entries(log, before)
    t_hf.append(upload("hf", 4))
    return {
        "hf_upload_s": [round(t, 2) for t in t_hf],
        "publish_s": [round(t, 2) for t in t_pub],
        "ratio": round(sum(t_pub) / sum(t_hf), 3),
        "unchanged_publish_s": round(t_same, 2),
        "unchanged_requests": len(same),
        "unchanged_routes": sorted({e["route"] for e in same}),
        "unchanged_bytes_sent": sum(e.get("bytes_in", 0) for e in same),
        "unchanged_weight_bytes_sent": sum(e.get("bytes_in", 0) for e in same if e["route"] == "lfs-put"),
        "unchanged_commits": sum(1 for e in same if e["route"] == "commit"),
    }


def card_only(
    folder: Path, work: Path, publisher: list[str], hf: str, env: dict[str, str], repeats: int = 3
) -> dict:
    """3: edit the card, re-publish (weights unchanged, hashes cached) vs `hf upload` of README.md alone."""
    repo = "huggingtweets/bench-card"
    timed([*publisher, "--repo-id", repo], env)  # the model is on the Hub and its hashes are in the cache
    card_path, readme = folder / "card.json", work / "README.md"
    t_pub, t_hf = [], []
    for round_no in range(repeats):
        card = json.loads(card_path.read_text())
        card["users"][0]["name"] = f"Bench Mark {round_no}"
        card_path.write_text(json.dumps(card, indent=2))
        t_pub.append(timed([*publisher, "--repo-id", repo], env))
        readme.write_text(f"---\nlicense: mit\n---\n\n# Bench Mark {round_no}\n")
        t_hf.append(timed([hf, "upload", repo, str(readme), "README.md", "--commit-message", "card"], env))
    median_pub, median_hf = statistics.median(t_pub), statistics.median(t_hf)
    return {
        "card_only_publish_s": {
            "min": round(min(t_pub), 2),
            "median": round(median_pub, 2),
            "max": round(max(t_pub), 2),
        },
        "hf_upload_card_s": {
            "min": round(min(t_hf), 2),
            "median": round(median_hf, 2),
            "max": round(max(t_hf), 2),
        },
        "card_only_ratio_of_medians": round(median_pub / median_hf, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=500)
    parser.add_argument(
        "--workdir", default=None, help="where the folder and the hub go (removed afterwards)"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--card-only", action="store_true", help="only the card-only re-publish (3)")
    parser.add_argument("--card-repeats", type=int, default=3)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-publish-", dir=args.workdir))
    folder, hub_root, log = work / "run", work / "hub", work / "requests.jsonl"
    proc = None
    try:
        total = build_model_folder(folder, args.size_mb)
        proc, url = start_hub(hub_root, log)
        env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
        env.update(
            HF_ENDPOINT=url,
            HF_TOKEN=LOCAL_TOKEN,
            HF_HOME=str(work / "hf_home"),
            HF_HUB_DISABLE_XET="1",
            HF_HUB_DISABLE_TELEMETRY="1",
            HF_HUB_DISABLE_PROGRESS_BARS="1",
        )
        hf = str(Path(sys.executable).with_name("hf"))
        publisher = [sys.executable, "-m", "publisher", "publish", str(folder), "--hub", url, "--no-verify"]
        weights = folder / "model.safetensors"

        def upload(tool: str, round_no: int) -> float:
            flip_byte(weights, round_no)
            warm(folder)
            if tool == "hf":
                return timed(
                    [
                        hf,
                        "upload",
                        f"huggingtweets/bench-hf-{round_no}",
                        str(folder),
                        "--commit-message",
                        "bench",
                    ],
                    env,
                )
            return timed([*publisher, "--repo-id", f"huggingtweets/bench-pub-{round_no}"], env)

        results = {"folder_bytes": total}
        if not args.card_only:
            results.update(full_uploads(upload, timed, publisher, env, log))
        env["PUBLISHER_CACHE"] = str(work / "cache")
        results.update(card_only(folder, work, publisher, hf, env, args.card_repeats))
        results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        if proc is not None:
            stop_local_hub(proc)
        shutil.rmtree(work, ignore_errors=True)

    if args.json:
        print(json.dumps(results, indent=2))
        return
    mb = results["folder_bytes"] / 1e6
    print(f"model folder: {mb:.0f} MB")
    print(
        f"card-only re-publish: {results['card_only_publish_s']} s vs hf upload of README.md alone "
        f"{results['hf_upload_card_s']} s: ratio of medians {results['card_only_ratio_of_medians']} (goal <= 1.5)"
    )
    if "ratio" not in results:
        return
    print(f"hf upload:          {results['hf_upload_s']} s (rounds 1 and 4)")
    print(
        f"publisher publish:  {results['publish_s']} s (rounds 2 and 3)   ratio of means {results['ratio']:.3f} (goal <= 1.1)"
    )
    print(
        f"unchanged publish:  {results['unchanged_publish_s']:7.2f} s   {results['unchanged_requests']} requests, "
        f"{results['unchanged_bytes_sent']} bytes sent, {results['unchanged_weight_bytes_sent']} bytes of weights, "
        f"{results['unchanged_commits']} commits (goal: 0 bytes of weights)"
    )
    print(f"unchanged routes: {', '.join(results['unchanged_routes'])}")


if __name__ == "__main__":
    main()
