"""training_curve.png: the training loss by step (raw points faint, smoothed line) and the evaluation loss.

Drawn from the Trainer's own `state.log_history` (entries with `loss` every `logging_steps`, `eval_loss` at
each evaluation), so it needs no W&B run. The figure is 1000x500 px: the Hub shows card images at most about
800 px wide, where 15 px labels stay readable. Same history = same bytes: matplotlib's bundled DejaVu Sans,
the Agg renderer, a fixed `svg.hashsalt`, and the pixels encoded by `publisher.pictures.png` (no Software or
time chunk).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

WIDTH_PX, HEIGHT_PX, DPI = 1000, 500, 100
TRAIN_COLOR, EVAL_COLOR = "#1f6feb", "#d9480f"
_STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 15,
    "axes.titlesize": 17,
    "axes.labelsize": 15,
    "legend.fontsize": 13,
    "svg.hashsalt": "publisher",
    "path.simplify": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def loss_points(history: Iterable[Mapping[str, Any]], key: str) -> list[tuple[float, float]]:
    """(step, value) for every log entry that has a finite `key` (`loss` or `eval_loss`)."""
    points = []
    for entry in history:
        value, step = entry.get(key), entry.get("step")
        if isinstance(value, (int, float)) and isinstance(step, (int, float)) and math.isfinite(value):
            points.append((float(step), float(value)))
    return points


def smoothed(values: list[float], sigma: float | None = None) -> list[float]:
    """A centred Gaussian moving average: follows a falling loss without the lag of an exponential average."""
    if sigma is None:
        sigma = max(1.0, len(values) / 30)
    reach = int(3 * sigma)
    out = []
    for i in range(len(values)):
        lo, hi = max(0, i - reach), min(len(values), i + reach + 1)
        weights = [math.exp(-((j - i) ** 2) / (2 * sigma * sigma)) for j in range(lo, hi)]
        out.append(sum(w * values[j] for w, j in zip(weights, range(lo, hi), strict=True)) / sum(weights))
    return out


def training_curve_png(
    history: Iterable[Mapping[str, Any]], *, title: str = "Loss during training"
) -> bytes | None:
    """The PNG bytes, or None when the history has no loss to draw (nothing was logged)."""
    history = list(history)
    train = loss_points(history, "loss")
    evals = loss_points(history, "eval_loss")
    if not train and not evals:
        return None
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    from publisher.pictures.png import encode_png

    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
        canvas = FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        _draw(axes, train, evals)
        axes.set_title(title)
        axes.set_xlabel("training step")
        axes.set_ylabel("loss (cross-entropy)")
        axes.grid(True, color="#e5e7eb", linewidth=0.8)
        axes.legend(loc="upper right", frameon=False)
        figure.tight_layout()
        canvas.draw()
        image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        return encode_png(image)


def _draw(axes: Any, train: list[tuple[float, float]], evals: list[tuple[float, float]]) -> None:
    if train:
        steps, losses = zip(*train, strict=True)
        axes.plot(
            steps,
            losses,
            color=TRAIN_COLOR,
            alpha=0.25,
            linewidth=1,
            marker="o",
            markersize=3,
            label="training loss",
        )
        if len(train) > 2:
            axes.plot(
                steps,
                smoothed(list(losses)),
                color=TRAIN_COLOR,
                linewidth=2.2,
                label="training loss (smoothed)",
            )
    if evals:
        steps, losses = zip(*evals, strict=True)
        axes.plot(
            steps,
            losses,
            color=EVAL_COLOR,
            linewidth=2,
            marker="D",
            markersize=8,
            label=f"evaluation loss ({losses[-1]:.3g})",
        )
