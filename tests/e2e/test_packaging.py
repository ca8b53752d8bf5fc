"""Packaging: a distribution name of its own, one version source, the license file, a changelog entry."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from hang_guard import HANG_GUARD

import publisher

REPO = Path(__file__).resolve().parents[2]
DISTRIBUTION = "huggingtweets-publisher"


def test_the_distribution_has_its_own_name_and_the_version_of_the_package():
    assert metadata.version(DISTRIBUTION) == publisher.__version__
    pyproject = (REPO / "pyproject.toml").read_text()
    assert f'name = "{DISTRIBUTION}"' in pyproject and 'dynamic = ["version"]' in pyproject
    assert re.search(r'^version = \{attr = "publisher.__version__"\}', pyproject, re.M)
    assert not re.search(r'^version = "', pyproject, re.M)  # no second version source


def test_the_command_is_still_publisher_and_prints_that_version():
    entry = [
        e for e in metadata.entry_points(group="console_scripts") if e.dist and e.dist.name == DISTRIBUTION
    ]
    assert [(e.name, e.value) for e in entry] == [("publisher", "publisher.cli:main")]
    out = subprocess.run(
        [sys.executable, "-m", "publisher", "--version"], capture_output=True, text=True, timeout=HANG_GUARD
    )
    assert out.stdout.strip() == f"publisher, version {publisher.__version__}"


def test_the_mit_license_file_matches_the_declared_license():
    assert metadata.metadata(DISTRIBUTION)["License-Expression"] == "MIT"
    text = (REPO / "LICENSE").read_text()
    assert text.startswith("MIT License") and "Permission is hereby granted, free of charge" in text


def test_the_changelog_has_a_section_for_this_version():
    changelog = (REPO / "CHANGELOG.md").read_text()
    assert re.search(rf"^## \[{re.escape(publisher.__version__)}\]", changelog, re.M)
