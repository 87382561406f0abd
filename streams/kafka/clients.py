"""Every Kafka client of the project (aiokafka producer, consumer, admin; Faust credentials) built from settings."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import GroupCoordinatorNotAvailableError

from streams.settings import Settings


@dataclass(frozen=True)
class Security:
    """The security settings translated once, for aiokafka and Faust alike."""

    protocol: str  # PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL
    ssl_context: ssl.SSLContext | None = None
    sasl_mechanism: str | None = None  # PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (None: no SASL)
    sasl_username: str = ""
    sasl_password: str = ""


def ssl_context(settings: Settings) -> ssl.SSLContext:
    """The TLS context for the brokers: the settings' CA file (or the system's) and client certificate."""
    context = ssl.create_default_context(purpose=ssl.Purpose.SERVER_AUTH, cafile=settings.ssl_cafile or None)
    if settings.ssl_certfile:
        context.load_cert_chain(settings.ssl_certfile, keyfile=settings.ssl_keyfile or None)
    return context


def security(settings: Settings) -> Security:
    """TLS and SASL from settings; the one mapping both client libraries are configured from."""
    protocol = settings.security_protocol.upper()
    sasl = protocol.startswith("SASL")
    return Security(
        protocol=protocol,
        ssl_context=ssl_context(settings) if protocol in ("SSL", "SASL_SSL") else None,
        sasl_mechanism=(settings.sasl_mechanism.upper() or "PLAIN") if sasl else None,
        sasl_username=settings.sasl_username if sasl else "",
        sasl_password=settings.sasl_password if sasl else "",
    )


def client_options(settings: Settings) -> dict[str, Any]:
    """Connection and security options shared by every aiokafka client of the project."""
    sec = security(settings)
    options: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "security_protocol": sec.protocol,
    }
    if sec.ssl_context is not None:
        options["ssl_context"] = sec.ssl_context
    if sec.sasl_mechanism is not None:
        options["sasl_mechanism"] = sec.sasl_mechanism
        options["sasl_plain_username"] = sec.sasl_username
        options["sasl_plain_password"] = sec.sasl_password
    return options


def faust_credentials(settings: Settings) -> Any:
    """The same TLS/SASL translation as Faust credentials (None for plain text)."""
    # Imported here: the tools and the dashboard build plain clients and need not load Faust.
    import faust

    sec = security(settings)
    if sec.sasl_mechanism is not None:
        return faust.SASLCredentials(
            username=sec.sasl_username,
            password=sec.sasl_password,
            ssl_context=sec.ssl_context,
            mechanism=sec.sasl_mechanism,
        )
    if sec.ssl_context is not None:
        return faust.SSLCredentials(sec.ssl_context)
    return None


def producer(settings: Settings, **extra: Any) -> AIOKafkaProducer:
    """A producer that waits for every in-sync replica (nothing acknowledged is lost) and sends records as
    large as the topics accept (`max.message.bytes`, set by `topics apply`), not aiokafka's 1 MiB."""
    options = {"max_request_size": settings.max_message_bytes, **extra}
    return AIOKafkaProducer(acks="all", enable_idempotence=True, **client_options(settings), **options)


def consumer(settings: Settings, *topics: str, **extra: Any) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(*topics, **client_options(settings), **extra)


def admin(settings: Settings, **extra: Any) -> AIOKafkaAdminClient:
    """The project's one admin client constructor (TLS context and SASL included)."""
    return AIOKafkaAdminClient(**client_options(settings), **extra)


async def partitions(settings: Settings, topics: list[str]) -> dict[str, list[int]]:
    """The partitions of each existing topic in `topics` (missing topics are left out)."""
    client = admin(settings)
    await client.start()
    try:
        existing = set(await client.list_topics())
        wanted = [t for t in topics if t in existing]
        described = await client.describe_topics(wanted) if wanted else []
    finally:
        await client.close()
    return {d["topic"]: sorted(p["partition"] for p in d["partitions"]) for d in described if d["partitions"]}


async def active_members(settings: Settings, group: str, attempts: int = 30) -> int:
    """How many members the consumer group has right now (0 when it is empty or unknown). On a cluster
    where no group ever existed the coordinator's topic (__consumer_offsets) is created on the first ask
    and answers "not available" for a few seconds: asked again, once a second."""
    for _ in range(attempts - 1):
        try:
            return await _members(settings, group)
        except GroupCoordinatorNotAvailableError:
            await asyncio.sleep(1.0)
    return await _members(settings, group)


async def _members(settings: Settings, group: str) -> int:
    client = admin(settings)
    await client.start()
    try:
        described = await client.describe_consumer_groups([group])
    finally:
        await client.close()
    members = 0
    for response in described:
        for g in response.groups:
            # (error_code, group_id, state, protocol_type, protocol, members, ...)
            members += len(g[5])
    return members
