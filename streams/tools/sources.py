"""Reading articles from files: JSONL raw events or ninjs documents, and .txt/.html files one article each."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import orjson

_TEXT_TYPES = {".txt": "text/plain", ".text": "text/plain", ".html": "text/html", ".htm": "text/html"}
_INPUT_SUFFIXES = {".jsonl", ".json", *_TEXT_TYPES}
# Saved pages are often gzipped (page archives, the aeb corpus): "story.html.gz" is an HTML file.
_GZIP = ".gz"


def _kind(path: Path) -> str:
    """The suffix that says what a file holds, under a .gz if there is one."""
    return Path(path.stem).suffix if path.suffix == _GZIP else path.suffix


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, and the article files inside named folders (sorted, recursive)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and _kind(p) in _INPUT_SUFFIXES))
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


# The publisher of a plain-text file when --source does not name one: the raw contract needs one for text.
TEXT_SOURCE = "local"


def read(paths: Iterable[Path], *, source: str | None = None) -> Iterator[tuple[str | None, bytes]]:
    """Yield (key, raw message bytes) for every article in `paths`, unvalidated.

    A .txt/.html file is one article of publisher `source`. Without it, an HTML page carries no source, so
    the clean stage uses the name the page gives itself; a text file is of TEXT_SOURCE.
    """
    for path in expand(paths):
        data = gzip.decompress(path.read_bytes()) if path.suffix == _GZIP else path.read_bytes()
        kind = _kind(path)
        if kind in (".jsonl", ".json"):
            lines = [data] if kind == ".json" else data.splitlines()
            for line in lines:
                if line.strip():
                    yield guess_key(line), line.strip()
        else:
            content_type = _TEXT_TYPES.get(kind, "text/plain")
            publisher = source or (None if content_type == "text/html" else TEXT_SOURCE)
            stem = Path(path.stem).stem if path.suffix == _GZIP else path.stem
            article_id = f"{publisher or 'page'}/{re.sub(r'[^A-Za-z0-9._-]+', '-', stem)}"
            raw = {"id": article_id, "content_type": content_type, "body": data.decode("utf-8", "replace")}
            if publisher is not None:
                raw["source"] = publisher
            yield article_id, orjson.dumps(raw)
