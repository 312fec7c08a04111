"""The package has layers without cycles: walking every `musicmarkets` import (module level and
inside functions, where a cycle hides) gives a graph with no cycle."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "musicmarkets"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name in modules}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    if sub in modules:
                        found.add(sub)
                    elif node.module in modules:
                        found.add(node.module)
        graph[name] = found - {name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_cycle_finder_finds_a_hidden_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle_in_the_package():
    assert cycles(import_graph()) == []


def test_models_and_gates_know_nothing_of_the_repository_layout():
    """The models, the sampler and the gates take their parameters from ``musicmarkets.params``;
    none imports the path finding of ``musicmarkets.config`` (a fit runs on any data handed to
    it, wherever the repository is)."""
    graph = import_graph()
    layer = [m for m in graph if m.startswith("musicmarkets.models")]
    layer += ["musicmarkets.diagnostics", "musicmarkets.sampling", "musicmarkets.params"]
    offenders = {
        m: graph[m] & {"musicmarkets.config"} for m in layer if "musicmarkets.config" in graph[m]
    }
    # params reads the repository's params.yaml only when no mapping is handed to it
    assert offenders == {"musicmarkets.params": {"musicmarkets.config"}}
