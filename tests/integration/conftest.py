"""Integration tests run on the suite's real broker (fixtures in tests/kafka_fixtures.py)."""

from tests.kafka_fixtures import KAFKA_SCRIPT, ROOT, Broker, Worker, _unavailable, free_port, free_port_pair

__all__ = ["KAFKA_SCRIPT", "ROOT", "Broker", "Worker", "_unavailable", "free_port", "free_port_pair"]
