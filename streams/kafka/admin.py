"""Topic administration: create or update every topic of the flow from its declaration, idempotently."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError

from streams.events import flow
from streams.kafka.clients import admin as admin_client
from streams.settings import Settings

log = logging.getLogger(__name__)

# The one command that changes the partition count of existing topics (README: Topic configuration).
REPARTITION_COMMAND = "newsstreams topics repartition --force"


@dataclass(frozen=True)
class Change:
    topic: str
    action: str  # "created" | "partitions" | "config"
    detail: str


class RepartitionRefused(Exception):
    """A partition change that was not forced, or that Kafka cannot make (fewer partitions)."""


def desired_config(
    spec: flow.TopicSpec, settings: Settings, *, replicas: int | None = None
) -> dict[str, str]:
    """The topic-level Kafka configuration a TopicSpec asks for, on a topic with `replicas` replicas
    (the configured replication when the topic does not exist yet): `flow.topic_config`, the one rule
    for `apply`, for Faust's declarations and for the Strimzi topics (tests/deploy)."""
    return flow.topic_config(spec, settings, replicas=replicas)


async def apply(
    settings: Settings,
    *,
    suffix: str = "",
    specs: tuple[flow.TopicSpec, ...] = flow.FLOW,
    say: Callable[[str], None] = log.warning,
) -> list[Change]:
    """Make the cluster match the declarations; returns what changed (empty the second time).

    Partitions are the exception: a missing topic is created with `settings.partitions`, an existing one
    keeps its count (growing a keyed topic moves keys; see `repartition`), and `say` is told of any topic
    with fewer partitions than configured.
    """
    admin = admin_client(settings, request_timeout_ms=30_000)
    await admin.start()
    changes: list[Change] = []
    try:
        wanted = {settings.topic(s.name) + (suffix if s is not flow.RAW else ""): s for s in specs}
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(
                name,
                num_partitions=settings.partitions,
                replication_factor=settings.replication,
                topic_configs=desired_config(spec, settings),
            )
            for name, spec in wanted.items()
            if name not in existing
        ]
        if missing:
            await admin.create_topics(missing)
            changes += [Change(t.name, "created", f"{settings.partitions} partitions") for t in missing]
        present = [name for name in wanted if name in existing]
        if present:
            described = await admin.describe_topics(present)
            behind = {
                d["topic"]: len(d["partitions"])
                for d in described
                if len(d["partitions"]) < settings.partitions
            }
            if behind:
                say(behind_message(behind, settings.partitions))
            replicas = {
                d["topic"]: min((len(p["replicas"]) for p in d["partitions"]), default=settings.replication)
                for d in described
            }
            current, overrides = await _configs(admin, present)
            for name in present:
                desired = desired_config(wanted[name], settings, replicas=replicas.get(name))
                diff = {k: v for k, v in desired.items() if current.get(name, {}).get(k) != v}
                if diff:
                    # AlterConfigs (the API aiokafka speaks) replaces a topic's whole set of overrides: a
                    # config left out would fall back to the broker default (a compacted topic to delete).
                    # Send what the topic overrides now, with the declared values over it.
                    configs = {**overrides.get(name, {}), **desired}
                    await admin.alter_configs(
                        [ConfigResource(ConfigResourceType.TOPIC, name, configs=configs)]
                    )
                    changes.append(Change(name, "config", ", ".join(f"{k}={v}" for k, v in diff.items())))
    finally:
        await admin.close()
    return changes


async def declare_missing(
    settings: Settings, wanted: Mapping[str, tuple[int, Mapping[str, str]]], *, wait: float = 30.0
) -> list[Change]:
    """Create the topics of `wanted` (name → partitions, configuration) that do not exist yet, then wait
    until the cluster's metadata lists every one with a leader for each partition.

    The worker's own Faust topics (changelogs, the trending regrouping) were left to Faust, which declares
    them while its consumer subscribes: on a fresh cluster the subscription could miss one, and a send to
    it waited on metadata refreshed several times a second. A worker stalled so, at 60 % CPU, with 66 of
    300 articles through. Declared here before the worker starts, they are there when it subscribes.
    """
    admin = admin_client(settings, request_timeout_ms=30_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(name, partitions, settings.replication, topic_configs=dict(config))
            for name, (partitions, config) in wanted.items()
            if name not in existing
        ]
        if missing:
            response: Any = await admin.create_topics(missing)
            # (topic, error code, message) per topic; another worker starting at the same time may have
            # made one first (TopicAlreadyExists).
            refused = [e for e in response.topic_errors if e[1] not in (0, TopicAlreadyExistsError.errno)]
            if refused:
                raise RuntimeError(
                    f"Kafka refused to create {refused[0][0]}: {refused[0][2] or refused[0][1]}"
                )
        await _until_led(admin, list(wanted), wait)
        return [Change(t.name, "created", f"{t.num_partitions} partitions") for t in missing]
    finally:
        await admin.close()


async def _until_led(admin: AIOKafkaAdminClient, topics: list[str], wait: float) -> None:
    """Return once every partition of `topics` has a leader in the metadata, or fail after `wait` s."""
    deadline = time.monotonic() + wait
    while True:
        described = await admin.describe_topics(topics) if topics else []
        led = {
            d["topic"]
            for d in described
            if d["partitions"] and all(p["leader"] >= 0 for p in d["partitions"])
        }
        if led >= set(topics):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"topics without a leader after {wait} s: {', '.join(sorted(set(topics) - led))}"
            )
        await asyncio.sleep(0.2)


