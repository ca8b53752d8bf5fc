"""Shared by the picture tests: a Trainer-like log history and the pixels-only PNG check."""

from __future__ import annotations

import math

from publisher.pictures.png import PIXEL_CHUNKS, png_chunks


def history(steps: int = 300) -> list[dict]:
    """A Trainer log history: a loss every 5 steps, the final evaluation, the run summary."""
    entries = [
        {
            "loss": 6 * math.exp(-s / 80) + 1.5 + 0.3 * math.sin(s),
            "grad_norm": 1.0,
            "learning_rate": 1e-4,
            "epoch": s / steps,
            "step": s,
        }
        for s in range(5, steps + 1, 5)
    ]
    return [
        *entries,
        {"eval_loss": 2.1, "eval_runtime": 0.5, "epoch": 1.0, "step": steps},
        {"train_runtime": 12.3, "train_loss": 3.0, "epoch": 1.0, "step": steps},
    ]


def assert_pixels_only(data: bytes) -> None:
    """Only IHDR, IDAT and IEND: no text, time, Exif or ICC chunk that could carry a path, a token or a date."""
    chunks = png_chunks(data)
    assert {kind for kind, _ in chunks} <= PIXEL_CHUNKS, [kind for kind, _ in chunks]
    assert len(chunks[0][1]) == 13, "a plain IHDR"
