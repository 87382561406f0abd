"""The package layout's rules, read from the source: pure stages, a factory of features, sizes a reader keeps."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "streams"
# Modules of the feature packages that wire agents or follow a topic: the only ones there that may use
# the Faust runtime or a Kafka client.
RUNTIME = {"agents.py", "people_feed.py"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def stage_modules() -> list[Path]:
    features = [p for pkg in ("cleaning", "enrichment") for p in (PACKAGE / pkg).rglob("*.py")]
    # Trending's windows, watermark and de-duplication are pure too; its store and agent are not.
    return sorted([p for p in features if p.name not in RUNTIME] + [PACKAGE / "trending" / "panes.py"])


def test_stage_modules_import_neither_faust_nor_aiokafka() -> None:
    modules = stage_modules()
    assert len(modules) >= 8, [str(p) for p in modules]
    offenders = {str(p.relative_to(ROOT)): sorted(_imports(p) & {"faust", "aiokafka"}) for p in modules}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_app_factory_is_a_list_of_feature_registrations() -> None:
    tree = ast.parse((PACKAGE / "worker" / "app.py").read_text())
    [factory] = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "create_app"]
    # No agent, table or closure of its own: every feature brings those through `register`.
    assert not [
        n
        for n in ast.walk(factory)
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n is not factory
    ]
    registered = [
        n.func.value.id
        for n in ast.walk(factory)
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr == "register"
        and isinstance(n.func.value, ast.Name)
    ]
    assert registered[:1] == ["health"] and set(registered) >= {"cleaning", "enrichment", "trending"}
    assert factory.end_lineno is not None and factory.end_lineno - factory.lineno < 30


def test_every_feature_package_says_what_lives_there() -> None:
    packages = [p for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()]
    assert len(packages) >= 4
    for package in packages:
        doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text()))
        assert doc and len(doc.split()) >= 15, f"{package.name} needs a docstring saying what lives there"


def _long_functions(path: Path, limit: int) -> list[str]:
    """Functions of `path` longer than `limit` lines (def line to last line, decorators excluded)."""
    return [
        f"{path.name}:{node.name} {node.end_lineno - node.lineno + 1} lines"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > limit
    ]


def test_no_function_over_100_lines_and_no_module_over_800() -> None:
    modules = sorted(PACKAGE.rglob("*.py"))
    assert [f for p in modules for f in _long_functions(p, 100)] == []
    assert [str(p.relative_to(ROOT)) for p in modules if len(p.read_text().splitlines()) > 800] == []


def test_the_size_check_sees_a_long_function(tmp_path: Path) -> None:
    # The rule measured on a file whose lengths are known by construction.
    body = "\n".join(f"    x{i} = {i}" for i in range(101))
    (tmp_path / "m.py").write_text(f"def short():\n    pass\n\n\ndef long():\n{body}\n")
    names = [f.split(":")[1].split()[0] for f in _long_functions(tmp_path / "m.py", 100)]
    assert names == ["long"]
