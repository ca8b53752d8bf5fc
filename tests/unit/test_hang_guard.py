"""No test can fail because a busy machine is slow: only generous hang guards, no per-test time limits."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from hang_guard import HANG_GUARD

TESTS = Path(__file__).resolve().parents[1]


def _calls_with_timeouts() -> list[tuple[str, int, ast.expr]]:
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "run"
            ):
                found += [(path.name, node.lineno, kw.value) for kw in node.keywords if kw.arg == "timeout"]
    return found


def test_pytest_timeout_is_a_hang_guard_above_every_subprocess_guard():
    ini = (TESTS.parent / "pyproject.toml").read_text().split("[tool.pytest.ini_options]")[1]
    assert int(re.search(r"^timeout = (\d+)", ini, re.M).group(1)) > HANG_GUARD >= 1800


def test_no_test_sets_its_own_time_limit():
    marked = [
        p.name
        for p in TESTS.rglob("*.py")
        if p.name != "test_hang_guard.py" and "mark.timeout" in p.read_text(encoding="utf-8")
    ]
    assert marked == []


def test_subprocess_runs_in_tests_use_the_hang_guard_not_a_short_limit():
    short = [
        (name, line)
        for name, line, value in _calls_with_timeouts()
        if isinstance(value, ast.Constant) and value.value < HANG_GUARD
    ]
    assert short == []
