"""Entity precision on real web pages against frozen, hand-made judgements (streams/data/eval)."""

from __future__ import annotations

import gzip
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from streams.enrichment.enrich import Enricher
from streams.enrichment.iptc import TopicClassifier
from streams.enrichment.nlp import load_model
from streams.events.records import EntityEvent
from streams.settings import Settings
from streams.tools import process

NAME = "judged"
FOLDER = "aeb"
# The judgements ship with the package; the pages they judge stay in the eval folder (aeb/).
JUDGEMENTS = Path(__file__).resolve().parents[2] / "data" / "eval" / "aeb-entities-judged.jsonl"
# The three groups; the other types are reported under their own label.
GROUPS = {"PERSON": "PERSON", "ORG": "ORG", "GPE": "places", "LOC": "places", "FAC": "places"}

Key = tuple[str, str, str]  # page id, entity id, type


@dataclass(frozen=True)
class Found:
    """One entity the pipeline gave one page: what is matched against a judgement."""

    page: str
    entity_id: str
    name: str
    type: str
    first_mention: str

    @property
    def key(self) -> Key:
        return (self.page, self.entity_id, self.type)


def read_judgements(path: Path = JUDGEMENTS) -> dict[Key, dict[str, Any]]:
    """The frozen judgements by (page, entity id, type); a verdict is "correct" or "wrong"."""
    out: dict[Key, dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = orjson.loads(line)
            out[row["page"], row["entity_id"], row["type"]] = row
    return out


def page_entities(root: Path, pages: Iterable[str], settings: Settings) -> list[Found]:
    """Every entity `newsstreams process` gives each page, each page run alone (no people memory shared)."""
    enricher = Enricher(
        load_model(settings.model), TopicClassifier.load(settings.topic_model or None), settings
    )
    found: list[Found] = []
    for page in pages:
        html = gzip.decompress((root / "aeb" / "pages" / f"{page}.html.gz").read_bytes())
        raw = {"id": f"aeb/{page}", "source": "aeb", "content_type": "text/html", "body": html.decode()}
        for out in process.run([(raw["id"], orjson.dumps(raw))], settings, enricher=enricher):
            if isinstance(out.event, EntityEvent):
                e = out.event
                text = e.mentions[0].text if e.mentions else ""
                found.append(Found(page, e.entity_id, e.name, e.type, text))
    return found


def score(found: Iterable[Found], judgements: Mapping[Key, Mapping[str, Any]]) -> dict[str, Any]:
    """Precision per group over judged entities, correct entities per page, and what is unjudged."""
    counts: dict[str, Counter[str]] = {}
    pages: Counter[str] = Counter()
    unjudged: list[dict[str, str]] = []
    for f in found:
        judgement = judgements.get(f.key)
        if judgement is None:
            unjudged.append({"page": f.page, "entity_id": f.entity_id, "name": f.name, "type": f.type})
            continue
        group = GROUPS.get(f.type, f.type)
        verdict = str(judgement["verdict"])
        counts.setdefault(group, Counter())[verdict] += 1
        counts.setdefault("all", Counter())[verdict] += 1
        pages[f.page] += verdict == "correct"
    judged_pages = sorted({k[0] for k in judgements})
    precision = {
        group: {
            "correct": c["correct"],
            "judged": c["correct"] + c["wrong"],
            "precision": round(c["correct"] / (c["correct"] + c["wrong"]), 4) if c.total() else 0.0,
        }
        for group, c in sorted(counts.items())
    }
    return {
        "pages": len(judged_pages),
        "precision": precision,
        "correct_per_page": round(sum(pages.values()) / len(judged_pages), 2) if judged_pages else 0.0,
        "unjudged": unjudged,
    }


def evaluate(root: Path, settings: Settings) -> dict[str, Any]:
    """Run the judged pages through the pipeline and score its entities against the judgements."""
    judgements = read_judgements()
    pages = sorted({k[0] for k in judgements})
    return score(page_entities(root, pages, settings), judgements)


def report(result: dict[str, Any]) -> str:
    """Printable lines: precision and support per group, correct per page, the unjudged entities."""
    lines = [f"{NAME}: entities on {result['pages']} hand-judged aeb pages"]
    for group, p in result["precision"].items():
        lines.append(f"  {group:<12} P {p['precision']:.4f}  ({p['correct']}/{p['judged']})")
    lines.append(f"  correct entities per page: {result['correct_per_page']}")
    lines.append(f"  unjudged: {len(result['unjudged'])} (judge by reading the page, then add them)")
    lines.extend(
        f"    {u['page'][:12]} {u['type']:<8} {u['entity_id']}  {u['name']!r}" for u in result["unjudged"]
    )
    return "\n".join(lines)
