"""Import time and peak memory for a generated 100k-tweet X archive, next to a plain `json.load`.

Each measurement runs in a fresh interpreter and reports wall time and peak RSS (ru_maxrss), so numbers
include the interpreter itself; `python -c pass`-level baseline is printed for reference. Goal: the
streaming import stays at or under 150 MB peak RSS.

    .venv/bin/python bench/bench_import.py [--tweets 100000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CASES = {
    "python baseline (import publisher.data)": "import publisher.data.archive, ijson, ftfy",
    "read_x_archive (stream from zip)": "from publisher.data.archive import read_x_archive; src = read_x_archive(PATH)",
    "read_x_archive (extracted folder)": "from publisher.data.archive import read_x_archive; src = read_x_archive(FOLDER)",
    "read + dedupe + cap 3200 + count": (
        "from publisher.data.readers import read_input; from publisher.data.counting import process_users; "
        "process_users([read_input(PATH)])"
    ),
    "plain json.load (whole file in memory)": (
        "import json; raw = open(FOLDER + '/data/tweets.js', 'rb').read(); "
        "data = json.loads(raw[raw.index(b'=') + 1:])"
    ),
}

RUNNER = """
import resource, sys, time
PATH, FOLDER = sys.argv[1], sys.argv[2]
start = time.perf_counter()
exec(sys.argv[3])
elapsed = time.perf_counter() - start
print(elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def measure(code: str, path: Path, folder: Path) -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, "-c", RUNNER, str(path), str(folder), code], capture_output=True, text=True
    )
    if out.returncode:
        raise SystemExit(f"benchmark case failed:\n{out.stderr}")
    seconds, max_rss_kb = out.stdout.split()
    return float(seconds), int(max_rss_kb) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tweets", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, default=None, help="keep the generated archive in this folder")
    args = parser.parse_args()
    from publisher.data.demo import write_large_archive

    work = Path(args.keep or tempfile.mkdtemp(prefix="bench-import-"))
    work.mkdir(parents=True, exist_ok=True)
    archive = work / "archive.zip"
    started = time.perf_counter()
    write_large_archive(archive, args.tweets, seed=1)
    folder = work / "extracted"
    import zipfile

    with zipfile.ZipFile(archive) as zf:
        zf.extractall(folder)
    size = (folder / "data" / "tweets.js").stat().st_size
    print(
        f"generated {args.tweets} tweets: tweets.js {size / 1e6:.1f} MB, zip {archive.stat().st_size / 1e6:.1f} MB "
        f"({time.perf_counter() - started:.1f} s)"
    )
    results = {}
    print(f"{'case':45} {'time (s)':>9} {'peak RSS (MB)':>14}")
    for name, code in CASES.items():
        seconds, rss = measure(code, archive, folder)
        results[name] = {"seconds": round(seconds, 2), "peak_rss_mb": round(rss, 1)}
        print(f"{name:45} {seconds:9.2f} {rss:14.1f}")
    print(json.dumps({"tweets": args.tweets, "tweets_js_mb": round(size / 1e6, 1), "results": results}))
    if args.keep is None:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
