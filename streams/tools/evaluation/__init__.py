"""Quality evaluation over a folder laid out like ../shared/eval, one module per metric."""

from __future__ import annotations

import importlib
import time
from pathlib import Path
from typing import Any

import orjson

from streams.settings import Settings

# Metric name → module in this package, each with `evaluate(root, settings)` and `report(result)`.
METRICS = ("aeb", "judged", "ner", "quotes", "topics", "topics17")


def run_all(root: Path, settings: Settings, *, only: str = "", json_out: Path | None = None) -> int:
    """Run every metric whose folder exists under `root`, print its report; 1 if none could run."""
    wanted = [m.strip() for m in only.split(",") if m.strip()] or list(METRICS)
    results: dict[str, Any] = {}
    for name in wanted:
        if name not in METRICS:
            raise SystemExit(f"unknown metric {name!r}; known: {', '.join(METRICS)}")
        module = importlib.import_module(f"streams.tools.evaluation.{name}")
        # A metric reads the folder of its own name unless it names another (judged reads aeb/).
        folder = root / getattr(module, "FOLDER", name)
        if not folder.is_dir():
            print(f"[{name}] skipped: {folder} does not exist")
            continue
        started = time.perf_counter()
        result = module.evaluate(root, settings)
        result["seconds"] = round(time.perf_counter() - started, 1)
        results[name] = result
        print(f"[{name}] ({result['seconds']} s)")
        print(module.report(result))
        print()
    if json_out is not None:
        json_out.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
    return 0 if results else 1
