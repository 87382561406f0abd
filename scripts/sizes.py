"""List the functions over 100 lines and the modules over 800 lines under streams/ (a layout check)."""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def long_functions(path: Path, limit: int) -> list[tuple[str, int]]:
    """(qualified name, lines) of every function in `path` longer than `limit` lines, decorators excluded."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    # From the def line to the last line of the body: decorators sit above `lineno`.
                    lines = (child.end_lineno or child.lineno) - child.lineno + 1
                    if lines > limit:
                        found.append((name, lines))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--function-lines", type=int, default=100)
    parser.add_argument("--module-lines", type=int, default=800)
    args = parser.parse_args(argv)
    over = 0
    for path in sorted((ROOT / "streams").rglob("*.py")):
        rel = path.relative_to(ROOT)
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > args.module_lines:
            print(f"module   {rel}: {lines} lines")
            over += 1
        for name, n in long_functions(path, args.function_lines):
            print(f"function {rel}:{name}: {n} lines")
            over += 1
    print(f"{over} over the limits (functions > {args.function_lines}, modules > {args.module_lines} lines)")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
