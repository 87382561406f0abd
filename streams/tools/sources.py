"""Reading articles from files: JSONL raw events or ninjs documents, and .txt/.html files one article each."""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson

_TEXT_TYPES = {".txt": "text/plain", ".text": "text/plain", ".html": "text/html", ".htm": "text/html"}
_INPUT_SUFFIXES = {".jsonl", ".json", *_TEXT_TYPES}
# Saved pages are often gzipped (page archives, the aeb corpus): "story.html.gz" is an HTML file.
_GZIP = ".gz"
_GZIP_MAGIC = b"\x1f\x8b"


def _kind(path: Path) -> str:
    """The suffix that says what a file holds, under a .gz if there is one."""
    return Path(path.stem).suffix if path.suffix == _GZIP else path.suffix


ARTICLE_FILES = (
    "JSON Lines (.jsonl), JSON (.json), text (.txt) or HTML (.html, .htm), each also gzipped (.gz)"
)


@dataclass
class Scan:
    """What a list of paths holds: article files, and files inside folders that are not article files."""

    files: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    missing: list[Path] = field(default_factory=list)


def scan(paths: Iterable[Path]) -> Scan:
    """Files named directly, the article files inside named folders (sorted, recursive), and what is left."""
    found = Scan()
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*") if p.is_file())
            found.files.extend(p for p in inside if _kind(p) in _INPUT_SUFFIXES)
            found.skipped.extend(p for p in inside if _kind(p) not in _INPUT_SUFFIXES)
        elif path.is_file():
            found.files.append(path)
        else:
            found.missing.append(path)
    return found


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, and the article files inside named folders (sorted, recursive)."""
    return scan(paths).files


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


@dataclass(frozen=True)
class Item:
    """One raw message read from a file, with where it came from (line 0: the whole file)."""

    key: str | None
    value: bytes
    path: Path
    line: int

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line else str(self.path)


class Unreadable(Exception):
    """A file that cannot be read as articles at all (a broken gzip stream, an I/O error)."""


def items(paths: Iterable[Path], *, source: str | None = None) -> Iterator[Item]:
    """Every article in `paths` as an `Item`, unvalidated; a file that cannot be read raises `Unreadable`.

    A .txt/.html file is one article of publisher `source`. Without it, an HTML page carries no source, so
    the clean stage uses the name the page gives itself; a text file is of TEXT_SOURCE.
    """
    for path in expand(paths):
        try:
            data = path.read_bytes()
            # Gzipped by its name, or by its first bytes (a saved page named .html that is really gzip).
            if path.suffix == _GZIP or data[:2] == _GZIP_MAGIC:
                data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise Unreadable(f"{path}: {exc}") from exc
        kind = _kind(path)
        if kind in (".jsonl", ".json"):
            lines = [data] if kind == ".json" else data.splitlines()
            for number, line in enumerate(lines, 1):
                if line.strip():
                    yield Item(guess_key(line), line.strip(), path, number if kind == ".jsonl" else 0)
        else:
            content_type = _TEXT_TYPES.get(kind, "text/plain")
            publisher = source or (None if content_type == "text/html" else TEXT_SOURCE)
            stem = Path(path.stem).stem if path.suffix == _GZIP else path.stem
            article_id = f"{publisher or 'page'}/{re.sub(r'[^A-Za-z0-9._-]+', '-', stem)}"
            raw = {"id": article_id, "content_type": content_type, "body": data.decode("utf-8", "replace")}
            if publisher is not None:
                raw["source"] = publisher
            yield Item(article_id, orjson.dumps(raw), path, 0)


def read(paths: Iterable[Path], *, source: str | None = None) -> Iterator[tuple[str | None, bytes]]:
    """Yield (key, raw message bytes) for every article in `paths`, unvalidated (see `items`)."""
    for item in items(paths, source=source):
        yield item.key, item.value
