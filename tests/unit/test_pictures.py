"""The card's pictures on their own: valid PNGs of the stated sizes, the same bytes every time, nothing but
pixels in the file, every character drawn by a font that has it (Arabic, Japanese, emoji), avatars or initials."""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from publisher.pictures import PREVIEW_SIZE
from publisher.pictures.curve import smoothed, training_curve_png
from publisher.pictures.fonts import can_shape, coverage, renderable, split_runs
from publisher.pictures.png import png_size
from publisher.pictures.preview import PreviewUser, avatar_files, bot_label, preview_png, wrap_words

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import helpers  # noqa: E402
from helpers import assert_pixels_only, history  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cards"
ARABIC, JAPANESE, EMOJI = "محمد بن سلمان", "山田太郎", "Khalid 🍂🤖 Saifullah 👩‍💻"
SAMPLES = [
    "My dream is to build a model that writes tweets as well as I do, and then take a very long nap " * 3,
    "My dream is 東京で美味しいラーメンを食べることです。毎日ラーメン！" * 4,
    "My dream is حلم كبير جدا 👨‍👩‍👧 with emoji 🤖🔥 and [brackets] & <tags>",
]


def users(*names: str) -> list[PreviewUser]:
    return [PreviewUser(f"user{i}", name) for i, name in enumerate(names)]


def test_training_curve_is_a_1000x500_png_with_pixels_only_and_the_same_bytes_twice():
    first, second = training_curve_png(history()), training_curve_png(history())
    assert first == second
    assert png_size(first) == (1000, 500)
    assert_pixels_only(first)


