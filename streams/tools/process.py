"""`newsstreams process`: the same stages in one process with no Kafka, one JSONL file per topic."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import cast

import orjson

from streams.cleaning.stage import Outgoing, State, clean_stage, intake
from streams.enrichment.enrich import Enricher
from streams.enrichment.iptc import TopicClassifier
from streams.enrichment.nlp import load_model
from streams.enrichment.people import KnownPeople, forgotten, taught
from streams.events import flow
from streams.events.deadletter import dead_letter
from streams.events.errors import Reason, Rejected
from streams.events.records import CleanArticle, GateInput, Kill, to_json
from streams.kills.gate import admit, tombstone_input
from streams.kills.retract import correct, withdraw
from streams.settings import Settings


def load_enricher(settings: Settings) -> Enricher:
    """spaCy and the topic model named in settings, loaded."""
    return Enricher(load_model(settings.model), TopicClassifier.load(settings.topic_model or None), settings)


Message = tuple[str | None, bytes | None] | tuple[str | None, bytes | None, float]


def run(
    messages: Iterable[Message],
    settings: Settings,
    *,
    state: State | None = None,
    enricher: Enricher | None = None,
) -> list[Outgoing]:
    """Every event the pipeline emits for `messages` (key, value and optionally when the message reached
    Kafka, in seconds; a None value is a tombstone), dead letters included, stage by stage."""
    state = state or State()
    outputs: list[Outgoing] = []
    for key, value, *when in messages:
        at = float(when[0]) if when else None
        stage = "intake"
        try:
            if value is None:  # a tombstone: the feed deleted the article
                if not key:
                    raise Rejected(Reason.MISSING_FIELD, "a tombstone needs the article id as its key")
                gate = tombstone_input(key, state.tick(at), settings.pipeline_version).event
                outputs.extend(admit(state.kills, cast(GateInput, gate)))
                continue
            raw = intake(value, settings)
            stage = "clean"
            outputs.extend(clean_stage(raw, settings, state, seen=at))
        except Exception as exc:  # every failure becomes a dead letter, as in the worker
            letter = dead_letter(
                stage=stage,
                error=exc,
                key=key,
                value=value or b"",
                topic=settings.topic(flow.RAW.name),
                pipeline_version=settings.pipeline_version,
            )
            outputs.append(Outgoing(flow.DEADLETTER, letter.original_key or "", letter))
    return _enrich(outputs, settings, state, enricher)


def _enrich(
    outputs: list[Outgoing], settings: Settings, state: State, enricher: Enricher | None
) -> list[Outgoing]:
    """The clean outputs enriched in batches, in order: a kill's retractions follow what came before it."""
    done: list[Outgoing] = []
    batch: list[CleanArticle] = []
    if state.people is None:
        state.people = KnownPeople()
    people: KnownPeople = state.people

    def flush() -> None:
        nonlocal enricher
        if not batch:
            return
        enricher = enricher or load_enricher(settings)
        known = {a.source: people.get(a.source) for a in batch}
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
                done.append(Outgoing(flow.DEADLETTER, article.article_id, letter))
                continue
            done.extend(correct(state.published, article, taught(people, result.outgoing)))
        batch.clear()

    for out in outputs:
        done.append(out)
        if isinstance(out.event, CleanArticle):
            batch.append(out.event)
            if len(batch) >= settings.batch_size:
                flush()
        elif out.spec is flow.CLEAN and isinstance(out.cause, Kill):
            flush()
            kill, pipeline = out.cause, settings.pipeline_version
            old = state.published.get(out.key)
            done.extend(withdraw(state.published, out.key, kill.status, kill.killed_at, pipeline))
            done.extend(forgotten(people, out.key, int(old["v"]) if old else 0, pipeline))
    flush()
    return done


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
            # A tombstone has no value: the file says which key it removes.
            line = to_json(out.event) if out.event is not None else orjson.dumps({"tombstone": out.key})
            handles[name].write(line + b"\n")
            counts[name] += 1
    finally:
        for handle in handles.values():
            handle.close()
    return counts
