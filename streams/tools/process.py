"""`newsstreams process`: the same stages in one process with no Kafka, one JSONL file per topic."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from streams.cleaning.stage import Outgoing, State, clean_stage, intake
from streams.enrichment.enrich import Enricher
from streams.enrichment.iptc import TopicClassifier
from streams.enrichment.nlp import load_model
from streams.events import flow
from streams.events.deadletter import dead_letter
from streams.events.records import CleanArticle, to_json
from streams.settings import Settings


def load_enricher(settings: Settings) -> Enricher:
    """spaCy and the topic model named in settings, loaded."""
    return Enricher(load_model(settings.model), TopicClassifier.load(settings.topic_model or None), settings)


def run(
    messages: Iterable[tuple[str | None, bytes]],
    settings: Settings,
    *,
    state: State | None = None,
    enricher: Enricher | None = None,
) -> list[Outgoing]:
    """Every event the pipeline emits for `messages` (dead letters included), stage by stage."""
    state = state or State()
    outputs: list[Outgoing] = []
    for key, value in messages:
        stage = "intake"
        try:
            raw = intake(value, settings)
            stage = "clean"
            outputs.extend(clean_stage(raw, settings, state))
        except Exception as exc:  # every failure becomes a dead letter, as in the worker
            letter = dead_letter(
                stage=stage,
                error=exc,
                key=key,
                value=value,
                topic=settings.topic(flow.RAW.name),
                pipeline_version=settings.pipeline_version,
            )
            outputs.append(Outgoing(flow.DEADLETTER, letter.original_key or "", letter))
    articles = [o.event for o in outputs if isinstance(o.event, CleanArticle)]
    if articles:
        enricher = enricher or load_enricher(settings)
        for start in range(0, len(articles), settings.batch_size):
            batch = articles[start : start + settings.batch_size]
            known = {a.source: dict(state.people.get(a.source) or {}) for a in batch}
            for article, result in zip(batch, enricher.run(batch, known), strict=True):
                if isinstance(result, Exception):
                    letter = dead_letter(
                        stage="enrich",
                        error=result,
                        key=article.article_id,
                        value=to_json(article),
                        topic=settings.topic(flow.CLEAN.name),
                        pipeline_version=settings.pipeline_version,
                    )
                    outputs.append(Outgoing(flow.DEADLETTER, article.article_id, letter))
                    continue
                state.people[article.source] = result.people
                outputs.extend(result.outgoing)
    return outputs


def write(outputs: Iterable[Outgoing], out_dir: Path, settings: Settings) -> Counter[str]:
    """Write each event as one JSON line in `out_dir/<topic>.jsonl`; returns counts per topic."""
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: Counter[str] = Counter()
    handles = {}
    try:
        for out in outputs:
            name = settings.topic(out.spec.name)
            if name not in handles:
                handles[name] = (out_dir / f"{name}.jsonl").open("wb")
            handles[name].write(to_json(out.event) + b"\n")
            counts[name] += 1
    finally:
        for handle in handles.values():
            handle.close()
    return counts
