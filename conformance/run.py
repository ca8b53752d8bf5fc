"""Run huggingface_hub's own test suite against a fresh local hub (`make conformance`).

Why: the local hub is only worth having if the real client behaves against it as against huggingface.co, and
the strongest check of that is a suite nobody here wrote. Steps:

1. download the source distribution of the INSTALLED huggingface_hub from the package registry (its tests/
   are in it) into .cache/conformance/ and unpack it (once per version);
2. copy its tests/ to a fresh work dir, add our conftest (the sdist ships none) and point the staging
   constants (ENDPOINT_STAGING) at a local hub started on 127.0.0.1, port 0, with the suite's users, tokens
   and org registered via `publisher hub serve --token`;
3. run the selected files with pytest (Xet disabled; tests marked `xet` or `production` deselected);
4. print passed / failed / skipped per file and check failures against conformance/exclusions.toml: a failure
   not listed there fails the run; a listed test that now passes is reported so the entry can go.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import tomllib

from publisher.errors import HubError
from publisher.hubclient.localhub_process import start_local_hub, stop_local_hub

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
CACHE = PROJECT / ".cache" / "conformance"
EXCLUSIONS = HERE / "exclusions.toml"
CATEGORIES = {
    "needs-xet": "needs Xet storage (the local hub has none)",
    "needs-production-data": "reads repos that exist only on huggingface.co",
    "out-of-scope": "Hub feature a rehearsal server leaves out",
    "environment": "needs something this sandbox lacks (network, a binary), not the hub",
    "incompatibility-open": "incompatibility (open): the local hub differs from the Hub; to be fixed",
}
# Files that talk to the Hub for repos, files, commits, refs, cards, auth, the CLI and the filesystem API. Left
# out: inference / jobs / endpoints / webhooks / sandbox / buckets / kernels (products the local hub does not
# serve) and pure unit tests of the client (they don't touch a server).
DEFAULT_FILES = (
    "test_hf_api.py",
    "test_file_download.py",
    "test_snapshot_download.py",
    "test_hf_file_system.py",
    "test_repocard.py",
    "test_copy_files.py",
    "test_auth.py",
    "test_hub_mixin.py",
    "test_hub_mixin_pytorch.py",
    "test_commit_scheduler.py",
    "test_cache_layout.py",
    "test_utils_http.py",
    "test_utils_telemetry.py",
    "test_cli.py",
    "test_cli_discussions.py",
    "test_upload_pipeline.py",
    "test_lfs.py",
)
# The suite's own test dependencies that the selected files import (setup.py extras["testing"]).
TEST_DEPS = {
    "pytest_mock": "pytest-mock",
    "xdist": "pytest-xdist",
    "pytest_asyncio": "pytest-asyncio",
    "jedi": "jedi",
    "PIL": "Pillow",
}
DESELECT_MARKERS = {"xet": "needs-xet", "production": "needs-production-data"}


def log(message: str) -> None:
    print(f"conformance: {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------ sdist + deps
def unpacked_sdist(version: str) -> Path:
    """The unpacked sdist of huggingface_hub==version, downloaded from the registry on first use."""
    target = CACHE / f"huggingface_hub-{version}"
    if (target / "tests" / "testing_constants.py").is_file():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        log(f"downloading the huggingface_hub {version} source distribution")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                f"huggingface_hub=={version}",
                "-d",
                tmp,
            ],
            check=True,
        )
        archive = next(Path(tmp).glob("huggingface_hub-*.tar.gz"))
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        unpacked = next(p for p in Path(tmp).iterdir() if p.is_dir())
        if not (unpacked / "tests" / "testing_constants.py").is_file():
            raise SystemExit(f"conformance: the {version} sdist has no tests/testing_constants.py")
        shutil.rmtree(target, ignore_errors=True)
        unpacked.rename(target)
    return target


def install_test_deps() -> None:
    import importlib.util

    missing = [pkg for module, pkg in TEST_DEPS.items() if importlib.util.find_spec(module) is None]
    if missing:
        log(f"installing the suite's test dependencies: {' '.join(missing)}")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "-c",
                str(PROJECT / "constraints.txt"),
                *missing,
            ],
            check=True,
        )


# ------------------------------------------------------------------------------------------ local hub
def suite_constants(tests: Path) -> dict[str, str]:
    """USER/TOKEN, OTHER_USER/OTHER_TOKEN, ENTERPRISE_* from the suite's testing_constants.py."""
    text = (tests / "testing_constants.py").read_text(encoding="utf-8")
    return dict(re.findall(r'^([A-Z_]+)\s*=\s*"([^"]*)"', text, re.M))


