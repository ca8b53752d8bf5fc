import subprocess
import sys


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "publisher", *args], capture_output=True, text=True, timeout=60)


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
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert "HEAVY []" in out


def test_unknown_command_is_a_usage_error():
    result = run_cli("no-such-command")
    assert result.returncode == 2
