"""What training shows: one progress bar (step, loss, elapsed, ETA) on stderr; everything else in a log file.

The Trainer's own ProgressCallback prints every logged dict under its bar and opens a second bar for the
evaluation; transformers' warnings and its save/load progress bars add more. Here the bar is ours, and the
logged dicts, the evaluation result and the libraries' messages go to `<run>/train.log`, which the end of
the run names. Imported only by `publisher.training.train` (it imports transformers).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from tqdm.auto import tqdm
from transformers import ProgressCallback, Trainer, TrainerCallback
from transformers.utils import logging as hf_logging

TRAIN_LOG = "train.log"
# loggers whose records belong in the log file, not on the terminal
LIBRARY_LOGGERS = ("transformers", "accelerate", "py.warnings")


class ProgressBar(TrainerCallback):
    """One tqdm bar over the optimizer steps, its postfix the last logged loss; each log entry to `log`."""

    def __init__(self, log: TextIO | None) -> None:
        self.log = log
        self.bar: Any = None

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        # redrawn at most once a second when stderr is not a terminal (CI logs stay short)
        interactive = sys.stderr.isatty()
        self.bar = tqdm(
            total=state.max_steps,
            desc="training",
            unit="step",
            file=sys.stderr,
            dynamic_ncols=interactive,
            mininterval=0.1 if interactive else 1.0,
        )

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.bar is not None:
            self.bar.update(state.global_step - self.bar.n)

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        logs = logs or {}
        if self.log is not None:
            self.log.write(json.dumps({"step": state.global_step, **logs}, default=str) + "\n")
            self.log.flush()
        if self.bar is not None and "loss" in logs:
            self.bar.set_postfix(loss=f"{float(logs['loss']):.3f}", refresh=False)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def use_progress_bar(trainer: Trainer, log: TextIO | None) -> None:
    """Replace the Trainer's ProgressCallback (a bar plus a printed dict per log, an eval bar) with ours."""
    trainer.remove_callback(ProgressCallback)
    trainer.add_callback(ProgressBar(log))


@contextmanager
def library_output_to(path: Path) -> Iterator[TextIO | None]:
    """For the duration: library messages and warnings go to `path` (created, or replaced), not stderr;
    transformers' own progress bars are off. Yields the open file (None when the folder does not exist)."""
    if not path.parent.is_dir():
        yield None
        return
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    loggers = [logging.getLogger(name) for name in LIBRARY_LOGGERS]
    saved = [(lg.propagate, lg.level) for lg in loggers]
    bars_were_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_default_handler()
    hf_logging.disable_progress_bar()
    logging.captureWarnings(True)
    for lg in loggers:
        lg.addHandler(handler)
        lg.propagate = False
        lg.setLevel(logging.INFO)
    try:
        yield handler.stream
    finally:
        for lg, (propagate, level) in zip(loggers, saved, strict=True):
            lg.removeHandler(handler)
            lg.propagate, lg.level = propagate, level
        logging.captureWarnings(False)
        hf_logging.enable_default_handler()
        if bars_were_on:
            hf_logging.enable_progress_bar()
        handler.close()
