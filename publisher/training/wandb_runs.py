"""W&B for huggingtweets runs: the one "is W&B online?" rule, the runs huggingtweets logged, and whether those
runs exist on W&B (so a card links only runs that do). wandb is imported inside the functions only.

**The one rule** (`wandb_mode`): WANDB_MODE wins (`dryrun` is wandb's old name for offline); without it, W&B
is online only when WANDB_API_KEY is set. `prepare` and `train` log their runs in that mode, and `publish`
syncs offline runs and records its back-link only when it says online, so the three never disagree. The
rule reads the Settings only: no network probe, and not wandb's login file (~/.netrc): a login there does
not switch runs online by itself; WANDB_MODE=online does.

**Runs** (`log_preprocess`, `start_train_run`, `log_model`, `log_backlink`): a preprocess run (raw-dataset and
train-dataset artifacts), a train run (the model artifact), and publish's back-link on the train run (the
published commit, so wandb is imported under training/ only). An online init that fails (no network, bad
key, timeout) falls back to offline with a warning, so W&B never blocks a run. wandb 0.31 points its own
links at another host and knows no entity offline (docs/wandb.md §A0, §A2), so the card stores app URL, entity,
project and run ids, and links are built from those.

**Online or not, per run** (`offline_runs`, `sync_runs`, `settle_links`): an offline run has no page on
W&B, so a card must not link it. What is known locally, without asking W&B (docs/wandb.md A1): a run logged
online lives in `run-<ts>-<id>/`, an offline one in `offline-run-<ts>-<id>/`, and `wandb sync` leaves
`run-<id>.wandb.synced` next to the offline run's `run-<id>.wandb` once it is on the server. Card data keeps
the ids of runs not (yet) online in `wandb.offline_runs`; the renderer leaves their links out, and a publish
with W&B online syncs them first (wandb's own `wandb sync`, in a subprocess).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from publisher import defaults
from publisher.naming import model_name
from publisher.output import info, warn
from publisher.settings import Settings

if TYPE_CHECKING:
    from publisher.data.counting import UserData

INIT_TIMEOUT_S = 20
SYNC_TIMEOUT_S = 600
OFFLINE_MODES = ("offline", "disabled")


# ---------------------------------------------------------------------------------------------------------
# The one rule


def wandb_mode(settings: Settings) -> str:
    """online | offline | disabled (or another WANDB_MODE value, passed on to wandb as given): WANDB_MODE
    wins; otherwise online only when an API key is configured in the environment."""
    mode = (settings.wandb_mode or "").strip().lower()
    if mode:
        return "offline" if mode == "dryrun" else mode
    return "online" if settings.wandb_api_key_set else "offline"


def is_online(settings: Settings) -> bool:
    """W&B is online for this process: new runs are logged online, and publish syncs and back-links."""
    return wandb_mode(settings) not in OFFLINE_MODES


# ---------------------------------------------------------------------------------------------------------
# The runs huggingtweets logged


def entity_for(settings: Settings, run: Any = None) -> str:
    """WANDB_ENTITY, else the entity an online run resolved, else the huggingtweets namespace."""
    return (
        settings.wandb_entity
        or (getattr(run, "entity", "") if run is not None else "")
        or defaults.WANDB_ENTITY
    )


def _init(run_root: Path, mode: str, settings: Settings, **kwargs: Any) -> Any:
    import wandb

    timeout = float(settings.wandb_init_timeout or INIT_TIMEOUT_S)
    wandb_settings = wandb.Settings(
        init_timeout=timeout,
        console="off",
        x_disable_stats=True,
        disable_git=True,
        disable_code=True,
        silent=True,
        x_save_requirements=False,
    )
    directory = None if settings.wandb_dir else str(run_root)
    return wandb.init(
        project=settings.wandb_project,
        entity=settings.wandb_entity or (defaults.WANDB_ENTITY if mode != "online" else None),
        mode=mode,
        dir=directory,
        settings=wandb_settings,
        reinit="finish_previous",
        **kwargs,
    )


def start_run(run_root: Path, settings: Settings, **kwargs: Any) -> tuple[Any, str]:
    """A W&B run (offline by default), falling back to offline when online init fails. Returns (run, mode)."""
    mode = wandb_mode(settings)
    if mode == "disabled":
        return None, mode
    try:
        return _init(run_root, mode, settings, **kwargs), mode
    except Exception as exc:  # noqa: BLE001 - any online failure: never block on W&B
        if mode != "online":
            raise
        warn(f"W&B online init failed ({type(exc).__name__}); logging this run offline instead")
        return _init(run_root, "offline", settings, **kwargs), "offline"


def run_dir_of(run: Any, run_root: Path) -> str | None:
    """Where the run's files live (offline: what to `wandb sync`), relative to the run directory if inside it."""
    try:
        path = Path(run.dir).parent.resolve()
    except Exception:  # noqa: BLE001
        return None
    try:
        return path.relative_to(run_root.resolve()).as_posix()
    except ValueError:
        return str(path)


