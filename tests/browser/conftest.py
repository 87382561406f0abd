"""Browser tests use the suite's real-broker fixtures (kafka, namespace, worker_env, worker) from tests/kafka_fixtures.py."""
