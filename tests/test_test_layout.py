"""The tests' own layout: no module imports a test module or a conftest; shared code lives in
helper modules (tests/ha/surface.py, tests/api/server.py, ...) and fixtures in conftests."""

import ast
from pathlib import Path

TESTS = Path(__file__).parent
ROOT = TESTS.parent


def is_test_module(path: Path) -> bool:
    """Return whether pytest treats the file as a test module or a conftest."""
    return path.stem.startswith("test_") or path.stem.endswith("_test") or path.stem == "conftest"


def module_file(root: Path, dotted: str) -> Path | None:
    """Return the file of a module under root, if it is one of ours."""
    base = root.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported(root: Path, path: Path) -> set[str]:
    """Return every dotted name a file imports (local imports too), relative ones resolved."""
    package = list(path.relative_to(root).with_suffix("").parts)[:-1]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - (node.level - 1)] if node.level else []
            target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            names.add(target)
            # `from . import test_x` imports a module by its alias.
            names.update(f"{target}.{alias.name}" if target else alias.name for alias in node.names)
    return names


def offenders(root: Path, files: list[Path]) -> dict[str, list[str]]:
    """Return file -> the test modules and conftests it imports."""
    found: dict[str, list[str]] = {}
    for path in files:
        bad = sorted(
            name
            for name in imported(root, path)
            if (target := module_file(root, name)) is not None and is_test_module(target)
        )
        if bad:
            found[path.relative_to(root).as_posix()] = bad
    return found


def test_no_module_imports_a_test_module_or_a_conftest() -> None:
    files = sorted(TESTS.rglob("*.py"))
    assert TESTS / "ha" / "test_runner.py" in files
    assert TESTS / "ha" / "remote" / "helpers.py" in files
    assert offenders(ROOT, files) == {}


def test_detector_finds_such_imports(tmp_path: Path) -> None:
    files = {
        "tests/__init__.py": "",
        "tests/conftest.py": "",
        "tests/a/__init__.py": "",
        "tests/a/conftest.py": "X = 1\n",
        "tests/a/test_one.py": "from .conftest import X\nfrom . import test_two\n",
        "tests/a/test_two.py": "def f():\n    from tests.a.test_one import y\n",
        "tests/a/helpers.py": "import tests.a.test_two\nfrom ..conftest import Z\n",
        "tests/a/fine.py": (
            "from aiohttp.test_utils import TestServer\n"
            "from .helpers import test_value\n"
            "from . import helpers\n"
            "import tests.a.helpers\n"
        ),
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert offenders(tmp_path, sorted(tmp_path.rglob("*.py"))) == {
        "tests/a/helpers.py": ["tests.a.test_two", "tests.conftest"],
        "tests/a/test_one.py": ["tests.a.conftest", "tests.a.test_two"],
        "tests/a/test_two.py": ["tests.a.test_one"],
    }