def log_preprocess(
    run_root: Path, users: list[UserData], info: dict[str, Any], settings: Settings
) -> dict[str, Any]:
    """The preprocess run: config (seed data, options), per-user stats, raw and train dataset artifacts."""
    handles = [u.user.handle for u in users]
    name = model_name(handles)
    run, mode = start_run(
        run_root,
        settings,
        name=f"@{'-'.join(handles)}-preprocess",
        job_type="preprocess",
        config={"handles": handles, "seed data": info["seed"], **info["options"]},
    )
    wandb_info: dict[str, Any] = {
        "app_url": settings.wandb_app_url,
        "entity": entity_for(settings, run),
        "project": settings.wandb_project,
    }
    if run is None:
        return wandb_info
    import wandb

    try:
        for user in info["users"]:
            for key, value in user["stats"].items():
                run.summary[f"{user['handle']}/{key}"] = value
        data_dir = run_root / "dataset"
        raw = wandb.Artifact(f"raw-{name}", type="raw-dataset", metadata={"users": info["users"]})
        raw.add_file(str(data_dir / "tweets.jsonl"))
        run.log_artifact(raw)
        train = wandb.Artifact(f"dataset-{name}", type="train-dataset", metadata=info["dataset"])
        train.add_file(str(data_dir / "train.txt"))
        train.add_file(str(data_dir / "eval.txt"))
        run.log_artifact(train)
        wandb_info["preprocess_run"] = run.id
        wandb_info["entity"] = entity_for(settings, run)
        wandb_info["mode"] = mode
        wandb_info["run_dir"] = run_dir_of(run, run_root)
    finally:
        run.finish()
    return wandb_info


def start_train_run(
    run_root: Path, handles: list[str], config: dict[str, Any], settings: Settings
) -> tuple[Any, str]:
    """The train run; the Trainer's W&B callback reuses it (report_to="wandb")."""
    return start_run(run_root, settings, name=f"@{'-'.join(handles)}-train", job_type="train", config=config)


def log_model(run: Any, model_dir: Path, handles: list[str], metadata: dict[str, Any]) -> None:
    """The model artifact: weights, configs and tokenizer files of the trained model."""
    import wandb

    artifact = wandb.Artifact(f"model-{model_name(handles)}", type="model", metadata=metadata)
    for path in sorted(model_dir.iterdir()):
        if path.is_file():
            artifact.add_file(str(path))
    run.log_artifact(artifact)


def log_backlink(w: Any, run_path: str, repo_id: str, endpoint: str, sha: str, settings: Settings) -> str:
    """The published model on its W&B training run (card data `w`, at `run_path`): a reference artifact
    pinned to the commit sha, not to `main`. Skipped when W&B is offline (the one rule above).

    Returns what happened (for the report); never fails the publish, which has already landed.
    """
    if not is_online(settings):
        info("W&B back-link skipped: W&B is offline (set WANDB_MODE=online and log in to record it)")
        return "skipped: W&B is offline"
    try:
        import wandb

        run = wandb.init(
            id=w.train_run,
            project=w.project or defaults.WANDB_PROJECT,
            entity=w.entity,
            resume="must",
            job_type="publish",
            settings=wandb.Settings(silent=True),
        )
        artifact = wandb.Artifact(
            name=f"hub-{repo_id.replace('/', '--')}",
            type="model",
            metadata={"repo_id": repo_id, "commit": sha, "endpoint": endpoint},
        )
        artifact.add_reference(f"{endpoint}/{repo_id}/tree/{sha}", name="hub-model", checksum=False)
        run.log_artifact(artifact, aliases=[sha[:12]])
        run.finish()
    except Exception as exc:  # noqa: BLE001 - the model is published; say what failed and go on
        warn(f"W&B back-link failed: {type(exc).__name__}: {exc}")
        return f"failed: {type(exc).__name__}"
    return f"recorded on {run_path} (pinned to {sha[:12]})"


