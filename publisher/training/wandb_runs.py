"""The W&B runs huggingtweets logged: a preprocess run (raw-dataset and train-dataset artifacts) and a train
run (the model artifact). wandb is imported inside the functions.

Offline unless WANDB_MODE or WANDB_API_KEY says otherwise; an online init that fails (no network, bad key,
timeout) falls back to offline with a warning, so W&B never blocks a run. wandb 0.31 points its own links
at another host and knows no entity offline (wandb.md §A0, §A2), so the card stores app URL, entity,
project and run ids, and links are built from those.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from publisher.output import warn
from publisher.settings import Settings

if TYPE_CHECKING:
    from publisher.data.counting import UserData

DEFAULT_ENTITY = "huggingtweets"
INIT_TIMEOUT_S = 20


def wandb_mode(env: dict[str, str] | None = None) -> str:
    """WANDB_MODE wins; otherwise online only when an API key is configured in the environment."""
    env = dict(os.environ if env is None else env)
    mode = (env.get("WANDB_MODE") or "").strip().lower()
    if mode:
        return "offline" if mode == "dryrun" else mode
    return "online" if env.get("WANDB_API_KEY") else "offline"


def entity_for(settings: Settings, run: Any = None) -> str:
    """WANDB_ENTITY, else the entity an online run resolved, else the huggingtweets namespace."""
    return settings.wandb_entity or (getattr(run, "entity", "") if run is not None else "") or DEFAULT_ENTITY


def _init(run_root: Path, mode: str, settings: Settings, **kwargs: Any) -> Any:
    import wandb

    timeout = float(os.environ.get("WANDB_INIT_TIMEOUT") or INIT_TIMEOUT_S)
    wandb_settings = wandb.Settings(
        init_timeout=timeout,
        console="off",
        x_disable_stats=True,
        disable_git=True,
        disable_code=True,
        silent=True,
        x_save_requirements=False,
    )
    directory = None if os.environ.get("WANDB_DIR") else str(run_root)
    return wandb.init(
        project=settings.wandb_project,
        entity=settings.wandb_entity or (DEFAULT_ENTITY if mode != "online" else None),
        mode=mode,
        dir=directory,
        settings=wandb_settings,
        reinit="finish_previous",
        **kwargs,
    )


def start_run(run_root: Path, settings: Settings, **kwargs: Any) -> tuple[Any, str]:
    """A W&B run (offline by default), falling back to offline when online init fails. Returns (run, mode)."""
    mode = wandb_mode()
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
    model_name = "-".join(sorted(handles))
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
        raw = wandb.Artifact(f"raw-{model_name}", type="raw-dataset", metadata={"users": info["users"]})
        raw.add_file(str(data_dir / "tweets.jsonl"))
        run.log_artifact(raw)
        train = wandb.Artifact(f"dataset-{model_name}", type="train-dataset", metadata=info["dataset"])
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

    artifact = wandb.Artifact(f"model-{'-'.join(sorted(handles))}", type="model", metadata=metadata)
    for path in sorted(model_dir.iterdir()):
        if path.is_file():
            artifact.add_file(str(path))
    run.log_artifact(artifact)
