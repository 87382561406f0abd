"""Every package the code imports is declared in pyproject.toml, not borrowed from another's dependencies."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib

from tests.conftest import ROOT


def _top_level_imports() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "streams").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"__future__", "streams"}


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {re.split(r"[\[<>=!~ ;]", spec, maxsplit=1)[0].lower() for spec in project["dependencies"]}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _undeclared(modules: set[str], declared: set[str]) -> dict[str, list[str] | None]:
    distributions = importlib.metadata.packages_distributions()
    wanted = {_normal(d) for d in declared}
    return {
        module: distributions.get(module)
        for module in modules
        if not {_normal(d) for d in distributions.get(module, [module])} & wanted
    }


def test_every_directly_imported_package_is_declared() -> None:
    missing = _undeclared(_top_level_imports(), _declared())
    assert missing == {}, f"imported but not declared in pyproject.toml: {missing}"


def test_an_import_that_only_comes_with_another_package_is_caught() -> None:
    # pluggy is installed (pytest needs it) but the project does not declare it; aiohttp is declared.
    assert _undeclared({"pluggy", "aiohttp"}, _declared()) == {"pluggy": ["pluggy"]}
    assert "aiohttp" in _undeclared({"aiohttp"}, _declared() - {"aiohttp"})
