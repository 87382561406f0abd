"""Diff two output sets (two `process` folders or two topic suffixes): what a pipeline change changes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from streams.events import flow
from streams.kafka import ranges
from streams.settings import Settings

# What identifies "the same" event across two runs, per topic (event ids differ when versions do).
IDENTITY: dict[str, Callable[[dict[str, Any]], tuple[Any, ...]]] = {
    flow.CLEAN.name: lambda e: (e["article_id"],),
    flow.ENRICHED.name: lambda e: (e["article_id"],),
    flow.ENTITIES.name: lambda e: (e["article_id"], e["entity_id"]),
    flow.QUOTES.name: lambda e: (e["article_id"], e["section"], e["paragraph"], e["start"]),
    flow.TOPICS.name: lambda e: (e["article_id"], e["topic"]),
    flow.DEADLETTER.name: lambda e: (e.get("original_topic"), e.get("original_key"), e.get("stage")),
}
# Fields that name the run rather than the content.
VOLATILE = frozenset({"event_id", "pipeline_version", "failed_at"})


@dataclass
class TopicDiff:
    count_a: int = 0
    count_b: int = 0
    added: list[tuple[Any, ...]] = field(default_factory=list)
    removed: list[tuple[Any, ...]] = field(default_factory=list)
    changed: list[tuple[Any, ...]] = field(default_factory=list)
    ids_differ: int = 0

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.removed or self.changed)


def compare(a: dict[str, list[dict[str, Any]]], b: dict[str, list[dict[str, Any]]]) -> dict[str, TopicDiff]:
    """Per topic: counts on each side and the identities added, removed or changed from a to b."""
    result: dict[str, TopicDiff] = {}
    for topic, identity in IDENTITY.items():
        left = {identity(e): e for e in a.get(topic, [])}
        right = {identity(e): e for e in b.get(topic, [])}
        d = TopicDiff(count_a=len(a.get(topic, [])), count_b=len(b.get(topic, [])))
        d.added = sorted(set(right) - set(left), key=repr)
        d.removed = sorted(set(left) - set(right), key=repr)
        for key in set(left) & set(right):
            x, y = left[key], right[key]
            if {k: v for k, v in x.items() if k not in VOLATILE} != {
                k: v for k, v in y.items() if k not in VOLATILE
            }:
                d.changed.append(key)
            elif x.get("event_id") != y.get("event_id"):
                d.ids_differ += 1
        d.changed.sort(key=repr)
        result[topic] = d
    return result


def report(diffs: dict[str, TopicDiff], *, examples: int = 5) -> str:
    lines = [f"{'topic':<24} {'a':>6} {'b':>6} {'added':>6} {'removed':>8} {'changed':>8}"]
    for topic, d in diffs.items():
        lines.append(
            f"{topic:<24} {d.count_a:>6} {d.count_b:>6} {len(d.added):>6} {len(d.removed):>8} {len(d.changed):>8}"
        )
        for label, keys in (("+", d.added), ("-", d.removed), ("~", d.changed)):
            lines.extend(f"    {label} {key}" for key in keys[:examples])
    total = sum(len(d.added) + len(d.removed) + len(d.changed) for d in diffs.values())
    lines.append(f"{total} change(s)")
    return "\n".join(lines)


def read_folder(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """Events of a `process --out` folder, by topic name without any prefix."""
    out: dict[str, list[dict[str, Any]]] = {}
    for spec in flow.FLOW:
        files = sorted(folder.glob(f"*{spec.name}.jsonl"))
        files = [f for f in files if f.name.endswith(f"{spec.name}.jsonl")]
        for path in files[:1]:
            out[spec.name] = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
    return out


async def read_topics(settings: Settings, suffix: str) -> dict[str, list[dict[str, Any]]]:
    """Every event now on the downstream topics with `suffix`, read from the beginning to the end."""
    names = {settings.topic(t) + suffix: t for t in IDENTITY}
    out: dict[str, list[dict[str, Any]]] = {t: [] for t in IDENTITY}
    for r in (await ranges.read(settings, list(names))).records:
        if r.value:
            out[names[r.topic]].append(orjson.loads(r.value))
    return out
