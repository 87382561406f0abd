"""Main-text extraction quality (article-extraction-benchmark): the clean stage against plain trafilatura."""

from __future__ import annotations

import gzip
import re
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import orjson
import trafilatura

from streams.cleaning.clean import clean
from streams.events.errors import Rejected
from streams.events.records import RawArticle
from streams.settings import Settings

NAME = "aeb"
_TOKEN = re.compile(r"\w+")
_SHINGLE = 4


def shingles(text: str) -> Counter[tuple[str, ...]]:
    """4-token shingles of the `\\w+` tokens as a multiset; 1-3 tokens make one shingle, none make none."""
    tokens = _TOKEN.findall(text)
    if not tokens:
        return Counter()
    if len(tokens) < _SHINGLE:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + _SHINGLE]) for i in range(len(tokens) - _SHINGLE + 1))


def page_scores(predicted: str, gold: str) -> tuple[float | None, float | None]:
    """Precision and recall of one page (None where the prediction or the gold text is empty)."""
    pred, true = shingles(predicted), shingles(gold)
    common = sum((pred & true).values())
    precision = common / sum(pred.values()) if pred else None
    recall = common / sum(true.values()) if true else None
    return precision, recall


def aggregate(pairs: Iterable[tuple[str, str]]) -> dict[str, float]:
    """Mean precision over non-empty predictions, mean recall over non-empty golds, F1 of the two means."""
    precisions: list[float] = []
    recalls: list[float] = []
    for predicted, gold in pairs:
        p, r = page_scores(predicted, gold)
        if p is not None:
            precisions.append(p)
        if r is not None:
            recalls.append(r)
    precision = sum(precisions) / len(precisions) if precisions else 0.0
    recall = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def project_text(html: str, url: str | None, settings: Settings) -> str:
    """The body the clean stage keeps for one page, a paragraph a line ("" when it refuses the page)."""
    raw = RawArticle(id=url or "page", source="aeb", content_type="text/html", body=html, url=url)
    try:
        article = clean(
            raw,
            pipeline_version=settings.pipeline_version,
            max_paragraphs=settings.max_paragraphs,
        )
    except Rejected:
        return ""
    return "\n".join(article.paragraphs)


def trafilatura_text(html: str, url: str | None) -> str:
    """The library's default extraction, as the baseline the project must beat."""
    return trafilatura.extract(html, url=url) or ""


def _pages(root: Path) -> list[tuple[dict[str, Any], str]]:
    folder = root / NAME
    pages = []
    for line in (folder / "ground-truth.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            entry = orjson.loads(line)
            html = gzip.decompress((folder / "pages" / f"{entry['id']}.html.gz").read_bytes())
            pages.append((entry, html.decode("utf-8", "replace")))
    return pages


def evaluate(root: Path, settings: Settings) -> dict[str, Any]:
    """Score the clean stage and plain trafilatura on every page of `root/aeb`, with the same metric."""
    pages = _pages(root)
    systems: dict[str, Callable[[str, str | None], str]] = {
        "project": lambda html, url: project_text(html, url, settings),
        "trafilatura": trafilatura_text,
    }
    result: dict[str, Any] = {"metric": NAME, "pages": len(pages)}
    for name, extract in systems.items():
        predictions = [(extract(html, entry.get("url")), entry["articleBody"]) for entry, html in pages]
        scores = aggregate(predictions)
        scores["empty_predictions"] = sum(1 for predicted, _ in predictions if not predicted.strip())
        result[name] = scores
    return result


def report(result: dict[str, Any]) -> str:
    """Printable lines: precision, recall and F1 of the project and of the trafilatura baseline."""
    lines = [f"{NAME}: main-text extraction over {result['pages']} pages (4-token shingles)"]
    for name in ("project", "trafilatura"):
        s = result[name]
        lines.append(
            f"  {name:<12} P {s['precision']:.4f}  R {s['recall']:.4f}  F1 {s['f1']:.4f}"
            f"  (empty: {s['empty_predictions']})"
        )
    lines.append(f"  F1 gain over trafilatura: {result['project']['f1'] - result['trafilatura']['f1']:+.4f}")
    return "\n".join(lines)
