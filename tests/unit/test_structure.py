"""The shape of the package stays readable: stages as subpackages, no module over 600 lines, no function over 80,
no import cycle between modules (imports inside functions and under TYPE_CHECKING count: a lazy cycle is still a
cycle in the design). A package importing its own submodules (its ``__init__`` re-exporting them) is no cycle."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "criteria_nlp"
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def _modules() -> dict[str, Path]:
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = ("criteria_nlp", *path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _functions(tree: ast.AST) -> Iterator[tuple[str, int]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            assert node.end_lineno is not None
            yield f"{node.name} (line {node.lineno})", node.end_lineno - node.lineno + 1


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:
                target = f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                if target in modules and target != name:
                    found.add(target)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in modules and a.name != name)
    return found


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), leaving out package <-> own submodule."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in edges.get(module, ()):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return [c for c in components if not all(m == min(c, key=len) or m.startswith(min(c, key=len) + ".") for m in c)]


def test_stages_are_subpackages() -> None:
    packages = {p.parent.name for p in PACKAGE.rglob("__init__.py") if p.parent != PACKAGE}
    stages = {"ir", "knowledge", "text", "grammar", "build", "check", "evaluate", "explain", "sources", "lint", "cli"}
    assert stages <= packages


def test_no_module_is_too_long() -> None:
    long = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in _modules().items()}
    assert {name: n for name, n in long.items() if n > MAX_MODULE_LINES} == {}


def test_no_function_is_too_long() -> None:
    long = {
        f"{name}:{function}": lines
        for name, path in _modules().items()
        for function, lines in _functions(ast.parse(path.read_text(encoding="utf-8")))
        if lines > MAX_FUNCTION_LINES
    }
    assert long == {}


def test_no_import_cycle() -> None:
    modules = _modules()
    edges = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert _cycles(edges) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    edges = {"criteria_nlp.a": {"criteria_nlp.b"}, "criteria_nlp.b": {"criteria_nlp.a"}, "criteria_nlp.c": set()}
    assert _cycles(edges) == [["criteria_nlp.a", "criteria_nlp.b"]]
    assert _cycles({"criteria_nlp.ir": {"criteria_nlp.ir.x"}, "criteria_nlp.ir.x": {"criteria_nlp.ir"}}) == []
