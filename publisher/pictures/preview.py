"""predictions.png: the card's preview picture, 1200x630 (the size social cards use).

What huggingtweets' site drew for a model, made locally: the users' avatars (files in the run's `avatars/`
directory, `<handle>.png|jpg|jpeg|webp`; otherwise their initials in a coloured circle, never a download),
"🤖 AI BOT 🤖" for one user or "🤖 AI CYBORG 🤖" for several (the default template's rule), the names and
handles, and up to three sample generations, word-wrapped, the prompt in bold. Same card + same avatar
files = same bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from publisher.output import warn
from publisher.pictures import AVATARS_DIR, PREVIEW_SIZE
from publisher.pictures.fonts import BOLD, REGULAR, Line, Text, renderable

WIDTH, HEIGHT = PREVIEW_SIZE
MARGIN = 60
BACKGROUND = (248, 250, 252)
INK, MUTED, ACCENT = (17, 24, 39), (107, 114, 128), (255, 210, 30)
BOX, BOX_BORDER = (255, 255, 255), (229, 231, 235)
_INITIALS_COLORS = (
    (37, 99, 235),
    (219, 39, 119),
    (5, 150, 105),
    (217, 119, 6),
    (124, 58, 237),
    (220, 38, 38),
)
AVATAR_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
MAX_AVATAR_BYTES = 5_000_000
MAX_AVATAR_PIXELS = 4096 * 4096
MAX_SAMPLES = 3
SAMPLE_PX, LINE_HEIGHT, BOX_PAD, BOX_GAP, ACCENT_BAR, FOOTER_ROOM = 24, 32, 16, 12, 10, 30
ELLIPSIS = "…"


@dataclass(frozen=True)
class PreviewUser:
    handle: str
    name: str


def bot_label(n_users: int) -> str:
    """The label the default template shows (its `bot_kind` rule): one user a BOT, several a CYBORG."""
    from publisher.card.render import bot_kind

    return f"🤖 AI {bot_kind(n_users)} 🤖"


def avatar_files(run_dir: Path, handles: list[str]) -> dict[str, Path]:
    """Avatar files the run directory has: avatars/<handle>.<png|jpg|jpeg|webp> (regular files only)."""
    found = {}
    folder = run_dir / AVATARS_DIR
    for handle in handles:
        for suffix in AVATAR_SUFFIXES:
            path = folder / f"{handle}{suffix}"
            if path.is_file() and not path.is_symlink():
                found[handle] = path
                break
    return found


def preview_png(
    users: list[PreviewUser],
    samples: list[str],
    *,
    avatars: Mapping[str, Path] | None = None,
    prompts: list[str] | None = None,
    footer: str = "",
) -> bytes:
    """The PNG bytes of the preview. `samples` are full generations; `prompts[i]` (if given) is drawn bold."""
    from PIL import Image, ImageDraw

    from publisher.pictures.png import encode_png

    image = Image.new("RGB", PREVIEW_SIZE, BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 8), fill=ACCENT)
    boxes = _sample_boxes(samples[:MAX_SAMPLES], prompts or [])
    avatar = {1: 128, 2: 116}.get(len(users), 104)
    header = avatar + 42 + 54 + 38
    body = sum(_box_height(lines) + BOX_GAP for lines in boxes) + (24 if boxes else 0)
    top = max(28, (HEIGHT - FOOTER_ROOM - header - body) // 2)
    y: float = _draw_avatars(image, users, avatars or {}, top, avatar)
    y = _centered(draw, Line([Text(bot_label(len(users)), 30, BOLD)]), y + 42, INK)
    y = _centered(draw, _names_line([_display_name(u) for u in users], " & ", 46, 30, BOLD), y + 54, INK)
    y = _centered(draw, _names_line([f"@{u.handle}" for u in users], "   ", 26, 20, REGULAR), y + 38, MUTED)
    y += 24
    for lines in boxes:
        y = _draw_box(draw, lines, y) + BOX_GAP
    if footer:
        Text(footer, 20).draw(draw, MARGIN, HEIGHT - 18, MUTED)
    return encode_png(image)


def _display_name(user: PreviewUser) -> str:
    """The name as far as it can be drawn; the handle when nothing of it can (no tofu, no empty name)."""
    return renderable(user.name) or user.handle


def _names_line(parts: list[str], separator: str, size: int, smallest: int, weight: int) -> Line:
    """The parts joined by `separator`, at the largest size from `size` down to `smallest` that fits the
    width; below that the longest part is cut and ends in …"""
    room = WIDTH - 2 * MARGIN

    def line(texts: list[str], px: int) -> Line:
        pieces: list[Text] = []
        for i, text in enumerate(texts):
            pieces += ([Text(separator, px, weight)] if i else []) + [Text(text, px, weight)]
        return Line(pieces)

    for px in range(size, smallest - 1, -2):
        if (candidate := line(parts, px)).width <= room:
            return candidate
    parts = list(parts)
    while (candidate := line(parts, smallest)).width > room:
        longest = max(range(len(parts)), key=lambda i: len(parts[i]))
        if len(parts[longest]) <= 2:
            break
        parts[longest] = parts[longest].removesuffix(ELLIPSIS)[:-1].rstrip() + ELLIPSIS
    return candidate


def _centered(draw: Any, line: Line, baseline: float, fill: tuple[int, int, int]) -> float:
    line.draw(draw, (WIDTH - line.width) / 2, baseline, fill)
    return baseline


# ------------------------------------------------------------------------------------------------ avatars


def _draw_avatars(
    image: Any, users: list[PreviewUser], avatars: Mapping[str, Path], top: int, size: int
) -> int:
    gap = 28
    x = (WIDTH - (len(users) * size + (len(users) - 1) * gap)) // 2
    for user in users:
        picture = _load_avatar(avatars.get(user.handle), size) or _initials(user, size)
        image.paste(picture, (x, top), _circle_mask(size))
        x += size + gap
    return top + size


def _load_avatar(path: Path | None, size: int) -> Any:
    """The avatar file cropped to a square of `size`, or None (with a warning) when it is not a usable image."""
    if path is None:
        return None
    from PIL import Image, ImageOps

    try:
        if path.stat().st_size > MAX_AVATAR_BYTES:
            raise ValueError(f"larger than {MAX_AVATAR_BYTES} bytes")
        with Image.open(path) as opened:
            if opened.format not in ("PNG", "JPEG", "WEBP"):
                raise ValueError(f"{opened.format} is not PNG, JPEG or WebP")
            if opened.width * opened.height > MAX_AVATAR_PIXELS:
                raise ValueError(f"{opened.width}x{opened.height} pixels is too large")
            picture = opened.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        warn(f"{path}: avatar not used ({exc}); drawing initials instead")
        return None
    return ImageOps.fit(picture, (size, size), Image.Resampling.LANCZOS)


def _initials(user: PreviewUser, size: int) -> Any:
    """A coloured disc with up to two initials (drawable letters of the name, else of the handle)."""
    from PIL import Image, ImageDraw

    words = [w for w in (renderable(part) for part in user.name.split()) if w and w[0].isalnum()]
    # two initials where letters have case (Latin, Greek, Cyrillic); one for Arabic, CJK and the like
    letters = "".join(w[0] for w in words[: 2 if words and words[0][0].upper() != words[0][0].lower() else 1])
    letters = letters.upper() or user.handle[:2].upper()
    color = _INITIALS_COLORS[hashlib.sha256(user.handle.lower().encode()).digest()[0] % len(_INITIALS_COLORS)]
    disc = Image.new("RGB", (size, size), color)
    draw = ImageDraw.Draw(disc)
    text = Text(letters, size * 2 // 5, BOLD)
    text.draw(draw, (size - text.width) / 2, size * 0.64, (255, 255, 255))
    return disc


def _circle_mask(size: int) -> Any:
    """An anti-aliased disc (drawn 4x larger, then reduced)."""
    from PIL import Image, ImageDraw

    big = Image.new("L", (size * 4, size * 4), 0)
    ImageDraw.Draw(big).ellipse((0, 0, size * 4 - 1, size * 4 - 1), fill=255)
    return big.resize((size, size), Image.Resampling.LANCZOS)


# ------------------------------------------------------------------------------------------------ samples


def _sample_boxes(samples: list[str], prompts: list[str]) -> list[list[list[Text]]]:
    """Each sample wrapped to the box width: 2 lines each when there are three, else up to 3."""
    lines_each = 2 if len(samples) == MAX_SAMPLES else 3
    room = WIDTH - 2 * MARGIN - 2 * BOX_PAD - ACCENT_BAR
    boxes = []
    for i, sample in enumerate(samples):
        prompt = prompts[i] if i < len(prompts) and sample.startswith(prompts[i]) else ""
        lines = wrap_words(_words(sample, prompt), SAMPLE_PX, room, lines_each)
        if lines:
            boxes.append(lines)
    return boxes


def _box_height(lines: list[list[Text]]) -> int:
    return 2 * BOX_PAD + LINE_HEIGHT * len(lines) - (LINE_HEIGHT - SAMPLE_PX) + 6


def _draw_box(draw: Any, lines: list[list[Text]], top: float) -> float:
    """One sample in a white rounded box with the accent bar; returns its bottom."""
    bottom = top + _box_height(lines)
    draw.rounded_rectangle((MARGIN, top, WIDTH - MARGIN, bottom), radius=14, fill=BOX, outline=BOX_BORDER)
    draw.rounded_rectangle((MARGIN, top, MARGIN + 6, bottom), radius=3, fill=ACCENT)
    baseline = top + BOX_PAD + SAMPLE_PX
    for line in lines:
        Line(line).draw(draw, MARGIN + BOX_PAD + ACCENT_BAR, baseline, INK)
        baseline += LINE_HEIGHT
    return bottom


def _words(sample: str, prompt: str) -> list[tuple[str, int]]:
    """(word, weight) pairs: the prompt's words bold, the generated ones regular."""
    bold = [(w, BOLD) for w in prompt.split()]
    rest = sample[len(prompt) :]
    if prompt and rest and not rest[0].isspace() and bold:  # the generation continues the prompt's last word
        last, _ = bold.pop()
        first, _, rest = rest.partition(" ")
        bold.append((last + first, BOLD))
    return bold + [(w, REGULAR) for w in rest.split()]


