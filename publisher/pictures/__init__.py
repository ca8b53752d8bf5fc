"""The card's pictures: the training curve (`train` draws it) and the preview image (`publish` draws it).

    curve.py       training_curve.png from the Trainer's log history (matplotlib, Agg)
    preview.py     predictions.png, 1200x630: avatars or initials, names, handles, sample generations (Pillow)
    fonts.py       the bundled fonts and per-character fallback, so no character is drawn as a tofu box
    png.py         the one PNG encoder: no text, time or software chunks, so the bytes depend on the pixels only

What `publish` adds to a run from here is publisher/publish/pictures.py.
matplotlib and Pillow are imported inside these modules only, and these modules only by `train` and
`publish`: `render`, `check`, `parse` and `hub serve` never load them.
"""

TRAINING_CURVE = "training_curve.png"
PREVIEW = "predictions.png"
AVATARS_DIR = "avatars"
PREVIEW_SIZE = (1200, 630)