def hub_users(const: dict[str, str]) -> list[dict]:
    """The suite's CI accounts as an --auth users file: the main user, the other user, the enterprise admin."""
    users = [
        {
            "name": const["USER"],
            "token": const["TOKEN"],
            "fullname": const.get("FULL_NAME", const["USER"]),
            "orgs": [{"name": "valid_org_hub", "fullname": "Dummy Hub Org"}],
        }
    ]  # the CI user's org on hub-ci
    if "OTHER_USER" in const:
        users.append({"name": const["OTHER_USER"], "token": const["OTHER_TOKEN"]})
    if "ENTERPRISE_USER" in const:
        orgs = [const["ENTERPRISE_ORG"]] if const.get("ENTERPRISE_ORG") else []
        users.append({"name": const["ENTERPRISE_USER"], "token": const["ENTERPRISE_TOKEN"], "orgs": orgs})
    return users


def start_hub(root: Path, users: list[dict]) -> tuple[subprocess.Popen, str]:
    auth = root.parent / "users.json"
    auth.write_text(json.dumps({"users": users}))
    try:
        return start_local_hub(root, args=("--auth", str(auth)), log_path=root.parent / "hub.log")
    except HubError as exc:
        raise SystemExit(f"conformance: {exc}") from exc


def prepare_tests(sdist: Path, work: Path, url: str) -> Path:
    """A fresh copy of the suite with our conftest and ENDPOINT_STAGING pointing at the local hub."""
    tests = work / "tests"
    shutil.copytree(sdist / "tests", tests)
    (tests / "__init__.py").touch()
    shutil.copy(HERE / "suite_conftest.py", tests / "conftest.py")
    constants = tests / "testing_constants.py"
    text, count = re.subn(
        r"^ENDPOINT_STAGING\s*=.*$", f'ENDPOINT_STAGING = "{url}"', constants.read_text(), flags=re.M
    )
    if count != 1:
        raise SystemExit(
            "conformance: testing_constants.py has no ENDPOINT_STAGING line to point at the local hub"
        )
    # other spellings of the staging host in older suites (ENDPOINT_STAGING_BASIC_AUTH = "https://user:pass@hub-ci...")
    netloc = url.split("://", 1)[1]
    text = re.sub(
        r"https://([^\"'@/]*@)?hub-ci\.huggingface\.co", lambda m: f"http://{m.group(1) or ''}{netloc}", text
    )
    constants.write_text(text)
    (work / "pytest.ini").write_text(
        "[pytest]\naddopts = -W error::FutureWarning -p no:cacheprovider\nasyncio_default_fixture_loop_scope = function\n"
    )
    return tests


# ------------------------------------------------------------------------------------------ exclusions
def load_exclusions(path: Path = EXCLUSIONS) -> dict[str, tuple[str, str]]:
    """{node id (or prefix): (category, why)} from the one exclusion file."""
    data = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    out: dict[str, tuple[str, str]] = {}
    for category, entries in data.items():
        if category not in CATEGORIES:
            raise SystemExit(
                f"conformance: {path.name}: unknown category [{category}] (one of {', '.join(CATEGORIES)})"
            )
        for node, why in entries.items():
            out[node] = (category, str(why))
    return out


def excluded_by(node: str, exclusions: dict[str, tuple[str, str]]) -> str | None:
    """The exclusion entry covering `node`: the id itself, or a prefix ending at a `::` or `[` boundary."""
    if node in exclusions:
        return node
    for entry in exclusions:
        if node.startswith(entry) and node[len(entry) :][:1] in (":", "["):
            return entry
    return None


