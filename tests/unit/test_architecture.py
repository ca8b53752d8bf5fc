"""The shape of the house: imports go one way, and no module imports one that imports it back.

Every module of `publisher` sits in a layer; an import (at the top, inside a function, or under TYPE_CHECKING
alike: a cycle dodged by a late import is still a cycle) may go to its own layer or a lower one. Within a
layer, the import graph has no cycle. The local hub meets the client only over HTTP.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "publisher"

LAYERS: list[tuple[str, ...]] = [
    ("publisher", "publisher.errors", "publisher.defaults", "publisher.naming", "publisher._util"),
    ("publisher.settings", "publisher.output"),
    ("publisher.card", "publisher.data", "publisher.pictures"),
    ("publisher.hubclient", "publisher.localhub"),
    ("publisher.publish", "publisher.regenerate", "publisher.training"),
    ("publisher.commands",),
    ("publisher.cli", "publisher.__main__"),
]
"""Lowest first. A module belongs to the longest prefix that names it."""

LOCALHUB_MAY_IMPORT = ("publisher.errors", "publisher.defaults", "publisher.naming", "publisher._util",
                       "publisher.card", "publisher.localhub", "publisher")  # fmt: skip


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every `publisher…` module this file imports, wherever the import statement is."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            # `from publisher.card import render` imports the module publisher.card.render
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "publisher" or name.startswith("publisher.")}


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {i for i in _imports(path) if i in modules and i != name} for name, path in modules.items()}


def layer_of(module: str) -> int:
    best, best_len = None, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    if best is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS in {Path(__file__).name}")
    return best


def test_every_module_has_a_layer():
    for module in _graph():
        layer_of(module)


def test_imports_go_only_to_the_same_or_a_lower_layer():
    upward = sorted(
        f"{module} (layer {layer_of(module)}) imports {target} (layer {layer_of(target)})"
        for module, targets in _graph().items()
        for target in targets
        if layer_of(target) > layer_of(module)
    )
    assert not upward, "\n".join(upward)


def test_the_import_graph_has_no_cycle():
    graph = _graph()
    # a package's __init__ importing its own submodules is how a package re-exports; not a cycle of concepts
    edges = {m: {t for t in ts if not t.startswith(m + ".")} for m, ts in graph.items()}
    cycles, state = [], dict.fromkeys(edges, 0)

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state[nxt] == 1:
                cycles.append(
                    " -> ".join(path[path.index(nxt) :] + [node, nxt]) if nxt in path else f"{node} -> {nxt}"
                )
            elif state[nxt] == 0:
                visit(nxt, path + [node])
        state[node] = 2

    for node in sorted(edges):
        if state[node] == 0:
            visit(node, [])
    assert not cycles, "\n".join(cycles)


def test_the_local_hub_meets_the_client_only_over_http():
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in _graph().items()
        if module.startswith("publisher.localhub")
        for target in targets
        if not any(target == p or target.startswith(p + ".") for p in LOCALHUB_MAY_IMPORT)
    )
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("module", ["publisher.cli", "publisher.commands.regenerate"])
def test_the_graph_sees_function_level_imports(module):
    """The check reads imports inside functions too (a late import does not hide an upward one)."""
    assert _graph()[module], module
