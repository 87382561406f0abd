"""Plain aiokafka clients (producer, consumer, admin) configured from settings, for the CLI and tools."""

from __future__ import annotations

import ssl
from typing import Any

import faust
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from streams.settings import Settings


def client_options(settings: Settings) -> dict[str, Any]:
    """Connection and security options shared by every aiokafka client of the project."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "security_protocol": settings.security_protocol.upper(),
    }
    if options["security_protocol"] in ("SSL", "SASL_SSL"):
        context = ssl.create_default_context(cafile=settings.ssl_cafile or None)
        if settings.ssl_certfile:
            context.load_cert_chain(settings.ssl_certfile, keyfile=settings.ssl_keyfile or None)
        options["ssl_context"] = context
    if options["security_protocol"].startswith("SASL"):
        options["sasl_mechanism"] = settings.sasl_mechanism.upper() or "PLAIN"
        options["sasl_plain_username"] = settings.sasl_username
        options["sasl_plain_password"] = settings.sasl_password
    return options


def faust_credentials(settings: Settings) -> Any:
    """Kafka TLS/SASL options from settings, as Faust credentials (None for plain text)."""
    protocol = settings.security_protocol.upper()
    ssl_context = None
    if protocol in ("SSL", "SASL_SSL"):
        ssl_context = faust.auth.ssl.create_default_context(
            purpose=faust.auth.ssl.Purpose.SERVER_AUTH,
            cafile=settings.ssl_cafile or None,
        )
        if settings.ssl_certfile:
            ssl_context.load_cert_chain(settings.ssl_certfile, keyfile=settings.ssl_keyfile or None)
    if protocol.startswith("SASL"):
        mechanism = settings.sasl_mechanism.upper() or "PLAIN"
        if mechanism.startswith("SCRAM"):
            return faust.SASLCredentials(
                username=settings.sasl_username,
                password=settings.sasl_password,
                ssl_context=ssl_context,
                mechanism=mechanism,
            )
        return faust.SASLCredentials(
            username=settings.sasl_username, password=settings.sasl_password, ssl_context=ssl_context
        )
    if ssl_context is not None:
        return faust.SSLCredentials(ssl_context)
    return None


def producer(settings: Settings, **extra: Any) -> AIOKafkaProducer:
    """A producer that waits for every in-sync replica (nothing acknowledged is lost)."""
    return AIOKafkaProducer(acks="all", enable_idempotence=True, **client_options(settings), **extra)


def consumer(settings: Settings, *topics: str, **extra: Any) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(*topics, **client_options(settings), **extra)


async def partitions(settings: Settings, topics: list[str]) -> dict[str, list[int]]:
    """The partitions of each existing topic in `topics` (missing topics are left out)."""
    from aiokafka.admin import AIOKafkaAdminClient

    options = client_options(settings)
    options.pop("ssl_context", None)
    admin = AIOKafkaAdminClient(**options)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [t for t in topics if t in existing]
        described = await admin.describe_topics(wanted) if wanted else []
    finally:
        await admin.close()
    return {d["topic"]: sorted(p["partition"] for p in d["partitions"]) for d in described if d["partitions"]}
