"""Bundled fonts and per-character fallback: every character is drawn by a font that has it, or left out.

The fonts come from PyPI packages, so the picture is the same on every machine and needs no system fonts:
`manimgx-fonts` (Noto Sans, Noto Sans Arabic/Hebrew/Devanagari/... , Noto Sans Symbols, the monochrome Noto
Emoji), `manimgx-fonts-cjk` (Noto Sans CJK) and matplotlib's DejaVu Sans as the last resort. Coverage is read
from each font's cmap with fontTools; a character no font has is dropped rather than drawn as a box.

Complex scripts (Arabic joining, Indic clusters) need shaping: Pillow's raqm layout (HarfBuzz + FriBiDi) does
it when available. Without raqm, runs of those scripts are left out (the handle still names the user) rather
than drawn as disconnected, left-to-right letters.
"""

from __future__ import annotations

import importlib.util
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

REGULAR, BOLD = 400, 700
_RTL_CLASSES = {"R", "AL"}
_NEUTRAL_CLASSES = {"WS", "ON", "CS", "ES", "ET", "EN", "AN", "BN", "NSM", "S"}
# Scripts whose letters change shape or order with their neighbours (need raqm to be drawn right).
_SHAPED_RANGES = ((0x0590, 0x08FF), (0x0900, 0x0DFF), (0x0F00, 0x109F), (0x1780, 0x17FF), (0xFB1D, 0xFEFF))


@dataclass(frozen=True)
class FontFile:
    """One face: a file, the face index inside a collection, and the named weight axis (variable fonts)."""

    path: str
    index: int = 0
    weight_axis: bool = True


def _package_dir(name: str) -> Path | None:
    """The directory of an installed package, found without importing it (matplotlib's import is heavy)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


@lru_cache(maxsize=1)
def font_chain() -> tuple[FontFile, ...]:
    """Fonts in the order they are tried for a character."""
    chain: list[FontFile] = []
    noto = _package_dir("manimgx_fonts")
    if noto is not None:
        # Noto Emoji second: it is the one most names need after Latin, and its cmap is quick to read
        chain.append(FontFile(str(noto / "NotoSans[wght].ttf")))
        chain.append(FontFile(str(noto / "NotoEmoji[wght].ttf")))
        scripts = sorted(
            p
            for p in noto.glob("NotoSans*[[]wght[]].ttf")
            if p.name not in {"NotoSans[wght].ttf", "NotoSans-Italic[wght].ttf", "NotoSansSymbols[wght].ttf"}
        )
        chain.extend(FontFile(str(p)) for p in scripts)
    cjk = _package_dir("manimgx_fonts_cjk")
    if cjk is not None and (cjk / "NotoSansCJK-VF.otf.ttc").is_file():
        chain.append(FontFile(str(cjk / "NotoSansCJK-VF.otf.ttc"), index=0))
    if noto is not None:
        chain.append(FontFile(str(noto / "NotoSansSymbols[wght].ttf")))
    mpl = _package_dir("matplotlib")
    if mpl is not None:
        chain.append(FontFile(str(mpl / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"), weight_axis=False))
    chain = [f for f in chain if Path(f.path).is_file()]
    if not chain:
        raise RuntimeError("no bundled font found: install the publisher package with its dependencies")
    return tuple(chain)


@cache
def coverage(font: FontFile) -> frozenset[int]:
    """The code points the font's cmap maps to a glyph."""
    from fontTools.ttLib import TTFont

    with TTFont(font.path, fontNumber=font.index, lazy=True) as face:
        return frozenset(face.getBestCmap() or {})


@lru_cache(maxsize=256)
def pillow_font(font: FontFile, size: int, weight: int) -> Any:
    """A Pillow FreeTypeFont at `size` px and `weight` (variable fonts are set on their wght axis)."""
    from PIL import ImageFont

    face = ImageFont.truetype(font.path, size, index=font.index)
    if font.weight_axis:
        try:
            axes: list[Any] = face.get_variation_axes()  # Pillow types minimum/maximum as optional
            wght = next(
                (a for a in axes if a.get("name") in (b"Weight", "Weight")), axes[0] if axes else None
            )
            if wght is not None:
                face.set_variation_by_axes([max(wght["minimum"], min(wght["maximum"], weight))])
        except OSError:  # not a variable font
            pass
    return face


@cache
def can_shape() -> bool:
    """True when Pillow lays text out with raqm (HarfBuzz shaping, FriBiDi ordering)."""
    from PIL import features

    return bool(features.check("raqm"))


