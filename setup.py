"""Only what pyproject.toml cannot say: templates/ (top level) is the package `publisher.templates`.

setuptools' package discovery finds packages only where their folders are; a package whose folder lives
elsewhere needs `package_dir`, and discovery plus an extra package cannot be written in pyproject.toml.
Everything else about the distribution is in pyproject.toml.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["publisher", "publisher.*"]), "publisher.templates"],
    package_dir={"publisher.templates": "templates"},
)