# ---------------------------------------------------------------------------------------------------------
# Which runs exist on W&B, and `wandb sync` for the ones that don't


def wandb_dirs(run_dir: Path, settings: Settings) -> list[Path]:
    """Where the runs of `run_dir` may live: its own wandb/ folder, and $WANDB_DIR/wandb when that is set."""
    dirs = [run_dir / "wandb"]
    if settings.wandb_dir:
        dirs.append(Path(settings.wandb_dir) / "wandb")
    return [d for d in dirs if d.is_dir()]


def run_folders(run_dir: Path, run_id: str, settings: Settings) -> list[Path]:
    """Every local folder of W&B run `run_id` (online `run-*-<id>` or offline `offline-run-*-<id>`)."""
    found: list[Path] = []
    for folder in wandb_dirs(run_dir, settings):
        found.extend(p for p in folder.glob(f"*run-*-{run_id}") if p.is_dir() and not p.is_symlink())
    return sorted(found)


def folder_is_online(folder: Path) -> bool:
    """A run folder whose run is on the W&B server: logged online, or offline and synced since."""
    if not folder.name.startswith("offline-"):
        return True
    return any(folder.glob("*.wandb.synced"))


def offline_runs(card: Any, run_dir: Path, settings: Settings) -> tuple[str, ...]:
    """The card's run ids that do not exist online, as far as the run directory tells.

    A run the card already lists as offline stays offline unless a local folder shows it online (synced); a
    run found only as an unsynced offline folder is offline too (run directories made before the list existed).
    """
    w = card.wandb
    if w is None:
        return ()
    result = []
    for run_id in (w.preprocess_run, w.train_run):
        if not run_id or run_id in result:
            continue
        folders = run_folders(run_dir, run_id, settings)
        if any(folder_is_online(f) for f in folders):
            continue
        if folders or run_id in w.offline_runs:
            result.append(run_id)
    return tuple(result)


def wandb_command() -> list[str]:
    """wandb's own CLI: the `wandb` on PATH, else the one installed next to this Python, else `python -m wandb`."""
    found = shutil.which("wandb") or shutil.which("wandb", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "wandb"]


def sync_runs(run_dir: Path, run_ids: tuple[str, ...], settings: Settings) -> tuple[str, ...]:
    """`wandb sync` every local offline folder of `run_ids`; returns the ids now online (synced marker seen)."""
    folders = [
        f for run_id in run_ids for f in run_folders(run_dir, run_id, settings) if not folder_is_online(f)
    ]
    if not folders:
        return ()
    info(f"syncing {len(folders)} offline W&B run(s) with `wandb sync` so the card can link them")
    cmd = [*wandb_command(), "sync", "--yes", *map(str, folders)]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=SYNC_TIMEOUT_S, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        warn(f"wandb sync failed ({type(exc).__name__}); the card leaves those W&B links out")
        return ()
    if proc.returncode != 0:
        last = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        warn(f"wandb sync failed (exit {proc.returncode}: {last[0]}); the card leaves those W&B links out")
    return tuple(
        run_id
        for run_id in run_ids
        if any(folder_is_online(f) for f in run_folders(run_dir, run_id, settings))
    )


def settle_links(card: Any, run_dir: Path, settings: Settings, *, sync: bool) -> Any:
    """The card with `wandb.offline_runs` brought up to date: synced first when `sync` (W&B online), then
    whatever is still offline is left unlinked, and the output says how to add the links later."""
    if card.wandb is None:
        return card
    offline = offline_runs(card, run_dir, settings)
    if offline and sync:
        synced = set(sync_runs(run_dir, offline, settings))
        offline = tuple(r for r in offline if r not in synced)
    if offline:
        info(
            f"W&B links left out of the card for offline run(s) {', '.join(offline)} (they do not exist on W&B); "
            f"to add them: `wandb sync {run_dir}/wandb/offline-run-*` with W&B logged in, then "
            f"`publisher regenerate {run_dir}` (or publish again with W&B online, which syncs them first)"
        )
    return replace(card, wandb=replace(card.wandb, offline_runs=offline))
