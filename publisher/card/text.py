"""Text repair for user-supplied strings: mojibake (UTF-8 read as cp1252/cp1254/latin-1/MacRoman).

Real huggingtweets cards show "ğŸ¤–" for 🤖 and "Weâ€™re" for We’re. ftfy undoes that, but when the bad
decode dropped bytes (cp1252 and cp1254 leave 0x81, 0x8D, 0x8F, 0x90, 0x9D… undefined), several characters
fit and ftfy may pick a wrong one ("ğŸ¢ " → "🢠"). So a repair is accepted only when re-applying the bad
decoding to the repaired text gives back the original exactly; otherwise the text is kept and a warning
names the field. Nothing here guesses silently.
"""

from __future__ import annotations

import itertools

# Decodings that produce mojibake in the wild; ftfy registers the "sloppy" ones (undefined bytes → C1 chars).
_BAD_DECODINGS = ("cp1252", "cp1254", "latin-1", "mac_roman", "sloppy-windows-1252", "sloppy-windows-1254")
_MAX_LAYERS = 3  # double or triple mojibake ("donÃ¢â‚¬â„¢t") is real

# How a whole card can have been mis-decoded once (its own 🤖 reads "ğŸ¤–" or "ðŸ¤–"); bytes a code page
# does not define are dropped, as the real garbled cards show.
CARD_MOJIBAKE = ("cp1254", "cp1252", "latin-1", "sloppy-windows-1252", "sloppy-windows-1254")

MOJIBAKE_REPAIRED = "mojibake repaired"
MOJIBAKE_UNREPAIRABLE = "mojibake not repaired"


def fix_encoding(text: str) -> str:
    """ftfy with everything off except encoding repair: curly quotes stay curly, HTML and widths stay."""
    import ftfy  # 30 ms to import; only text with non-ASCII characters needs it

    return ftfy.fix_text(
        text,
        uncurl_quotes=False,
        fix_character_width=False,
        unescape_html=False,
        fix_latin_ligatures=False,
        normalization=None,
        fix_line_breaks=False,
    )


def mis_decode(text: str, decoding: str) -> str:
    """`text` as it reads after its UTF-8 bytes were decoded with `decoding` (one of CARD_MOJIBAKE)."""
    if decoding.startswith("sloppy"):
        import ftfy.bad_codecs  # noqa: F401  (registers the sloppy-windows-* codecs)
    return text.encode("utf-8").decode(decoding, errors="ignore")


def _mis_decode(text: str, encoding: str) -> str | None:
    try:
        return text.encode("utf-8").decode(encoding)
    except UnicodeDecodeError:
        return None


def _reproduces(original: str, fixed: str) -> bool:
    """True if some chain of bad decodings turns `fixed` back into `original` (the repair lost nothing)."""
    layer = {fixed}
    for _ in range(_MAX_LAYERS):
        next_layer = set()
        for candidate, encoding in itertools.product(layer, _BAD_DECODINGS):
            broken = _mis_decode(candidate, encoding)
            if broken == original:
                return True
            if broken is not None and len(broken) <= len(original):
                next_layer.add(broken)
        layer = next_layer
    return False


def repair_mojibake(text: str, *, field: str) -> tuple[str, list[str]]:
    """Return (text, warnings): the repaired text if the repair is exact, else the text unchanged + a warning.

    Warnings start with "mojibake" so callers can count them.
    """
    if not text or text.isascii():
        return text, []
    import ftfy

    if not ftfy.is_bad(text):
        return text, []
    fixed = fix_encoding(text)
    if fixed != text and _reproduces(text, fixed):
        return fixed, [f"{MOJIBAKE_REPAIRED} in {field}: {text!r} -> {fixed!r}"]
    return text, [
        f"{MOJIBAKE_UNREPAIRABLE} in {field}: {text!r} looks mis-decoded but cannot be repaired "
        f"exactly (bytes were lost, several characters fit); kept as is, please fix it by hand"
    ]
