"""The package's layers: imports point down only, never in a cycle; engine/ and api/ stand alone."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "custom_components" / "reef_scheduler"

# What each room may import besides itself. Top-level modules (platforms, set-up, services,
# flows) sit above every room and may import any of them.
ALLOWED: dict[str, set[str]] = {
    "engine": set(),
    "api": set(),
    "const": set(),
    "runner": {"engine", "const"},
    "local": {"runner", "engine", "const"},
    "remote": {"runner", "engine", "api", "const"},
}


def module_name(root: Path, path: Path) -> str:
    """Return a source file's module name inside the package ('' for the package itself)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(root: Path) -> dict[str, set[str]]:
    """Return module -> the package modules it imports (type-checking and local imports too)."""
    modules = {module_name(root, path): path for path in root.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        package = name.split(".") if is_package else name.split(".")[:-1]
        if not name:
            package = []
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.ImportFrom) or node.level == 0:
                continue
            base = package[: len(package) - (node.level - 1)]
            target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            for alias in node.names:
                sub = f"{target}.{alias.name}" if target else alias.name
                edges.add(sub if sub in modules else target)
        edges.discard(name)
        graph[name] = edges
    return graph


def room(module: str) -> str:
    """Return the room of a module: its subpackage, or the top-level module's own name."""
    return module.split(".")[0]


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    """Return every import that leaves its room for one it may not use."""
    found = []
    for module, targets in sorted(graph.items()):
        source = room(module)
        if source not in ALLOWED:
            continue
        found += [
            f"{module} -> {target}"
            for target in sorted(targets)
            if room(target) != source and room(target) not in ALLOWED[source]
        ]
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return one cycle per strongly connected group of modules (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_imports_point_down_only() -> None:
    graph = import_graph(PACKAGE)
    assert {"engine.model", "runner.runner", "local.backend", "remote.convert"} <= set(graph)
    assert layer_violations(graph) == []


def test_no_import_cycle() -> None:
    assert cycles(import_graph(PACKAGE)) == []


def _ha_imports(path: Path) -> list[str]:
    """Return the homeassistant modules a source file imports."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [n for n in names if n == "homeassistant" or n.startswith("homeassistant.")]
    return found


@pytest.mark.parametrize("part", ["engine", "api"])
def test_part_is_free_of_home_assistant(part: str) -> None:
    files = sorted((PACKAGE / part).rglob("*.py"))
    assert files, f"{part}/ has no modules"
    offenders = {str(f.relative_to(PACKAGE)): _ha_imports(f) for f in files if _ha_imports(f)}
    assert offenders == {}


def test_detector_finds_imports(tmp_path: Path) -> None:
    source = tmp_path / "mod.py"
    source.write_text(
        "import os\nimport homeassistant.core\nfrom homeassistant.helpers import event\n"
        "def f():\n    from homeassistant import const\n"
    )
    assert _ha_imports(source) == ["homeassistant.core", "homeassistant.helpers", "homeassistant"]


def test_checks_find_upward_imports_and_cycles(tmp_path: Path) -> None:
    files = {
        "__init__.py": "from .local import setup\n",
        "const.py": "",
        "sensor.py": "from .local.entity import Entity\n",
        "engine/__init__.py": "",
        "engine/model.py": "from ..const import DOMAIN\n",
        "runner/__init__.py": "",
        "runner/runner.py": "from ..engine import model\nfrom ..local.backend import B\n",
        "local/__init__.py": "",
        "local/setup.py": "from .entity import Entity\n",
        "local/backend.py": "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from .entity import Entity\n",
        "local/entity.py": "from .backend import B\nfrom ..remote import flow\n",
        "remote/__init__.py": "",
        "remote/flow.py": "def f():\n    from ..sensor import x\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    graph = import_graph(tmp_path)
    assert graph["runner.runner"] == {"engine.model", "local.backend"}
    assert layer_violations(graph) == [
        "engine.model -> const",
        "local.entity -> remote.flow",
        "remote.flow -> sensor",
        "runner.runner -> local.backend",
    ]
    assert cycles(graph) == [["local.backend", "local.entity", "remote.flow", "sensor"]]
