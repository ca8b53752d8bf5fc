import subprocess
import sys

import click
import pytest
from hang_guard import HANG_GUARD


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "publisher", *args], capture_output=True, text=True, timeout=HANG_GUARD
    )


def test_help_lists_every_command():
    result = run_cli("--help")
    assert result.returncode == 0
    for name in ("render", "check", "parse", "prepare", "train", "publish", "regenerate", "hub"):
        assert name in result.stdout


def test_help_imports_no_heavy_library():
    code = (
        "import sys\nfrom publisher.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('torch', 'transformers', 'wandb', 'huggingface_hub') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=HANG_GUARD
    ).stdout
    assert "HEAVY []" in out


def test_unknown_command_is_a_usage_error():
    result = run_cli("no-such-command")
    assert result.returncode == 2


@click.command()
@click.pass_context
def command(ctx: click.Context) -> None:
    """A subcommand that ends with ctx.exit(3), registered by the test below."""
    ctx.exit(3)


def test_ctx_exit_code_reaches_the_shell(monkeypatch):
    from publisher import cli as cli_module

    monkeypatch.setitem(cli_module.COMMANDS, "exits-three", (__name__, "test only"))
    with pytest.raises(SystemExit) as info:
        cli_module.main(["exits-three"])
    assert info.value.code == 3


@pytest.mark.slow
def test_a_regenerate_rerun_imports_neither_hf_api_nor_jinja_nor_torch(hub_clean, tmp_path):
    """A re-run settled by its state file renders nothing and lists with single requests: its start-up holds
    none of huggingface_hub's HfApi, file_download, Jinja or the training stack."""
    code = (
        "import sys\nfrom publisher.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('huggingface_hub.hf_api', 'huggingface_hub.file_download', 'jinja2', 'torch',"
        " 'transformers', 'wandb') if m in sys.modules]\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    args = [
        "regenerate",
        "--author",
        "nobody-here",
        "--json",
        "--no-progress",
        "--state",
        str(tmp_path / "s.jsonl"),
    ]
    result = subprocess.run([sys.executable, "-c", code, *args], env=hub_clean.env(), capture_output=True,
                            text=True, timeout=HANG_GUARD)  # fmt: skip
    assert "HEAVY []" in result.stderr, result.stderr[-2000:]
