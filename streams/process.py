"""`newsstreams process`: the same stages in one process with no Kafka, one JSONL file per topic."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from streams import flow
from streams.deadletter import dead_letter
from streams.pipeline import Outgoing, State, clean_stage, intake
from streams.records import to_json
from streams.settings import Settings


def run(
    messages: Iterable[tuple[str | None, bytes]], settings: Settings, *, state: State | None = None
) -> list[Outgoing]:
    """Every event the pipeline emits for `messages`, in order (dead letters included)."""
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
