"""No import circles among the modules of ``surveys`` (docs/design.md: "no import circles").

The graph is read from the source with ``ast``, so it sees every import: module-level ones
and those inside functions alike (an import moved into a function to dodge a circle is still
a circle). ``from package import name`` is an edge to ``package.name`` when that is a module,
else to the package. Migrations are left out: Django loads them on its own.
"""

import ast
from pathlib import Path

import surveys

ROOT = Path(surveys.__file__).resolve().parent

KNOWN: set[frozenset[str]] = set()  # none left; an entry may only ever go


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    files = {_module_name(p, root): p for p in root.rglob("*.py") if "migrations" not in p.parts}
    graph = {}
    for name, path in files.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                edges |= {alias.name for alias in node.names if alias.name in files}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[: len(package) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                for alias in node.names:
                    if f"{target}.{alias.name}" in files:
                        edges.add(f"{target}.{alias.name}")
                    elif target in files:
                        edges.add(target)
        edges.discard(name)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(frozenset(component))
    return found


def test_the_cycle_finder_finds_a_circle_through_a_function_level_import(tmp_path):
    package = tmp_path / "surveys"
    (package / "reports").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "reports" / "__init__.py").write_text("")
    (package / "metrics.py").write_text("def f():\n    from .reports.rollups import g\n")
    (package / "reports" / "rollups.py").write_text("from .grains import h\n")
    (package / "reports" / "grains.py").write_text("from .. import metrics\n")
    (package / "reports" / "other.py").write_text("from . import grains\n")
    assert cycles(import_graph(package)) == [
        frozenset({"surveys.metrics", "surveys.reports.rollups", "surveys.reports.grains"})
    ]


def test_no_new_import_circle_in_surveys():
    new = [sorted(c) for c in cycles(import_graph()) if c not in KNOWN]
    assert new == []


def test_the_reports_take_part_in_no_import_circle():
    assert [
        sorted(c) for c in cycles(import_graph()) if any(m.startswith("surveys.reports") for m in c)
    ] == []
