"""The import graph keeps the house's shape: dependencies one way, no cycles.

Imports are read from the source with ``ast`` (every import, including those under
``TYPE_CHECKING`` and inside functions: a cycle hidden there is still a cycle to the reader).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "storage")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


MODULES = _modules()


def _ours(name: str) -> bool:
    return name.split(".")[0] in PACKAGES


def _resolve(name: str) -> str:
    """The module an imported name lives in (``bot.core.money.Money`` → ``bot.core.money``)."""
    while name not in MODULES and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def _imports(module: str) -> set[str]:
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {_resolve(name) for name in found if _ours(name)} - {module}


GRAPH = {module: _imports(module) for module in MODULES}


def _in(module: str, *prefixes: str) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def _violations(importer: str, allowed: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if _in(module, importer)
        for target in targets
        if not _in(target, *allowed)
    )


def _forbidden(importer: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if _in(module, importer)
        for target in targets
        if _in(target, *forbidden)
    )


def test_the_graph_is_read() -> None:
    # A parser that found nothing would pass every rule below.
    assert "bot.core.money" in GRAPH["storage.ledger"]
    assert "bot.telegram.routing" in GRAPH["handlers.start"]
    assert "bot.runtime.signals" in GRAPH["bot.app"]


def test_no_import_cycles() -> None:
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(GRAPH.get(module, ())):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)
    assert not cycles, "import cycles:\n" + "\n".join(" → ".join(cycle) for cycle in cycles)


def test_core_imports_nothing_of_ours() -> None:
    assert _violations("bot.core", ("bot.core",)) == []


def test_storage_imports_only_core() -> None:
    assert _violations("storage", ("storage", "bot.core")) == []


@pytest.mark.parametrize(
    ("importer", "forbidden"),
    [
        # Services compute; talking to Telegram and running the process are other rooms.
        ("bot.services", ("bot.telegram", "handlers", "bot.runtime", "bot.app")),
        # The panel client knows nothing of the database or of the shop.
        ("bot.upstream", ("storage", "bot.services", "bot.telegram", "handlers", "bot.app")),
        # Renderers, keyboards and senders are used by handlers, never the other way round.
        ("bot.telegram", ("handlers", "bot.app")),
        ("bot.runtime", ("handlers", "bot.app", "bot.services")),
        ("handlers", ("bot.app", "bot.runtime", "bot.web")),
        # The web side is a sibling of handlers: it receives the same services.
        ("bot.web", ("handlers", "bot.app", "bot.runtime")),
    ],
)
def test_dependencies_point_one_way(importer: str, forbidden: tuple[str, ...]) -> None:
    assert _forbidden(importer, forbidden) == []


def test_only_the_entry_point_imports_the_composition_root() -> None:
    importers = sorted(module for module, targets in GRAPH.items() if "bot.app" in targets)
    assert importers == ["bot.__main__"]


def test_production_code_never_imports_the_test_fakes() -> None:
    importers = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if not _in(module, "bot.testing")
        for target in targets
        if _in(target, "bot.testing")
    )
    assert importers == []
