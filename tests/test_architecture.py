"""Imports point one way: every ``toolkit`` module's imports, parsed with ``ast``.

The layers, top to bottom (a module may import its own layer or any layer below, never above;
see ARCHITECTURE.md for the data path and the module that owns each step):

    entry points   cli, __main__, cli_args, cli_output, demo, every ``*.commands`` module (dags/
                   sit outside the package and are entry points too)
    wiring         pipeline, orchestration, reports, queries
    domain         forensics, detections, cloudwatch, cloudtrail, cost, integrity, sample,
                   charts, forensic_charts, notify
    engines + SQL  engines, sql (the one home of repository SQL), jupyter (offline assets the
                   charts use)
    foundation     config (Settings; builds the Lake it describes), below it lake, below
                   that aws, errors, resources, progress, logsetup, deploy, lazy

Both module-level and function-level imports count (a function-level import is still a
dependency; it only runs later). Imports under ``if TYPE_CHECKING:`` do not run and do not
count. Besides the direction, there must be no cycle between packages (entry points left out:
they import everything) and no cycle between modules, except the ones listed in
``KNOWN_MODULE_CYCLES`` with the reason they are still there; a listed cycle that is gone fails
too, so the list only shrinks.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "toolkit"

LAYERS = [  # bottom first
    {"aws", "errors", "resources", "progress", "logsetup", "deploy", "lazy"},
    {"lake"},
    {"config"},  # Settings.lake_handle() builds the Lake; lake never reads Settings
    {"engines", "sql", "jupyter"},
    {"forensics", "detections", "cloudwatch", "cloudtrail", "cost", "integrity", "sample",
     "charts", "forensic_charts", "notify"},
    {"pipeline", "orchestration", "reports", "queries"},
    {"cli", "__main__", "cli_args", "cli_output", "demo"},
]
ENTRY = len(LAYERS) - 1

# module cycles still standing, each with why (none today); an entry is removed when its cycle
# is broken, and a new one needs a reason in review
KNOWN_MODULE_CYCLES: set[frozenset[str]] = set()


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _runtime_nodes(tree: ast.AST):
    """Every node except those under ``if TYPE_CHECKING:`` (typing-only imports never run)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _target(name: str) -> str | None:
    """The toolkit module an imported dotted name lives in (None outside toolkit)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str, path: Path) -> set[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    targets = set()
    for node in _runtime_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}".rstrip(".")
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                     for alias in node.names]
        else:
            continue
        targets |= {t for t in map(_target, names) if t and t != module}
    return targets


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def _group(module: str) -> str:
    """The package (or top-level module) a module belongs to: ``toolkit.<group>...``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "toolkit"


def _layer(module: str) -> int | None:
    if module.endswith(".commands"):
        return ENTRY
    return next((i for i, layer in enumerate(LAYERS) if _group(module) in layer), None)


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_module_has_a_layer():
    unplaced = sorted(m for m in MODULES if m != "toolkit" and _layer(m) is None)
    assert not unplaced, f"place these in a layer of tests/test_architecture.py: {unplaced}"


def test_imports_point_down():
    upward = [f"{module} (layer {_layer(module)}) imports {target} (layer {_layer(target)})"
              for module, targets in GRAPH.items() if module != "toolkit"
              for target in sorted(targets) if target != "toolkit"
              and _layer(target) > _layer(module)]
    assert not upward, "upward imports:\n" + "\n".join(upward)


def test_no_cycle_between_packages():
    packages: dict[str, set[str]] = defaultdict(set)
    for module, targets in GRAPH.items():
        if _layer(module) == ENTRY:
            continue
        packages[_group(module)] |= {_group(t) for t in targets if _group(t) != _group(module)}
    assert _cycles(packages) == []


def test_no_cycle_between_modules_beyond_the_known_ones():
    cycles = set(_cycles(GRAPH))
    assert sorted(map(sorted, cycles - KNOWN_MODULE_CYCLES)) == []
    assert sorted(map(sorted, KNOWN_MODULE_CYCLES - cycles)) == [], "gone: drop from the list"


def test_the_checker_sees_function_level_and_relative_imports(tmp_path):
    """The parser is not blind: a function-level import counts, a TYPE_CHECKING one does not."""
    source = tmp_path / "probe.py"
    source.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                      "    from toolkit.cli import main\n"
                      "def f():\n    from toolkit.pipeline import run_day\n")
    assert _imports("toolkit.lake.probe", source) == {"toolkit.pipeline"}
    assert _layer("toolkit.pipeline") > _layer("toolkit.lake.probe")
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [frozenset({"a", "b"})]