def behind_message(behind: dict[str, int], partitions: int) -> str:
    """What an operator reads when topics have fewer partitions than NEWSSTREAMS_PARTITIONS."""
    topics = ", ".join(f"{name} ({n})" for name, n in sorted(behind.items()))
    return (
        f"{len(behind)} topic(s) have fewer partitions than the {partitions} configured "
        f"(NEWSSTREAMS_PARTITIONS) and were left as they are: {topics}. Growing a topic moves keys to other "
        f"partitions and must grow Faust's changelogs with it; to do it, run `{REPARTITION_COMMAND}`."
    )


async def repartition(
    settings: Settings, *, force: bool = False, internal: tuple[str, ...] = ()
) -> list[Change]:
    """Grow every flow topic and the worker's `internal` topics (its tables' changelogs and repartition
    topics) to `settings.partitions`; refused (`RepartitionRefused`) unless `force`, and always when a
    topic has more partitions than that (Kafka cannot take partitions away)."""
    admin = admin_client(settings, request_timeout_ms=30_000)
    await admin.start()
    try:
        names = [settings.topic(s.name) for s in flow.FLOW] + list(internal)
        existing = set(await admin.list_topics())
        described = await admin.describe_topics([n for n in names if n in existing])
        counts = {d["topic"]: len(d["partitions"]) for d in described}
        ahead = {t: n for t, n in counts.items() if n > settings.partitions}
        if ahead:
            raise RepartitionRefused(
                f"{', '.join(f'{t} ({n})' for t, n in sorted(ahead.items()))} have more partitions than the "
                f"{settings.partitions} configured; Kafka cannot remove partitions"
            )
        grow = sorted(t for t, n in counts.items() if n < settings.partitions)
        if grow and not force:
            raise RepartitionRefused(
                f"would grow {len(grow)} topic(s) to {settings.partitions} partitions: "
                f"{', '.join(f'{t} ({counts[t]})' for t in grow)}. Every topic is keyed: a key's later "
                "messages may go to another partition than its earlier ones and its table state. Let the "
                "workers drain their lag, stop them, and run again with --force to do it."
            )
        if grow:
            await admin.create_partitions({t: NewPartitions(settings.partitions) for t in grow})
        return [Change(t, "partitions", f"{counts[t]} to {settings.partitions}") for t in grow]
    finally:
        await admin.close()


async def _configs(
    admin: AIOKafkaAdminClient, topics: list[str]
) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """Each topic's effective configuration, and the part of it set on the topic itself."""
    responses: Any = await admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, t) for t in topics]
    )
    effective: dict[str, dict[str, str]] = {}
    overrides: dict[str, dict[str, str]] = {}
    for response in responses:
        for resource in response.resources:
            # (error_code, error_message, resource_type, resource_name, config_entries); an entry is
            # (name, value, read_only, config_source, ...) from v1 on, config_source 1 = set on the topic
            # (v0 has is_default there instead).
            name, entries = resource[3], resource[4]
            effective[name] = {entry[0]: entry[1] for entry in entries}
            if response.API_VERSION >= 1:
                overrides[name] = {e[0]: e[1] for e in entries if e[3] == 1 and e[1] is not None}
            else:
                overrides[name] = {e[0]: e[1] for e in entries if not e[3] and e[1] is not None}
    return effective, overrides


# The topic configs `topics describe` shows: the ones `apply` sets.
DESCRIBED = ("cleanup.policy", "retention.ms", "max.message.bytes", "min.insync.replicas")


@dataclass(frozen=True)
class TopicState:
    topic: str
    partitions: int
    messages: int  # sum of end offsets (on compacted topics: offsets, not live records)
    config: dict[str, str]
    lag: dict[str, int]  # consumer group → messages not yet committed


async def describe(settings: Settings, *, groups: tuple[str, ...] = ()) -> list[TopicState]:
    """Every declared topic with its partitions, end offsets, config and each group's lag on it."""
    from aiokafka import TopicPartition

    from streams.kafka.clients import consumer

    groups = groups or (settings.app_id, f"{settings.app_id}-dashboard")
    admin = admin_client(settings, request_timeout_ms=30_000)
    await admin.start()
    client = consumer(settings, enable_auto_commit=False)
    await client.start()
    try:
        names = [settings.topic(s.name) for s in flow.FLOW]
        existing = set(await admin.list_topics())
        names = [n for n in names if n in existing]
        configs = (await _configs(admin, names))[0] if names else {}
        described = await admin.describe_topics(names) if names else []
        tps = [TopicPartition(d["topic"], p["partition"]) for d in described for p in d["partitions"]]
        ends = await client.end_offsets(tps) if tps else {}
        committed: dict[str, dict[TopicPartition, int]] = {}
        for group in groups:
            offsets = await admin.list_consumer_group_offsets(group)
            committed[group] = {tp: meta.offset for tp, meta in offsets.items()}
        states = []
        for d in described:
            mine = [tp for tp in tps if tp.topic == d["topic"]]
            lag = {
                group: sum(max(0, ends[tp] - offsets[tp]) for tp in mine if tp in offsets)
                for group, offsets in committed.items()
                if any(tp in offsets for tp in mine)
            }
            states.append(
                TopicState(
                    topic=d["topic"],
                    partitions=len(d["partitions"]),
                    messages=sum(ends[tp] for tp in mine),
                    config={k: v for k, v in configs.get(d["topic"], {}).items() if k in DESCRIBED},
                    lag=lag,
                )
            )
        return states
    finally:
        await client.stop()
        await admin.close()
