"""Kafka clients: one admin constructor that keeps the TLS context, one security translation for all."""

from __future__ import annotations

import ast
import os
import shutil
import ssl
import subprocess
from pathlib import Path
from typing import Any

import faust
import pytest
from aiokafka import TopicPartition
from aiokafka.structs import OffsetAndTimestamp

from streams.kafka import clients
from streams.kafka.ranges import start_offsets
from streams.settings import Settings

STREAMS = Path(__file__).resolve().parents[2] / "streams"


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate and its key, made with the openssl command."""
    if not shutil.which("openssl"):
        why = "the openssl command is needed to make a test certificate"
        # Under CI the TLS client test must run: a missing tool fails it rather than skipping it.
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(why, pytrace=False)
        pytest.skip(why)
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_the_admin_client_is_constructed_in_exactly_one_place() -> None:
    calls = []
    for path in STREAMS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                if name == "AIOKafkaAdminClient":
                    calls.append(f"{path.relative_to(STREAMS.parent)}:{node.lineno}")
    assert len(calls) == 1 and calls[0].startswith("streams/kafka/clients.py:"), calls


def test_admin_gets_the_tls_context_and_sasl(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    seen: dict[str, Any] = {}

    class Recording:
        def __init__(self, **kwargs: Any) -> None:
            seen.update(kwargs)

    monkeypatch.setattr(clients, "AIOKafkaAdminClient", Recording)
    settings = Settings(
        broker="kafka://k1:9093",
        security_protocol="sasl_ssl",
        sasl_mechanism="scram-sha-512",
        sasl_username="u",
        sasl_password="p",
        ssl_cafile=str(cert),
        ssl_certfile=str(cert),
        ssl_keyfile=str(key),
    )
    clients.admin(settings, request_timeout_ms=5_000)
    assert isinstance(seen["ssl_context"], ssl.SSLContext)
    assert seen["ssl_context"].verify_mode == ssl.CERT_REQUIRED
    assert seen["ssl_context"].get_ca_certs()[0]["subject"] == ((("commonName", "localhost"),),)
    assert seen["security_protocol"] == "SASL_SSL"
    assert (seen["sasl_mechanism"], seen["sasl_plain_username"], seen["sasl_plain_password"]) == (
        "SCRAM-SHA-512",
        "u",
        "p",
    )
    assert seen["bootstrap_servers"] == "k1:9093" and seen["request_timeout_ms"] == 5_000


@pytest.mark.asyncio
async def test_a_real_admin_client_keeps_the_tls_context() -> None:
    # The aiokafka class itself accepts and keeps the context (it was dropped before it got there).
    admin = clients.admin(Settings(security_protocol="SSL"))
    try:
        assert isinstance(admin._client._ssl_context, ssl.SSLContext)
    finally:
        await admin.close()


def test_plain_text_has_no_tls_nor_sasl() -> None:
    options = clients.client_options(Settings(broker="kafka://a:1", sasl_username="ignored"))
    assert options == {"bootstrap_servers": "a:1", "security_protocol": "PLAINTEXT"}
    assert clients.faust_credentials(Settings()) is None


def test_faust_credentials_come_from_the_same_translation() -> None:
    tls = clients.faust_credentials(Settings(security_protocol="SSL"))
    assert isinstance(tls, faust.SSLCredentials) and isinstance(tls.context, ssl.SSLContext)

    sasl = Settings(security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-256", sasl_username="u")
    creds = clients.faust_credentials(sasl)
    sec = clients.security(sasl)
    assert isinstance(creds, faust.SASLCredentials)
    assert (creds.mechanism.value, creds.username, creds.protocol.value) == ("SCRAM-SHA-256", "u", "SASL_SSL")
    assert sec.sasl_mechanism == creds.mechanism.value and isinstance(creds.ssl_context, ssl.SSLContext)

    plain = clients.faust_credentials(Settings(security_protocol="SASL_PLAINTEXT", sasl_username="u"))
    assert plain.mechanism.value == "PLAIN" and plain.ssl_context is None
    assert plain.protocol.value == "SASL_PLAINTEXT"


TP0, TP1 = TopicPartition("t", 0), TopicPartition("t", 1)


def test_reading_starts_at_the_log_start_by_default() -> None:
    assert start_offsets({TP0: 3, TP1: 0}, {TP0: 9, TP1: 4}) == {TP0: 3, TP1: 0}


def test_a_requested_offset_below_the_log_start_starts_at_the_log_start() -> None:
    # Offsets 0-4 of partition 0 are gone (retention): asking for 2 reads from 5, not from nowhere.
    starts = start_offsets({TP0: 5, TP1: 0}, {TP0: 9, TP1: 4}, requested={TP0: 2, TP1: 1})
    assert starts == {TP0: 5, TP1: 1}


def test_a_time_with_nothing_after_it_reads_nothing() -> None:
    found = {TP0: OffsetAndTimestamp(6, 1_000), TP1: None}
    assert start_offsets({TP0: 0, TP1: 0}, {TP0: 9, TP1: 4}, found=found) == {TP0: 6, TP1: 4}
    # Offsets given as well win over the time, partition by partition.
    assert start_offsets({TP0: 0, TP1: 0}, {TP0: 9, TP1: 4}, found=found, requested={TP1: 2}) == {
        TP0: 6,
        TP1: 2,
    }
