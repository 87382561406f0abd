"""Reading articles from files: JSONL raw events or ninjs documents, and .txt/.html files one article each."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import orjson

_TEXT_TYPES = {".txt": "text/plain", ".text": "text/plain", ".html": "text/html", ".htm": "text/html"}
_INPUT_SUFFIXES = {".jsonl", ".json", *_TEXT_TYPES}


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, and the article files inside named folders (sorted, recursive)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in _INPUT_SUFFIXES))
        else:
            files.append(path)
    return files


def guess_key(value: bytes) -> str | None:
    """The article id of a raw message if it has one (key for Kafka); None for unreadable input."""
    try:
        data = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    if isinstance(data, dict):
        for name in ("id", "uri", "guid"):
            if isinstance(data.get(name), str):
                return str(data[name])
    return None


def read(paths: Iterable[Path], *, source: str = "local") -> Iterator[tuple[str | None, bytes]]:
    """Yield (key, raw message bytes) for every article in `paths`, unvalidated."""
    for path in expand(paths):
        if path.suffix in (".jsonl", ".json"):
            data = path.read_bytes()
            lines = [data] if path.suffix == ".json" else data.splitlines()
            for line in lines:
                if line.strip():
                    yield guess_key(line), line.strip()
        else:
            body = path.read_bytes().decode("utf-8", "replace")
            article_id = f"{source}/{re.sub(r'[^A-Za-z0-9._-]+', '-', path.stem)}"
            raw = {
                "id": article_id,
                "source": source,
                "content_type": _TEXT_TYPES.get(path.suffix, "text/plain"),
                "body": body,
            }
            yield article_id, orjson.dumps(raw)