def _needs_shaping(char: str) -> bool:
    code = ord(char)
    return any(lo <= code <= hi for lo, hi in _SHAPED_RANGES)


def _attaches(char: str) -> bool:
    """Marks, joiners, variation selectors and emoji modifiers belong to the character before them."""
    code = ord(char)
    return (
        unicodedata.category(char) in ("Mn", "Me", "Cf")
        or 0x1F3FB <= code <= 0x1F3FF
        or 0xFE00 <= code <= 0xFE0F
        or 0xE0020 <= code <= 0xE007F
    )


@dataclass
class Run:
    """Consecutive characters drawn with one font."""

    text: str
    font: FontFile

    @property
    def rtl(self) -> bool:
        return any(unicodedata.bidirectional(c) in _RTL_CLASSES for c in self.text)


def _first_covering(char: str, chain: tuple[FontFile, ...]) -> FontFile | None:
    return next((f for f in chain if ord(char) in coverage(f)), None)


def _neutral(char: str) -> bool:
    return unicodedata.bidirectional(char) in _NEUTRAL_CLASSES


def _bidi_run(run: Run) -> bool:
    """A run whose spaces and punctuation must stay inside it: right-to-left or shaped text."""
    return any(unicodedata.bidirectional(c) in _RTL_CLASSES or _needs_shaping(c) for c in run.text)


def split_runs(text: str, *, shaping: bool | None = None) -> list[Run]:
    """`text` cut into runs of one font each, in logical order; characters no font has are dropped.

    Spaces and punctuation between two letters of a right-to-left or shaped run stay in it, so an Arabic
    name is one run, shaped and ordered as a whole; elsewhere they take the first font (Noto Sans)."""
    chain = font_chain()
    shaping = can_shape() if shaping is None else shaping
    chars = [
        " " if c.isspace() else c
        for c in unicodedata.normalize("NFC", text)
        if c.isspace() or unicodedata.category(c) not in ("Cc", "Cs", "Co", "Cn")
    ]
    if not shaping:
        chars = [c for c in chars if not _needs_shaping(c)]
    runs: list[Run] = []
    for i, char in enumerate(chars):
        current = runs[-1] if runs else None
        if current is not None and _attaches(char):
            if ord(char) in coverage(current.font):
                current.text += char
            continue  # a joiner or selector the run's font lacks: shaping would ignore it anyway
        if (
            current is not None
            and _neutral(char)
            and _bidi_run(current)
            and ord(char) in coverage(current.font)
        ):
            following = next((c for c in chars[i + 1 :] if not _neutral(c)), None)
            if following is not None and _first_covering(following, chain) == current.font:
                current.text += char
                continue
        font = _first_covering(char, chain)
        if font is None:
            continue
        if current is not None and current.font == font:
            current.text += char
        else:
            runs.append(Run(char, font))
    return runs


def visual_order(runs: list[Run]) -> list[Run]:
    """Runs left to right: reversed when the text starts with a right-to-left letter (an Arabic name)."""
    for run in runs:
        for char in run.text:
            kind = unicodedata.bidirectional(char)
            if kind in _RTL_CLASSES:
                return list(reversed(runs))
            if kind == "L":
                return runs
    return runs


def renderable(text: str) -> str:
    """The part of `text` that will be drawn (what survives the fallback)."""
    return "".join(run.text for run in split_runs(text)).strip()


class Line:
    """Pieces of text side by side (each with its own size and weight), measured and drawn as one."""

    def __init__(self, pieces: list[Text]) -> None:
        self.pieces = pieces

    @property
    def width(self) -> float:
        return sum(p.width for p in self.pieces)

    def draw(self, draw: Any, x: float, baseline: float, fill: Any) -> float:
        for piece in self.pieces:
            x = piece.draw(draw, x, baseline, fill)
        return x


class Text:
    """A string prepared for drawing at one size and weight: measured and drawn run by run."""

    def __init__(self, text: str, size: int, weight: int = REGULAR) -> None:
        self.size = size
        self.weight = weight
        self.runs = visual_order(split_runs(text))

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)

    def _font(self, run: Run) -> Any:
        return pillow_font(run.font, self.size, self.weight)

    @property
    def width(self) -> float:
        return sum(self._font(r).getlength(r.text) for r in self.runs)

    def draw(self, draw: Any, x: float, baseline: float, fill: Any) -> float:
        """Draw at (x, baseline); returns the x after the text."""
        for run in self.runs:
            font = self._font(run)
            draw.text((x, baseline), run.text, font=font, fill=fill, anchor="ls")
            x += font.getlength(run.text)
        return x
