"""Delivery for every agent: send outputs with their CloudEvents headers, route refusals to dead letters."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import faust
from aiokafka.errors import MessageSizeTooLargeError
from faust.exceptions import ProducerSendError

from streams.events import flow
from streams.events.deadletter import dead_letter
from streams.events.errors import Reason, Rejected
from streams.events.flow import Outgoing, Topics
from streams.settings import Settings
from streams.worker.health import Metrics

log = logging.getLogger(__name__)

# Headers on the re-keyed raw copy: the original message's key and topic.
ORIGIN_KEY = "ns-origin-key"
ORIGIN_TOPIC = "ns-origin-topic"


@dataclass
class Delivery:
    """What every feature's agents share: the topics to send to, the metrics, and the health checks."""

    topics: Topics
    settings: Settings
    metrics: Metrics = field(default_factory=Metrics)
    # Each returns why the worker is not ready yet, or None.
    readiness: list[Callable[[], str | None]] = field(default_factory=list)
    # Each returns why the worker is not live (an orchestrator should restart it), or None.
    liveness: list[Callable[[], str | None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        t = self.topics
        self._by_spec = {
            flow.RAW_BY_SOURCE: t.raw_by_source,
            flow.SYNDICATION: t.syndication,
            flow.GATE: t.gate,
            flow.KILLS: t.kills,
            flow.CLEAN: t.clean,
            flow.ENRICHED: t.enriched,
            flow.ENTITIES: t.entities,
            flow.QUOTES: t.quotes,
            flow.TOPICS: t.topics,
            flow.PEOPLE_LEARNED: t.people_learned,
            flow.TRENDING: t.trending,
            flow.DEADLETTER: t.deadletter,
        }
        # A dead letter must fit in one Kafka message (headers and fields aside); base64 grows bytes by 4/3.
        self._letter_budget = self.settings.max_message_bytes - 64 * 1024

    async def send(self, out: Outgoing) -> None:
        await self._by_spec[out.spec].send(
            key=out.key.encode("utf-8"),
            value=out.event,  # None: a tombstone
            headers=out.headers,
            partition=out.partition,
        )

    async def send_all(self, stage: str, outputs: list[Outgoing], event: faust.EventT) -> bool:
        """Send one input's events; one too large for a Kafka message dead-letters the input instead of
        crashing the agent (whose restart would skip the input silently)."""
        try:
            for out in outputs:
                await self.send(out)
        except ProducerSendError as exc:
            if not isinstance(exc.__cause__, MessageSizeTooLargeError):
                raise
            await self.refuse(
                stage, Rejected(Reason.TOO_LARGE, f"an output event is too large: {exc.__cause__}"), event
            )
            return False
        return True

    def origin(self, event: faust.EventT) -> tuple[bytes | None, str]:
        """The key and topic an input first arrived with. Only the internal by-source topic's origin headers
        are ours; on any other topic (the public raw topic above all) they could be forged, so they are
        ignored, and an undecodable one falls back to the message's own topic."""
        key, topic = event.key, event.message.topic
        if topic != self.topics.raw_by_source.get_topic_name():
            return key, topic
        headers: dict[str, Any] = dict(event.headers or {})
        try:
            topic = bytes(headers.get(ORIGIN_TOPIC) or topic.encode()).decode("utf-8")
        except UnicodeDecodeError:
            log.warning("origin topic header of %s is not UTF-8; the letter names %s", key, topic)
        return headers.get(ORIGIN_KEY, key), topic

    async def refuse(self, stage: str, error: Exception, event: faust.EventT) -> None:
        """Dead-letter `event`'s original bytes with the reason `error` names."""
        # Records were decoded from the message; the dead letter keeps the bytes as they arrived.
        value = cast(bytes, event.value if isinstance(event.value, bytes) else event.message.value) or b""
        key, topic = self.origin(event)
        letter_budget = self._letter_budget
        # Of an input too large for that, the letter keeps the first bytes (the whole message stays on its
        # topic for its retention); slicing first means a 50 MB input is never decoded or escaped whole.
        kept = value[: letter_budget * 3 // 4]
        while True:
            cause = error
            if len(kept) < len(value):
                reason = error.reason if isinstance(error, Rejected) else Reason.STAGE_ERROR
                detail = error.detail if isinstance(error, Rejected) else f"{type(error).__name__}: {error}"
                note = f"original_value keeps the first {len(kept)} of {len(value)} bytes"
                cause = Rejected(reason, f"{detail} ({note})")
            letter = dead_letter(
                stage=stage,
                error=cause,
                key=key,
                value=kept,
                topic=topic,
                pipeline_version=self.settings.pipeline_version,
            )
            # JSON escaping can grow text up to sixfold (control characters): measure, shrink if needed.
            size = len(letter.dumps(serializer="orjson"))
            if size <= letter_budget or not kept:
                break
            kept = kept[: len(kept) * letter_budget // size * 9 // 10]
        self.metrics.messages.labels(stage, "dead_letter").inc()
        self.metrics.dead_letters.labels(stage, letter.reason).inc()
        log.warning(
            "dead-letter stage=%s reason=%s key=%r: %s",
            stage,
            letter.reason,
            letter.original_key,
            letter.detail,
        )
        await self.send(Outgoing(flow.DEADLETTER, letter.original_key or "", letter))