@pytest.mark.slow  # spawns Python processes
def test_training_curve_is_the_same_bytes_in_a_fresh_interpreter():
    code = (
        f"import sys, math\nsys.path.insert(0, {str(Path(helpers.__file__).parent)!r})\nfrom helpers import history\n"
        "from publisher.pictures.curve import training_curve_png\nsys.stdout.buffer.write(training_curve_png(history()))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout
    assert out == training_curve_png(history())


def test_training_curve_of_a_history_without_losses_is_none():
    assert training_curve_png([{"train_runtime": 1.0, "step": 3}]) is None
    assert training_curve_png([{"loss": float("nan"), "step": 1}]) is None


def test_smoothing_follows_the_values_without_lag():
    values = [10.0 - i * 0.1 for i in range(60)]
    smooth = smoothed(values)
    assert len(smooth) == 60 and abs(smooth[30] - values[30]) < 1e-9


@pytest.mark.parametrize("names", [("Demo User",), (ARABIC, JAPANESE), (EMOJI, ARABIC, JAPANESE)])
def test_preview_is_a_1200x630_png_with_pixels_only_and_the_same_bytes_twice(names):
    first = preview_png(users(*names), SAMPLES, prompts=["My dream is"] * 3, footer="huggingtweets/x")
    second = preview_png(users(*names), SAMPLES, prompts=["My dream is"] * 3, footer="huggingtweets/x")
    assert first == second
    assert png_size(first) == PREVIEW_SIZE
    assert_pixels_only(first)


@pytest.mark.parametrize(
    "text", [ARABIC, JAPANESE, EMOJI, "Ελένη Κωνσταντίνου", "김민준", "देवनागरी नाम", "שרה כהן"]
)
def test_every_drawn_character_is_in_the_font_that_draws_it(text):
    runs = split_runs(text)
    assert runs, text
    for run in runs:
        missing = [
            c for c in run.text if ord(c) not in coverage(run.font) and unicodedata.category(c) != "Cf"
        ]
        assert not missing, (run.font.path, missing)
    kept = "".join(r.text for r in runs)
    letters = [c for c in text if c.isalpha() or unicodedata.category(c) == "So"]
    assert all(c in kept for c in letters), "every letter and emoji of these names has a bundled font"


def test_characters_no_font_has_are_left_out_and_the_handle_stands_in():
    assert renderable("\U00013000\U00013001") == ""  # Egyptian hieroglyphs: in none of the bundled fonts
    assert renderable("Ann \U00013000") == "Ann"
    assert renderable("a\x00b\x07c") == "abc"


def test_an_arabic_name_is_one_shaped_run():
    runs = split_runs(ARABIC)
    assert len(runs) == 1 and "Arabic" in runs[0].font.path and runs[0].rtl
    if not can_shape():
        pytest.skip("Pillow without raqm: Arabic is left out instead (see test below)")


def test_without_shaping_arabic_is_left_out_cleanly():
    assert "".join(r.text for r in split_runs(ARABIC, shaping=False)).strip() == ""
    assert "".join(r.text for r in split_runs("Ali محمد 🤖", shaping=False)).split() == ["Ali", "🤖"]


def test_bot_and_cyborg_labels_follow_the_default_template():
    assert bot_label(1) == "🤖 AI BOT 🤖" and bot_label(2) == bot_label(3) == "🤖 AI CYBORG 🤖"


def test_long_samples_wrap_into_lines_that_fit_and_end_with_an_ellipsis():
    words = [(w, 400) for w in SAMPLES[0].split()]
    lines = wrap_words(words, 24, 600, 2)
    assert len(lines) == 2 and lines[-1][-1].text == "…"
    assert all(sum(t.width for t in line) <= 600 for line in lines)
    cjk = wrap_words([(SAMPLES[1], 400)], 24, 600, 3)  # no spaces: cut by characters
    assert len(cjk) == 3 and all(sum(t.width for t in line) <= 600 for line in cjk)


def test_an_avatar_file_is_drawn_and_a_broken_one_falls_back_to_initials(tmp_path, capsys):
    from PIL import Image

    avatars = tmp_path / "avatars"
    avatars.mkdir()
    Image.new("RGB", (400, 400), (255, 0, 0)).save(avatars / "user0.png", pnginfo=None)
    (avatars / "user1.jpg").write_bytes(b"not an image")
    found = avatar_files(tmp_path, ["user0", "user1", "user2"])
    assert set(found) == {"user0", "user1"}
    with_avatar = preview_png(users("Red", "Broken", "None"), [], avatars=found)
    initials = preview_png(users("Red", "Broken", "None"), [])
    assert with_avatar != initials
    image = Image.open(__import__("io").BytesIO(with_avatar)).convert("RGB")
    red = [image.getpixel((x, y)) for x in range(0, 1200, 4) for y in range(0, 300, 4)]
    assert red.count((255, 0, 0)) > 300, "the red avatar is drawn"
    assert "avatar not used" in capsys.readouterr().err
    assert preview_png(users("Red", "Broken", "None"), [], avatars=found) == with_avatar


def test_an_avatar_symlink_is_not_followed(tmp_path):
    (tmp_path / "avatars").mkdir()
    (tmp_path / "secret.png").write_bytes(b"x")
    (tmp_path / "avatars" / "user0.png").symlink_to(tmp_path / "secret.png")
    assert avatar_files(tmp_path, ["user0"]) == {}


@pytest.mark.slow  # spawns Python processes
@pytest.mark.parametrize(
    "args",
    [
        ["render", str(FIXTURES / "k_saifullaah.json")],
        ["check", str(FIXTURES / "k_saifullaah.md")],
        ["parse", str(FIXTURES / "k_saifullaah.md")],
        ["--help"],
    ],
)
def test_card_commands_import_neither_matplotlib_nor_pillow(args):
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "publisher", *args], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]
    imported = {
        line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines() if "|" in line
    }
    assert not imported & {"matplotlib", "PIL", "fontTools", "manimgx_fonts"}


@pytest.mark.slow  # spawns Python processes
def test_the_hub_server_imports_neither_matplotlib_nor_pillow():
    code = (
        "import sys, publisher.localhub, publisher.localhub.pages, publisher.commands.hub\n"
        "print([m for m in ('matplotlib', 'PIL', 'fontTools') if m in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr
