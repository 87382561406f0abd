"""Topic quality on all of the news: the pipeline's first IPTC topic against topics17's primary codes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from streams.enrichment.iptc import TopicClassifier, label_of, text_fingerprint
from streams.events.records import TopicEvent
from streams.settings import Settings

NAME = "topics17"
SPORT = "medtop:15000000"
# Codes with fewer primary documents than these are too rare for a per-code figure to mean much.
MACRO_MIN_DOCS = 5
RECALL_MIN_DOCS = 3


def read(root: Path) -> list[dict[str, Any]]:
    """The documents of root/topics17/iptc17.jsonl."""
    path = root / NAME / "iptc17.jsonl"
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def document_text(item: dict[str, Any]) -> str:
    """Headline and body as one text: what a training archive holds and what fingerprints are taken of."""
    return f"{item['headline']}\n\n{item['body']}" if item.get("headline") else str(item["body"])


def raw_message(item: dict[str, Any]) -> bytes:
    """The document as a plain-text raw article, the shape the worker reads from news.articles.raw.

    Each document is its own source, so boilerplate the cleaner learns from one cannot strip another:
    a document's figure does not depend on which documents came before it.
    """
    raw: dict[str, Any] = {
        "id": item["id"],
        "source": f"{NAME}.eval/{item['id']}",
        "content_type": "text/plain",
        "body": item["body"],
    }
    if item.get("headline"):
        raw["headline"] = item["headline"]
    return orjson.dumps(raw)


def first_topics(items: Sequence[dict[str, Any]], settings: Settings) -> list[str]:
    """Each document's rank-1 topic event from the full pipeline (`newsstreams process`); "none" if none."""
    from streams.tools import process

    outputs = process.run([(item["id"], raw_message(item)) for item in items], settings)
    first: dict[str, str] = {}
    for out in outputs:
        event = out.event
        if isinstance(event, TopicEvent) and event.rank == 1:
            first[event.article_id] = event.topic
    return [first.get(item["id"], "none") for item in items]


def scores(
    gold: Sequence[str], predicted: Sequence[str], secondary: Sequence[Sequence[str]] | None = None
) -> dict[str, Any]:
    """The eval README's topics17 figures, plus the views the issue asks for.

    accuracy: first topic == primary; lenient: first topic is primary or a secondary; macro-F1 over the
    codes that occur as primary, and over those with at least MACRO_MIN_DOCS; accuracy without sport
    documents; per-code precision/recall/F1; primary codes never predicted first.
    """
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    pairs = list(zip(gold, predicted, strict=True))
    secondary = secondary or [[] for _ in gold]
    per_code: dict[str, dict[str, float]] = {}
    for code in sorted(set(gold)):
        tp = sum(g == p == code for g, p in pairs)
        fp = sum(p == code != g for g, p in pairs)
        fn = sum(g == code != p for g, p in pairs)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_code[code] = {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}
    frequent = [c for c in per_code.values() if c["support"] >= MACRO_MIN_DOCS]
    not_sport = [(g, p) for g, p in pairs if g != SPORT]
    lenient = sum(p == g or p in s for (g, p), s in zip(pairs, secondary, strict=True))
    return {
        "n": len(gold),
        "accuracy": _share(sum(g == p for g, p in pairs), len(pairs)),
        "accuracy_without_sport": _share(sum(g == p for g, p in not_sport), len(not_sport)),
        "n_without_sport": len(not_sport),
        "lenient_accuracy": _share(lenient, len(pairs)),
        "macro_f1": _mean([c["f1"] for c in per_code.values()]),
        f"macro_f1_min{MACRO_MIN_DOCS}": _mean([c["f1"] for c in frequent]),
        "per_code": per_code,
        "never_emitted": sorted(c for c in per_code if c not in set(predicted)),
    }


def _share(count: int, total: int) -> float:
    return count / total if total else 0.0


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def evaluate(root: Path, settings: Settings) -> dict[str, Any]:
    """Run every document the topic model never saw through the pipeline and score its first topic.

    Documents whose text (`document_text`) the model was trained on are counted and left out, so on the
    development split a model trained on it scores nothing here: its figure there comes from nested
    cross-validation (scripts/cv_topics17.py); the held-back split scores it in full.
    """
    items = read(root)
    seen = TopicClassifier.load(settings.topic_model or None).trained_on
    unseen = [item for item in items if text_fingerprint(document_text(item)) not in seen]
    predicted = first_topics(unseen, settings) if unseen else []
    result = scores([i["primary"] for i in unseen], predicted, [i["secondary"] for i in unseen])
    result.update(
        {
            "metric": NAME,
            "model": settings.topic_model or "(shipped default)",
            "documents": len(items),
            "seen_in_training": len(items) - len(unseen),
            "unseen": len(unseen),
            "errors": [
                {"id": i["id"], "primary": i["primary"], "secondary": i["secondary"], "predicted": p}
                for i, p in zip(unseen, predicted, strict=True)
                if p != i["primary"]
            ],
        }
    )
    return result


def report(result: dict[str, Any]) -> str:
    """A short plain-text report of `evaluate`'s (or the cross-validation's) result."""
    lines = [
        f"topics17 ({result['model']}): {result['unseen']} unseen of {result['documents']} documents "
        f"({result['seen_in_training']} were in the model's training data and are not scored)",
    ]
    if not result["n"]:
        return "\n".join(lines)
    lines += [
        f"  accuracy {result['accuracy']:.4f}  without sport {result['accuracy_without_sport']:.4f} "
        f"(n={result['n_without_sport']})  lenient {result['lenient_accuracy']:.4f}",
        f"  macro-F1 {result['macro_f1']:.4f} over {len(result['per_code'])} primary codes, "
        f"{result[f'macro_f1_min{MACRO_MIN_DOCS}']:.4f} over codes with >= {MACRO_MIN_DOCS} documents",
    ]
    for code, c in sorted(result["per_code"].items(), key=lambda kv: -kv[1]["support"]):
        flag = "" if c["support"] >= RECALL_MIN_DOCS else "  (too few to judge)"
        lines.append(
            f"  {code} {label_of(code)[:28]:<28} P {c['precision']:.3f}  R {c['recall']:.3f}  "
            f"F1 {c['f1']:.3f}  (n={c['support']}){flag}"
        )
    never = ", ".join(f"{c} {label_of(c)}" for c in result["never_emitted"]) or "none"
    lines.append(f"  primary codes never ranked first: {never}")
    return "\n".join(lines)
