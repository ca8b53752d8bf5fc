"""`publisher render`, `check` and `parse` as a user runs them: exit codes, outputs, no heavy imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hang_guard import HANG_GUARD

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cards"
HEAVY = ("torch", "transformers", "wandb", "huggingface_hub")


def publisher(
    *args: str, cwd: Path | None = None, extra: list[str] | None = None
) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, *(extra or []), "-m", "publisher", *args],
        capture_output=True,
        cwd=cwd or ROOT,
        env=env,
        timeout=HANG_GUARD,
    )


def test_render_classic_to_stdout_is_the_reference_card():
    result = publisher("render", str(FIXTURES / "k_saifullaah.json"), "--template", "classic")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (FIXTURES / "k_saifullaah.md").read_bytes()


def test_render_to_file_with_check_then_check_and_parse_it(tmp_path):
    out = tmp_path / "README.md"
    result = publisher("render", str(FIXTURES / "full.json"), "-o", str(out), "--check")
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8") == (FIXTURES / "full.huggingtweets.md").read_text(encoding="utf-8")
    checked = publisher("check", str(out), "--json")
    report = json.loads(checked.stdout)
    assert checked.returncode == 0 and report["ok"] and report["cards"][0]["require_default_fields"] is True
    parsed = publisher("parse", str(out))
    assert parsed.returncode == 2 and b"use the card.json" in parsed.stderr


def test_render_with_a_template_path_and_a_namespace(tmp_path):
    template = tmp_path / "t.j2"
    template.write_text("{{ repo_id }}|{{ names | join(',') | cell }}\n", encoding="utf-8")
    result = publisher(
        "render", str(FIXTURES / "k_saifullaah.json"), "-t", str(template), "--namespace", "me"
    )
    assert result.stdout.decode() == "me/k_saifullaah|Khalid Saifullah\n"


def test_render_check_failure_writes_nothing_and_exits_2(tmp_path):
    template = tmp_path / "bad.j2"
    template.write_text(
        "---\nlicense: not-a-license\n---\n<!-- publisher:template=huggingtweets -->\n", encoding="utf-8"
    )
    out = tmp_path / "README.md"
    result = publisher(
        "render", str(FIXTURES / "k_saifullaah.json"), "-t", str(template), "-o", str(out), "--check"
    )
    assert result.returncode == 2
    assert b"not a Hub license id" in result.stderr and b"nothing written" in result.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == [template]


def test_invalid_manifest_exits_2_naming_file_and_field(tmp_path):
    data = json.loads((FIXTURES / "k_saifullaah.json").read_text(encoding="utf-8"))
    data["users"][0]["stats"]["kept"] = -3
    bad = tmp_path / "card.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    result = publisher("render", str(bad), "-o", str(tmp_path / "README.md"))
    assert result.returncode == 2
    assert f"error: {bad}: users[0].stats.kept: must be an integer >= 0".encode() in result.stderr
    assert not (tmp_path / "README.md").exists()


def test_unknown_template_exits_2():
    result = publisher("render", str(FIXTURES / "k_saifullaah.json"), "-t", "nope")
    assert result.returncode == 2 and b"template 'nope' not found" in result.stderr


def test_check_exits_1_on_errors_and_0_with_warnings(tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_text("---\nlanguage: en\npipeline_tag: text-gen\n---\nbody\n", encoding="utf-8")
    warned = tmp_path / "warned.md"
    warned.write_text("---\nthumbnail: http://example.com/t.png\n---\nbody\n", encoding="utf-8")
    failed = publisher("check", str(bad))
    assert failed.returncode == 1
    assert f"{bad}:3: error: 'pipeline_tag' 'text-gen' is not a Hub task id".encode() in failed.stderr
    ok = publisher("check", str(warned))
    assert ok.returncode == 0 and b"warning: 'thumbnail' should be an https:// URL" in ok.stderr
    assert publisher("check", "--strict", str(FIXTURES / "k_saifullaah.md")).returncode == 1
    assert publisher("check", str(tmp_path / "missing.md")).returncode == 2


def test_parse_writes_the_manifest_and_it_renders_back_to_the_same_bytes(tmp_path):
    card = FIXTURES / "purefulsoul-turtlebreezee-wnrstweets.md"
    manifest = tmp_path / "card.json"
    result = publisher("parse", str(card), "-o", str(manifest))
    assert result.returncode == 0 and b"classic layout, unedited" in result.stderr
    assert manifest.read_bytes() == (FIXTURES / "purefulsoul-turtlebreezee-wnrstweets.json").read_bytes()
    rendered = publisher("render", str(manifest), "--template", "classic")
    assert rendered.stdout == card.read_bytes()


def test_parse_of_an_unknown_layout_exits_2(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# A model\n", encoding="utf-8")
    result = publisher("parse", str(readme))
    assert result.returncode == 2 and b"unknown card layout" in result.stderr and result.stdout == b""


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["render", str(FIXTURES / "k_saifullaah.json")],
        ["check", str(FIXTURES / "k_saifullaah.md")],
        ["parse", str(FIXTURES / "k_saifullaah.md")],
    ],
)
def test_card_commands_import_no_torch_transformers_wandb_or_hub_client(args):
    result = publisher(*args, extra=["-X", "importtime"])
    assert result.returncode == 0, result.stderr
    imported = {line.split("|")[-1].strip() for line in result.stderr.decode().splitlines() if "|" in line}
    assert not {m for m in imported if m.split(".")[0] in HEAVY}


def test_render_refuses_a_misspelt_manifest_key_and_writes_nothing(tmp_path):
    manifest = json.loads((FIXTURES / "full.json").read_text(encoding="utf-8"))
    manifest["lisence"] = "apache-2.0"
    path = tmp_path / "card.json"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    out = tmp_path / "README.md"
    result = publisher("render", str(path), "-o", str(out))
    assert result.returncode == 2
    assert b"lisence: unknown field: did you mean `license`?" in result.stderr
    assert not out.exists()


def test_render_warns_about_an_unknown_key_and_keeps_going(tmp_path):
    manifest = json.loads((FIXTURES / "full.json").read_text(encoding="utf-8"))
    manifest["x_notes"] = "kept"
    path = tmp_path / "card.json"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    result = publisher("render", str(path))
    assert result.returncode == 0, result.stderr
    assert (
        b"warning: " in result.stderr and b"x_notes: unknown field, kept in card.json as is" in result.stderr
    )