# ------------------------------------------------------------------------------------------ run + report
def run_pytest(
    work: Path, files: list[str], url: str, workers: int, extra: list[str]
) -> dict[str, dict[str, str]]:
    results = work / "results.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    env.update(
        HF_ENDPOINT=url,
        HF_HUB_DISABLE_XET="1",
        HF_HOME=str(work / "hf_home"),
        CONFORMANCE_RESULTS=str(results),
        NO_COLOR="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    marker_expr = " and ".join(f"not {m}" for m in DESELECT_MARKERS)
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-c",
        str(work / "pytest.ini"),
        "--rootdir",
        str(work),
        "-q",
        "-rN",
        "--no-header",
        "--tb=line",
        "-m",
        marker_expr,
        *[f"tests/{f}" for f in files],
        *extra,
    ]
    if workers > 1:
        cmd += ["-n", str(workers)]
    code = subprocess.run(cmd, cwd=work, env=env, check=False).returncode
    if not results.is_file() or code not in (0, 1):
        raise SystemExit(f"conformance: pytest exited with {code} (collection error or interrupted)")
    data = json.loads(results.read_text())
    counts = Path(f"{results}.deselected")
    data["deselected"] = json.loads(counts.read_text()) if counts.is_file() else {}
    return data


def report(
    results: dict[str, dict[str, str]], exclusions: dict[str, tuple[str, str]], deselected: Counter
) -> int:
    outcomes, messages = results["outcomes"], results["messages"]
    per_file: dict[str, Counter] = defaultdict(Counter)
    unexpected, now_passing, excluded = [], [], Counter()
    for node, outcome in sorted(outcomes.items()):
        per_file[node.split("::", 1)[0]][outcome] += 1
        entry = excluded_by(node, exclusions)
        if outcome == "failed":
            if entry is None:
                unexpected.append(node)
            else:
                excluded[exclusions[entry][0]] += 1
        elif outcome == "passed" and entry is not None and entry == node:
            now_passing.append(node)
    width = max((len(f) for f in per_file), default=10)
    print(f"\n{'file':<{width}}  passed  failed  skipped")
    for name, c in sorted(per_file.items()):
        print(f"{name:<{width}}  {c['passed']:>6}  {c['failed']:>6}  {c['skipped']:>7}")
    total = Counter()
    for c in per_file.values():
        total.update(c)
    print(
        f"{'total':<{width}}  {total['passed']:>6}  {total['failed']:>6}  {total['skipped']:>7}"
        f"   ({sum(total.values())} run)"
    )
    for category, n in sorted(excluded.items()):
        print(f"excluded failures, {category}: {n}  ({CATEGORIES[category]})")
    for category, n in sorted(deselected.items()):
        print(f"deselected by marker, {category}: {n}")
    for node in now_passing:
        print(f"warning: excluded test now passes (remove it from {EXCLUSIONS.name}): {node}")
    for node in unexpected:
        print(
            f"FAILED (not excluded): {node}\n    {messages.get(node, '').splitlines()[0] if messages.get(node) else ''}"
        )
    if unexpected:
        print(f"conformance: {len(unexpected)} failure(s) not in {EXCLUSIONS.name}")
        return 1
    print("conformance: ok")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], epilog="Arguments after -- go to pytest."
    )
    parser.add_argument(
        "files", nargs="*", help=f"test files of the suite (default: {len(DEFAULT_FILES)} files)"
    )
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist workers (1: in-process)")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (hub root, copy of the suite)")
    argv = sys.argv[1:] if argv is None else argv
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    args = parser.parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    files = args.files or list(DEFAULT_FILES)
    version = importlib.metadata.version("huggingface_hub")
    sdist = unpacked_sdist(version)
    install_test_deps()
    exclusions = load_exclusions()
    work = Path(tempfile.mkdtemp(prefix="run-", dir=CACHE))
    (work / "hub").mkdir()
    users = hub_users(suite_constants(sdist / "tests"))
    proc, url = start_hub(work / "hub", users)
    started = time.monotonic()
    try:
        log(f"huggingface_hub {version} suite against {url} ({len(files)} files, work dir {work})")
        prepare_tests(sdist, work, url)
        results = run_pytest(work, files, url, args.workers, extra)
    finally:
        stop_local_hub(proc)
    log(f"suite ran in {time.monotonic() - started:.0f}s")
    deselected = Counter({DESELECT_MARKERS.get(m, m): n for m, n in results.get("deselected", {}).items()})
    code = report(results, exclusions, deselected)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