def wrap_words(words: list[tuple[str, int]], size: int, room: float, max_lines: int) -> list[list[Text]]:
    """Greedy word wrap into at most `max_lines` lines of `room` px; a word wider than a line (CJK text has
    no spaces) is cut by characters; text past the last line ends in an ellipsis."""
    pieces: list[tuple[str, int]] = []
    for word, weight in words:
        pieces.extend((part, weight) for part in _split_long(word, size, weight, room))
    lines: list[list[Text]] = []
    line: list[Text] = []
    width = 0.0
    space = Text(" ", size).width
    for word, weight in pieces:
        text = Text(word, size, weight)
        if not text.runs:
            continue
        needed = text.width + (space if line else 0)
        if line and width + needed > room:
            lines.append(line)
            if len(lines) == max_lines:
                _end_with_ellipsis(lines[-1], size, room)
                return lines
            line, width, needed = [], 0.0, text.width
        if line:
            line.append(Text(" ", size))
        line.append(text)
        width += needed
    if line:
        lines.append(line)
    return lines


def _split_long(word: str, size: int, weight: int, room: float) -> list[str]:
    if Text(word, size, weight).width <= room:
        return [word]
    parts, current = [], ""
    for char in word:
        if current and Text(current + char, size, weight).width > room:
            parts.append(current)
            current = ""
        current += char
    return [*parts, current] if current else parts


def _end_with_ellipsis(line: list[Text], size: int, room: float) -> None:
    """Append … to a full line, dropping its last words until it fits."""
    while line:
        width = sum(t.width for t in line) + Text(ELLIPSIS, size).width
        if width <= room:
            break
        line.pop()
    line.append(Text(ELLIPSIS, size))
