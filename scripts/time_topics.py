"""Milliseconds per article of the topic stage alone (classify_docs + assign) on the worker's parse."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from streams.cleaning.stage import State, clean_stage, intake
from streams.enrichment.iptc import TopicClassifier, assign
from streams.enrichment.nlp import load_model, parse
from streams.settings import Settings
from streams.tools.evaluation import topics17


def main() -> None:
    """Parse up to 300 BBC articles once, then time the topic model on them one article at a time."""
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/eval/topics/bbc.jsonl")
    settings = Settings.from_env()
    items = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()][:300]
    articles = []
    for item in items:
        doc = {"id": item["id"], "headline": item.get("headline", ""), "body": item["body"]}
        [out] = clean_stage(intake(topics17.raw_message(doc), settings), settings, State())
        articles.append(out.event)
    docs = [p.doc for p in parse(load_model(settings.model), articles)]
    classifier = TopicClassifier.load(settings.topic_model or None)
    classifier.classify_docs(docs[:5])  # warm-up
    started = time.perf_counter()
    for doc in docs:
        assign(classifier.classify_docs([doc])[0], settings.topic_threshold)
    per = (time.perf_counter() - started) * 1000 / len(docs)
    words = sum(len(d) for d in docs) / len(docs)
    print(
        f"{per:.2f} ms per article over {len(docs)} articles ({words:.0f} tokens on average), one at a time"
    )


if __name__ == "__main__":
    main()
