"""The pure engine and the remote client must never import Home Assistant."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "custom_components" / "reef_scheduler"


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
